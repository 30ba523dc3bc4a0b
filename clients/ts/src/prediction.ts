// Client-side prediction of the own actor, with reconciliation. Every Input sent is
// kept (sequence, direction, send time) until the server acknowledges it (InputAck).
// On each applied snapshot, the own actor's authoritative position at that tick is
// the start: the inputs the server had not applied yet are re-applied on top of it,
// each moving `speed` world units per second in its direction (length clamped to 1)
// for the time it was in effect, up to now, clamped to the arena. Between snapshots
// the prediction integrates the inputs each frame, so a key change shows in the next
// frame. A small difference between the old prediction and the reconciled one is
// blended away over BLEND_MS; a large one (over 2 x speed x snapshot interval) snaps.
// All times are performance.now() milliseconds, passed in (tests use a fake clock).

import type { Vec } from './protocol';

export interface SentInput {
  sequence: number;
  /** The direction sent (the server clamps its length to 1). */
  direction: Vec;
  /** When it was sent. */
  sentAt: number;
}

/** How long a small correction takes to blend away. */
export const BLEND_MS = 100;

/** The most unacknowledged inputs kept. */
const MAX_PENDING = 512;
const ZERO: Vec = { x: 0, y: 0 };

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** `direction` with its length clamped to 1, as the server does. */
export function clampDirection(direction: Vec): Vec {
  const length = Math.hypot(direction.x, direction.y);
  return length > 1 ? { x: direction.x / length, y: direction.y / length } : { x: direction.x, y: direction.y };
}

/** `position` moved `speed` units/s in `direction` for `ms` milliseconds, clamped to [0, arena]. */
export function move(position: Vec, direction: Vec, speed: number, ms: number, arena: Vec | null): Vec {
  const d = clampDirection(direction);
  const seconds = Math.max(0, ms) / 1000;
  let x = position.x + d.x * speed * seconds;
  let y = position.y + d.y * speed * seconds;
  if (arena !== null) {
    x = clamp(x, 0, arena.x);
    y = clamp(y, 0, arena.y);
  }
  return { x, y };
}

export class Predictor {
  /** World units per second (Settings.movement_speed). */
  speed = 0;
  arena: Vec | null = null;
  /** Milliseconds between the snapshots this client gets, for the snap threshold. */
  snapshotIntervalMs = 100;

  /** The newest acknowledged input (its direction is in effect before the pending ones). */
  private base: SentInput | null = null;
  /** Inputs sent and not acknowledged, oldest first. */
  private pending: SentInput[] = [];
  private acked = 0;
  private ackKnown = false;
  /** The reconciled, server-based position, integrated up to `at`. */
  private target: Vec | null = null;
  private at = 0;
  /** drawn = target + correction x (1 - (now - correctionAt) / BLEND_MS). */
  private correction: Vec = ZERO;
  private correctionAt = 0;
  private drawn: Vec | null = null;
  /** |prediction - reconciled position| at the last reconciliation. */
  lastError = 0;
  /** The last sequence sent (0: none). */
  lastSent = 0;
  snaps = 0;

  /** Forgets everything: a new session (Welcome). */
  reset(): void {
    this.base = null;
    this.pending = [];
    this.acked = 0;
    this.ackKnown = false;
    this.target = null;
    this.correction = ZERO;
    this.drawn = null;
    this.lastError = 0;
    this.lastSent = 0;
  }

  /** The sequence of the newest input the server acknowledged, or null before any. */
  get lastAck(): number | null {
    return this.ackKnown ? this.acked : null;
  }

  /** Inputs kept (sent and not yet acknowledged). */
  get pendingInputs(): readonly SentInput[] {
    return this.pending;
  }

  /** Where the own actor is drawn, after the last advance() or reconcile(); null before any state. */
  get position(): Vec | null {
    return this.drawn;
  }

