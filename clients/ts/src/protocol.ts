// Wire protocol: encodes the client's messages (Hello with its optional auth and
// resume tokens, seat and room, Input, Pong, FullSnapshotRequest, SnapshotRateRequest) and decodes the
// server's (GameEvents and InputAck included) into plain typed objects, using the FlatBuffers code generated from protocol/schema/tickwire.fbs.
// FlatBuffers JS has no verifier, so every read goes through a bounds-checked buffer
// (src/frame.ts) and a malformed frame becomes a ProtocolError. Snapshots are decoded
// by src/snapshot.ts.

import * as flatbuffers from 'flatbuffers';
import { CheckedByteBuffer, ProtocolError } from './frame';
import {
  ClientBody,
  ClientMessage,
  Disconnect,
  FullSnapshotRequest,
  GameEvent,
  GameEvents,
  Hello,
  Input,
  InputAck,
  Ping,
  Pong,
  ProtocolVersion,
  ServerBody,
  ServerMessage,
  Settings,
  Snapshot,
  SnapshotRate,
  SnapshotRateRequest,
  ThrottleReason,
  Vec2,
  Welcome,
} from './generated/tickwire';
import { FIELD_SLOTS, readSnapshot, type SnapshotData } from './snapshot';

export { ProtocolError } from './frame';
export type { SnapshotData } from './snapshot';

/** The protocol version this client speaks, from the schema (shared with the server). */
export const PROTOCOL_VERSION: number = ProtocolVersion.Current;

export interface Vec {
  x: number;
  y: number;
}

export interface GameSettings {
  tickRateHz: number;
  broadcastEvery: number;
  inputEvery: number;
  movementSpeed: number;
  smoothing: number;
  interpolationDelayMs: number;
  /** Positions travel as whole steps of 1 / N world units. */
  positionStepsPerUnit: number;
}

/** One gameplay event (a GameEvent struct): kind k is named `Welcome.event_names[k]`. */
export interface GameEventData {
  kind: number;
  /** The actor it is about (0: none). */
  actor: number;
  /** A second actor it involves (0: none). */
  other: number;
  /** A number that goes with it (points, damage...). */
  value: number;
}

/** Why the server sends this client fewer snapshots than `broadcast_every` asks for. */
export type Throttle = 'none' | 'congested' | 'client-cap';

const THROTTLES: ReadonlyMap<number, Throttle> = new Map<number, Throttle>([
  [ThrottleReason.None, 'none'],
  [ThrottleReason.Congested, 'congested'],
  [ThrottleReason.ClientCap, 'client-cap'],
]);

export type ServerEvent =
  | {
      type: 'welcome';
      sessionId: bigint;
      actorId: number;
      tick: number;
      settings: GameSettings;
      arenaSize: Vec;
      /** Secret for resuming this session after a dropped connection (null: none given). */
      resumeToken: Uint8Array | null;
      /** Whether this session resumed an earlier one (same actor). */
      resumed: boolean;
      /** Names of the game's gameplay fields: slot i of every actor is `fieldNames[i]` (at most FIELD_SLOTS). */
      fieldNames: string[];
      /** Names of the game's event kinds: an event of kind k is `eventNames[k]`. */
      eventNames: string[];
      /** The id of the room this session plays in ('' from a server without rooms). */
      room: string;
      /** The room's type, e.g. "default" ('' from a server without rooms). */
      roomName: string;
      /** The longest the server goes without sending anything, in ms (0: not said). */
      quietIntervalMs: number;
    }
  | { type: 'snapshot'; snapshot: SnapshotData }
  /** Events up to `tick`, in order (every event since the last batch), before the snapshot of `tick`. */
  | { type: 'gameEvents'; tick: number; events: GameEventData[] }
  /** The newest of this client's inputs the server had applied by `tick`, before the snapshot of `tick`. */
  | { type: 'inputAck'; sequence: number; tick: number }
  | { type: 'settings'; settings: GameSettings }
  | { type: 'ping'; nonce: number; rttUs: number }
  | { type: 'disconnect'; code: number; reason: string }
  /** This client's effective snapshot interval, in ticks, and why it is what it is. */
  | { type: 'snapshotRate'; everyTicks: number; reason: Throttle };

