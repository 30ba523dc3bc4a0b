// Unit test of src/protocol.ts and src/snapshot.ts in Node: client messages (Hello
// with and without its auth and resume tokens, seat and room included) encode to what
// the schema says, server messages (Welcome with its resume token and room, full and
// delta snapshots,
// SnapshotRate and GameEvents included) decode to the expected plain objects, gameplay
// fields and events included (Welcome.field_names and event_names, spawned actors'
// fields, refielded actors), and malformed frames (truncated, random, lying about
// lengths, bad id lists, columns of the wrong length, unknown enum values, field masks
// that do not match their values, event vectors past the frame) fail with
// ProtocolError and nothing else.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { columns, decodedColumns, loadClient, seeded, snapshotFrame } from './client.mjs';

/** src/protocol.ts plus the generated code and flatbuffers, bundled and imported. */
let P;
let T;
let Builder;
let ByteBuffer;
let client;

before(async () => {
  client = await loadClient();
  ({ P, T, Builder, ByteBuffer } = client);
});

function serverMessage(type, buildBody) {
  const builder = new Builder(256);
  const body = buildBody(builder);
  builder.finish(T.ServerMessage.createServerMessage(builder, type, body));
  return builder.asUint8Array().slice().buffer;
}

function settings(builder, tickRate = 20) {
  return T.Settings.createSettings(builder, tickRate, 2, 1, 150.5, 0.25, 100, 8);
}

/**
 * A Welcome frame; with `resumeToken` (bytes), `resumed`, `fieldNames` and `eventNames`
 * (strings), `room` and `roomName` when given.
 */
function welcome({ resumeToken, resumed, fieldNames, eventNames, room, roomName, quietIntervalMs } = {}) {
  return serverMessage(T.ServerBody.Welcome, (b) => {
    const s = settings(b);
    const token = resumeToken === undefined ? 0 : T.Welcome.createResumeTokenVector(b, resumeToken);
    const names =
      fieldNames === undefined ? 0 : T.Welcome.createFieldNamesVector(b, fieldNames.map((name) => b.createString(name)));
    const kinds =
      eventNames === undefined ? 0 : T.Welcome.createEventNamesVector(b, eventNames.map((name) => b.createString(name)));
    const roomId = room === undefined ? 0 : b.createString(room);
    const roomType = roomName === undefined ? 0 : b.createString(roomName);
    T.Welcome.startWelcome(b);
    T.Welcome.addSessionId(b, 9007199254740993n);
    T.Welcome.addActorId(b, 42);
    T.Welcome.addTick(b, 1000);
    T.Welcome.addSettings(b, s);
    T.Welcome.addArenaSize(b, T.Vec2.createVec2(b, 800, 600));
    if (quietIntervalMs !== undefined) {
      T.Welcome.addQuietIntervalMs(b, quietIntervalMs);
    }
    if (token) {
      T.Welcome.addResumeToken(b, token);
    }
    if (resumed !== undefined) {
      T.Welcome.addResumed(b, resumed);
    }
    if (names) {
      T.Welcome.addFieldNames(b, names);
    }
    if (kinds) {
      T.Welcome.addEventNames(b, kinds);
    }
    if (roomId) {
      T.Welcome.addRoom(b, roomId);
    }
    if (roomType) {
      T.Welcome.addRoomName(b, roomType);
    }
    return T.Welcome.endWelcome(b);
  });
}

const TOKEN = Array.from({ length: 16 }, (_, i) => (i * 37 + 200) % 256);

/** A SnapshotRate frame; `reason` may be any byte, to forge unknown ones. */
function snapshotRate(everyTicks, reason) {
  return serverMessage(T.ServerBody.SnapshotRate, (b) => T.SnapshotRate.createSnapshotRate(b, everyTicks, reason));
}

/** A GameEvents frame at `tick` of `events` ({ kind, actor, other, value }); null events: the vector left out. */
function gameEvents(tick, events) {
  return serverMessage(T.ServerBody.GameEvents, (b) => {
    let vector = 0;
    if (events !== null) {
      T.GameEvents.startEventsVector(b, events.length);
      for (const { kind, actor, other, value } of [...events].reverse()) {
        T.GameEvent.createGameEvent(b, kind, actor, other, value);
      }
      vector = b.endVector();
    }
    return T.GameEvents.createGameEvents(b, tick, vector);
  });
}

