// Snapshot decoding: a Snapshot table (full or delta) to plain typed columns. Every
// id list is gap-decoded and every column checked to hold exactly one entry per id,
// and actor kinds must be known, as the server's decoder demands
// (protocol/src/decode.rs); anything else is a ProtocolError. Whether the snapshot
// fits the mirror is the mirror's business (src/mirror.ts).

import { ActorKind, type ActorColumns, type Snapshot } from './generated/tickwire';
import { ProtocolError } from './frame';
import { readIds } from './ids';

/** Actors in full, row i of every column being one actor; ids ascending. */
export interface ActorColumnsData {
  ids: Uint32Array;
  /** Position in steps. */
  x: Int32Array;
  y: Int32Array;
  /** Velocity in steps per second. */
  vx: Int16Array;
  vy: Int16Array;
  kinds: Uint8Array;
}

/** A decoded Snapshot; a delta when `baselineTick` is not null. Absent lists are empty. */
export interface SnapshotData {
  tick: number;
  /**
   * null: a full snapshot (`spawned` holds every actor). Otherwise the tick of the state
   * this delta applies to (`tick - baseline_age` on the wire).
   */
  baselineTick: number | null;
  stepsPerUnit: number;
  spawned: ActorColumnsData;
  /** position += (dx, dy) */
  moved: { ids: Uint32Array; dx: Int8Array; dy: Int8Array };
  /** new position */
  jumped: { ids: Uint32Array; x: Int32Array; y: Int32Array };
  /** new velocity */
  turned: { ids: Uint32Array; vx: Int16Array; vy: Int16Array };
  despawned: Uint32Array;
}

type Column = Int8Array | Uint8Array | Int16Array | Int32Array;

/**
 * Reads one vector through its generated accessor into a fresh typed array, after
 * checking it has `rows` entries and that they can fit in the frame at all (so a lying
 * length fails before anything is allocated). Each read is bounds-checked besides.
 */
function column<T extends Column>(
  what: string,
  length: number,
  rows: number,
  frameSize: number,
  make: { new (length: number): T; readonly BYTES_PER_ELEMENT: number },
  read: (index: number) => number | null,
): T {
  if (length !== rows) {
    throw new ProtocolError(`${what} has ${length} entries for ${rows} ids`);
  }
  if (length * make.BYTES_PER_ELEMENT > frameSize) {
    throw new ProtocolError(`${what} claims ${length} entries, more than the ${frameSize}-byte frame holds`);
  }
  const values = new make(length);
  for (let i = 0; i < length; i++) {
    values[i] = read(i) ?? 0;
  }
  return values;
}

/** Reads a gap-coded id list of `length` bytes. */
function idList(what: string, length: number, frameSize: number, read: (index: number) => number | null): Uint32Array {
  if (length > frameSize) {
    throw new ProtocolError(`${what} claims ${length} bytes, more than the ${frameSize}-byte frame holds`);
  }
  const ids = readIds(length, (index) => read(index) ?? 0);
  if (typeof ids === 'string') {
    throw new ProtocolError(`${what} is malformed: ${ids}`);
  }
  return ids;
}

/** Columns with no actors. */
export function emptyColumns(): ActorColumnsData {
  return {
    ids: new Uint32Array(0),
    x: new Int32Array(0),
    y: new Int32Array(0),
    vx: new Int16Array(0),
    vy: new Int16Array(0),
    kinds: new Uint8Array(0),
  };
}

function readColumns(columns: ActorColumns | null, frameSize: number): ActorColumnsData {
  if (columns === null) {
    return emptyColumns();
  }
  const ids = idList('ActorColumns.ids', columns.idsLength(), frameSize, (i) => columns.ids(i));
  const rows = ids.length;
  const kinds = column('ActorColumns.kinds', columns.kindsLength(), rows, frameSize, Uint8Array, (i) => columns.kinds(i));
  for (const kind of kinds) {
    if (kind !== ActorKind.Npc && kind !== ActorKind.Player) {
      throw new ProtocolError(`ActorColumns.kinds has unknown value ${kind}`);
    }
  }
  return {
    ids,
    x: column('ActorColumns.x', columns.xLength(), rows, frameSize, Int32Array, (i) => columns.x(i)),
    y: column('ActorColumns.y', columns.yLength(), rows, frameSize, Int32Array, (i) => columns.y(i)),
    vx: column('ActorColumns.vx', columns.vxLength(), rows, frameSize, Int16Array, (i) => columns.vx(i)),
    vy: column('ActorColumns.vy', columns.vyLength(), rows, frameSize, Int16Array, (i) => columns.vy(i)),
    kinds,
  };
}

/** Decodes a Snapshot table of a `frameSize`-byte frame; throws ProtocolError if malformed. */
export function readSnapshot(snapshot: Snapshot, frameSize: number): SnapshotData {
  const s = snapshot;
  const movedIds = idList('Snapshot.moved_ids', s.movedIdsLength(), frameSize, (i) => s.movedIds(i));
  const jumpedIds = idList('Snapshot.jumped_ids', s.jumpedIdsLength(), frameSize, (i) => s.jumpedIds(i));
  const turnedIds = idList('Snapshot.turned_ids', s.turnedIdsLength(), frameSize, (i) => s.turnedIds(i));
  const tick = s.tick();
  const age = s.baselineAge();
  if (age > tick) {
    throw new ProtocolError(`snapshot baseline is older than tick 0 (tick ${tick}, baseline_age ${age})`);
  }
  return {
    tick,
    baselineTick: age === 0 ? null : tick - age,
    stepsPerUnit: s.stepsPerUnit(),
    spawned: readColumns(s.spawned(), frameSize),
    moved: {
      ids: movedIds,
      dx: column('Snapshot.moved_dx', s.movedDxLength(), movedIds.length, frameSize, Int8Array, (i) => s.movedDx(i)),
      dy: column('Snapshot.moved_dy', s.movedDyLength(), movedIds.length, frameSize, Int8Array, (i) => s.movedDy(i)),
    },
    jumped: {
      ids: jumpedIds,
      x: column('Snapshot.jumped_x', s.jumpedXLength(), jumpedIds.length, frameSize, Int32Array, (i) => s.jumpedX(i)),
      y: column('Snapshot.jumped_y', s.jumpedYLength(), jumpedIds.length, frameSize, Int32Array, (i) => s.jumpedY(i)),
    },
    turned: {
      ids: turnedIds,
      vx: column('Snapshot.turned_vx', s.turnedVxLength(), turnedIds.length, frameSize, Int16Array, (i) => s.turnedVx(i)),
      vy: column('Snapshot.turned_vy', s.turnedVyLength(), turnedIds.length, frameSize, Int16Array, (i) => s.turnedVy(i)),
    },
    despawned: idList('Snapshot.despawned_ids', s.despawnedIdsLength(), frameSize, (i) => s.despawnedIds(i)),
  };
}
