// World view: what the server told us (arena, own actor, settings) and the two most
// recent mirror states applied, plus where to draw each actor at a given moment:
// other actors linearly interpolated between the two states by time, the own actor
// eased toward its newest position with the server's smoothing factor. Positions
// come from the mirror in steps; world units = steps / steps_per_unit.
//
// A deeper interpolation buffer (rendering `interpolation_delay_ms` behind the
// newest snapshot) comes later; for now others lag one snapshot interval.

import type { ActorKind } from './generated/tickwire';
import { indexOf, type MirrorState } from './mirror';
import type { GameSettings, Vec } from './protocol';

interface StateFrame {
  state: MirrorState;
  /** performance.now() when the snapshot was applied. */
  receivedAt: number;
  /** Ids, ascending, of actors new in this state (spawned by a delta); never interpolated. */
  fresh: Uint32Array;
}

export interface RenderActor {
  id: number;
  x: number;
  y: number;
  kind: ActorKind;
  own: boolean;
}

/** The smoothing factor is defined per frame at this rate; scaled for other frame rates. */
const SMOOTHING_FRAME_MS = 1000 / 60;
const NO_IDS = new Uint32Array(0);

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** World units per step of `state`. */
function unit(state: MirrorState): number {
  return 1 / Math.max(1, state.stepsPerUnit);
}

export class World {
  arenaSize: Vec | null = null;
  ownId: number | null = null;
  settings: GameSettings | null = null;

  private previous: StateFrame | null = null;
  private latest: StateFrame | null = null;
  private ownDisplay: Vec | null = null;
  private lastFrameAt: number | null = null;

  /** Starts a new session: forgets every state of an earlier one. */
  welcome(actorId: number, arenaSize: Vec, settings: GameSettings): void {
    this.ownId = actorId;
    this.arenaSize = arenaSize;
    this.settings = settings;
    this.previous = null;
    this.latest = null;
    this.ownDisplay = null;
    this.lastFrameAt = null;
  }

  applySettings(settings: GameSettings): void {
    this.settings = settings;
  }

  /**
   * Takes the mirror's state after a snapshot was applied.
   * @param spawned ids a delta spawned (new actors even where an id is reused), or null
   *   for a full snapshot, whose actors are matched to the previous state by id and kind.
   */
  addState(state: MirrorState, spawned: Uint32Array | null, now: number): void {
    this.previous = this.latest;
    this.latest = { state, receivedAt: now, fresh: spawned ?? NO_IDS };
  }

  get actorCount(): number {
    return this.latest === null ? 0 : this.latest.state.ids.length;
  }

  /** The own actor's position in the newest state, in world units, or null if it is not in it. */
  get ownPosition(): Vec | null {
    if (this.latest === null || this.ownId === null) {
      return null;
    }
    const state = this.latest.state;
    const row = indexOf(state, this.ownId);
    return row < 0 ? null : { x: state.x[row] * unit(state), y: state.y[row] * unit(state) };
  }

  /** Where to draw every actor at time `now` (performance.now()); the own actor last. */
  actorsAt(now: number): RenderActor[] {
    const latest = this.latest;
    if (latest === null) {
      return [];
    }
    const alpha = this.interpolationAlpha(now);
    const state = latest.state;
    const before = this.previous?.state ?? null;
    const scale = unit(state);
    const beforeScale = before === null ? 0 : unit(before);
    const result: RenderActor[] = [];
    let own: RenderActor | null = null;
    // Both id lists are ascending: one merge pass finds each actor's earlier row.
    let p = 0;
    let f = 0;
    for (let row = 0; row < state.ids.length; row++) {
      const id = state.ids[row];
      const kind = state.kinds[row] as ActorKind;
      const x = state.x[row] * scale;
      const y = state.y[row] * scale;
      if (id === this.ownId) {
        const at = this.easeOwn({ x, y }, now);
        own = { id, x: at.x, y: at.y, kind, own: true };
        continue;
      }
      while (before !== null && p < before.ids.length && before.ids[p] < id) {
        p++;
      }
      while (f < latest.fresh.length && latest.fresh[f] < id) {
        f++;
      }
      const fresh = f < latest.fresh.length && latest.fresh[f] === id;
      if (before !== null && !fresh && p < before.ids.length && before.ids[p] === id && before.kinds[p] === kind) {
        const fromX = before.x[p] * beforeScale;
        const fromY = before.y[p] * beforeScale;
        result.push({ id, x: fromX + (x - fromX) * alpha, y: fromY + (y - fromY) * alpha, kind, own: false });
      } else {
        result.push({ id, x, y, kind, own: false });
      }
    }
    if (own !== null) {
      result.push(own);
    }
    this.lastFrameAt = now;
    return result;
  }

  /** 0 when the latest state has just arrived, 1 one snapshot interval later. */
  private interpolationAlpha(now: number): number {
    if (this.previous === null || this.latest === null || this.settings === null) {
      return 1;
    }
    const intervalMs = ((this.latest.state.tick - this.previous.state.tick) * 1000) / this.settings.tickRateHz;
    if (intervalMs <= 0) {
      return 1;
    }
    return clamp((now - this.latest.receivedAt) / intervalMs, 0, 1);
  }

  private easeOwn(target: Vec, now: number): Vec {
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
