// Snapshot rate: how often this client really gets snapshots (every N ticks) and why.
// It follows `Settings.broadcast_every` until the server says otherwise with a
// `SnapshotRate` message: a throttle because the connection fell behind (congested) or
// because the client asked for a cap (client cap, see src/visibility.ts). While
// unthrottled, a new broadcast_every is the interval at once; while throttled, the
// server's last word stands until it sends another.

import type { GameSettings, Throttle } from './protocol';

/** How the HUD names each throttle reason. */
const THROTTLE_WORDS: Readonly<Record<Throttle, string>> = {
  none: '',
  congested: 'congested',
  'client-cap': 'client cap',
};

/** The interval for people: "every 2 ticks", "every 16 ticks (throttled: client cap)". */
export function describeInterval(everyTicks: number | null, reason: Throttle): string {
  if (everyTicks === null) {
    return '–';
  }
  const interval = `every ${everyTicks} tick${everyTicks === 1 ? '' : 's'}`;
  return reason === 'none' ? interval : `${interval} (throttled: ${THROTTLE_WORDS[reason]})`;
}

export class SnapshotRateTracker {
  /** A snapshot every this many ticks (null before Welcome). */
  everyTicks: number | null = null;
  reason: Throttle = 'none';

  /** A new session: every broadcast, until the server says otherwise. */
  welcome(settings: GameSettings): void {
    this.everyTicks = settings.broadcastEvery;
    this.reason = 'none';
  }

  /** New settings: an unthrottled client gets the new broadcast interval. */
  settings(settings: GameSettings): void {
    if (this.reason === 'none') {
      this.everyTicks = settings.broadcastEvery;
    }
  }

  /** The server's `SnapshotRate` message. */
  rate(everyTicks: number, reason: Throttle): void {
    this.everyTicks = everyTicks;
    this.reason = reason;
  }
}
