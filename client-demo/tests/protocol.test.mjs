// Unit test of src/protocol.ts in Node: client messages encode to what the schema
// says, server messages decode to the expected plain objects, and malformed frames
// (truncated, random, lying about lengths) fail with ProtocolError and nothing else.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** src/protocol.ts plus the generated code and flatbuffers, bundled and imported. */
let P;
let T;
let Builder;
let ByteBuffer;

before(async () => {
  const result = await build({
    stdin: {
      contents: [
        "export * from './protocol';",
        "export * as T from './generated/tickwire';",
        "export { Builder, ByteBuffer } from 'flatbuffers';",
      ].join('\n'),
      resolveDir: srcDir,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  ({ T, Builder, ByteBuffer } = module);
  P = module;
});

function serverMessage(type, buildBody) {
  const builder = new Builder(256);
  const body = buildBody(builder);
  builder.finish(T.ServerMessage.createServerMessage(builder, type, body));
  return builder.asUint8Array().slice().buffer;
}

function settings(builder, tickRate = 20) {
  return T.Settings.createSettings(builder, tickRate, 2, 1, 150.5, 0.25, 100);
}

function welcome() {
  return serverMessage(T.ServerBody.Welcome, (b) => {
    const s = settings(b);
    T.Welcome.startWelcome(b);
    T.Welcome.addSessionId(b, 9007199254740993n);
    T.Welcome.addActorId(b, 42);
    T.Welcome.addTick(b, 1000);
    T.Welcome.addSettings(b, s);
    T.Welcome.addArenaSize(b, T.Vec2.createVec2(b, 800, 600));
    return T.Welcome.endWelcome(b);
  });
}

function snapshot(actors) {
  return serverMessage(T.ServerBody.Snapshot, (b) => {
    T.Snapshot.startActorsVector(b, actors.length);
    for (let i = actors.length - 1; i >= 0; i--) {
      const a = actors[i];
      T.ActorState.createActorState(b, a.id, a.x, a.y, a.kind);
    }
    return T.Snapshot.createSnapshot(b, 77, b.endVector());
  });
}

function clientMessage(bytes) {
  return T.ClientMessage.getRootAsClientMessage(new ByteBuffer(bytes));
}

/** Decodes `frame`; returns the event, or the ProtocolError; fails on any other error. */
function decodeOrProtocolError(frame, label) {
  try {
    return P.decodeServerMessage(frame);
  } catch (error) {
    assert.ok(error instanceof P.ProtocolError, `${label} should fail with ProtocolError, not ${error}`);
    return error;
  }
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('protocol encoding', () => {
  test('Hello carries protocol version 1', () => {
    const message = clientMessage(P.encodeHello());
    assert.equal(message.bodyType(), T.ClientBody.Hello, 'Hello should be tagged Hello');
    assert.equal(message.body(new T.Hello()).protocolVersion(), 1, 'Hello should carry protocol version 1');
  });

  test('Input carries sequence and direction', () => {
    const message = clientMessage(P.encodeInput(5, { x: 0.6, y: -0.8 }));
    assert.equal(message.bodyType(), T.ClientBody.Input, 'Input should be tagged Input');
    const input = message.body(new T.Input());
    assert.equal(input.sequence(), 5, 'Input should carry its sequence');
    assert.ok(Math.abs(input.direction().x() - 0.6) < 1e-6, 'Input should carry direction.x');
    assert.ok(Math.abs(input.direction().y() + 0.8) < 1e-6, 'Input should carry direction.y');
  });

  test('Pong echoes the nonce', () => {
    const message = clientMessage(P.encodePong(4000000000));
    assert.equal(message.bodyType(), T.ClientBody.Pong, 'Pong should be tagged Pong');
    assert.equal(message.body(new T.Pong()).nonce(), 4000000000, 'Pong should echo the nonce');
  });
});

describe('protocol decoding', () => {
  test('Welcome', () => {
    assert.deepEqual(P.decodeServerMessage(welcome()), {
      type: 'welcome',
      sessionId: 9007199254740993n,
      actorId: 42,
      tick: 1000,
      settings: {
        tickRateHz: 20,
        broadcastEvery: 2,
        inputEvery: 1,
        movementSpeed: 150.5,
        smoothing: 0.25,
        interpolationDelayMs: 100,
      },
      arenaSize: { x: 800, y: 600 },
    });
  });

  test('Snapshot', () => {
    const actors = [
      { id: 1, x: 10.5, y: 20.25, kind: T.ActorKind.Npc },
      { id: 7, x: 700, y: 0, kind: T.ActorKind.Player },
    ];
    assert.deepEqual(P.decodeServerMessage(snapshot(actors)), { type: 'snapshot', tick: 77, actors });
  });

  test('Settings, Ping and Disconnect', () => {
    assert.equal(P.decodeServerMessage(serverMessage(T.ServerBody.Settings, (b) => settings(b, 30))).settings.tickRateHz, 30);
    assert.deepEqual(P.decodeServerMessage(serverMessage(T.ServerBody.Ping, (b) => T.Ping.createPing(b, 3, 1500))), {
      type: 'ping',
      nonce: 3,
      rttUs: 1500,
    });
    const disconnect = serverMessage(T.ServerBody.Disconnect, (b) =>
      T.Disconnect.createDisconnect(b, 4000, b.createString('protocol version 9 is not supported')),
    );
    assert.deepEqual(P.decodeServerMessage(disconnect), {
      type: 'disconnect',
      code: 4000,
      reason: 'protocol version 9 is not supported',
    });
  });

  test('settings with a zero tick rate are rejected', () => {
    const frame = serverMessage(T.ServerBody.Settings, (b) => settings(b, 0));
    assert.throws(() => P.decodeServerMessage(frame), P.ProtocolError, 'a zero tick rate should be a ProtocolError');
  });

  test('a snapshot claiming more actors than the frame holds is rejected', () => {
    const bytes = new Uint8Array(snapshot([{ id: 1, x: 1, y: 1, kind: 0 }]));
    // The vector's length word is the 4 bytes before its single 16-byte element, at the end.
    const view = new DataView(bytes.buffer);
    view.setUint32(bytes.length - 20, 0x7fffffff, true);
    assert.throws(() => P.decodeServerMessage(bytes.buffer), P.ProtocolError, 'a lying vector length should be a ProtocolError');
  });

  test('every truncation of every message fails cleanly or decodes', () => {
    const frames = {
      welcome: welcome(),
      snapshot: snapshot([{ id: 1, x: 1, y: 2, kind: 0 }, { id: 2, x: 3, y: 4, kind: 1 }]),
      disconnect: serverMessage(T.ServerBody.Disconnect, (b) => T.Disconnect.createDisconnect(b, 1001, b.createString('bye'))),
    };
    for (const [name, frame] of Object.entries(frames)) {
      for (let length = 0; length < frame.byteLength; length++) {
        decodeOrProtocolError(frame.slice(0, length), `${name} cut to ${length} bytes`);
      }
    }
  });

  test('random and corrupted frames fail with ProtocolError only', () => {
    const next = random(12345);
    const valid = [welcome(), snapshot([{ id: 1, x: 1, y: 2, kind: 0 }])];
    for (let round = 0; round < 5000; round++) {
      let bytes;
      if (round % 2 === 0) {
        bytes = new Uint8Array(Math.floor(next() * 96));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      } else {
        bytes = new Uint8Array(valid[round % 4 === 1 ? 0 : 1].slice(0));
        for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) {
          bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
        }
      }
      decodeOrProtocolError(bytes.buffer, `frame ${round} (${Buffer.from(bytes).toString('hex')})`);
    }
  });
});
