// Delta snapshots, checked across languages: frames the Rust protocol crate encoded
// (protocol/examples/delta_fixtures.rs), decoded and applied by the client's real
// code (src/protocol.ts, src/mirror.ts), must rebuild exactly the state the Rust
// `WorldState` holds, and be refused, leaving the mirror untouched, where Rust refuses
// them; fixtures whose `expect` carries `fields` (one [f0, f1, f2, f3] per actor, in id
// order) are checked for the gameplay fields too. Hand-made snapshots check spawned and
// refielded fields; hand-made malformed and misfitting snapshots must leave the mirror
// untouched too, and the resync policy (src/replication.ts) must ask for a full
// snapshot once.
//
// Env: TICKWIRE_DELTA_FIXTURES (default ../../target/delta-fixtures.json, relative to
// clients/ts), written by:
//   cargo run -q -p tickwire-protocol --example delta_fixtures -- target/delta-fixtures.json

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIELD_SLOTS, columns, loadClient, snapshotFrame } from './client.mjs';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixturesPath = path.resolve(packageDir, process.env.TICKWIRE_DELTA_FIXTURES ?? '../../target/delta-fixtures.json');
const FIXTURES_COMMAND =
  'cargo run -q -p tickwire-protocol --example delta_fixtures -- target/delta-fixtures.json (from the repository root)';

let client;

before(async () => {
  client = await loadClient();
});

/** The mirror's state as plain arrays, in the fixtures' shape (`fields`: one array of FIELD_SLOTS per actor). */
function plainState(state) {
  const fields = Array.from(state.fields);
  return {
    tick: state.tick,
    stepsPerUnit: state.stepsPerUnit,
    ids: Array.from(state.ids),
    x: Array.from(state.x),
    y: Array.from(state.y),
    vx: Array.from(state.vx),
    vy: Array.from(state.vy),
    kinds: Array.from(state.kinds),
    fields: Array.from({ length: state.ids.length }, (_, row) => fields.slice(row * FIELD_SLOTS, (row + 1) * FIELD_SLOTS)),
  };
}

/** `plainState(state)` without `fields` when `expect` has none (fixtures from before gameplay fields). */
function comparable(state, expect) {
  const plain = plainState(state);
  if (!('fields' in expect)) {
    delete plain.fields;
  }
  return plain;
}

/** Decodes one frame with the client's decoder and applies it: { ok, reason }. */
function applyFrame(mirror, frame) {
  let event;
  try {
    event = client.P.decodeServerMessage(frame);
  } catch (error) {
    assert.ok(error instanceof client.P.ProtocolError, `a bad frame should be a ProtocolError, not ${error}`);
    return { ok: false, reason: `decode: ${error.message}` };
  }
  assert.equal(event.type, 'snapshot', 'every fixture frame should be a Snapshot');
  return mirror.apply(event.snapshot);
}

function hexFrame(hex) {
  return Uint8Array.from(Buffer.from(hex, 'hex')).buffer;
}

/** Applies `frame` to `mirror`, which must refuse it and stay exactly as it was. */
function assertRefused(mirror, frame, label) {
  const before = mirror.state;
  const snapshotBefore = plainState(before);
  const result = applyFrame(mirror, frame);
  assert.equal(result.ok, false, `${label} should be refused`);
  assert.equal(typeof result.reason, 'string', `${label}: a refusal should say why`);
  assert.equal(mirror.state, before, `${label}: the mirror should keep its state object`);
  assert.deepEqual(plainState(mirror.state), snapshotBefore, `${label}: the mirror should be untouched`);
  return result.reason;
}

function assertApplied(mirror, frame, label) {
  const result = applyFrame(mirror, frame);
  assert.ok(result.ok, `${label} should apply, but: ${result.reason}`);
}

