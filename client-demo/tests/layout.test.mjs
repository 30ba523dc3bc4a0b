// Unit tests of the arena layout (src/layout.ts): the arena is drawn clear of the HUD
// when the centred arena would be under it (below the HUD in a narrow portrait window,
// right of it in a landscape one), stays centred where the HUD is not in the way, and
// falls back to centred when the window is too small for anything better.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClient } from './client.mjs';

let layout;
before(async () => {
  ({ layout } = await loadClient());
});

const SQUARE = { x: 1000, y: 1000 };
/** About the HUD's box in the page: fixed 12 px from the top-left corner. */
const HUD = { left: 12, top: 12, width: 240, height: 300 };

/** Asserts `actual` is the placement `expected` (left, top, width, height, scale) to within float error. */
function assertPlacement(actual, expected, message) {
  for (const key of ['left', 'top', 'width', 'height', 'scale']) {
    assert.ok(
      Math.abs(actual[key] - expected[key]) < 1e-9,
      `${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)} (${key} differs)`,
    );
  }
}

/** Asserts the placement lies within the view, at least the margin from every edge. */
function assertInsideView(placement, view) {
  const margin = layout.MARGIN_PX;
  assert.ok(placement.left >= margin - 1e-9 && placement.top >= margin - 1e-9, `the arena should keep the margin: ${JSON.stringify(placement)}`);
  assert.ok(placement.left + placement.width <= view.width - margin + 1e-9, `the arena should fit the view's width: ${JSON.stringify(placement)}`);
  assert.ok(placement.top + placement.height <= view.height - margin + 1e-9, `the arena should fit the view's height: ${JSON.stringify(placement)}`);
}

describe('arena layout', () => {
  test('a narrow portrait window puts the arena below the HUD, clear of it', () => {
    const view = { width: 420, height: 800 };
    const placed = layout.placeArena(view, SQUARE, HUD);
    assert.equal(layout.intersects(layout.fitArena({ left: 0, top: 0, ...view }, SQUARE), HUD), true, 'the centred arena would be under the HUD');
    assert.equal(layout.intersects(placed, HUD), false, `the arena should not be under the HUD: ${JSON.stringify(placed)}`);
    assert.ok(placed.top >= HUD.top + HUD.height + layout.MARGIN_PX - 1e-9, 'the arena should be below the HUD, with the margin');
    // The region below the HUD: 420 x 488 from y 312, so 372 x 372 centred in it.
    assertPlacement(placed, { left: 24, top: 370, width: 372, height: 372, scale: 0.372 }, 'below the HUD');
    assertInsideView(placed, view);
  });

  test('a landscape window where the HUD is in the way puts the arena right of it', () => {
    const view = { width: 1024, height: 700 };
    const placed = layout.placeArena(view, SQUARE, HUD);
    assert.equal(layout.intersects(placed, HUD), false, `the arena should not be under the HUD: ${JSON.stringify(placed)}`);
    // The region right of the HUD: 772 x 700 from x 252, so 652 x 652 centred in it.
    assertPlacement(placed, { left: 312, top: 24, width: 652, height: 652, scale: 0.652 }, 'right of the HUD');
    assertInsideView(placed, view);
  });

  test('the arena keeps its aspect ratio in a free region', () => {
    const view = { width: 420, height: 800 };
    const wide = { x: 1000, y: 250 };
    const placed = layout.placeArena(view, wide, HUD);
    assert.equal(layout.intersects(placed, HUD), false, `the arena should not be under the HUD: ${JSON.stringify(placed)}`);
    assert.ok(Math.abs(placed.width / placed.height - 4) < 1e-9, `a 4:1 arena should be drawn 4:1: ${JSON.stringify(placed)}`);
    assertInsideView(placed, view);
  });

  test('a wide window keeps the arena centred, as without a HUD', () => {
    const view = { width: 1600, height: 900 };
    const placed = layout.placeArena(view, SQUARE, HUD);
    assertPlacement(placed, { left: 374, top: 24, width: 852, height: 852, scale: 0.852 }, 'centred');
    assertPlacement(placed, layout.placeArena(view, SQUARE, null), 'the same as without a HUD');
    assert.equal(layout.intersects(placed, HUD), false, 'the centred arena is clear of the HUD');
  });

  test('a tiny window leaves no usable region: the arena stays centred under the HUD', () => {
    for (const view of [{ width: 300, height: 330 }, { width: 200, height: 150 }]) {
      const placed = layout.placeArena(view, SQUARE, HUD);
      assertPlacement(placed, layout.placeArena(view, SQUARE, null), `${view.width} x ${view.height} should fall back to centred`);
      assert.equal(layout.intersects(placed, HUD), true, 'the arena stays under the HUD: nothing better fits');
    }
  });

  test('rectangles that only share an edge do not intersect', () => {
    const a = { left: 0, top: 0, width: 10, height: 10 };
    assert.equal(layout.intersects(a, { left: 10, top: 0, width: 5, height: 5 }), false);
    assert.equal(layout.intersects(a, { left: 0, top: 10, width: 5, height: 5 }), false);
    assert.equal(layout.intersects(a, { left: 9, top: 9, width: 5, height: 5 }), true);
    assert.equal(layout.intersects(a, { left: 2, top: 2, width: 0, height: 0 }), false, 'an empty rectangle covers nothing');
  });
});
