// Page visibility: while the page is hidden nobody watches it, so the client asks the
// server for at most HIDDEN_SNAPSHOTS_PER_SECOND snapshots (SnapshotRateRequest) and
// lifts the cap (0) when the page is visible again. Browsers throttle hidden tabs
// anyway; this saves the server and the network the bytes.

/** Snapshots per second asked for while the page is hidden. */
export const HIDDEN_SNAPSHOTS_PER_SECOND = 2;

/** The snapshot cap for the page's visibility now: 0 (no cap) while it is visible. */
export function snapshotCap(doc: Document): number {
  return doc.visibilityState === 'hidden' ? HIDDEN_SNAPSHOTS_PER_SECOND : 0;
}

/** Calls `onCap` with the new cap whenever the page is hidden or shown. */
export function watchVisibility(doc: Document, onCap: (maxPerSecond: number) => void): void {
  doc.addEventListener('visibilitychange', () => onCap(snapshotCap(doc)));
}