describe('delta snapshots from the Rust encoder', () => {
  test('every fixture case rebuilds the Rust state exactly, or is refused where Rust refuses', (t) => {
    assert.ok(
      existsSync(fixturesPath),
      `the delta fixtures should exist at ${fixturesPath}; generate them with: ${FIXTURES_COMMAND} ` +
        '(or point TICKWIRE_DELTA_FIXTURES at them)',
    );
    const { cases } = JSON.parse(readFileSync(fixturesPath, 'utf8'));
    assert.ok(Array.isArray(cases) && cases.length > 0, `${fixturesPath} should hold a non-empty "cases" list`);
    let applied = 0;
    let refused = 0;
    let withFields = 0;
    let nonZeroFields = 0;
    for (const { name, steps } of cases) {
      const mirror = new client.mirror.Mirror();
      steps.forEach(({ frame, expect }, index) => {
        const label = `${name}, step ${index}`;
        if (expect === null) {
          assertRefused(mirror, hexFrame(frame), label);
          refused++;
        } else {
          assertApplied(mirror, hexFrame(frame), label);
          assert.deepEqual(comparable(mirror.state, expect), expect, `${label}: the mirror should equal the Rust state`);
          applied++;
          if ('fields' in expect) {
            withFields++;
            nonZeroFields += expect.fields.flat().filter((value) => value !== 0).length;
          }
        }
      });
    }
    t.diagnostic(
      `${cases.length} cases: ${applied} snapshots applied, ${refused} refused; ` +
        (withFields > 0
          ? `${withFields} states compared with their fields (${nonZeroFields} non-zero field values)`
          : 'the fixtures carry no gameplay fields (fields not compared)'),
    );
    assert.ok(applied > 0 && refused > 0, 'the fixtures should hold both snapshots to apply and ones to refuse');
  });
});

