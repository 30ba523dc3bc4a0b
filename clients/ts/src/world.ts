// World view: what the server told us (arena, own actor, settings, snapshot interval), a
// short buffer of recent mirror states placed on the server's timeline, and where to
// draw each actor at a given moment (src/timeline.ts). Each state sits at its tick ×
// the tick period (accumulated, so tick-rate changes and the u32 wrap do not move
// earlier states); arrivals feed the server clock estimate and the adaptive delay; the
// render clock follows "estimated server time − delay" at a bounded rate. Other actors
// are interpolated linearly between the two states around the render time. Starved of
// data (the render time past the newest state) they are extrapolated along their last
// motion for at most EXTRAPOLATE_MS, then held (the render clock waits there, so motion
// resumes from where it stopped, slowed while the delay grows). So jitter and bunching
// change how far behind the client draws, never how fast the actors move.
// The server skips snapshots while nothing changes (still sending an empty one every
// second), so a gap between two states longer than the snapshot interval (every_ticks
// of the last SnapshotRate, else broadcast_every) was quiet: the world stood still
// until one interval before the newer state. A hold state is buffered in the gap (the
// older state again, one interval before the newer one), so others rest, then move over
// the last interval as they really did instead of sliding across the whole gap. Just
// after the interval shrinks the larger one counts (the first gap may still be the old
// one's), and a full snapshot within a session (a resync after a refused snapshot: its
// gap hid changes) gets no hold.
// The own actor is drawn at its newest position, eased with the server's smoothing
// factor (the app replaces it with the prediction, src/prediction.ts). Settings changes
// apply at the next frame. Positions come from the mirror in steps; world units =
// steps / steps_per_unit. A Welcome on a reconnection keeps the old buffer drawn
// (others come to rest at its newest state) until the new session's first state
// replaces the whole buffer and the timeline: nothing is interpolated (or held) across
// sessions.
// Gameplay fields are never interpolated: each actor carries those of the state it is
// drawn towards (the own actor: the newest).

import type { ActorKind } from './generated/tickwire';
import { fieldsAt, indexOf, type MirrorState } from './mirror';
import { addTicks, ticksBetween } from './tick';
import { AdaptiveDelay, RenderClock, ServerClock } from './timeline';
import type { GameSettings, Vec } from './protocol';

interface StateFrame {
  state: MirrorState;
  /** Where the state sits on the server's timeline, in milliseconds (from the session's first state). */
  serverTime: number;
  /** Ids, ascending, of actors new in this state (spawned by a delta); never interpolated. */
  fresh: Uint32Array;
  /** The snapshot interval, in ticks, in force when this state arrived. */
  everyTicks: number;
}

/** Which buffered states to draw other actors between, and how far along. */
export interface RenderSpan {
  /** The earlier state, or null to draw `to` as it is. */
  from: MirrorState | null;
  to: MirrorState;
  /** Ids, ascending, of the actors `to` spawned: drawn where they are, never interpolated. */
  fresh: Uint32Array;
  /** 0: at `from`, 1: at `to`; above 1: extrapolated past `to` along from → to. */
  alpha: number;
}

export interface RenderActor {
  id: number;
  x: number;
  y: number;
  kind: ActorKind;
  own: boolean;
  /** The actor's FIELD_SLOTS gameplay field values (a view of a mirror state: do not modify). */
  fields: Int32Array;
}

/** The smoothing factor is defined per frame at this rate; scaled for other frame rates. */
const SMOOTHING_FRAME_MS = 1000 / 60;
/** States kept before the render time, beyond the one it needs. */
const BUFFER_SLACK_MS = 250;
/** The most states buffered, whatever the delay. */
const MAX_FRAMES = 128;
/** Starved of data, others move on along their last motion this long at most, then stop. */
export const EXTRAPOLATE_MS = 100;
const NO_IDS = new Uint32Array(0);

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** World units per step of `state`. */
function unit(state: MirrorState): number {
  return 1 / Math.max(1, state.stepsPerUnit);
}

function span(from: StateFrame | null, to: StateFrame, alpha: number): RenderSpan {
  return { from: from?.state ?? null, to: to.state, fresh: to.fresh, alpha };
}

export class World {
  arenaSize: Vec | null = null;
  ownId: number | null = null;
  settings: GameSettings | null = null;

  /** Applied states, oldest first. */
  private frames: StateFrame[] = [];
  private ownDisplay: Vec | null = null;
  private lastFrameAt: number | null = null;
  /** Set by a Welcome while the previous session's states are still drawn: the new own actor. */
  private nextOwnId: number | null = null;
  /** The snapshot interval in ticks the server said (null: broadcast_every). */
  private snapshotEveryTicks: number | null = null;
  private readonly clock = new ServerClock();
  private readonly delay = new AdaptiveDelay(0);
  private readonly renderClock = new RenderClock();