// ------------------------------------------------------------------ client -> server

function finishClientMessage(
  builder: flatbuffers.Builder,
  bodyType: ClientBody,
  body: flatbuffers.Offset,
): Uint8Array<ArrayBuffer> {
  builder.finish(ClientMessage.createClientMessage(builder, bodyType, body));
  // A copy of exactly the message's bytes, in a buffer of its own.
  return builder.asUint8Array().slice();
}

export interface HelloOptions {
  /** Defaults to the schema's version. */
  protocolVersion?: number;
  /** Proves who the player is, when the server requires it; left out when null or empty. */
  authToken?: string | null;
  /** From an earlier Welcome, to reattach to that session's actor; left out when null or empty. */
  resumeToken?: Uint8Array | null;
  /** A seat from the matchmaking API (the room to join); left out when null or empty. */
  seat?: string | null;
  /** The room the resume token belongs to (Welcome.room); left out when null or empty. */
  room?: string | null;
}

export function encodeHello(options: HelloOptions = {}): Uint8Array<ArrayBuffer> {
  const { protocolVersion = PROTOCOL_VERSION, authToken = null, resumeToken = null, seat = null, room = null } = options;
  const builder = new flatbuffers.Builder(64);
  // Strings and vectors go in before the table that refers to them.
  const auth = authToken ? builder.createString(authToken) : 0;
  const resume = resumeToken && resumeToken.length > 0 ? Hello.createResumeTokenVector(builder, resumeToken) : 0;
  const seatOffset = seat ? builder.createString(seat) : 0;
  const roomOffset = room ? builder.createString(room) : 0;
  const hello = Hello.createHello(builder, protocolVersion, auth, resume, false, seatOffset, roomOffset);
  return finishClientMessage(builder, ClientBody.Hello, hello);
}

/** @param ackTick the tick of the newest snapshot applied (0: none yet); always sent. */
export function encodeInput(sequence: number, direction: Vec, ackTick: number): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(48);
  Input.startInput(builder);
  Input.addSequence(builder, sequence);
  Input.addDirection(builder, Vec2.createVec2(builder, direction.x, direction.y));
  // addFieldInt32 would leave out a 0; the server should see the ack either way.
  builder.forceDefaults(true);
  Input.addAckTick(builder, ackTick);
  builder.forceDefaults(false);
  return finishClientMessage(builder, ClientBody.Input, Input.endInput(builder));
}

export function encodeFullSnapshotRequest(): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(16);
  return finishClientMessage(
    builder,
    ClientBody.FullSnapshotRequest,
    FullSnapshotRequest.createFullSnapshotRequest(builder),
  );
}

export function encodePong(nonce: number): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(32);
  return finishClientMessage(builder, ClientBody.Pong, Pong.createPong(builder, nonce));
}

/** @param maxPerSecond the most snapshots per second this client wants; 0 lifts the cap. */
export function encodeSnapshotRateRequest(maxPerSecond: number): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(32);
  SnapshotRateRequest.startSnapshotRateRequest(builder);
  // Written even when 0 (lift the cap), so the request says so on the wire.
  builder.forceDefaults(true);
  SnapshotRateRequest.addMaxPerSecond(builder, maxPerSecond);
  builder.forceDefaults(false);
  return finishClientMessage(
    builder,
    ClientBody.SnapshotRateRequest,
    SnapshotRateRequest.endSnapshotRateRequest(builder),
  );
}

// ------------------------------------------------------------------ server -> client

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) {
    throw new ProtocolError(`${what} is not a finite number`);
  }
  return value;
}

