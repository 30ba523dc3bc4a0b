// The server's timeline, as a client can know it. Every snapshot is placed at its tick
// (tick × tick period, accumulated across tick-rate changes and the u32 wrap), so its
// place does not depend on when the network delivered it. From arrivals the client
// estimates the server's clock, adapts how far behind it renders to the jitter it
// measures, and advances a render clock that follows that target smoothly. All three
// are pure: time comes in as arguments (performance.now() in a browser, a fake clock in
// tests).
//
// - ServerClock: an arrival at local time `t` of a state at server time `s` says the
//   offset `t - s` was at most that (the path added delay, never took it away). The
//   smallest offset over a window of recent arrivals is the clock estimate; how much
//   later than that each arrival came is its lateness (jitter, bunching).
// - AdaptiveDelay: rendering at `serverNow - delay` needs the state after the render
//   time to have arrived, so delay ≥ snapshot interval + lateness. The delay is the
//   largest need seen over a recent window (plus a frame of margin), never below the
//   server's `interpolation_delay`: it grows at once when data comes late or in bursts
//   and shrinks slowly (SHRINK_MS_PER_S) once the link has been steady for the window.
// - RenderClock: the time drawn. It advances with local time at a rate between
//   MIN_RATE and MAX_RATE that closes the gap to its target (serverNow - delay) within
//   about CATCH_UP_MS, so a change of delay or of the clock estimate bends motion
//   slightly instead of freezing or leaping it; it snaps only across a gap over SNAP_MS
//   (the first state, a long stall). Starved of data it stops where the world holds
//   (World: the newest state + EXTRAPOLATE_MS), so motion resumes from there, no leap.

/** Arrivals older than this no longer count for the clock estimate. */
export const CLOCK_WINDOW_MS = 10_000;
/** How long a need for delay is remembered before the delay may shrink. */
export const DELAY_WINDOW_MS = 4_000;
/** How fast the delay shrinks once the need has gone: slowly, so that a steady link earns it. */
export const SHRINK_MS_PER_S = 20;
/** Added to the measured need: about a frame, so that the next state is there in time. */
export const DELAY_MARGIN_MS = 20;
/** The render clock's rate bounds: motion never runs slower or faster than this. */
export const MIN_RATE = 0.8;
export const MAX_RATE = 1.2;
/** The render clock closes a gap to its target over about this long. */
export const CATCH_UP_MS = 800;
/** A gap larger than this is not caught up: the render clock jumps. */
export const SNAP_MS = 1_000;

/** A window's extreme value, kept as a monotonic deque of (time, value). */
class WindowExtreme {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  /** @param better true when `a` should replace `b` as the extreme (a <= b for a minimum). */
  constructor(
    private readonly windowMs: number,
    private readonly better: (a: number, b: number) => boolean,
  ) {}

  add(at: number, value: number): void {
    while (this.values.length > 0 && this.better(value, this.values[this.values.length - 1])) {
      this.values.pop();
      this.times.pop();
    }
    this.values.push(value);
    this.times.push(at);
    this.expire(at);
  }

  expire(now: number): void {
    while (this.times.length > 1 && this.times[0] <= now - this.windowMs) {
      this.times.shift();
      this.values.shift();
    }
  }

  /** The extreme of the window, or null before any value. */
  get value(): number | null {
    return this.values.length === 0 ? null : this.values[0];
  }

  clear(): void {
    this.times.length = 0;
    this.values.length = 0;
  }
}

/** The server clock estimated from arrivals: local time = server time + offset. */
export class ServerClock {
  private readonly offsets = new WindowExtreme(CLOCK_WINDOW_MS, (a, b) => a <= b);

  /**
   * Records that the state at `serverTimeMs` arrived at local time `arrivedAt`.
   * @returns how much later than the estimate it arrived (0 for the earliest-arriving path).
   */
  observe(serverTimeMs: number, arrivedAt: number): number {
    const offset = arrivedAt - serverTimeMs;
    this.offsets.add(arrivedAt, offset);
    return offset - (this.offsets.value ?? offset);
  }

  /** Local time minus server time, or null before any arrival. */
  get offsetMs(): number | null {
    return this.offsets.value;
  }

  /** The estimated server time at local time `now`, or null before any arrival. */
  serverNow(now: number): number | null {
    const offset = this.offsets.value;
    return offset === null ? null : now - offset;
  }

  reset(): void {
    this.offsets.clear();
  }
}

/** How far behind the estimated server clock to render. */
export class AdaptiveDelay {
  private readonly needs = new WindowExtreme(DELAY_WINDOW_MS, (a, b) => a >= b);
  private current: number | null = null;
  private updatedAt: number | null = null;

  /** @param floorMs the server's `interpolation_delay`: the delay never goes below it. */
  constructor(public floorMs: number) {}

  /**
   * Records an arrival `latenessMs` later than the clock estimate while snapshots come
   * every `intervalMs`, at local time `now`.
   */
  observe(latenessMs: number, intervalMs: number, now: number): void {
    this.needs.add(now, Math.max(0, latenessMs) + Math.max(0, intervalMs) + DELAY_MARGIN_MS);
    this.update(now);
  }

  /** The delay in force at local time `now`, in milliseconds. */
  at(now: number): number {
    this.update(now);
    return this.current ?? this.floorMs;
  }

  reset(): void {
    this.needs.clear();
    this.current = null;
    this.updatedAt = null;
  }

  private update(now: number): void {
    this.needs.expire(now);
    const target = Math.max(this.floorMs, this.needs.value ?? 0);
    if (this.current === null || this.updatedAt === null || target >= this.current) {
      this.current = target;
    } else {
      const elapsed = Math.max(0, now - this.updatedAt);
      this.current = Math.max(target, this.current - (SHRINK_MS_PER_S * elapsed) / 1000);
    }
    this.updatedAt = Math.max(now, this.updatedAt ?? now);
  }
}

/** The server time drawn: follows a target at a bounded rate. */
export class RenderClock {
  private time: number | null = null;
  private lastNow: number | null = null;

  /**
   * Advances to local time `now` towards `target` (server time) and returns the server
   * time to draw. Calling again with the same or an earlier `now` changes nothing.
   */
  advance(now: number, target: number): number {
    if (this.time === null || this.lastNow === null) {
      this.time = target;
      this.lastNow = now;
      return target;
    }
    const elapsed = now - this.lastNow;
    if (elapsed <= 0) {
      return this.time;
    }
    this.lastNow = now;
    const free = this.time + elapsed;
    const gap = target - free;
    if (Math.abs(gap) > SNAP_MS) {
      this.time = target;
      return target;
    }
    const rate = Math.min(MAX_RATE, Math.max(MIN_RATE, 1 + gap / CATCH_UP_MS));
    this.time += elapsed * rate;
    return this.time;
  }

  /**
   * Keeps the render time at or below `latest` (starved of data: the world holds there),
   * so that motion resumes from where it stopped when data comes, rather than leaping to
   * where the clock ran on to.
   */
  limit(latest: number): void {
    if (this.time !== null && this.time > latest) {
      this.time = latest;
    }
  }

  /** The server time drawn last, or null before any. */
  get current(): number | null {
    return this.time;
  }

  reset(): void {
    this.time = null;
    this.lastNow = null;
  }
}