  /**
   * Starts a new session. The states of an earlier one are still drawn until the new
   * session's first state arrives, then forgotten.
   */
  welcome(actorId: number, arenaSize: Vec, settings: GameSettings): void {
    this.arenaSize = arenaSize;
    this.applySettings(settings);
    if (this.frames.length === 0) {
      this.ownId = actorId;
      this.restart();
    } else {
      this.nextOwnId = actorId;
    }
  }

  /** Whether the states drawn are the previous session's, until the new one's first arrives. */
  get waitingForState(): boolean {
    return this.nextOwnId !== null;
  }

  private restart(): void {
    this.frames = [];
    this.ownDisplay = null;
    this.lastFrameAt = null;
    this.nextOwnId = null;
    this.clock.reset();
    this.delay.reset();
    this.renderClock.reset();
  }

  /** New settings (tick rate, smoothing, interpolation delay...), in force from the next frame. */
  applySettings(settings: GameSettings): void {
    this.settings = settings;
    this.delay.floorMs = settings.interpolationDelayMs;
  }

  /**
   * The snapshot interval this client gets, in ticks (`SnapshotRateTracker.everyTicks`,
   * src/rate.ts; null: the settings' broadcast_every), for the states added from now on:
   * a longer gap between two states was a quiet one.
   */
  setSnapshotEveryTicks(everyTicks: number | null): void {
    this.snapshotEveryTicks = everyTicks;
  }

  /** The snapshot interval in ticks in force now (at least 1). */
  private get everyTicks(): number {
    return Math.max(1, this.snapshotEveryTicks ?? this.settings?.broadcastEvery ?? 1);
  }

  /** Milliseconds per tick at the tick rate in force. */
  private get tickMs(): number {
    return 1000 / Math.max(1, this.settings?.tickRateHz ?? 1);
  }

  /**
   * Takes the mirror's state after a snapshot was applied at `now` (performance.now()),
   * after a hold state when the gap since the previous one was quiet.
   * @param spawned ids a delta spawned (new actors even where an id is reused), or null
   *   for a full snapshot, whose actors are matched to the previous state by id and kind.
   */
  addState(state: MirrorState, spawned: Uint32Array | null, now: number): void {
    if (this.nextOwnId !== null) {
      this.ownId = this.nextOwnId;
      this.restart();
    }
    const everyTicks = this.everyTicks;
    const tickMs = this.tickMs;
    const previous = this.latest;
    const serverTime = previous === null ? 0 : previous.serverTime + ticksBetween(state.tick, previous.state.tick) * tickMs;
    if (previous !== null && serverTime < previous.serverTime) {
      return; // older than what is drawn: the mirror never goes back, but be safe
    }
    if (previous !== null && spawned !== null) {
      // A quiet gap: the previous state still stood one interval before this one.
      const interval = Math.max(everyTicks, previous.everyTicks);
      if (ticksBetween(state.tick, previous.state.tick) > interval) {
        // States are never modified once built (src/mirror.ts): the columns can be shared.
        const hold = { ...previous.state, tick: addTicks(state.tick, -interval) };
        this.frames.push({ state: hold, serverTime: serverTime - interval * tickMs, fresh: NO_IDS, everyTicks });
      }
    }
    this.frames.push({ state, serverTime, fresh: spawned ?? NO_IDS, everyTicks });
    const lateness = this.clock.observe(serverTime, now);
    this.delay.observe(lateness, everyTicks * tickMs, now);
    // Render times only move forward: once the second state is older than the render
    // time, the first is never drawn again.
    const drawn = this.renderClock.current;
    let drop = 0;
    if (drawn !== null) {
      const oldest = drawn - BUFFER_SLACK_MS;
      while (this.frames.length - drop > 2 && this.frames[drop + 1].serverTime <= oldest) {
        drop++;
      }
    }
    drop = Math.max(drop, this.frames.length - MAX_FRAMES);
    if (drop > 0) {
      this.frames.splice(0, drop);
    }
  }

  /** States buffered now (for tests and the curious). */
  get bufferedStates(): number {
    return this.frames.length;
  }

  get actorCount(): number {
    const latest = this.latest;
    return latest === null ? 0 : latest.state.ids.length;
  }

  /** The own actor's position in the newest state, in world units, or null if it is not in it. */
  get ownPosition(): Vec | null {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const state = latest.state;
    const row = indexOf(state, this.ownId);
    return row < 0 ? null : { x: state.x[row] * unit(state), y: state.y[row] * unit(state) };
  }

  /** The own actor's FIELD_SLOTS gameplay field values in the newest state, or null if it is not in it. */
  get ownFields(): Int32Array | null {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const row = indexOf(latest.state, this.ownId);
    return row < 0 ? null : fieldsAt(latest.state, row);
  }

