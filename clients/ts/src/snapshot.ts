// Snapshot decoding: a Snapshot table (full or delta) to plain typed columns. Every
// id list is gap-decoded and every column checked to hold exactly one entry per id,
// and actor kinds must be known, as the server's decoder demands
// (protocol/src/decode.rs); anything else is a ProtocolError. Gameplay fields travel
// sparse (a mask of the slots present per actor, then their values, lowest slot
// first): a mask must name only the FIELD_SLOTS slots and the values must be exactly
// as many as the masks' set bits. Spawned actors' fields are expanded to FIELD_SLOTS
// values per actor; refielded ones stay sparse for the mirror to apply. Whether the
// snapshot fits the mirror is the mirror's business (src/mirror.ts).

import type * as flatbuffers from 'flatbuffers';
import { ActorKind, type ActorColumns, type Snapshot } from './generated/tickwire';
import { ProtocolError } from './frame';
import { readIds } from './ids';
import { addTicks } from './tick';

/** Gameplay field slots per actor (i32 each, 0 by default). */
export const FIELD_SLOTS = 4;
/** The mask bits of the FIELD_SLOTS slots; any other bit makes a mask malformed. */
export const SLOT_MASK = (1 << FIELD_SLOTS) - 1;

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
  /** Gameplay fields, FIELD_SLOTS per actor: actor row r's slot i is `fields[r * FIELD_SLOTS + i]`. */
  fields: Int32Array;
}

/**
 * Actors whose gameplay fields changed: per actor, a mask of the slots that changed
 * (bit i: slot i), and their new values, actor by actor, lowest slot first.
 */
export interface RefieldedData {
  ids: Uint32Array;
  masks: Uint8Array;
  /** As many as the masks' set bits in all. */
  values: Int32Array;
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
  /** new gameplay field values */
  refielded: RefieldedData;
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
    fields: new Int32Array(0),
  };
}

/** The number of set bits in `mask`. */
export function slotCount(mask: number): number {
  let count = 0;
  for (let bits = mask; bits !== 0; bits &= bits - 1) {
    count++;
  }
  return count;
}

/** How many values `masks` call for in all, or why they are malformed. */
export function maskedValueCount(masks: Uint8Array): number | string {
  let count = 0;
  for (let k = 0; k < masks.length; k++) {
    const mask = masks[k];
    if ((mask & ~SLOT_MASK) !== 0) {
      return `mask ${mask} at ${k} sets a bit above slot ${FIELD_SLOTS - 1}`;
    }
    count += slotCount(mask);
  }
  return count;
}

/** Reads a mask column of one entry per id (`rows`) and the values column the masks call for. */
function maskedValues(
  what: { masks: string; values: string },
  masksLength: number,
  valuesLength: number,
  rows: number,
  frameSize: number,
  readMask: (index: number) => number | null,
  readValue: (index: number) => number | null,
): { masks: Uint8Array; values: Int32Array } {
  const masks = column(what.masks, masksLength, rows, frameSize, Uint8Array, readMask);
  const count = maskedValueCount(masks);
  if (typeof count === 'string') {
    throw new ProtocolError(`${what.masks} is malformed: ${count}`);
  }
  if (valuesLength !== count) {
    throw new ProtocolError(`${what.values} has ${valuesLength} entries for ${count} set mask bits`);
  }
  const values = column(what.values, valuesLength, count, frameSize, Int32Array, readValue);
  return { masks, values };
}

/** `rows` actors' fields, FIELD_SLOTS each, from masks and the values they call for. */
function expandFields(rows: number, masks: Uint8Array, values: Int32Array): Int32Array {
  const fields = new Int32Array(rows * FIELD_SLOTS);
  let v = 0;
  for (let row = 0; row < masks.length; row++) {
    for (let slot = 0; slot < FIELD_SLOTS; slot++) {
      if ((masks[row] & (1 << slot)) !== 0) {
        fields[row * FIELD_SLOTS + slot] = values[v++];
      }
    }
  }
  return fields;
}

/**
 * Whether field number `field` (in schema order) of a table is on the wire at all: the
 * generated accessors read an absent vector as an empty one.
 */
function hasField(table: { bb: flatbuffers.ByteBuffer | null; bb_pos: number }, field: number): boolean {
  return table.bb !== null && table.bb.__offset(table.bb_pos, 4 + 2 * field) !== 0;
}

/** Schema field number of ActorColumns.field_masks. */
const FIELD_MASKS = 6;

/**
 * The spawned actors' fields: no masks and no values (no actor has a non-zero field),
 * or one mask per actor (an empty column is no exception) and exactly the values the
 * masks call for.
 */
function readSpawnedFields(columns: ActorColumns, rows: number, frameSize: number): Int32Array {
  if (!hasField(columns, FIELD_MASKS)) {
    if (columns.fieldValuesLength() !== 0) {
      throw new ProtocolError('ActorColumns.field_values has values but ActorColumns.field_masks is absent');
    }
    return new Int32Array(rows * FIELD_SLOTS);
  }
  const { masks, values } = maskedValues(
    { masks: 'ActorColumns.field_masks', values: 'ActorColumns.field_values' },
    columns.fieldMasksLength(),
    columns.fieldValuesLength(),
    rows,
    frameSize,
    (i) => columns.fieldMasks(i),
    (i) => columns.fieldValues(i),
  );
  return expandFields(rows, masks, values);
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
    fields: readSpawnedFields(columns, rows, frameSize),
  };
}

/** Decodes a Snapshot table of a `frameSize`-byte frame; throws ProtocolError if malformed. */
export function readSnapshot(snapshot: Snapshot, frameSize: number): SnapshotData {
  const s = snapshot;
  const movedIds = idList('Snapshot.moved_ids', s.movedIdsLength(), frameSize, (i) => s.movedIds(i));
  const jumpedIds = idList('Snapshot.jumped_ids', s.jumpedIdsLength(), frameSize, (i) => s.jumpedIds(i));
  const turnedIds = idList('Snapshot.turned_ids', s.turnedIdsLength(), frameSize, (i) => s.turnedIds(i));
  const refieldedIds = idList('Snapshot.refielded_ids', s.refieldedIdsLength(), frameSize, (i) => s.refieldedIds(i));
  const tick = s.tick();
  const age = s.baselineAge();
  return {
    tick,
    baselineTick: age === 0 ? null : addTicks(tick, -age),
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
    refielded: {
      ids: refieldedIds,
      ...maskedValues(
        { masks: 'Snapshot.refielded_masks', values: 'Snapshot.refielded_values' },
        s.refieldedMasksLength(),
        s.refieldedValuesLength(),
        refieldedIds.length,
        frameSize,
        (i) => s.refieldedMasks(i),
        (i) => s.refieldedValues(i),
      ),
    },
  };
}
