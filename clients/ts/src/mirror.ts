// Mirror: the client's exact copy of the replicated world, as integer columns sorted
// by network id (positions in steps, velocities in steps per second, FIELD_SLOTS
// gameplay field values per actor), and the
// application of full and delta snapshots to it. It follows the server's
// `WorldState::apply` (protocol/src/delta.rs) rule for rule, so it reconstructs the
// server's state bit for bit. Applying is atomic: the next state is built aside and
// only swapped in when the whole snapshot fits, so a refused snapshot leaves the
// mirror exactly as it was. States are never modified once built, so holding on to
// an old one (as src/world.ts does to interpolate) is safe.

import { emptyColumns, FIELD_SLOTS, maskedValueCount, type SnapshotData } from './snapshot';

/** The replicated world at one tick. Treat as immutable. */
export interface MirrorState {
  /** The tick this state is from (0: nothing applied yet). */
  readonly tick: number;
  /** Position steps per world unit. */
  readonly stepsPerUnit: number;
  /** Network ids, strictly ascending; row i of every column is actor ids[i]. */
  readonly ids: Uint32Array;
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly vx: Int16Array;
  readonly vy: Int16Array;
  /** ActorKind values. */
  readonly kinds: Uint8Array;
  /** Gameplay fields, FIELD_SLOTS per actor: row r's slot i is `fields[r * FIELD_SLOTS + i]`. */
  readonly fields: Int32Array;
}

export type ApplyResult =
  | {
      ok: true;
      /** Whether the snapshot was full (the mirror was replaced). */
      full: boolean;
      /** Ids of actors a delta spawned (new actors, even when an id is reused). */
      spawned: Uint32Array;
    }
  | { ok: false; reason: string };

/** A state with no actors at `tick`. */
export function emptyState(tick = 0, stepsPerUnit = 0): MirrorState {
  return { tick, stepsPerUnit, ...emptyColumns() };
}

/** Row index of actor `id` in `state`, searching from row `from` on; -1 if absent. */
export function indexOf(state: MirrorState, id: number, from = 0): number {
  let low = from;
  let high = state.ids.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = state.ids[middle];
    if (found === id) {
      return middle;
    }
    if (found < id) {
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return -1;
}

/** The FIELD_SLOTS gameplay field values of row `row` of `state` (a view: do not modify). */
export function fieldsAt(state: MirrorState, row: number): Int32Array {
  return state.fields.subarray(row * FIELD_SLOTS, (row + 1) * FIELD_SLOTS);
}

/** The first id of `ids` not greater than the one before it, or null if strictly ascending. */
function unsorted(ids: Uint32Array): number | null {
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] <= ids[i - 1]) {
      return ids[i];
    }
  }
  return null;
}

/** Columns being filled row by row, with room for `capacity` rows. */
class StateBuilder {
  private rows = 0;
  private readonly ids: Uint32Array;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  private readonly vx: Int16Array;
  private readonly vy: Int16Array;
  private readonly kinds: Uint8Array;
  private readonly fields: Int32Array;

  constructor(capacity: number) {
    this.ids = new Uint32Array(capacity);
    this.x = new Int32Array(capacity);
    this.y = new Int32Array(capacity);
    this.vx = new Int16Array(capacity);
    this.vy = new Int16Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.fields = new Int32Array(capacity * FIELD_SLOTS);
  }

  /** Appends row `row` of `from`; the caller keeps ids ascending. */
  push(from: MirrorState | SnapshotData['spawned'], row: number): void {
    const at = this.rows++;
    this.ids[at] = from.ids[row];
    this.x[at] = from.x[row];
    this.y[at] = from.y[row];
    this.vx[at] = from.vx[row];
    this.vy[at] = from.vy[row];
    this.kinds[at] = from.kinds[row];
    this.fields.set(from.fields.subarray(row * FIELD_SLOTS, (row + 1) * FIELD_SLOTS), at * FIELD_SLOTS);
  }

  finish(tick: number, stepsPerUnit: number): MirrorState {
    const rows = this.rows;
    return {
      tick,
      stepsPerUnit,
      ids: this.ids.subarray(0, rows),
      x: this.x.subarray(0, rows),
      y: this.y.subarray(0, rows),
      vx: this.vx.subarray(0, rows),
      vy: this.vy.subarray(0, rows),
      kinds: this.kinds.subarray(0, rows),
      fields: this.fields.subarray(0, rows * FIELD_SLOTS),
    };
  }
}

/**
 * Walks a strictly ascending list of changed ids alongside the state's ids, calling
 * `change(row, k)` for the k-th changed id found at `row`; returns why it cannot
 * (an id out of order or not in the state), or null when every change applied.
 */
function applyChanges(state: MirrorState, ids: Uint32Array, change: (row: number, k: number) => void): string | null {
  let from = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (k > 0 && id <= ids[k - 1]) {
      return `an id list in the snapshot is not strictly ascending at ${id}`;
    }
    const row = indexOf(state, id, from);
    if (row < 0) {
      return `delta refers to actor ${id}, which the mirror does not hold`;
    }
    from = row;
    change(row, k);
  }
  return null;
}

/**
 * The state after applying a delta to `held`: remove `despawned`, add `spawned`, then
 * apply `moved`, `jumped`, `turned` and `refielded`. Returns why not when the delta
 * does not fit.
 */
