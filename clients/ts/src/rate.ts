// Snapshot rate: how often this client really gets snapshots (every N ticks) and why.
// It follows `Settings.broadcast_every` until the server says otherwise with a
// `SnapshotRate` message: a throttle because the connection fell behind (congested) or
// because the client asked for a cap (client cap, see src/visibility.ts). While
// unthrottled, a new broadcast_every is the interval at once; while throttled, the
// server's last word stands until it sends another.

import type { GameSettings, Throttle } from './protocol';

/** Why a client gets fewer snapshots, for people. */
const THROTTLE_WORDS: Readonly<Record<Throttle, string>> = {
  none: '',
  congested: 'slowed down: the connection is not keeping up',
  'client-cap': 'slowed down: this page asked for fewer',
};

/** "15 per second", "7.5 per second", "0.5 per second". */
export function perSecond(everyTicks: number, tickRateHz: number): string {
  const rate = tickRateHz / Math.max(1, everyTicks);
  return `${Number.isInteger(rate) ? rate : rate.toFixed(1)} per second`;
}

/**
 * An interval for people: "15 per second (every 2 ticks)", "every 2 ticks" when the
 * tick rate is unknown, with why it is throttled when it is ("… slowed down: this page
 * asked for fewer"); '–' when unknown.
 */
export function describeInterval(everyTicks: number | null, reason: Throttle, tickRateHz: number | null = null): string {
  if (everyTicks === null) {
    return '–';
  }
  const ticks = `every ${everyTicks} tick${everyTicks === 1 ? '' : 's'}`;
  const interval = tickRateHz === null ? ticks : `${perSecond(everyTicks, tickRateHz)} (${ticks})`;
  return reason === 'none' ? interval : `${interval}, ${THROTTLE_WORDS[reason]}`;
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
