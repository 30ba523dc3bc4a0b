// Test support (not a test itself): loads the package's real modules (src/*.ts with
// the generated code and flatbuffers, bundled by esbuild) into Node, and builds
// server frames for tests, including deliberately malformed snapshots.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/** Bundles `lines` (an ES module's export statements) resolved from `dir` and imports the result. */
export async function bundleAndImport(lines, dir) {
  const result = await build({
    stdin: { contents: lines.join('\n'), resolveDir: dir, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** What loadClient() exports, as ES module lines resolved from src/. */
export const PACKAGE_EXPORTS = [
  "export * as P from './protocol';",
  "export * as mirror from './mirror';",
  "export { Replication } from './replication';",
  "export { World } from './world';",
  "export { Connection } from './connection';",
  "export * as rate from './rate';",
  "export * as reconnect from './reconnect';",
  "export * as closeCodes from './close-codes';",
  "export * as closeTable from './close-table';",
  "export { Session, SILENCE_MS } from './session';",
  "export * as fields from './fields';",
  "export * as events from './events';",
  "export * as prediction from './prediction';",
  "export * as tick from './tick';",
  "export * as matchmaker from './matchmaker';",
  "export * as meter from './meter';",
  "export * as timeline from './timeline';",
  "export * as pkg from './index';",
  "export * as T from './generated/tickwire';",
  "export { Builder, ByteBuffer } from 'flatbuffers';",
];

/**
 * The package's modules, bundled and imported: `P` (protocol.ts), `mirror`,
 * `Replication`, `World`, `Connection`, `rate`, `reconnect`, `closeCodes`, `closeTable`,
 * `Session` and `SILENCE_MS`, `fields`, `events`, `prediction`, `tick`, `matchmaker`,
 * `meter`, `timeline`, `pkg` (the public index), `T` (generated code), `Builder` and
 * `ByteBuffer`.
 */
export async function loadClient() {
  return bundleAndImport(PACKAGE_EXPORTS, srcDir);
}

/** Game settings as the client holds them (30 Hz, a snapshot every 2 ticks, 100 ms delay, 1 step per unit). */
export const SETTINGS = {
  tickRateHz: 30,
  broadcastEvery: 2,
  inputEvery: 2,
  movementSpeed: 120,
  smoothing: 0,
  interpolationDelayMs: 100,
  positionStepsPerUnit: 1,
};

/** Ascending ids as LEB128 varint gaps (the first from 0), written independently of the client. */
export function gapBytes(ids) {
  const bytes = [];
  let previous = 0;
  for (const id of ids) {
    let gap = id - previous;
    previous = id;
    while (gap >= 0x80) {
      bytes.push((gap % 0x80) | 0x80);
      gap = Math.floor(gap / 0x80);
    }
    bytes.push(gap);
  }
  return bytes;
}

/** Gameplay field slots per actor. */
export const FIELD_SLOTS = 4;

/**
 * Per-actor field values (arrays of up to FIELD_SLOTS numbers, missing ones 0) as the
 * wire's sparse form: one mask per actor (bit i: slot i is non-zero) and the non-zero
 * values, actor by actor, lowest slot first.
 */
export function sparseFields(perActor) {
  const masks = [];
  const values = [];
  for (const fields of perActor) {
    let mask = 0;
    for (let slot = 0; slot < FIELD_SLOTS; slot++) {
      const value = fields?.[slot] ?? 0;
      if (value !== 0) {
        mask |= 1 << slot;
        values.push(value);
      }
    }
    masks.push(mask);
  }
  return { masks, values };
}

/** The id, position, velocity and kind columns of `rows`, missing values as 0. */
function positionColumns(rows) {
  return {
    ids: rows.map((row) => row.id),
    x: rows.map((row) => row.x),
    y: rows.map((row) => row.y),
    vx: rows.map((row) => row.vx ?? 0),
    vy: rows.map((row) => row.vy ?? 0),
    kinds: rows.map((row) => row.kind ?? 0),
  };
}

/**
 * Rows `{ id, x, y, vx, vy, kind, fields }` as ActorColumns data for `snapshotFrame`;
 * `fieldMasks` and `fieldValues` only when some row has a non-zero field, as the server
 * sends them.
 */
export function columns(rows) {
  const data = positionColumns(rows);
  const { masks, values } = sparseFields(rows.map((row) => row.fields));
  if (values.length > 0) {
    data.fieldMasks = masks;
    data.fieldValues = values;
  }
  return data;
}

/** The decoded (client) shape of `columns(rows)`: every column, and FIELD_SLOTS fields per actor. */
export function decodedColumns(rows) {
  return {
    ...positionColumns(rows),
    fields: rows.flatMap((row) => Array.from({ length: FIELD_SLOTS }, (_, slot) => row.fields?.[slot] ?? 0)),
  };
}

/**
 * A ServerMessage frame (an ArrayBuffer) holding a Snapshot, built with the generated
 * builders. `spec`: { tick, age = 0, stepsPerUnit = 8, spawned, moved, jumped, turned,
 * despawned, refielded }, where each list is an object of columns: `{ ids, x, y, vx,
 * vy, kinds, fieldMasks, fieldValues }`, `{ ids, dx, dy }`, `{ ids, x, y }`, `{ ids,
 * vx, vy }`, `{ ids }`, `{ ids, masks, values }`. An id list may be given as raw bytes
 * (`idBytes`) instead, to forge malformed ones; an absent list or column is left out of
 * the message.
 */
export function snapshotFrame({ T, Builder }, spec) {
  const b = new Builder(256);
  const S = T.Snapshot;
  const ids = (list) => (list.idBytes !== undefined || list.ids !== undefined ? list.idBytes ?? gapBytes(list.ids) : undefined);
  const vector = (data, create) => (data === undefined ? 0 : create.call(S, b, data));
  let spawned = 0;
  if (spec.spawned !== undefined) {
    const c = spec.spawned;
    const A = T.ActorColumns;
    const offsets = [
      vector(ids(c), A.createIdsVector),
      vector(c.x, A.createXVector),
      vector(c.y, A.createYVector),
      vector(c.vx, A.createVxVector),
      vector(c.vy, A.createVyVector),
      vector(c.kinds, A.createKindsVector),
      vector(c.fieldMasks, A.createFieldMasksVector),
      vector(c.fieldValues, A.createFieldValuesVector),
    ];
    A.startActorColumns(b);
    const adders = [A.addIds, A.addX, A.addY, A.addVx, A.addVy, A.addKinds, A.addFieldMasks, A.addFieldValues];
    offsets.forEach((offset, i) => offset && adders[i].call(A, b, offset));
    spawned = A.endActorColumns(b);
  }
  const { moved = {}, jumped = {}, turned = {}, despawned = {}, refielded = {} } = spec;
  const fields = [
    [S.addMovedIds, vector(ids(moved), S.createMovedIdsVector)],
    [S.addMovedDx, vector(moved.dx, S.createMovedDxVector)],
    [S.addMovedDy, vector(moved.dy, S.createMovedDyVector)],
    [S.addJumpedIds, vector(ids(jumped), S.createJumpedIdsVector)],
    [S.addJumpedX, vector(jumped.x, S.createJumpedXVector)],
    [S.addJumpedY, vector(jumped.y, S.createJumpedYVector)],
    [S.addTurnedIds, vector(ids(turned), S.createTurnedIdsVector)],
    [S.addTurnedVx, vector(turned.vx, S.createTurnedVxVector)],
    [S.addTurnedVy, vector(turned.vy, S.createTurnedVyVector)],
    [S.addDespawnedIds, vector(ids(despawned), S.createDespawnedIdsVector)],
    [S.addRefieldedIds, vector(ids(refielded), S.createRefieldedIdsVector)],
    [S.addRefieldedMasks, vector(refielded.masks, S.createRefieldedMasksVector)],
    [S.addRefieldedValues, vector(refielded.values, S.createRefieldedValuesVector)],
  ];
  S.startSnapshot(b);
  S.addTick(b, spec.tick);
  S.addBaselineAge(b, spec.age ?? 0);
  S.addStepsPerUnit(b, spec.stepsPerUnit ?? 8);
  if (spawned) {
    S.addSpawned(b, spawned);
  }
  for (const [add, offset] of fields) {
    if (offset) {
      add.call(S, b, offset);
    }
  }
  const body = S.endSnapshot(b);
  b.finish(T.ServerMessage.createServerMessage(b, T.ServerBody.Snapshot, body));
  return b.asUint8Array().slice().buffer;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), for repeatable tests. */
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One encoded ServerMessage of `type`, its body built by `buildBody(builder)`. */
export function serverFrame({ T, Builder }, type, buildBody) {
  const b = new Builder(128);
  const body = buildBody(b);
  b.finish(T.ServerMessage.createServerMessage(b, type, body));
  return b.asUint8Array().slice().buffer;
}
