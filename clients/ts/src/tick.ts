// Ticks are u32 serial numbers that wrap from 0xFFFFFFFF to 0 (at 30 Hz after 4.5 years,
// sooner on a server started near the wrap): compare and subtract them only through these
// helpers, never with < or -. Serial-number arithmetic as in RFC 1982, the same rule as
// the server's (`tickwire_protocol::tick`): `a` is after `b` when it is ahead by less than
// half the number space.

const HALF = 0x8000_0000;

/** Whether tick `a` comes after tick `b`: `a != b` and `(a - b) mod 2^32 < 2^31`. */
export function isAfter(a: number, b: number): boolean {
  return a !== b && (a - b) >>> 0 < HALF;
}

/** How many ticks `a` is ahead of `b` (negative when behind), across the wrap. */
export function ticksBetween(a: number, b: number): number {
  return (a - b) | 0;
}

/** The tick `delta` ticks after `tick` (before it when negative), across the wrap. */
export function addTicks(tick: number, delta: number): number {
  return (tick + delta) >>> 0;
}
