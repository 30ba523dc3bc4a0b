// Wire protocol: encodes the client's messages (Hello, Input, Pong) and decodes the
// server's into plain typed objects, using the FlatBuffers code generated from
// protocol/schema/tickwire.fbs. FlatBuffers JS has no verifier, so every read goes
// through a bounds-checked buffer and a malformed frame becomes a ProtocolError.

import * as flatbuffers from 'flatbuffers';
import {
  ActorKind,
  ActorState,
  ClientBody,
  ClientMessage,
  Disconnect,
  Hello,
  Input,
  Ping,
  Pong,
  ServerBody,
  ServerMessage,
  Settings,
  Snapshot,
  Vec2,
  Welcome,
} from './generated/tickwire';

export const PROTOCOL_VERSION = 1;

/** Size in bytes of one `ActorState` struct in a snapshot's vector. */
const ACTOR_STATE_SIZE = 16;

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
}

export interface ActorData {
  id: number;
  x: number;
  y: number;
  kind: ActorKind;
}

export type ServerEvent =
  | {
      type: 'welcome';
      sessionId: bigint;
      actorId: number;
      tick: number;
      settings: GameSettings;
      arenaSize: Vec;
    }
  | { type: 'snapshot'; tick: number; actors: ActorData[] }
  | { type: 'settings'; settings: GameSettings }
  | { type: 'ping'; nonce: number; rttUs: number }
  | { type: 'disconnect'; code: number; reason: string };

/** A server frame that could not be decoded. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * A ByteBuffer whose primitive reads throw instead of silently reading `undefined`
 * (as 0) past the end of the frame. Every other read of the generated code is built
 * on these three.
 */
class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      throw new ProtocolError(`read of ${size} bytes at offset ${offset} is outside the ${this.capacity()}-byte frame`);
    }
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }
}

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

export function encodeHello(protocolVersion: number = PROTOCOL_VERSION): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(32);
  return finishClientMessage(builder, ClientBody.Hello, Hello.createHello(builder, protocolVersion));
}

export function encodeInput(sequence: number, direction: Vec): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(48);
  Input.startInput(builder);
  Input.addSequence(builder, sequence);
  Input.addDirection(builder, Vec2.createVec2(builder, direction.x, direction.y));
  return finishClientMessage(builder, ClientBody.Input, Input.endInput(builder));
}

export function encodePong(nonce: number): Uint8Array<ArrayBuffer> {
  const builder = new flatbuffers.Builder(32);
  return finishClientMessage(builder, ClientBody.Pong, Pong.createPong(builder, nonce));
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
  };
  if (decoded.tickRateHz === 0 || decoded.broadcastEvery === 0 || decoded.inputEvery === 0) {
    throw new ProtocolError('settings have a zero tick rate, broadcast interval or input interval');
  }
  return decoded;
}

function readSnapshot(snapshot: Snapshot, frameSize: number): ServerEvent {
  const count = snapshot.actorsLength();
  if (count < 0 || count * ACTOR_STATE_SIZE > frameSize) {
    throw new ProtocolError(`snapshot claims ${count} actors, more than the frame can hold`);
  }
  const actors: ActorData[] = new Array<ActorData>(count);
  // Accessor objects are reused so decoding allocates one plain object per actor.
  const state = new ActorState();
  const position = new Vec2();
  for (let i = 0; i < count; i++) {
    if (snapshot.actors(i, state) === null) {
      throw new ProtocolError('snapshot has no actor vector');
    }
    const at = readVec(state.position(position), 'actor position');
    actors[i] = { id: state.id(), x: at.x, y: at.y, kind: state.kind() };
  }
  return { type: 'snapshot', tick: snapshot.tick(), actors };
}

function decodeBody(message: ServerMessage, frameSize: number): ServerEvent {
  const bodyType = message.bodyType();
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
      };
    }
    case ServerBody.Snapshot: {
      const snapshot: Snapshot | null = message.body(new Snapshot());
      if (snapshot === null) {
        throw new ProtocolError('Snapshot has no body');
      }
      return readSnapshot(snapshot, frameSize);
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
  try {
    const buffer = new CheckedByteBuffer(bytes);
    return decodeBody(ServerMessage.getRootAsServerMessage(buffer), bytes.length);
  } catch (error) {
    if (error instanceof ProtocolError) {
      throw error;
    }
    // Any other failure (a bad UTF-8 decoder state, a RangeError...) is still a bad frame.
    throw new ProtocolError(error instanceof Error ? error.message : String(error));
  }
}
