// Test support (not a test itself): loads the client's real modules (src/*.ts with
// the generated code and flatbuffers, bundled by esbuild) into Node, and builds
// server frames for tests, including deliberately malformed snapshots.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * The client's modules, bundled and imported: `P` (protocol.ts), `mirror` (mirror.ts),
 * `Replication` (replication.ts), `World` (world.ts), `Connection` (connection.ts),
 * `rate` (rate.ts), `reconnect` (reconnect.ts), `closeCodes` (close-codes.ts),
 * `Session` and `SILENCE_MS` (session.ts), `address` (address.ts), `T` (generated
 * code), `Builder` and `ByteBuffer`.
 */
export async function loadClient() {
  const result = await build({
    stdin: {
      contents: [
        "export * as P from './protocol';",
        "export * as mirror from './mirror';",
        "export { Replication } from './replication';",
        "export { World } from './world';",
        "export { Connection } from './connection';",
        "export * as rate from './rate';",
        "export * as reconnect from './reconnect';",
        "export * as closeCodes from './close-codes';",
        "export { Session, SILENCE_MS } from './session';",
        "export * as address from './address';",
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
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

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

/** Rows `{ id, x, y, vx, vy, kind }` as ActorColumns data for `snapshotFrame`. */
export function columns(rows) {
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
 * A ServerMessage frame (an ArrayBuffer) holding a Snapshot, built with the generated
 * builders. `spec`: { tick, age = 0, stepsPerUnit = 8, spawned, moved, jumped, turned,
 * despawned }, where each list is an object of columns: `{ ids, x, y, vx, vy, kinds }`,
 * `{ ids, dx, dy }`, `{ ids, x, y }`, `{ ids, vx, vy }`, `{ ids }`. An id list may be
 * given as raw bytes (`idBytes`) instead, to forge malformed ones; an absent list or
 * column is left out of the message.
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
    ];
    A.startActorColumns(b);
    const adders = [A.addIds, A.addX, A.addY, A.addVx, A.addVy, A.addKinds];
    offsets.forEach((offset, i) => offset && adders[i].call(A, b, offset));
    spawned = A.endActorColumns(b);
  }
  const { moved = {}, jumped = {}, turned = {}, despawned = {} } = spec;
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