function readVec(vec: Vec2 | null, what: string): Vec {
  if (vec === null) {
    throw new ProtocolError(`${what} is missing`);
  }
  return { x: finite(vec.x(), `${what}.x`), y: finite(vec.y(), `${what}.y`) };
}

function readSettings(settings: Settings | null): GameSettings {
  if (settings === null) {
    throw new ProtocolError('settings are missing');
  }
  const decoded: GameSettings = {
    tickRateHz: settings.tickRateHz(),
    broadcastEvery: settings.broadcastEvery(),
    inputEvery: settings.inputEvery(),
    movementSpeed: finite(settings.movementSpeed(), 'movement_speed'),
    smoothing: finite(settings.smoothing(), 'smoothing'),
    interpolationDelayMs: settings.interpolationDelayMs(),
    positionStepsPerUnit: settings.positionStepsPerUnit(),
  };
  if (decoded.tickRateHz === 0 || decoded.broadcastEvery === 0 || decoded.inputEvery === 0) {
    throw new ProtocolError('settings have a zero tick rate, broadcast interval or input interval');
  }
  return decoded;
}

/** Welcome's resume token, copied out of the frame; null when absent or empty. */
function readResumeToken(welcome: Welcome, frameSize: number): Uint8Array | null {
  const length = welcome.resumeTokenLength();
  if (length === 0) {
    return null;
  }
  if (length > frameSize) {
    throw new ProtocolError(`resume_token claims ${length} bytes, more than the ${frameSize}-byte frame holds`);
  }
  const bytes = welcome.resumeTokenArray();
  if (bytes === null || bytes.length !== length) {
    throw new ProtocolError('resume_token does not fit in the frame');
  }
  return bytes.slice();
}

/** Welcome's field names: at most FIELD_SLOTS strings, each within the frame. */
function readFieldNames(welcome: Welcome): string[] {
  const count = welcome.fieldNamesLength();
  // A length word of 2^31 or more reads as negative.
  if (count < 0 || count > FIELD_SLOTS) {
    throw new ProtocolError(`field_names has ${count} names, more than the ${FIELD_SLOTS} field slots`);
  }
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push(welcome.fieldNames(i));
  }
  return names;
}

/** Welcome's event names: each string within the frame (a lying count fails before the loop). */
function readEventNames(welcome: Welcome, frameSize: number): string[] {
  const count = welcome.eventNamesLength();
  // Each name takes a 4-byte offset in the vector at least.
  // A length word of 2^31 or more reads as negative.
  if (count < 0 || count * 4 > frameSize) {
    throw new ProtocolError(`event_names claims ${count} names, more than the ${frameSize}-byte frame holds`);
  }
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push(welcome.eventNames(i));
  }
  return names;
}

/** GameEvents' events, in order: the vector must fit in the frame, each read bounds-checked. */
function readGameEvents(batch: GameEvents, frameSize: number): GameEventData[] {
  const count = batch.eventsLength();
  // A length word of 2^31 or more reads as negative.
  if (count < 0 || count * GameEvent.sizeOf() > frameSize) {
    throw new ProtocolError(`events claims ${count} events, more than the ${frameSize}-byte frame holds`);
  }
  const events: GameEventData[] = [];
  const event = new GameEvent();
  for (let i = 0; i < count; i++) {
    if (batch.events(i, event) === null) {
      throw new ProtocolError('events is missing');
    }
    events.push({ kind: event.kind(), actor: event.actor(), other: event.other(), value: event.value() });
  }
  return events;
}

