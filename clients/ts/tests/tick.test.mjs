// Unit test, in Node, of tick arithmetic (src/tick.ts): ticks are u32 serial numbers
// that wrap from 0xFFFFFFFF to 0, compared as RFC 1982 says and as the server does
// (`is_after(a, b)` iff `a != b && (a - b) mod 2^32 < 2^31`), checked at the wrap.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClient } from './client.mjs';

let tick;

before(async () => {
  ({ tick } = await loadClient());
});

const MAX = 0xffff_ffff;
const HALF = 0x8000_0000;

describe('ticks', () => {
  test('a tick is after the one before it, across the wrap', () => {
    for (const [a, b] of [[1, 0], [0, MAX], [5, MAX - 5], [HALF - 1, 0], [HALF, 1], [0, HALF + 1]]) {
      assert.equal(tick.isAfter(a, b), true, `${a} should come after ${b}`);
      assert.equal(tick.isAfter(b, a), false, `${b} should not come after ${a}`);
    }
  });

  test('a tick is not after itself, and half the space away is after neither way', () => {
    for (const t of [0, 1, HALF, MAX]) {
      assert.equal(tick.isAfter(t, t), false, `${t} should not come after itself`);
    }
    assert.equal(tick.isAfter(HALF, 0), false, '2^31 ahead is ambiguous: not after');
    assert.equal(tick.isAfter(0, HALF), false, '2^31 behind is ambiguous: not after');
  });

  test('distances and sums wrap', () => {
    assert.equal(tick.ticksBetween(0, MAX), 1, '0 should be one tick past 0xFFFFFFFF');
    assert.equal(tick.ticksBetween(MAX, 0), -1, '0xFFFFFFFF should be one tick before 0');
    assert.equal(tick.ticksBetween(20, MAX - 9), 30);
    assert.equal(tick.ticksBetween(40, 10), 30);
    assert.equal(tick.addTicks(MAX, 1), 0, 'one past 0xFFFFFFFF should be 0');
    assert.equal(tick.addTicks(1, -3), MAX - 1, 'three before 1 should be 0xFFFFFFFE');
    assert.equal(tick.addTicks(10, -2), 8);
  });
});