const EVENTS = [
  { kind: 0, actor: 12, other: 7, value: 0 },
  { kind: 1, actor: 4294967295, other: 0, value: -2147483648 },
  { kind: 65535, actor: 0, other: 1, value: 2147483647 },
];

/** A full snapshot frame of `rows` ({ id, x, y, vx, vy, kind }) at tick 77. */
function snapshot(rows, stepsPerUnit = 8) {
  return snapshotFrame(client, { tick: 77, stepsPerUnit, spawned: columns(rows) });
}

/** A delta frame at tick 80 against tick 77 that touches every list. */
function delta() {
  return snapshotFrame(client, {
    tick: 80,
    age: 3,
    stepsPerUnit: 8,
    spawned: columns([{ id: 300, x: -5, y: 6, vx: 7, vy: -8, kind: 1, fields: [0, 12, 0, -1] }]),
    moved: { ids: [1, 2], dx: [127, -128], dy: [0, 1] },
    jumped: { ids: [7], x: [2147483647], y: [-2147483648] },
    turned: { ids: [2, 7], vx: [32767, -32768], vy: [0, -1] },
    despawned: { ids: [5, 200] },
    refielded: { ids: [2, 300, 400], masks: [0b1111, 0b0001, 0b0100], values: [1, -2, 3, 0, 0xe53935, 2147483647] },
  });
}

