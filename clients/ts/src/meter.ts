// Meters for people: events per second and amount (e.g. bytes) per second over a
// sliding window (snapshots/s, snapshot bytes/s), and the round-trip time averaged over
// the last few samples. Both say "not known yet" (null) rather than a number that
// would mislead: a rate only once it has watched for MIN_SPAN_MS, so two snapshots
// that arrive together (a burst) are not "1000 per second".

/** A rate is reported once the meter has watched this long. */
export const MIN_SPAN_MS = 1000;

export class RateMeter {
  private readonly times: number[] = [];
  private readonly amounts: number[] = [];
  private since: number | null = null;

  /** @param windowMs how far back rates are measured. */
  constructor(private readonly windowMs = 2000) {}

  /** Records one event of `amount` at `now` (performance.now()). */
  record(now: number, amount = 0): void {
    if (this.since === null) {
      this.since = now;
    }
    this.times.push(now);
    this.amounts.push(amount);
  }

  /** Forgets everything (a new session): rates are unknown again. */
  reset(): void {
    this.times.length = 0;
    this.amounts.length = 0;
    this.since = null;
  }

  /** Events per second over the window; null until the meter has watched for MIN_SPAN_MS. */
  eventsPerSecond(now: number): number | null {
    const spanMs = this.span(now);
    return spanMs === null ? null : (this.times.length * 1000) / spanMs;
  }

  /** Amount per second over the window; null likewise. */
  amountPerSecond(now: number): number | null {
    const spanMs = this.span(now);
    if (spanMs === null) {
      return null;
    }
    let total = 0;
    for (const amount of this.amounts) {
      total += amount;
    }
    return (total * 1000) / spanMs;
  }

  /**
   * Drops events older than the window; returns the time watched within it (the window,
   * or less just after the first event), or null when that is under MIN_SPAN_MS.
   */
  private span(now: number): number | null {
    while (this.times.length > 0 && now - this.times[0] > this.windowMs) {
      this.times.shift();
      this.amounts.shift();
    }
    if (this.since === null) {
      return null;
    }
    const watched = Math.min(this.windowMs, now - this.since);
    return watched < MIN_SPAN_MS ? null : watched;
  }
}

/** Round-trip time: the mean of the last `samples` measurements. */
export class RttMeter {
  private readonly kept: number[] = [];

  constructor(private readonly samples = 8) {}

  record(rttMs: number): void {
    this.kept.push(rttMs);
    if (this.kept.length > this.samples) {
      this.kept.shift();
    }
  }

  /** The mean of the recent samples in ms, or null before the first. */
  get value(): number | null {
    if (this.kept.length === 0) {
      return null;
    }
    let total = 0;
    for (const sample of this.kept) {
      total += sample;
    }
    return total / this.kept.length;
  }
}