describe('hand-made snapshots', () => {
  const ROWS = [
    { id: 1, x: 10, y: 20, vx: 1, vy: 2, kind: 0 },
    { id: 5, x: -30, y: 40, vx: 0, vy: 0, kind: 1 },
    { id: 130, x: 2147483600, y: -2147483600, vx: 0, vy: 0, kind: 0 },
  ];
  const frame = (spec) => snapshotFrame(client, spec);

  /** A mirror holding ROWS at tick 10, 8 steps per unit. */
  function held() {
    const mirror = new client.mirror.Mirror();
    assertApplied(mirror, frame({ tick: 10, stepsPerUnit: 8, spawned: columns(ROWS) }), 'the full snapshot');
    return mirror;
  }

  test('a delta despawns, spawns (reusing an id), moves with wrap-around, jumps and turns', () => {
    const mirror = held();
    const delta = frame({
      tick: 12,
      age: 2,
      despawned: { ids: [5] },
      spawned: columns([
        { id: 3, x: 0, y: 0, vx: 0, vy: 0, kind: 1 },
        { id: 5, x: 7, y: 8, vx: 9, vy: 10, kind: 0 },
        { id: 200, x: 1, y: 2, vx: 3, vy: 4, kind: 1 },
      ]),
      moved: { ids: [1, 130], dx: [-128, 127], dy: [127, -128] },
      jumped: { ids: [3], x: [-99999], y: [99999] },
      turned: { ids: [1, 200], vx: [-32768, 0], vy: [32767, 0] },
    });
    assertApplied(mirror, delta, 'the delta');
    assert.deepEqual(plainState(mirror.state), {
      tick: 12,
      stepsPerUnit: 8,
      ids: [1, 3, 5, 130, 200],
      x: [-118, -99999, 7, -2147483569, 1],
      y: [147, 99999, 8, 2147483568, 2],
      vx: [-32768, 0, 9, 0, 0],
      vy: [32767, 0, 10, 0, 0],
      kinds: [0, 1, 0, 0, 1],
      fields: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    });
  });

  test('a full snapshot carries every actor\'s fields; a delta spawns with fields and refields, after every other change', () => {
    const mirror = new client.mirror.Mirror();
    const rows = [
      { id: 1, x: 0, y: 0, fields: [0, 3, 0, -7] },
      { id: 2, x: 0, y: 0 },
      { id: 9, x: 0, y: 0, fields: [0xe53935, 0, 2147483647, -2147483648] },
    ];
    assertApplied(mirror, frame({ tick: 10, spawned: columns(rows) }), 'the full snapshot with fields');
    assert.deepEqual(plainState(mirror.state).fields, [[0, 3, 0, -7], [0, 0, 0, 0], [0xe53935, 0, 2147483647, -2147483648]]);

    const delta = frame({
      tick: 11,
      age: 1,
      despawned: { ids: [2] },
      // Id 2 comes back as a new actor with fields of its own; id 4 is new.
      spawned: columns([
        { id: 2, x: 5, y: 5, fields: [0, 0, 1, 0] },
        { id: 4, x: 6, y: 6 },
      ]),
      moved: { ids: [1], dx: [1], dy: [1] },
      // Slot 1 of actor 1 back to 0, slot 0 set; actor 2 (just spawned) and 4 refielded too;
      // actor 9's slot 3 rewritten with the same value.
      refielded: { ids: [1, 2, 4, 9], masks: [0b0011, 0b0100, 0b1000, 0b1000], values: [0x123456, 0, 42, 5, -2147483648] },
    });
    assertApplied(mirror, delta, 'the delta with spawned and refielded fields');
    assert.deepEqual(plainState(mirror.state), {
      tick: 11,
      stepsPerUnit: 8,
      ids: [1, 2, 4, 9],
      x: [1, 5, 6, 0],
      y: [1, 5, 6, 0],
      vx: [0, 0, 0, 0],
      vy: [0, 0, 0, 0],
      kinds: [0, 0, 0, 0],
      fields: [[0x123456, 0, 0, -7], [0, 0, 42, 0], [0, 0, 0, 5], [0xe53935, 0, 2147483647, -2147483648]],
    });
    // A state once built never changes: the earlier one handed out is still as it was.
    const before = mirror.state;
    assertApplied(mirror, frame({ tick: 12, age: 1, refielded: { ids: [9], masks: [0b0001], values: [0] } }), 'a refield to 0');
    assert.deepEqual(plainState(mirror.state).fields[3], [0, 0, 2147483647, -2147483648]);
    assert.deepEqual(plainState(before).fields[3], [0xe53935, 0, 2147483647, -2147483648], 'the earlier state should be unchanged');
    // A full snapshot without field columns: every field is 0.
    assertApplied(mirror, frame({ tick: 13, spawned: columns([{ id: 9, x: 0, y: 0 }]) }), 'a full snapshot without fields');
    assert.deepEqual(plainState(mirror.state).fields, [[0, 0, 0, 0]]);
  });

  test('a full snapshot replaces everything, whatever was held', () => {
    const mirror = held();
    assertApplied(mirror, frame({ tick: 3, stepsPerUnit: 100, spawned: columns([{ id: 9, x: 1, y: 1 }]) }), 'a full snapshot');
    assert.deepEqual(plainState(mirror.state).ids, [9]);
    assert.equal(mirror.tick, 3);
    assert.equal(mirror.state.stepsPerUnit, 100);
  });

  test('the mirror itself refuses decoded snapshots whose field columns do not match', () => {
    const decode = (spec) => client.P.decodeServerMessage(frame(spec)).snapshot;
    const good = () => decode({ tick: 11, age: 1, refielded: { ids: [1], masks: [0b0011], values: [4, 5] } });
    const cases = {
      'a refielded value missing': (s) => ({ ...s, refielded: { ...s.refielded, values: s.refielded.values.subarray(0, 1) } }),
      'a refielded mask with a bit above slot 3': (s) => ({ ...s, refielded: { ...s.refielded, masks: Uint8Array.of(0b10011) } }),
      'a refielded mask missing': (s) => ({ ...s, refielded: { ...s.refielded, masks: new Uint8Array(0) } }),
      'spawned fields not FIELD_SLOTS per actor': (s) => ({
        ...s,
        spawned: { ...decode({ tick: 11, spawned: columns([{ id: 2, x: 0, y: 0 }]) }).spawned, fields: new Int32Array(3) },
      }),
    };
    for (const [name, forge] of Object.entries(cases)) {
      const mirror = held();
      const before = mirror.state;
      const result = mirror.apply(forge(good()));
      assert.equal(result.ok, false, `${name} should be refused`);
      assert.equal(mirror.state, before, `${name}: the mirror should keep its state`);
    }
    const mirror = held();
    assert.ok(mirror.apply(good()).ok, 'the unforged snapshot should apply');
    assert.deepEqual(plainState(mirror.state).fields[0], [4, 5, 0, 0]);
  });

  const refusals = {
    'a zero gap': { tick: 11, age: 1, moved: { idBytes: [1, 0], dx: [1, 1], dy: [1, 1] } },
    'a zero first gap (id 0)': { tick: 11, age: 1, despawned: { idBytes: [0] } },
    'a truncated varint': { tick: 11, age: 1, despawned: { idBytes: [1, 0x84] } },
    'a column length mismatch': { tick: 11, age: 1, moved: { ids: [1, 5], dx: [1, 1], dy: [1] } },
    'a spawned column length mismatch': { tick: 11, age: 1, spawned: { ...columns([{ id: 2, x: 0, y: 0 }]), kinds: [] } },
    'a despawn of an unknown id': { tick: 11, age: 1, despawned: { ids: [4] } },
    'a despawn of an id past the last': { tick: 11, age: 1, despawned: { ids: [1, 131] } },
    'a move of an unknown id': { tick: 11, age: 1, moved: { ids: [2], dx: [1], dy: [1] } },
    'a move of an actor despawned in the same delta': { tick: 11, age: 1, despawned: { ids: [5] }, moved: { ids: [5], dx: [1], dy: [1] } },
    'a jump of an unknown id': { tick: 11, age: 1, jumped: { ids: [131], x: [0], y: [0] } },
    'a turn of an unknown id (after valid spawns, moves and despawns)': {
      tick: 11,
      age: 1,
      despawned: { ids: [5] },
      spawned: columns([{ id: 6, x: 0, y: 0 }]),
      moved: { ids: [1], dx: [1], dy: [1] },
      turned: { ids: [1, 7], vx: [1, 1], vy: [1, 1] },
    },
    'a spawn of an id already held': { tick: 11, age: 1, spawned: columns([{ id: 5, x: 0, y: 0 }]) },
    'a baseline the mirror does not hold': { tick: 11, age: 2, moved: { ids: [1], dx: [1], dy: [1] } },
    'a delta against tick 0': { tick: 11, age: 11 },
    'another quantisation': { tick: 11, age: 1, stepsPerUnit: 16 },
    'a baseline before tick 0': { tick: 11, age: 12 },
    'an unknown actor kind': { tick: 11, age: 1, spawned: columns([{ id: 2, x: 0, y: 0, kind: 7 }]) },
    'a refielded mask with a bit above slot 3': { tick: 11, age: 1, refielded: { ids: [1], masks: [0b10001], values: [1, 2] } },
    'a spawned field mask with a bit above slot 3': {
      tick: 11,
      age: 1,
      spawned: { ...columns([{ id: 2, x: 0, y: 0 }]), fieldMasks: [0x80], fieldValues: [1] },
    },
    'refielded values fewer than the masks\' set bits': { tick: 11, age: 1, refielded: { ids: [1, 5], masks: [0b0011, 0b0001], values: [1, 2] } },
    'refielded values more than the masks\' set bits': { tick: 11, age: 1, refielded: { ids: [1], masks: [0b0001], values: [1, 2] } },
    'refielded values without masks': { tick: 11, age: 1, refielded: { ids: [1], values: [1] } },
    'refielded masks fewer than the ids': { tick: 11, age: 1, refielded: { ids: [1, 5], masks: [1], values: [1] } },
    'spawned field values fewer than the masks\' set bits': {
      tick: 11,
      age: 1,
      spawned: { ...columns([{ id: 2, x: 0, y: 0, fields: [1, 2] }]), fieldValues: [1] },
    },
    'spawned field values more than the masks\' set bits': {
      tick: 11,
      age: 1,
      spawned: { ...columns([{ id: 2, x: 0, y: 0, fields: [1] }]), fieldValues: [1, 2] },
    },
    'spawned field masks not one per actor': {
      tick: 11,
      age: 1,
      spawned: { ...columns([{ id: 2, x: 0, y: 0, fields: [1] }, { id: 3, x: 0, y: 0 }]), fieldMasks: [1] },
    },
    'spawned field masks present but empty': { tick: 11, age: 1, spawned: { ...columns([{ id: 2, x: 0, y: 0 }]), fieldMasks: [], fieldValues: [] } },
    'spawned field values without masks': { tick: 11, age: 1, spawned: { ...columns([{ id: 2, x: 0, y: 0 }]), fieldValues: [1] } },
    'a refield of an unknown id': { tick: 11, age: 1, refielded: { ids: [2], masks: [1], values: [1] } },
    'a refield of an id past the last': { tick: 11, age: 1, refielded: { ids: [1, 131], masks: [1, 1], values: [1, 1] } },
    'a refield of an actor despawned in the same delta': {
      tick: 11,
      age: 1,
      despawned: { ids: [5] },
      refielded: { ids: [5], masks: [1], values: [1] },
    },
    'a refielded id list with a zero gap': { tick: 11, age: 1, refielded: { idBytes: [1, 0], masks: [1, 1], values: [1, 1] } },
    'a refield of an unknown id after valid spawns, moves, turns and refields': {
      tick: 11,
      age: 1,
      spawned: columns([{ id: 6, x: 0, y: 0, fields: [9] }]),
      moved: { ids: [1], dx: [1], dy: [1] },
      turned: { ids: [5], vx: [1], vy: [1] },
      refielded: { ids: [1, 6, 7], masks: [1, 2, 1], values: [1, 2, 3] },
    },
  };
  for (const [name, spec] of Object.entries(refusals)) {
    test(`${name} is refused and the mirror is untouched`, (t) => {
      const mirror = held();
      const reason = assertRefused(mirror, frame({ stepsPerUnit: 8, ...spec }), name);
      t.diagnostic(reason);
      // The mirror still takes the next good delta.
      assertApplied(mirror, frame({ tick: 12, age: 2, stepsPerUnit: 8, moved: { ids: [1], dx: [1], dy: [0] } }), 'a good delta after');
      assert.equal(mirror.state.x[0], 11);
    });
  }
});