  /** An input was sent. */
  sent(sequence: number, direction: Vec, now: number): void {
    if (sequence <= this.acked) {
      return;
    }
    this.advance(now); // the old direction holds up to now
    this.pending.push({ sequence, direction: { x: direction.x, y: direction.y }, sentAt: now });
    // A server that never acknowledges must not grow the history without end.
    while (this.pending.length > MAX_PENDING) {
      this.base = this.pending.shift()!;
    }
    this.lastSent = Math.max(this.lastSent, sequence);
  }

  /** InputAck: the server applied inputs up to `sequence`. Acked inputs are dropped. */
  ack(sequence: number): void {
    if (this.ackKnown && sequence <= this.acked) {
      return;
    }
    this.ackKnown = true;
    this.acked = sequence;
    while (this.pending.length > 0 && this.pending[0].sequence <= sequence) {
      this.base = this.pending.shift()!;
    }
  }

  /** The direction in effect at time `t` on the client's input timeline. */
  private directionAt(t: number): Vec {
    let direction = this.base?.direction ?? ZERO;
    for (const input of this.pending) {
      if (input.sentAt > t) {
        break;
      }
      direction = input.direction;
    }
    return direction;
  }

  /** `position` moved along the input timeline from `from` to `to`. */
  private integrate(position: Vec, from: number, to: number): Vec {
    let at = position;
    let t = from;
    for (const input of this.pending) {
      if (t >= to) {
        break;
      }
      if (input.sentAt <= t) {
        continue;
      }
      const end = Math.min(input.sentAt, to);
      at = move(at, this.directionAt(t), this.speed, end - t, this.arena);
      t = end;
    }
    if (t < to) {
      at = move(at, this.directionAt(t), this.speed, to - t, this.arena);
    }
    return at;
  }

  /**
   * A snapshot was applied at `now`: `server` is the own actor's position in it. `rttMs`
   * places the snapshot's tick on the client's timeline (receivedAt - rtt), between the
   * acknowledged input's and the next input's send times. Returns the error.
   */
  reconcile(server: Vec, now: number, rttMs = 0): number {
    const lower = this.base?.sentAt ?? -Infinity;
    const upper = this.pending.length > 0 ? this.pending[0].sentAt : now;
    const start = Math.min(now, clamp(now - Math.max(0, rttMs), lower, Math.max(lower, upper)));
    const reconciled = this.integrate({ x: server.x, y: server.y }, start, now);
    if (this.target === null || this.drawn === null) {
      this.target = reconciled;
      this.at = now;
      this.drawn = { ...reconciled };
      this.correction = ZERO;
      this.lastError = 0;
      return 0;
    }
    this.advance(now);
    const predicted = this.target;
    const error = Math.hypot(predicted.x - reconciled.x, predicted.y - reconciled.y);
    this.lastError = error;
    const drawn = this.drawn;
    this.target = reconciled;
    this.at = now;
    if (error > 2 * this.speed * (this.snapshotIntervalMs / 1000)) {
      this.snaps += 1;
      this.correction = ZERO;
      this.drawn = { ...reconciled };
    } else {
      this.correction = { x: drawn.x - reconciled.x, y: drawn.y - reconciled.y };
      this.correctionAt = now;
    }
    return error;
  }

  /** Moves the prediction on to `now` (each animation frame); returns where to draw the own actor. */
  advance(now: number): Vec | null {
    if (this.target === null) {
      return null;
    }
    if (now > this.at) {
      this.target = this.integrate(this.target, this.at, now);
      this.at = now;
    }
    const left = Math.max(0, 1 - (now - this.correctionAt) / BLEND_MS);
    const x = this.target.x + this.correction.x * left;
    const y = this.target.y + this.correction.y * left;
    if (left === 0) {
      this.correction = ZERO;
    }
    this.drawn = this.arena === null ? { x, y } : { x: clamp(x, 0, this.arena.x), y: clamp(y, 0, this.arena.y) };
    return this.drawn;
  }
}
