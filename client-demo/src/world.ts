// World state: what the server told us (arena, own actor, settings) and the latest
// two snapshots, plus where to draw each actor at a given moment: other actors
// linearly interpolated between the two snapshots by time, the own actor eased
// toward its newest position with the server's smoothing factor.
//
// A deeper interpolation buffer (rendering `interpolation_delay_ms` behind the
// newest snapshot) comes later; for now others lag one snapshot interval.

import type { ActorKind } from './generated/tickwire';
import type { ActorData, GameSettings, Vec } from './protocol';

interface SnapshotFrame {
  tick: number;
  /** performance.now() when the snapshot arrived. */
  receivedAt: number;
  actors: ActorData[];
  byId: Map<number, ActorData>;
}

export interface RenderActor {
  id: number;
  x: number;
  y: number;
  kind: ActorKind;
  own: boolean;
}

/** Window over which the snapshot rate is measured. */
const RATE_WINDOW_MS = 2000;
/** The smoothing factor is defined per frame at this rate; scaled for other frame rates. */
const SMOOTHING_FRAME_MS = 1000 / 60;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

export class World {
  arenaSize: Vec | null = null;
  ownId: number | null = null;
  settings: GameSettings | null = null;
  /** Newest server tick heard of (Welcome, then snapshots). */
  tick: number | null = null;

  private previous: SnapshotFrame | null = null;
  private latest: SnapshotFrame | null = null;
  private arrivals: number[] = [];
  private ownDisplay: Vec | null = null;
  private lastFrameAt: number | null = null;

  /** Starts a new session: forgets every snapshot of an earlier one. */
  welcome(actorId: number, arenaSize: Vec, settings: GameSettings, tick: number): void {
    this.ownId = actorId;
    this.arenaSize = arenaSize;
    this.settings = settings;
    this.tick = tick;
    this.previous = null;
    this.latest = null;
    this.arrivals = [];
    this.ownDisplay = null;
    this.lastFrameAt = null;
  }

  applySettings(settings: GameSettings): void {
    this.settings = settings;
  }

  /** Stores a snapshot; returns false (and ignores it) if it is not newer than the latest. */
  addSnapshot(tick: number, actors: ActorData[], now: number): boolean {
    if (this.latest !== null && tick <= this.latest.tick) {
      return false;
    }
    const byId = new Map<number, ActorData>();
    for (const actor of actors) {
      byId.set(actor.id, actor);
    }
    this.previous = this.latest;
    this.latest = { tick, receivedAt: now, actors, byId };
    this.tick = tick;
    this.arrivals.push(now);
    return true;
  }

  get actorCount(): number {
    return this.latest === null ? 0 : this.latest.actors.length;
  }

  /** The own actor's position in the newest snapshot, or null if it is not in it. */
  get ownPosition(): Vec | null {
    if (this.latest === null || this.ownId === null) {
      return null;
    }
    const own = this.latest.byId.get(this.ownId);
    return own === undefined ? null : { x: own.x, y: own.y };
  }

  /** Snapshots per second received over the last couple of seconds. */
  snapshotRate(now: number): number {
    while (this.arrivals.length > 0 && now - this.arrivals[0] > RATE_WINDOW_MS) {
      this.arrivals.shift();
    }
    const count = this.arrivals.length;
    if (count < 2) {
      return 0;
    }
    const spanMs = this.arrivals[count - 1] - this.arrivals[0];
    return spanMs > 0 ? ((count - 1) * 1000) / spanMs : 0;
  }

  /** Where to draw every actor at time `now` (performance.now()); the own actor last. */
  actorsAt(now: number): RenderActor[] {
    const latest = this.latest;
    if (latest === null) {
      return [];
    }
    const alpha = this.interpolationAlpha(now);
    const previous = this.previous;
    const result: RenderActor[] = [];
    let own: RenderActor | null = null;
    for (const actor of latest.actors) {
      if (actor.id === this.ownId) {
        const at = this.easeOwn(actor, now);
        own = { id: actor.id, x: at.x, y: at.y, kind: actor.kind, own: true };
        continue;
      }
      const before = previous?.byId.get(actor.id);
      const x = before === undefined ? actor.x : before.x + (actor.x - before.x) * alpha;
      const y = before === undefined ? actor.y : before.y + (actor.y - before.y) * alpha;
      result.push({ id: actor.id, x, y, kind: actor.kind, own: false });
    }
    if (own !== null) {
      result.push(own);
    }
    this.lastFrameAt = now;
    return result;
  }

  /** 0 when the latest snapshot has just arrived, 1 one snapshot interval later. */
  private interpolationAlpha(now: number): number {
    if (this.previous === null || this.latest === null || this.settings === null) {
      return 1;
    }
    const intervalMs = ((this.latest.tick - this.previous.tick) * 1000) / this.settings.tickRateHz;
    if (intervalMs <= 0) {
      return 1;
    }
    return clamp((now - this.latest.receivedAt) / intervalMs, 0, 1);
  }

  private easeOwn(target: ActorData, now: number): Vec {
    const smoothing = clamp(this.settings?.smoothing ?? 0, 0, 1);
    if (this.ownDisplay === null || this.lastFrameAt === null || smoothing === 0) {
      this.ownDisplay = { x: target.x, y: target.y };
      return this.ownDisplay;
    }
    const frames = Math.max(0, now - this.lastFrameAt) / SMOOTHING_FRAME_MS;
    const follow = 1 - Math.pow(smoothing, frames);
    this.ownDisplay = {
      x: this.ownDisplay.x + (target.x - this.ownDisplay.x) * follow,
      y: this.ownDisplay.y + (target.y - this.ownDisplay.y) * follow,
    };
    return this.ownDisplay;
  }
}
