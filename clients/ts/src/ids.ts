// Gap-coded id lists: every id list in a snapshot is ascending and stored as LEB128
// varint gaps (the first id is the gap from 0, each next one the gap from the one
// before). Decoding is strict, as on the server (protocol/src/id_list.rs): a zero
// gap, a cut-off varint or an id beyond u32 makes the whole list malformed.

/** The largest network id (u32). */
const MAX_ID = 0xffff_ffff;

/**
 * Decodes `count` bytes, read one at a time through `byte(i)`, into ascending ids.
 * Returns the ids, or a sentence saying why the list is malformed.
 */
export function readIds(count: number, byte: (index: number) => number): Uint32Array | string {
  const ids: number[] = [];
  let previous = 0;
  let gap = 0;
  let shift = 0;
  for (let i = 0; i < count; i++) {
    const value = byte(i);
    const bits = value & 0x7f;
    // A u32 gap has at most 5 groups of 7 bits, the last holding 4.
    if (shift > 28 || (shift === 28 && bits > 0x0f)) {
      return `varint at byte ${i} does not fit in 32 bits`;
    }
    gap += bits * 2 ** shift;
    if ((value & 0x80) !== 0) {
      shift += 7;
      continue;
    }
    if (gap === 0) {
      return `zero gap at byte ${i} (ids must be strictly ascending)`;
    }
    previous += gap;
    if (previous > MAX_ID) {
      return `id at byte ${i} exceeds 2^32 - 1`;
    }
    ids.push(previous);
    gap = 0;
    shift = 0;
  }
  if (shift !== 0) {
    return 'the last varint is cut off';
  }
  return Uint32Array.from(ids);
}
