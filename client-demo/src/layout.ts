// Arena layout: where the renderer draws the arena on the canvas. The arena is scaled
// to fit (keeping its aspect ratio, with a margin all round) and centred in the
// window. When the HUD would cover part of it, the arena moves into the larger free
// region instead: right of the HUD (full height) or below it (full width). When
// neither leaves room for a usable arena (a tiny window), it stays centred under the
// HUD. Pure maths in CSS pixels, with no DOM, so that Node tests can check it.

import type { Vec } from '@tickwire/client';

/** An axis-aligned rectangle, in CSS pixels. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The canvas's size, in CSS pixels. */
export interface Size {
  width: number;
  height: number;
}

/** Where the arena is drawn: its rectangle, and `scale` CSS pixels per world unit. */
export interface ArenaPlacement extends Rect {
  scale: number;
}

/** Space kept free around the arena, in CSS pixels. */
export const MARGIN_PX = 24;

/**
 * The shortest side, in CSS pixels, of an arena worth moving beside or below the HUD;
 * a smaller one stays centred under it instead.
 */
export const MIN_ARENA_SIDE_PX = 80;

/**
 * Where to draw an arena of `arena` world units on a canvas of `view`, clear of the
 * HUD's rectangle `hud` (null: no HUD) when there is room for that.
 */
export function placeArena(view: Size, arena: Vec, hud: Rect | null): ArenaPlacement {
  const centred = fitArena({ left: 0, top: 0, width: view.width, height: view.height }, arena);
  if (hud === null || !intersects(centred, hud)) {
    return centred;
  }
  const usable = regionsBeside(view, hud)
    .map((region) => fitArena(region, arena))
    .filter((placement) => Math.min(placement.width, placement.height) >= MIN_ARENA_SIDE_PX);
  return largest(usable) ?? centred;
}

/** The arena scaled to fit `region` less MARGIN_PX on every side, and centred in it. */
export function fitArena(region: Rect, arena: Vec): ArenaPlacement {
  const scale = Math.max(
    0,
    Math.min((region.width - 2 * MARGIN_PX) / arena.x, (region.height - 2 * MARGIN_PX) / arena.y),
  );
  const width = arena.x * scale;
  const height = arena.y * scale;
  return {
    left: region.left + (region.width - width) / 2,
    top: region.top + (region.height - height) / 2,
    width,
    height,
    scale,
  };
}

/** Whether `a` and `b` share some area (sharing only an edge, or an empty rectangle, is none). */
export function intersects(a: Rect, b: Rect): boolean {
  const overlapX = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const overlapY = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return overlapX > 0 && overlapY > 0;
}

/**
 * The parts of `view` the HUD leaves free: right of it (full height) and below it (full
 * width). A region is empty, or of negative size, when the HUD reaches the view's edge.
 */
function regionsBeside(view: Size, hud: Rect): Rect[] {
  const hudRight = hud.left + hud.width;
  const hudBottom = hud.top + hud.height;
  return [
    { left: hudRight, top: 0, width: view.width - hudRight, height: view.height },
    { left: 0, top: hudBottom, width: view.width, height: view.height - hudBottom },
  ];
}

/** The placement with the largest arena (the first of equals); undefined for none. */
function largest(placements: readonly ArenaPlacement[]): ArenaPlacement | undefined {
  return placements.reduce<ArenaPlacement | undefined>(
    (best, placement) => (best === undefined || placement.scale > best.scale ? placement : best),
    undefined,
  );
}