function decodeBody(message: ServerMessage, bodyType: ServerBody, frameSize: number): ServerEvent {
  switch (bodyType) {
    case ServerBody.Welcome: {
      const welcome: Welcome | null = message.body(new Welcome());
      if (welcome === null) {
        throw new ProtocolError('Welcome has no body');
      }
      const arenaSize = readVec(welcome.arenaSize(), 'arena_size');
      if (arenaSize.x <= 0 || arenaSize.y <= 0) {
        throw new ProtocolError(`arena_size ${arenaSize.x} x ${arenaSize.y} is not positive`);
      }
      return {
        type: 'welcome',
        sessionId: welcome.sessionId(),
        actorId: welcome.actorId(),
        tick: welcome.tick(),
        settings: readSettings(welcome.settings()),
        arenaSize,
        resumeToken: readResumeToken(welcome, frameSize),
        resumed: welcome.resumed(),
        fieldNames: readFieldNames(welcome),
        eventNames: readEventNames(welcome, frameSize),
        room: welcome.room() ?? '',
        roomName: welcome.roomName() ?? '',
        quietIntervalMs: welcome.quietIntervalMs(),
      };
    }
    case ServerBody.Snapshot: {
      const snapshot: Snapshot | null = message.body(new Snapshot());
      if (snapshot === null) {
        throw new ProtocolError('Snapshot has no body');
      }
      return { type: 'snapshot', snapshot: readSnapshot(snapshot, frameSize) };
    }
    case ServerBody.GameEvents: {
      const batch: GameEvents | null = message.body(new GameEvents());
      if (batch === null) {
        throw new ProtocolError('GameEvents has no body');
      }
      return { type: 'gameEvents', tick: batch.tick(), events: readGameEvents(batch, frameSize) };
    }
    case ServerBody.InputAck: {
      const ack: InputAck | null = message.body(new InputAck());
      if (ack === null) {
        throw new ProtocolError('InputAck has no body');
      }
      return { type: 'inputAck', sequence: ack.sequence(), tick: ack.tick() };
    }
    case ServerBody.Settings: {
      const settings: Settings | null = message.body(new Settings());
      return { type: 'settings', settings: readSettings(settings) };
    }
    case ServerBody.Ping: {
      const ping: Ping | null = message.body(new Ping());
      if (ping === null) {
        throw new ProtocolError('Ping has no body');
      }
      return { type: 'ping', nonce: ping.nonce(), rttUs: ping.rttUs() };
    }
    case ServerBody.Disconnect: {
      const disconnect: Disconnect | null = message.body(new Disconnect());
      if (disconnect === null) {
        throw new ProtocolError('Disconnect has no body');
      }
      return { type: 'disconnect', code: disconnect.code(), reason: disconnect.reason() ?? '' };
    }
    case ServerBody.SnapshotRate: {
      const rate: SnapshotRate | null = message.body(new SnapshotRate());
      if (rate === null) {
        throw new ProtocolError('SnapshotRate has no body');
      }
      const everyTicks = rate.everyTicks();
      if (everyTicks === 0) {
        throw new ProtocolError('SnapshotRate has a zero interval');
      }
      const reason = THROTTLES.get(rate.reason());
      if (reason === undefined) {
        throw new ProtocolError(`SnapshotRate.reason has unknown value ${rate.reason()}`);
      }
      return { type: 'snapshotRate', everyTicks, reason };
    }
    case ServerBody.NONE:
      throw new ProtocolError('server message has no body');
    default:
      throw new ProtocolError(`unknown server message type ${String(bodyType)}`);
  }
}

/** Decodes one binary WebSocket frame from the server; throws ProtocolError if malformed. */
export function decodeServerMessage(frame: ArrayBuffer): ServerEvent {
  const bytes = new Uint8Array(frame);
  if (bytes.length < 8) {
    throw new ProtocolError(`frame of ${bytes.length} bytes is too short to be a message`);
  }
  let bodyType: ServerBody | null = null;
  try {
    const message = ServerMessage.getRootAsServerMessage(new CheckedByteBuffer(bytes));
    bodyType = message.bodyType();
    return decodeBody(message, bodyType, bytes.length);
  } catch (error) {
    // Any failure (a bad UTF-8 decoder state, a RangeError...) is a bad frame; say
    // what type of message it claimed to be, if it got that far.
    throw new ProtocolError(error instanceof Error ? error.message : String(error), bodyType);
  }
}
