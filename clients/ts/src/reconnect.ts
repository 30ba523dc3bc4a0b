// Reconnect policy: how long to wait before each reconnection attempt. Exponential
// backoff with full jitter: attempt n (from 0) waits a uniformly random time in
// [0, min(cap, base * 2^n)): up to 250 ms, 500 ms, 1 s, ... never more than 5 s, so
// clients dropped together do not all come back at the same moment. `reset()` after a
// successful Welcome starts over. The random source and the timers are injected, so
// tests can drive both.

export interface BackoffOptions {
  /** Ceiling of the first delay, in milliseconds. */
  baseMs?: number;
  /** No delay exceeds this, in milliseconds. */
  capMs?: number;
  /** Uniform in [0, 1), like Math.random. */
  random?: () => number;
}

export const BASE_DELAY_MS = 250;
export const MAX_DELAY_MS = 5000;

export class Backoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;
  private attempts = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? BASE_DELAY_MS;
    this.capMs = options.capMs ?? MAX_DELAY_MS;
    this.random = options.random ?? Math.random;
  }

  /** Attempts delayed since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The ceiling of the next delay: base * 2^attempt, capped. */
  get ceilingMs(): number {
    // 2^30 * base is past any cap; stop the exponent there so it never overflows.
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempts, 30));
  }

  /** The delay before the next attempt, in [0, ceilingMs]; counts the attempt. */
  next(): number {
    const ceiling = this.ceilingMs;
    this.attempts += 1;
    const r = this.random();
    // Guard against a random source that strays out of [0, 1).
    const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    return unit * ceiling;
  }

  /** A connection succeeded: the next delay is short again. */
  reset(): void {
    this.attempts = 0;
  }
}

/** The timer functions a retry needs (the browser's by default). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export const browserTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

/** At most one pending call at a time: scheduling again replaces it. */
export class RetryTimer {
  private handle: unknown = null;
  private dueAt: number | null = null;

  constructor(private readonly timers: Timers = browserTimers) {}

  /** Calls `callback` in `delayMs`, replacing any call still pending. */
  schedule(delayMs: number, callback: () => void): void {
    this.cancel();
    this.dueAt = this.timers.now() + delayMs;
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.dueAt = null;
      callback();
    }, delayMs);
  }

  cancel(): void {
    if (this.handle !== null) {
      this.timers.clearTimeout(this.handle);
      this.handle = null;
    }
    this.dueAt = null;
  }

  get pending(): boolean {
    return this.dueAt !== null;
  }

  /** Milliseconds until the pending call (at least 0), or null when none is pending. */
  remainingMs(): number | null {
    return this.dueAt === null ? null : Math.max(0, this.dueAt - this.timers.now());
  }
}