function merged(held: MirrorState, snapshot: SnapshotData): MirrorState | string {
  const { spawned, despawned } = snapshot;
  const disorder = unsorted(despawned) ?? unsorted(spawned.ids);
  if (disorder !== null) {
    return `an id list in the snapshot is not strictly ascending at ${disorder}`;
  }
  const builder = new StateBuilder(held.ids.length + spawned.ids.length);
  let s = 0; // next spawned row
  let d = 0; // next despawned id
  for (let row = 0; row < held.ids.length; row++) {
    const id = held.ids[row];
    while (s < spawned.ids.length && spawned.ids[s] < id) {
      builder.push(spawned, s++);
    }
    if (d < despawned.length && despawned[d] === id) {
      d++;
      // Removed; the same id may come back as a new actor right here.
      if (s < spawned.ids.length && spawned.ids[s] === id) {
        builder.push(spawned, s++);
      }
      continue;
    }
    if (s < spawned.ids.length && spawned.ids[s] === id) {
      return `delta spawns actor ${id}, which the mirror already holds`;
    }
    if (d < despawned.length && despawned[d] < id) {
      return `delta refers to actor ${despawned[d]}, which the mirror does not hold`;
    }
    builder.push(held, row);
  }
  if (d < despawned.length) {
    return `delta refers to actor ${despawned[d]}, which the mirror does not hold`;
  }
  while (s < spawned.ids.length) {
    builder.push(spawned, s++);
  }
  const next = builder.finish(snapshot.tick, snapshot.stepsPerUnit);

  // `next` is private to this call until returned, so its columns may still change.
  const { x, y, vx, vy, fields } = next;
  const { moved, jumped, turned, refielded } = snapshot;
  let value = 0; // next refielded value
  return (
    applyChanges(next, moved.ids, (row, k) => {
      // Int32Array stores wrap like the server's `wrapping_add`.
      x[row] = x[row] + moved.dx[k];
      y[row] = y[row] + moved.dy[k];
    }) ??
    applyChanges(next, jumped.ids, (row, k) => {
      x[row] = jumped.x[k];
      y[row] = jumped.y[k];
    }) ??
    applyChanges(next, turned.ids, (row, k) => {
      vx[row] = turned.vx[k];
      vy[row] = turned.vy[k];
    }) ??
    applyChanges(next, refielded.ids, (row, k) => {
      const mask = refielded.masks[k];
      for (let slot = 0; slot < FIELD_SLOTS; slot++) {
        if ((mask & (1 << slot)) !== 0) {
          fields[row * FIELD_SLOTS + slot] = refielded.values[value++];
        }
      }
    }) ??
    next
  );
}

/**
 * Checks that a decoded snapshot's columns have one entry per id, FIELD_SLOTS fields
 * per spawned actor, and as many refielded values as its masks (valid ones) call for.
 */
function columnsMatch(snapshot: SnapshotData): boolean {
  const { spawned: c, moved, jumped, turned, refielded } = snapshot;
  const n = c.ids.length;
  return (
    c.fields.length === n * FIELD_SLOTS &&
    refielded.masks.length === refielded.ids.length &&
    maskedValueCount(refielded.masks) === refielded.values.length &&
    c.x.length === n &&
    c.y.length === n &&
    c.vx.length === n &&
    c.vy.length === n &&
    c.kinds.length === n &&
    moved.dx.length === moved.ids.length &&
    moved.dy.length === moved.ids.length &&
    jumped.x.length === jumped.ids.length &&
    jumped.y.length === jumped.ids.length &&
    turned.vx.length === turned.ids.length &&
    turned.vy.length === turned.ids.length
  );
}

export class Mirror {
  private current: MirrorState = emptyState();

  /** The state held now; replaced (never modified) by every successful apply. */
  get state(): MirrorState {
    return this.current;
  }

  /** The tick of the state held (0: nothing applied yet). */
  get tick(): number {
    return this.current.tick;
  }

  /** Number of actors held. */
  get size(): number {
    return this.current.ids.length;
  }

  /**
   * Applies a full snapshot (replacing everything) or a delta against the state held.
   * On failure the mirror is unchanged and the result says why.
   */
  apply(snapshot: SnapshotData): ApplyResult {
    if (!columnsMatch(snapshot)) {
      return { ok: false, reason: 'a column does not have one entry per id (or per set field mask bit)' };
    }
    if (snapshot.baselineTick === null) {
      const disorder = unsorted(snapshot.spawned.ids);
      if (disorder !== null) {
        return { ok: false, reason: `an id list in the snapshot is not strictly ascending at ${disorder}` };
      }
      const builder = new StateBuilder(snapshot.spawned.ids.length);
      for (let row = 0; row < snapshot.spawned.ids.length; row++) {
        builder.push(snapshot.spawned, row);
      }
      this.current = builder.finish(snapshot.tick, snapshot.stepsPerUnit);
      return { ok: true, full: true, spawned: this.current.ids };
    }
    const held = this.current;
    if (snapshot.baselineTick !== held.tick) {
      return { ok: false, reason: `delta is against tick ${snapshot.baselineTick}, but the mirror holds tick ${held.tick}` };
    }
    if (snapshot.stepsPerUnit !== held.stepsPerUnit) {
      return { ok: false, reason: `delta uses ${snapshot.stepsPerUnit} steps per unit, the mirror ${held.stepsPerUnit}` };
    }
    const next = merged(held, snapshot);
    if (typeof next === 'string') {
      return { ok: false, reason: next };
    }
    this.current = next;
    return { ok: true, full: false, spawned: snapshot.spawned.ids };
  }

  /** Forgets everything (a new session). */
  reset(): void {
    this.current = emptyState();
  }
}