describe('resync policy', () => {
  const full = (tick) => client.P.decodeServerMessage(snapshotFrame(client, { tick, spawned: columns([{ id: 1, x: 0, y: 0 }]) })).snapshot;
  const delta = (tick, age) =>
    client.P.decodeServerMessage(snapshotFrame(client, { tick, age, moved: { ids: [1], dx: [1], dy: [1] } })).snapshot;

  test('one FullSnapshotRequest per loss of sync; deltas ignored until a full snapshot', () => {
    const replication = new client.Replication();
    assert.equal(replication.ackTick, 0, 'nothing applied: ack 0');
    assert.equal(replication.receive(delta(4, 2)).outcome, 'failed', 'a delta before any full snapshot cannot apply');
    assert.equal(replication.applyErrors, 1);

    const first = replication.receive(full(5));
    assert.equal(first.outcome, 'applied');
    assert.equal(replication.ackTick, 5);
    assert.equal(replication.receive(delta(6, 1)).outcome, 'applied');
    assert.equal(replication.ackTick, 6);

    const lost = replication.receive(delta(8, 1)); // against tick 7, which never came
    assert.equal(lost.outcome, 'failed');
    assert.equal(lost.requestFull, true, 'the first failure should ask for a full snapshot');
    assert.equal(replication.applyErrors, 2);
    assert.equal(replication.ackTick, 6, 'the ack stays at the last snapshot applied');
    assert.equal(replication.receive(delta(9, 3)).outcome, 'skipped', 'deltas should be ignored while waiting, even fitting ones');
    const garbled = replication.fail('bad frame');
    assert.equal(garbled.requestFull, false, 'no second request while waiting');
    assert.equal(replication.applyErrors, 3);
    assert.equal(replication.mirror.tick, 6, 'the old mirror stays meanwhile');

    assert.equal(replication.receive(full(10)).outcome, 'applied');
    assert.equal(replication.ackTick, 10);
    assert.equal(replication.receive(delta(11, 1)).outcome, 'applied', 'deltas apply again after the full snapshot');
    const again = replication.receive(delta(13, 1));
    assert.equal(again.requestFull, true, 'a new loss of sync asks again');
  });
});