/** Typed arrays (at any depth of plain objects) as plain arrays, for deepEqual. */
function plain(value) {
  if (ArrayBuffer.isView(value)) {
    return Array.from(value);
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
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

describe('gameplay events', () => {
  test('are named by event_names, formatted for people and kept newest last', () => {
    const { EventLog, KEPT_EVENTS } = client.events;
    const log = new EventLog();
    log.welcome(['tagged', 'scored']);
    log.add(50, [
      { kind: 0, actor: 12, other: 7, value: 0 },
      { kind: 1, actor: 3, other: 0, value: -2 },
      { kind: 9, actor: 0, other: 4, value: 0 },
    ]);
    assert.deepEqual(log.lines(5), ['event 9 #4', '#3 scored (-2)', '#12 tagged #7'], 'newest first; an unnamed kind is "event K"');
    assert.deepEqual(log.recent[0], { tick: 50, kind: 0, name: 'tagged', actor: 12, other: 7, value: 0 });
    assert.equal(log.recent[2].name, 'event 9');
    for (let i = 0; i < 30; i++) {
      log.add(60 + i, [{ kind: 0, actor: i + 1, other: 0, value: 0 }]);
    }
    assert.equal(log.count, 33, 'every event should be counted');
    assert.equal(log.recent.length, KEPT_EVENTS, `only the last ${KEPT_EVENTS} should be kept`);
    assert.equal(log.recent.at(-1).tick, 89, 'the newest should be last');
    assert.deepEqual(log.lines(2), ['#30 tagged', '#29 tagged']);
  });
});

describe('protocol encoding', () => {
  test('Hello carries the schema\'s protocol version', () => {
    const message = clientMessage(P.encodeHello());
    assert.equal(message.bodyType(), T.ClientBody.Hello, 'Hello should be tagged Hello');
    assert.equal(T.ProtocolVersion.Current, 8, 'the schema should define protocol version 8');
    const hello = message.body(new T.Hello());
    assert.equal(hello.protocolVersion(), T.ProtocolVersion.Current, 'Hello should carry the schema\'s protocol version');
    assert.equal(hello.authToken(), null, 'a Hello without an auth token should leave it out');
    assert.equal(hello.resumeTokenLength(), 0, 'a first Hello should carry no resume token');
    assert.equal(hello.bb.__offset(hello.bb_pos, 8), 0, 'the resume_token field should be absent, not empty');
  });

  test('Hello carries the auth and resume tokens', () => {
    const token = Uint8Array.from(TOKEN);
    const hello = clientMessage(P.encodeHello({ authToken: 'sig.né.42', resumeToken: token })).body(new T.Hello());
    assert.equal(hello.protocolVersion(), T.ProtocolVersion.Current, 'the version should still be the schema\'s');
    assert.equal(hello.authToken(), 'sig.né.42', 'Hello should carry the auth token (UTF-8)');
    assert.deepEqual(Array.from(hello.resumeTokenArray()), TOKEN, 'Hello should carry the resume token byte for byte');
    const empty = clientMessage(P.encodeHello({ authToken: '', resumeToken: new Uint8Array(0) })).body(new T.Hello());
    assert.equal(empty.authToken(), null, 'an empty auth token should be left out');
    assert.equal(empty.bb.__offset(empty.bb_pos, 8), 0, 'an empty resume token should be left out');
    const old = clientMessage(P.encodeHello({ protocolVersion: 3 })).body(new T.Hello());
    assert.equal(old.protocolVersion(), 3, 'an explicit protocol version should be sent as given');
  });

  test('Hello carries the seat, or the room of a resume token', () => {
    const seated = clientMessage(P.encodeHello({ seat: 'seat-token.1' })).body(new T.Hello());
    assert.equal(seated.seat(), 'seat-token.1', 'Hello should carry the seat');
    assert.equal(seated.room(), null, 'a Hello without a room should leave it out');
    const token = Uint8Array.from(TOKEN);
    const resuming = clientMessage(P.encodeHello({ resumeToken: token, room: 'k3v9qz2a' })).body(new T.Hello());
    assert.equal(resuming.room(), 'k3v9qz2a', 'Hello should carry the room of its resume token');
    assert.deepEqual(Array.from(resuming.resumeTokenArray()), TOKEN);
    assert.equal(resuming.seat(), null, 'a resume should carry no seat');
    const empty = clientMessage(P.encodeHello({ seat: '', room: '' })).body(new T.Hello());
    assert.equal(empty.seat(), null, 'an empty seat should be left out');
    assert.equal(empty.room(), null, 'an empty room should be left out');
  });

  test('Input carries sequence, direction and ack_tick', () => {
    const message = clientMessage(P.encodeInput(5, { x: 0.6, y: -0.8 }, 4000000001));
    assert.equal(message.bodyType(), T.ClientBody.Input, 'Input should be tagged Input');
    const input = message.body(new T.Input());
    assert.equal(input.sequence(), 5, 'Input should carry its sequence');
    assert.ok(Math.abs(input.direction().x() - 0.6) < 1e-6, 'Input should carry direction.x');
    assert.ok(Math.abs(input.direction().y() + 0.8) < 1e-6, 'Input should carry direction.y');
    assert.equal(input.ackTick(), 4000000001, 'Input should carry ack_tick');
  });

  test('Input writes ack_tick 0 explicitly', () => {
    const bytes = P.encodeInput(1, { x: 0, y: 0 }, 0);
    const input = clientMessage(bytes).body(new T.Input());
    assert.equal(input.ackTick(), 0, 'ack_tick should be 0 before any snapshot');
    // Field 2 of the table is present in its vtable, not left to the default.
    assert.notEqual(input.bb.__offset(input.bb_pos, 8), 0, 'ack_tick should be on the wire even when 0');
  });

  test('FullSnapshotRequest is an empty table', () => {
    const message = clientMessage(P.encodeFullSnapshotRequest());
    assert.equal(message.bodyType(), T.ClientBody.FullSnapshotRequest, 'the request should be tagged FullSnapshotRequest');
    assert.notEqual(message.body(new T.FullSnapshotRequest()), null, 'the request should carry its (empty) table');
  });

  test('SnapshotRateRequest carries max_per_second, 0 included', () => {
    for (const max of [2, 65535, 0]) {
      const bytes = P.encodeSnapshotRateRequest(max);
      const message = clientMessage(bytes);
      assert.equal(message.bodyType(), T.ClientBody.SnapshotRateRequest, 'the request should be tagged SnapshotRateRequest');
      const request = message.body(new T.SnapshotRateRequest());
      assert.equal(request.maxPerSecond(), max, `the request should carry max_per_second ${max}`);
      assert.notEqual(request.bb.__offset(request.bb_pos, 4), 0, `max_per_second ${max} should be on the wire, even 0`);
    }
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
        positionStepsPerUnit: 8,
      },
      arenaSize: { x: 800, y: 600 },
      resumeToken: null,
      resumed: false,
      fieldNames: [],
      eventNames: [],
      room: '',
      roomName: '',
      quietIntervalMs: 0,
    });
  });

  test('Welcome with its room', () => {
    const event = P.decodeServerMessage(welcome({ room: 'k3v9qz2a', roomName: 'default' }));
    assert.equal(event.room, 'k3v9qz2a', 'Welcome.room should decode');
    assert.equal(event.roomName, 'default', 'Welcome.room_name should decode');
    assert.equal(P.decodeServerMessage(welcome({ quietIntervalMs: 3333 })).quietIntervalMs, 3333);
  });

  test('Welcome with event names', () => {
    assert.deepEqual(P.decodeServerMessage(welcome({ eventNames: ['tagged', 'scoré'] })).eventNames, ['tagged', 'scoré']);
    assert.deepEqual(P.decodeServerMessage(welcome({ eventNames: [] })).eventNames, [], 'an empty list means no event kinds');
    const many = Array.from({ length: 40 }, (_, i) => `e${i}`);
    assert.deepEqual(P.decodeServerMessage(welcome({ fieldNames: ['color'], eventNames: many })).eventNames, many);
    const frame = welcome({ eventNames: ['tagged'] });
    const at = Buffer.from(new Uint8Array(frame)).indexOf(Buffer.from('tagged')) - 4;
    assert.equal(new DataView(frame).getUint32(at, true), 6, 'the test should find the length word of "tagged"');
    for (const length of [1000, 0x7fffffff, 0xffffffff]) {
      const forged = frame.slice(0);
      new DataView(forged).setUint32(at, length, true);
      const error = decodeOrProtocolError(forged, `an event name of length ${length}`);
      assert.ok(error instanceof P.ProtocolError, `an event name claiming ${length} bytes should be a ProtocolError`);
      assert.equal(error.bodyType, T.ServerBody.Welcome);
    }
    // The vector's length word (1) precedes the offset of the string.
    const view = new DataView(frame);
    let vectorAt = -1;
    for (let i = 0; i + 8 <= frame.byteLength; i += 4) {
      if (view.getUint32(i, true) === 1 && i + 4 + view.getUint32(i + 4, true) === at) {
        vectorAt = i;
      }
    }
    assert.ok(vectorAt >= 0, 'the test should find the length word of event_names');
    for (const count of [2, 1000, 0x7fffffff, 0xffffffff]) {
      const forged = frame.slice(0);
      new DataView(forged).setUint32(vectorAt, count, true);
      const error = decodeOrProtocolError(forged, `event_names claiming ${count} names`);
      assert.ok(error instanceof P.ProtocolError, `event_names claiming ${count} names should be a ProtocolError`);
    }
  });

  test('GameEvents', () => {
    assert.deepEqual(P.decodeServerMessage(gameEvents(4000000001, EVENTS)), {
      type: 'gameEvents',
      tick: 4000000001,
      events: EVENTS,
    });
    assert.deepEqual(P.decodeServerMessage(gameEvents(9, [])), { type: 'gameEvents', tick: 9, events: [] });
    assert.deepEqual(P.decodeServerMessage(gameEvents(9, null)), { type: 'gameEvents', tick: 9, events: [] }, 'absent events are none');
  });

  test('malformed GameEvents are ProtocolErrors that say they were GameEvents', () => {
    const frame = gameEvents(50, EVENTS);
    const view = new DataView(frame);
    // The events vector's length word (3) is followed by the first event (kind 0, pad, actor 12).
    let at = -1;
    for (let i = 0; i + 12 <= frame.byteLength; i += 4) {
      if (view.getUint32(i, true) === 3 && view.getUint16(i + 4, true) === 0 && view.getUint32(i + 8, true) === 12) {
        at = i;
      }
    }
    assert.ok(at >= 0, 'the test should find the length word of the events vector');
    for (const length of [4, 100, 0x7fffffff, 0xffffffff]) {
      const forged = frame.slice(0);
      new DataView(forged).setUint32(at, length, true);
      const error = decodeOrProtocolError(forged, `events claiming ${length} entries`);
      assert.ok(error instanceof P.ProtocolError, `events claiming ${length} entries should be a ProtocolError`);
      assert.equal(error.bodyType, T.ServerBody.GameEvents, 'the error should say the frame was GameEvents');
    }
    // The vector's offset pointing past the frame.
    const offsetAt = (() => {
      for (let i = 0; i + 4 <= frame.byteLength; i += 4) {
        if (i + view.getUint32(i, true) === at) {
          return i;
        }
      }
      return -1;
    })();
    assert.ok(offsetAt >= 0, 'the test should find the offset of the events vector');
    const moved = frame.slice(0);
    new DataView(moved).setUint32(offsetAt, frame.byteLength, true);
    const error = decodeOrProtocolError(moved, 'events past the frame');
    assert.ok(error instanceof P.ProtocolError, 'an events vector past the end of the frame should be a ProtocolError');
    let cut = 0;
    for (let length = 0; length < frame.byteLength; length++) {
      if (decodeOrProtocolError(frame.slice(0, length), `GameEvents cut to ${length} bytes`) instanceof P.ProtocolError) {
        cut++;
      }
    }
    assert.ok(cut >= frame.byteLength - 4, `GameEvents cut short should be refused (${cut} of ${frame.byteLength} were)`);
  });

  test('Welcome with field names', () => {
    assert.deepEqual(P.decodeServerMessage(welcome({ fieldNames: ['color', 'score'] })).fieldNames, ['color', 'score']);
    assert.deepEqual(P.decodeServerMessage(welcome({ fieldNames: ['a', 'bé', 'c', 'd'] })).fieldNames, ['a', 'bé', 'c', 'd']);
    assert.deepEqual(P.decodeServerMessage(welcome({ fieldNames: [] })).fieldNames, [], 'an empty list means no fields');
    const five = decodeOrProtocolError(welcome({ fieldNames: ['a', 'b', 'c', 'd', 'e'] }), 'five field names');
    assert.ok(five instanceof P.ProtocolError, 'more than 4 field names should be a ProtocolError');
    assert.match(five.message, /field_names/, 'the error should name field_names');
    assert.equal(five.bodyType, T.ServerBody.Welcome);
  });

  test('a string reaching past the end of the frame is a ProtocolError', () => {
    const frame = welcome({ fieldNames: ['score'] });
    const bytes = new Uint8Array(frame);
    // The string's length word (5) precedes its bytes 'score'.
    const at = Buffer.from(bytes).indexOf(Buffer.from('score')) - 4;
    assert.equal(new DataView(frame).getUint32(at, true), 5, 'the test should find the length word of "score"');
    for (const length of [bytes.length, 0x7fffffff, 0xffffffff]) {
      const forged = frame.slice(0);
      new DataView(forged).setUint32(at, length, true);
      const error = decodeOrProtocolError(forged, `a name of length ${length}`);
      assert.ok(error instanceof P.ProtocolError, `a field name claiming ${length} bytes should be a ProtocolError`);
    }
  });

  test('Welcome with a resume token, resumed', () => {
    const frame = welcome({ resumeToken: TOKEN, resumed: true });
    const event = P.decodeServerMessage(frame);
    assert.equal(event.resumed, true, 'resumed should decode');
    assert.ok(event.resumeToken instanceof Uint8Array, 'the resume token should be a Uint8Array');
    assert.deepEqual(Array.from(event.resumeToken), TOKEN, 'the resume token should decode byte for byte');
    new Uint8Array(frame).fill(0);
    assert.deepEqual(Array.from(event.resumeToken), TOKEN, 'the resume token should be a copy, not a view of the frame');
    assert.equal(P.decodeServerMessage(welcome({ resumeToken: TOKEN, resumed: false })).resumed, false);
    assert.equal(P.decodeServerMessage(welcome({ resumeToken: [] })).resumeToken, null, 'an empty token should decode as none');
  });

  test('full Snapshot', () => {
    const rows = [
      { id: 1, x: 84, y: -162, vx: 3, vy: -4, kind: T.ActorKind.Npc },
      { id: 700, x: 5600, y: 0, vx: 0, vy: 0, kind: T.ActorKind.Player },
      { id: 4294967295, x: -2147483648, y: 2147483647, vx: -32768, vy: 32767, kind: T.ActorKind.Npc },
    ];
    const event = P.decodeServerMessage(snapshot(rows, 100));
    assert.equal(event.type, 'snapshot');
    const s = event.snapshot;
    assert.equal(s.tick, 77);
    assert.equal(s.baselineTick, null, 'baseline_age 0 should decode as a full snapshot');
    assert.equal(s.stepsPerUnit, 100);
    assert.deepEqual(plain(s.spawned), decodedColumns(rows));
    for (const list of [s.moved.ids, s.jumped.ids, s.turned.ids, s.despawned, s.refielded.ids]) {
      assert.equal(list.length, 0, 'absent lists should decode as empty');
    }
  });

  test('full Snapshot with fields', () => {
    const rows = [
      { id: 1, x: 0, y: 0, fields: [0xe53935, 0, 0, 0] },
      { id: 2, x: 0, y: 0 },
      { id: 3, x: 0, y: 0, fields: [-1, 2147483647, -2147483648, 4] },
      { id: 4, x: 0, y: 0, fields: [0, 0, 0, 9] },
    ];
    const spec = columns(rows);
    assert.deepEqual(spec.fieldMasks, [0b0001, 0, 0b1111, 0b1000], 'the test should send one mask per actor');
    const s = P.decodeServerMessage(snapshotFrame(client, { tick: 5, spawned: spec })).snapshot;
    assert.deepEqual(plain(s.spawned), decodedColumns(rows), 'fields should expand to 4 slots per actor');
    const bare = P.decodeServerMessage(snapshot([{ id: 1, x: 1, y: 1 }])).snapshot;
    assert.deepEqual(Array.from(bare.spawned.fields), [0, 0, 0, 0], 'absent field columns mean every field is 0');
    const noMasks = { ...columns([{ id: 1, x: 1, y: 1 }]), fieldValues: [] };
    const empty = P.decodeServerMessage(snapshotFrame(client, { tick: 5, spawned: noMasks })).snapshot;
    assert.deepEqual(Array.from(empty.spawned.fields), [0, 0, 0, 0], 'empty values without masks are no fields, as in Rust');
    const zeroMasks = { ...columns([{ id: 1, x: 1, y: 1 }]), fieldMasks: [0] };
    const zero = P.decodeServerMessage(snapshotFrame(client, { tick: 5, spawned: zeroMasks })).snapshot;
    assert.deepEqual(Array.from(zero.spawned.fields), [0, 0, 0, 0], 'zero masks without values are no fields');
  });

  test('delta Snapshot', () => {
    const s = P.decodeServerMessage(delta()).snapshot;
    assert.equal(s.tick, 80);
    assert.equal(s.baselineTick, 77, 'the baseline should be tick - baseline_age');
    const wrapped = P.decodeServerMessage(snapshotFrame(client, { tick: 1, age: 3, stepsPerUnit: 8 })).snapshot;
    assert.equal(wrapped.baselineTick, 0xfffffffe, 'a baseline before the tick wrap should be 3 ticks before tick 1');
    assert.deepEqual(plain(s.spawned), decodedColumns([{ id: 300, x: -5, y: 6, vx: 7, vy: -8, kind: 1, fields: [0, 12, 0, -1] }]));
    assert.deepEqual(plain(s.refielded), {
      ids: [2, 300, 400],
      masks: [0b1111, 0b0001, 0b0100],
      values: [1, -2, 3, 0, 0xe53935, 2147483647],
    });
    assert.deepEqual(plain(s.moved), { ids: [1, 2], dx: [127, -128], dy: [0, 1] });
    assert.deepEqual(plain(s.jumped), { ids: [7], x: [2147483647], y: [-2147483648] });
    assert.deepEqual(plain(s.turned), { ids: [2, 7], vx: [32767, -32768], vy: [0, -1] });
    assert.deepEqual(Array.from(s.despawned), [5, 200]);
  });

  test('malformed snapshots are ProtocolErrors that say they were snapshots', () => {
    const cases = {
      'a zero gap': { tick: 2, age: 1, moved: { idBytes: [1, 0], dx: [1, 1], dy: [1, 1] } },
      'a cut-off varint': { tick: 2, age: 1, despawned: { idBytes: [3, 0x81] } },
      'a varint beyond 32 bits': { tick: 2, age: 1, despawned: { idBytes: [0xff, 0xff, 0xff, 0xff, 0x1f] } },
      'ids beyond 2^32 - 1': { tick: 2, age: 1, despawned: { idBytes: [0xff, 0xff, 0xff, 0xff, 0x0f, 1] } },
      'a short column': { tick: 2, age: 1, jumped: { ids: [1, 2], x: [5, 6], y: [5] } },
      'a long column': { tick: 2, age: 1, turned: { ids: [1], vx: [5], vy: [5, 6] } },
      'a missing column': { tick: 2, age: 1, moved: { ids: [1], dx: [5] } },
      'a spawned column of the wrong length': { tick: 2, spawned: { ...columns([{ id: 1, x: 1, y: 1 }]), vy: [] } },
      'an unknown actor kind': { tick: 2, spawned: columns([{ id: 1, x: 1, y: 1, kind: 2 }]) },
      'a refielded mask with a bit above slot 3': { tick: 2, age: 1, refielded: { ids: [1], masks: [0x10], values: [] } },
      'refielded values fewer than the set bits': { tick: 2, age: 1, refielded: { ids: [1], masks: [0b0110], values: [1] } },
      'refielded values more than the set bits': { tick: 2, age: 1, refielded: { ids: [1], masks: [0b0110], values: [1, 2, 3] } },
      'refielded masks not one per id': { tick: 2, age: 1, refielded: { ids: [1, 2], masks: [1], values: [1] } },
      'refielded values without ids': { tick: 2, age: 1, refielded: { values: [1] } },
      'a bad refielded id list': { tick: 2, age: 1, refielded: { idBytes: [0x81], masks: [1], values: [1] } },
      'a spawned field mask with a bit above slot 3': {
        tick: 2,
        spawned: { ...columns([{ id: 1, x: 1, y: 1 }]), fieldMasks: [0b100001], fieldValues: [1, 2] },
      },
      'spawned field values not matching the masks': { tick: 2, spawned: { ...columns([{ id: 1, x: 1, y: 1, fields: [1, 2] }]), fieldValues: [1] } },
      'spawned field masks not one per actor': { tick: 2, spawned: { ...columns([{ id: 1, x: 1, y: 1, fields: [1] }]), fieldMasks: [1, 0] } },
      'spawned field values without masks': { tick: 2, spawned: { ...columns([{ id: 1, x: 1, y: 1 }]), fieldValues: [7] } },
    };
    for (const [name, spec] of Object.entries(cases)) {
      const error = decodeOrProtocolError(snapshotFrame(client, spec), name);
      assert.ok(error instanceof P.ProtocolError, `a snapshot with ${name} should be a ProtocolError`);
      assert.equal(error.bodyType, T.ServerBody.Snapshot, `the error for ${name} should say the frame was a Snapshot`);
    }
    // The largest gap that fits, and ids up to 2^32 - 1, are fine.
    const edge = P.decodeServerMessage(snapshotFrame(client, { tick: 2, age: 1, despawned: { idBytes: [0xff, 0xff, 0xff, 0xff, 0x0f] } }));
    assert.deepEqual(Array.from(edge.snapshot.despawned), [4294967295]);
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

  test('SnapshotRate', () => {
    const cases = [
      [T.ThrottleReason.None, 2, 'none'],
      [T.ThrottleReason.Congested, 6, 'congested'],
      [T.ThrottleReason.ClientCap, 16, 'client-cap'],
    ];
    for (const [reason, everyTicks, name] of cases) {
      assert.deepEqual(
        P.decodeServerMessage(snapshotRate(everyTicks, reason)),
        { type: 'snapshotRate', everyTicks, reason: name },
        `SnapshotRate { every_ticks: ${everyTicks}, reason: ${reason} } should decode with reason '${name}'`,
      );
    }
  });

  test('InputAck', () => {
    const ack = (sequence, tick) => serverMessage(T.ServerBody.InputAck, (b) => T.InputAck.createInputAck(b, sequence, tick));
    assert.deepEqual(P.decodeServerMessage(ack(17, 4000000001)), { type: 'inputAck', sequence: 17, tick: 4000000001 });
    assert.deepEqual(P.decodeServerMessage(ack(4294967295, 0)), { type: 'inputAck', sequence: 4294967295, tick: 0 });
    const empty = serverMessage(T.ServerBody.InputAck, () => 0);
    const error = decodeOrProtocolError(empty, 'an InputAck without a body');
    assert.ok(error instanceof P.ProtocolError, 'an InputAck without a body should be a ProtocolError');
  });

  test('SnapshotRate with an unknown reason or a zero interval is a ProtocolError', () => {
    for (const reason of [3, 255]) {
      const error = decodeOrProtocolError(snapshotRate(4, reason), `reason ${reason}`);
      assert.ok(error instanceof P.ProtocolError, `SnapshotRate with reason ${reason} should be a ProtocolError`);
      assert.match(error.message, /reason/, 'the error should name the reason field');
      assert.equal(error.bodyType, T.ServerBody.SnapshotRate, 'the error should say the frame was a SnapshotRate');
    }
    const zero = decodeOrProtocolError(snapshotRate(0, T.ThrottleReason.None), 'every_ticks 0');
    assert.ok(zero instanceof P.ProtocolError, 'SnapshotRate with every_ticks 0 should be a ProtocolError');
  });

  test('settings with a zero tick rate are rejected', () => {
    const frame = serverMessage(T.ServerBody.Settings, (b) => settings(b, 0));
    assert.throws(() => P.decodeServerMessage(frame), P.ProtocolError, 'a zero tick rate should be a ProtocolError');
  });

  test('a snapshot vector claiming more entries than the frame holds is rejected', () => {
    const frame = snapshot([{ id: 1, x: 1, y: 1, kind: 0 }]);
    const bytes = new Uint8Array(frame);
    // Find each vector's length word (a 1 followed by its single element) and make it lie.
    const view = new DataView(frame);
    const s = P.decodeServerMessage(frame).snapshot;
    assert.equal(s.spawned.ids.length, 1);
    let lies = 0;
    for (let at = 0; at + 4 <= bytes.length; at += 4) {
      if (view.getUint32(at, true) !== 1) {
        continue;
      }
      const forged = frame.slice(0);
      new DataView(forged).setUint32(at, 0x7fffffff, true);
      const result = decodeOrProtocolError(forged, `length word at ${at} forged`);
      if (result instanceof P.ProtocolError) {
        lies++;
      }
    }
    assert.ok(lies >= 6, `forging each column's length should be a ProtocolError (${lies} were)`);
  });

  test('every truncation of every message fails cleanly or decodes', () => {
    const frames = {
      welcome: welcome(),
      resumedWelcome: welcome({ resumeToken: TOKEN, resumed: true }),
      fieldsWelcome: welcome({ fieldNames: ['color', 'score'] }),
      eventsWelcome: welcome({ fieldNames: ['color'], eventNames: ['tagged', 'left'] }),
      gameEvents: gameEvents(50, EVENTS),
      snapshot: snapshot([{ id: 1, x: 1, y: 2, kind: 0 }, { id: 2, x: 3, y: 4, kind: 1 }]),
      fieldsSnapshot: snapshot([{ id: 1, x: 1, y: 2, kind: 0, fields: [0xe53935, 3] }, { id: 2, x: 3, y: 4, kind: 1 }]),
      delta: delta(),
      disconnect: serverMessage(T.ServerBody.Disconnect, (b) => T.Disconnect.createDisconnect(b, 1001, b.createString('bye'))),
      snapshotRate: snapshotRate(16, T.ThrottleReason.ClientCap),
      inputAck: serverMessage(T.ServerBody.InputAck, (b) => T.InputAck.createInputAck(b, 17, 400)),
    };
    for (const [name, frame] of Object.entries(frames)) {
      for (let length = 0; length < frame.byteLength; length++) {
        decodeOrProtocolError(frame.slice(0, length), `${name} cut to ${length} bytes`);
      }
    }
  });

  test('random and corrupted frames fail with ProtocolError only', () => {
    const next = seeded(12345);
    const valid = [
      welcome(),
      welcome({ resumeToken: TOKEN, resumed: true }),
      welcome({ fieldNames: ['color', 'score'] }),
      welcome({ eventNames: ['tagged'] }),
      gameEvents(50, EVENTS),
      snapshot([{ id: 1, x: 1, y: 2, kind: 0 }]),
      snapshot([{ id: 1, x: 1, y: 2, kind: 0, fields: [0, 5, 0, 1] }]),
      delta(),
      snapshotRate(8, T.ThrottleReason.Congested),
    ];
    for (let round = 0; round < 5000; round++) {
      let bytes;
      if (round % 2 === 0) {
        bytes = new Uint8Array(Math.floor(next() * 96));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      } else {
        bytes = new Uint8Array(valid[Math.floor(next() * valid.length)].slice(0));
        for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) {
          bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
        }
      }
      decodeOrProtocolError(bytes.buffer, `frame ${round} (${Buffer.from(bytes).toString('hex')})`);
    }
  });
});
