// @tickwire/client: a browser client for the Tickwire game server.
//
// # Layout
// - client.ts: TickwireClient, the front door (join/connect, status, events, sendInput, view).
// - session.ts, connection.ts, reconnect.ts, close-codes.ts (+ generated close-table.ts):
//   connections that reconnect with backoff and resume, and the close-code policy.
// - protocol.ts, frame.ts, snapshot.ts, ids.ts (+ generated/): the wire, decoded with validation.
// - mirror.ts, replication.ts: the exact world state, kept in step with full and delta snapshots.
// - world.ts, timeline.ts: where to draw others, on the server's timeline with an adaptive delay.
// - prediction.ts: the own actor, predicted and reconciled.
// - rate.ts, meter.ts, events.ts, fields.ts, matchmaker.ts, tick.ts: the rest a game needs.
//
// # Data flow
// WebSocket frame → decode (protocol.ts) → mirror (replication.ts) → world buffer (world.ts,
// placed at tick × tick period) → view(now) → the game draws. sendInput → Input every
// input_every ticks → prediction (prediction.ts) → reconciled on each snapshot.

export {
  TickwireClient,
  type ClientEventName,
  type ClientEvents,
  type ClientStatus,
  type ConnectOptions,
  type JoinTarget,
  type SnapshotInfo,
  type WelcomeInfo,
  type WorldView,
} from './client';
export { closeMeaning, closeNotice, isFinalClose, type CloseMeaning } from './close-codes';
export { CLOSE_CODES, type CloseCodeInfo, type Retry } from './close-table';
export type { ServerNotice, SnapshotFrame } from './connection';
export { EventLog, eventName, formatEvent, KEPT_EVENTS, type NamedEvent } from './events';
export { COLOR_FIELD, cssColor, fieldLook, namedFields, slotName, type FieldLook } from './fields';
export { Matchmaker, MatchmakerError, ROOM_TYPE, type Room, type Seat } from './matchmaker';
export { MIN_SPAN_MS, RateMeter, RttMeter } from './meter';
export { BLEND_MS, Predictor } from './prediction';
export {
  decodeServerMessage,
  PROTOCOL_VERSION,
  ProtocolError,
  type GameEventData,
  type GameSettings,
  type ServerEvent,
  type Throttle,
  type Vec,
} from './protocol';
export { describeInterval, perSecond, SnapshotRateTracker } from './rate';
export { Backoff, BASE_DELAY_MS, browserTimers, MAX_DELAY_MS, RetryTimer, type Timers } from './reconnect';
export { Session, SILENCE_MS, type CloseReport, type SessionHandlers, type SessionOptions, type SessionState } from './session';
export { addTicks, isAfter, ticksBetween } from './tick';
export { AdaptiveDelay, RenderClock, ServerClock } from './timeline';
export { EXTRAPOLATE_MS, World, type RenderActor, type RenderSpan } from './world';
export { ActorKind } from './generated/tickwire';
