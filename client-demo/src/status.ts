// Test hook: `window.tickwire`, a plain object describing the session, updated as
// server messages arrive, so browser tests (and curious people in the devtools
// console) can see what the client knows without scraping the page.

import type { ArenaPlacement } from './layout';
import type { GameSettings, NamedEvent, SessionState, Throttle, Vec } from '@tickwire/client';

export interface TickwireStatus {
  /** 'lobby' while the lobby is shown, else 'room' (src/room-flow.ts). */
  view: 'lobby' | 'room';
  /** The room's id and type from the last Welcome ('' from a server without rooms; null before any). */
  room: string | null;
  roomName: string | null;
  /** 'connecting' | 'connected' | 'reconnecting' | 'closed' (see src/session.ts). */
  state: SessionState;
  /** Successful reconnections: Welcomes after the first. */
  reconnects: number;
  /** The last Welcome's flag: whether it resumed the earlier session (same actor). */
  resumed: boolean;
  /** Network id of the own actor, from the last Welcome. */
  actorId: number | null;
  /** Newest server tick heard of. */
  tick: number | null;
  /** The tick of the state the mirror holds: the newest snapshot applied (0: none yet). */
  mirrorTick: number;
  /** Actors in the mirror. */
  actorCount: number;
  /** The own actor's position in the mirror, in world units. */
  ownPosition: Vec | null;
  /** Where the own actor is drawn: the client-side prediction, in world units (null before any state). */
  predictedPosition: Vec | null;
  /** The sequence of the newest own input the server acknowledged (InputAck; null before any on this connection). */
  lastInputAck: number | null;
  /** The sequence of the last Input sent on this connection (0: none yet). */
  lastInputSent: number;
  /** Distance between the prediction and the reconciled server-based position at the last snapshot. */
  predictionError: number;
  /** Where each actor was drawn in the last animation frame, id → world units (a new object each frame). */
  drawnPositions: Record<number, Vec>;
  /** The last animation frame's time (performance.now()), and how many frames were drawn. */
  frameTime: number | null;
  frames: number;
  /** How far behind the estimated server clock others were drawn in the last frame, in ms (adaptive). */
  interpolationDelayMs: number | null;
  /**
   * Where the arena was drawn in the last animation frame, in CSS pixels (`scale`: pixels
   * per world unit); null before a Welcome. Clear of the HUD when there is room (src/layout.ts).
   */
  arenaRect: ArenaPlacement | null;
  /** The game's gameplay field names, by slot (from Welcome; [] for a game without fields). */
  fieldNames: string[];
  /** The own actor's named gameplay fields in the mirror, name → value (null while it is in no state). */
  ownFields: Record<string, number> | null;
  /** The game's event kinds' names (from Welcome; kind k is `eventNames[k]`). */
  eventNames: string[];
  /** The last 20 gameplay events received, oldest first. */
  events: NamedEvent[];
  /** Gameplay events received in all. */
  eventCount: number;
  /** Size in bytes of the last snapshot frame received. */
  snapshotBytes: number;
  /** Snapshots of this connection that could not be applied (each leads to a request for a full snapshot). */
  applyErrors: number;
  /** Full snapshots applied to the mirror. */
  fullSnapshotsApplied: number;
  /** Delta snapshots applied to the mirror. */
  deltasApplied: number;
  /** Round-trip time, the mean of the last few the server measured, in milliseconds (null before the first). */
  rttMs: number | null;
  /** The server's last Disconnect message, if any. */
  lastDisconnect: { code: number; reason: string } | null;
  /** Arena size from Welcome, in world units. */
  arenaSize: Vec | null;
  /** The settings in force (from Welcome, then every Settings message). */
  settings: GameSettings | null;
  /** This client's effective snapshot interval in ticks (Welcome's broadcast_every, then SnapshotRate). */
  snapshotEveryTicks: number | null;
  /** Why the interval differs from broadcast_every, from the last SnapshotRate. */
  throttleReason: Throttle;
}

declare global {
  interface Window {
    tickwire: TickwireStatus;
  }
}

/** Creates the status object and publishes it as `window.tickwire`. */
export function publishStatus(): TickwireStatus {
  const status: TickwireStatus = {
    view: 'room',
    room: null,
    roomName: null,
    state: 'connecting',
    reconnects: 0,
    resumed: false,
    actorId: null,
    tick: null,
    mirrorTick: 0,
    actorCount: 0,
    ownPosition: null,
    predictedPosition: null,
    lastInputAck: null,
    lastInputSent: 0,
    predictionError: 0,
    drawnPositions: {},
    frameTime: null,
    frames: 0,
    interpolationDelayMs: null,
    arenaRect: null,
    fieldNames: [],
    ownFields: null,
    eventNames: [],
    events: [],
    eventCount: 0,
    snapshotBytes: 0,
    applyErrors: 0,
    fullSnapshotsApplied: 0,
    deltasApplied: 0,
    rttMs: null,
    lastDisconnect: null,
    arenaSize: null,
    settings: null,
    snapshotEveryTicks: null,
    throttleReason: 'none',
  };
  window.tickwire = status;
  return status;
}
