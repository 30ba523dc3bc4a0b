// Canvas rendering: the arena scaled to fit the window (keeping its aspect ratio), clear
// of the HUD where there is room for that (src/layout.ts), and every actor as a circle:
// NPCs, other players and the own actor (highlighted with a ring) each in their own
// colour. Gameplay fields follow src/fields.ts: a non-zero `color` field fills the actor
// with that colour (the own actor keeps its ring), other non-zero fields are a small
// label under it. Actors at a wall are drawn inside the arena, touching the wall.

import { ActorKind, fieldLook, type RenderActor, type Vec } from '@tickwire/client';
import { placeArena, type ArenaPlacement, type Rect } from './layout';

export const COLORS = {
  background: '#0b0e13',
  arena: '#141a22',
  grid: '#1c2430',
  border: '#5b6b80',
  npc: '#3fb6a8',
  player: '#e0457b',
  /** The own actor; tests look for exactly this colour on the canvas. */
  own: '#ffd400',
  /** Field labels under actors. */
  label: '#c9d1d9',
} as const;

const LABEL_FONT = '11px system-ui, sans-serif';

/** Grid lines per arena side, roughly. */
const GRID_LINES = 10;

/** `value` within [low, high] (the middle when the range is empty). */
function inside(value: number, low: number, high: number): number {
  return low > high ? (low + high) / 2 : Math.min(high, Math.max(low, value));
}

export class Renderer {
  private readonly context: CanvasRenderingContext2D;
  private widthPx = 0;
  private heightPx = 0;
  /** The HUD's rectangle on the canvas, which the arena keeps clear of; null: no HUD. */
  private hud: Rect | null = null;
  /** Where the last draw put the arena; null when it drew none. */
  private placement: ArenaPlacement | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const context = canvas.getContext('2d', { alpha: false });
    if (context === null) {
      throw new Error('this browser has no 2D canvas');
    }
    this.context = context;
    this.resize();
  }

  /** Matches the canvas's backing store to its CSS size and the device pixel ratio. */
  resize(): void {
    const ratio = window.devicePixelRatio || 1;
    this.widthPx = this.canvas.clientWidth;
    this.heightPx = this.canvas.clientHeight;
    this.canvas.width = Math.max(1, Math.round(this.widthPx * ratio));
    this.canvas.height = Math.max(1, Math.round(this.heightPx * ratio));
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  /**
   * Tells the renderer where the HUD covers the canvas (CSS pixels; null: nowhere), so
   * that the next draws lay the arena out clear of it.
   */
  setHudRect(hud: Rect | null): void {
    this.hud = hud;
  }

  /** Where the last draw put the arena, in CSS pixels; null when it drew none. */
  get arenaPlacement(): ArenaPlacement | null {
    return this.placement;
  }

  /** @param fieldNames the game's gameplay field names, by slot (Welcome.field_names). */
  draw(arena: Vec | null, actors: readonly RenderActor[], fieldNames: readonly string[] = []): void {
    const ctx = this.context;
    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, this.widthPx, this.heightPx);
    if (arena === null) {
      this.placement = null;
      return;
    }

    this.placement = placeArena({ width: this.widthPx, height: this.heightPx }, arena, this.hud);
    const { left, top, width, height, scale } = this.placement;

    ctx.fillStyle = COLORS.arena;
    ctx.fillRect(left, top, width, height);
    this.drawGrid(arena, left, top, scale);
    ctx.strokeStyle = COLORS.border;
    ctx.lineWidth = 2;
    ctx.strokeRect(left - 1, top - 1, width + 2, height + 2);

    const radius = Math.min(14, Math.max(5, Math.min(width, height) / 80));
    const labels: { x: number; y: number; text: string }[] = [];
    for (const actor of actors) {
      // An actor at the wall is drawn touching it from inside, never across the border.
      const reach = actor.own ? radius + 7 : radius + 1;
      const x = inside(left + actor.x * scale, left + reach, left + width - reach);
      const y = inside(top + actor.y * scale, top + reach, top + height - reach);
      const look = fieldLook(fieldNames, actor.fields);
      if (actor.own) {
        this.circle(x, y, radius + 1, look.fill ?? COLORS.own);
        ctx.strokeStyle = COLORS.own;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, radius + 6, 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        this.circle(x, y, radius, look.fill ?? (actor.kind === ActorKind.Player ? COLORS.player : COLORS.npc));
      }
      if (look.label !== '') {
        labels.push({ x, y: y + radius + (actor.own ? 9 : 3), text: look.label });
      }
    }
    // Labels last, so that no actor covers one.
    if (labels.length > 0) {
      ctx.font = LABEL_FONT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillStyle = COLORS.label;
      for (const label of labels) {
        ctx.fillText(label.text, label.x, label.y);
      }
    }
  }

  private drawGrid(arena: Vec, left: number, top: number, scale: number): void {
    const step = niceStep(Math.max(arena.x, arena.y) / GRID_LINES);
    const ctx = this.context;
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = step; x < arena.x; x += step) {
      const px = Math.round(left + x * scale) + 0.5;
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + arena.y * scale);
    }
    for (let y = step; y < arena.y; y += step) {
      const py = Math.round(top + y * scale) + 0.5;
      ctx.moveTo(left, py);
      ctx.lineTo(left + arena.x * scale, py);
    }
    ctx.stroke();
  }

  private circle(x: number, y: number, radius: number, color: string): void {
    const ctx = this.context;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** The 1, 2 or 5 times a power of ten nearest above `raw`. */
function niceStep(raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= raw) {
      return factor * power;
    }
  }
  return 10 * power;
}