  /**
   * How far behind the estimated server clock others are drawn at local time `now`, in
   * milliseconds: the server's interpolation_delay, or more on a jittery link.
   */
  delayAt(now: number): number {
    return this.delay.at(now);
  }

  /** The estimated server clock's offset (local time − server time) in milliseconds; null before any state. */
  get clockOffsetMs(): number | null {
    return this.clock.offsetMs;
  }

  /**
   * The server time (on this session's timeline, ms) others are drawn at for local
   * time `now`; advances the render clock. Null before any state.
   */
  renderTimeAt(now: number): number | null {
    const serverNow = this.clock.serverNow(now);
    if (serverNow === null) {
      return null;
    }
    const drawn = this.renderClock.advance(now, serverNow - this.delay.at(now));
    const latest = this.latest;
    if (latest !== null && drawn > latest.serverTime + EXTRAPOLATE_MS) {
      this.renderClock.limit(latest.serverTime + EXTRAPOLATE_MS);
      return latest.serverTime + EXTRAPOLATE_MS;
    }
    return drawn;
  }

  /** Which states other actors are drawn between at local time `now`, or null before any state. */
  renderSpan(now: number): RenderSpan | null {
    const frames = this.frames;
    const count = frames.length;
    if (count === 0) {
      return null;
    }
    const renderAt = this.renderTimeAt(now);
    const latest = frames[count - 1];
    if (count === 1 || renderAt === null) {
      return span(null, latest, 1);
    }
    if (renderAt <= frames[0].serverTime) {
      return span(null, frames[0], 1);
    }
    // The newest state at or before the render time; the next one brackets it.
    let at = count - 1;
    while (frames[at].serverTime > renderAt) {
      at--;
    }
    if (at === count - 1) {
      // Starved: on along the last motion, for EXTRAPOLATE_MS at most, then held.
      const previous = frames[count - 2];
      const spanMs = latest.serverTime - previous.serverTime;
      if (spanMs <= 0) {
        return span(null, latest, 1);
      }
      return span(previous, latest, 1 + Math.min(renderAt - latest.serverTime, EXTRAPOLATE_MS) / spanMs);
    }
    const from = frames[at];
    const to = frames[at + 1];
    const spanMs = to.serverTime - from.serverTime;
    return span(from, to, spanMs <= 0 ? 1 : clamp((renderAt - from.serverTime) / spanMs, 0, 1));
  }

  /** Where to draw every actor at time `now` (performance.now()); the own actor last. */
  actorsAt(now: number): RenderActor[] {
    const between = this.renderSpan(now);
    if (between === null) {
      return [];
    }
    const result: RenderActor[] = [];
    const { from, to, fresh, alpha } = between;
    const scale = unit(to);
    const fromScale = from === null ? 0 : unit(from);
    // Every id list is ascending: one merge pass finds each actor's earlier row.
    let p = 0;
    let f = 0;
    for (let row = 0; row < to.ids.length; row++) {
      const id = to.ids[row];
      if (id === this.ownId) {
        continue;
      }
      const kind = to.kinds[row] as ActorKind;
      const fields = fieldsAt(to, row);
      const x = to.x[row] * scale;
      const y = to.y[row] * scale;
      while (from !== null && p < from.ids.length && from.ids[p] < id) {
        p++;
      }
      while (f < fresh.length && fresh[f] < id) {
        f++;
      }
      const isFresh = f < fresh.length && fresh[f] === id;
      if (from !== null && !isFresh && p < from.ids.length && from.ids[p] === id && from.kinds[p] === kind) {
        const fromX = from.x[p] * fromScale;
        const fromY = from.y[p] * fromScale;
        let ax = fromX + (x - fromX) * alpha;
        let ay = fromY + (y - fromY) * alpha;
        if (alpha > 1 && this.arenaSize !== null) {
          // Extrapolated: never past a wall.
          ax = clamp(ax, 0, this.arenaSize.x);
          ay = clamp(ay, 0, this.arenaSize.y);
        }
        result.push({ id, x: ax, y: ay, kind, own: false, fields });
      } else {
        result.push({ id, x, y, kind, own: false, fields });
      }
    }
    const own = this.ownActor(now);
    if (own !== null) {
      result.push(own);
    }
    this.lastFrameAt = now;
    return result;
  }

  private get latest(): StateFrame | null {
    return this.frames.length === 0 ? null : this.frames[this.frames.length - 1];
  }

  /** The own actor at its newest position, eased; null while it is in no state. */
  private ownActor(now: number): RenderActor | null {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const state = latest.state;
    const row = indexOf(state, this.ownId);
    if (row < 0) {
      return null;
    }
    const at = this.easeOwn({ x: state.x[row] * unit(state), y: state.y[row] * unit(state) }, now);
    return {
      id: this.ownId,
      x: at.x,
      y: at.y,
      kind: state.kinds[row] as ActorKind,
      own: true,
      fields: fieldsAt(state, row),
    };
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
