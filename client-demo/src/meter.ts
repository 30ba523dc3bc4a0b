// Rate meter: events per second and amount (e.g. bytes) per second over a sliding
// window, for the HUD's snapshots/s and snapshot bytes/s.

export class RateMeter {
  private readonly times: number[] = [];
  private readonly amounts: number[] = [];

  /** @param windowMs how far back rates are measured. */
  constructor(private readonly windowMs = 2000) {}

  /** Records one event of `amount` at `now` (performance.now()). */
  record(now: number, amount = 0): void {
    this.times.push(now);
    this.amounts.push(amount);
  }

  /** Events per second over the window; 0 until two events are in it. */
  eventsPerSecond(now: number): number {
    const spanMs = this.span(now);
    return spanMs > 0 ? ((this.times.length - 1) * 1000) / spanMs : 0;
  }

  /** Amount per second over the window (the first event's amount opens the span). */
  amountPerSecond(now: number): number {
    const spanMs = this.span(now);
    if (spanMs <= 0) {
      return 0;
    }
    let total = 0;
    for (let i = 1; i < this.amounts.length; i++) {
      total += this.amounts[i];
    }
    return (total * 1000) / spanMs;
  }

  /** Drops events older than the window; returns the span between the first and last left. */
  private span(now: number): number {
    while (this.times.length > 0 && now - this.times[0] > this.windowMs) {
      this.times.shift();
      this.amounts.shift();
    }
    const count = this.times.length;
    return count < 2 ? 0 : this.times[count - 1] - this.times[0];
  }
}
