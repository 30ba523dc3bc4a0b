// Gameplay fields for people. A game names its field slots in the Welcome
// (`field_names`: slot i of every actor is `field_names[i]`); the client knows no game
// and follows one convention: a field named `color` that is non-zero fills the actor
// with that colour (0xRRGGBB), and every other non-zero field is shown as a label under
// the actor ("score 3"). A non-zero slot the game did not name is shown as `slot N`.

import { FIELD_SLOTS } from './snapshot';

/** The field whose non-zero value is the actor's fill colour, 0xRRGGBB. */
export const COLOR_FIELD = 'color';

/** How an actor's fields change its drawing. */
export interface FieldLook {
  /** Fill colour as '#rrggbb', or null for the default one. */
  fill: string | null;
  /** The other non-zero fields, e.g. 'score 3', or '' when there are none. */
  label: string;
}

const PLAIN: FieldLook = { fill: null, label: '' };

/** The name of slot `slot`: the game's, or `slot N` when the game did not name it. */
export function slotName(names: readonly string[], slot: number): string {
  return names[slot] ?? `slot ${slot}`;
}

/** 0xRRGGBB (higher bits ignored) as a CSS colour '#rrggbb'. */
export function cssColor(value: number): string {
  return `#${(value & 0xffffff).toString(16).padStart(6, '0')}`;
}

/** The named slots of one actor's `fields` as an object, name → value (zeros included). */
export function namedFields(names: readonly string[], fields: ArrayLike<number>): Record<string, number> {
  const named: Record<string, number> = {};
  names.forEach((name, slot) => {
    if (slot < FIELD_SLOTS) {
      named[name] = fields[slot] ?? 0;
    }
  });
  return named;
}

/** How to draw an actor whose FIELD_SLOTS field values are `fields`, given the game's names. */
export function fieldLook(names: readonly string[], fields: ArrayLike<number>): FieldLook {
  let fill: string | null = null;
  const labels: string[] = [];
  for (let slot = 0; slot < FIELD_SLOTS; slot++) {
    const value = fields[slot] ?? 0;
    if (value === 0) {
      continue;
    }
    const name = slotName(names, slot);
    if (name === COLOR_FIELD) {
      fill = cssColor(value);
    } else {
      labels.push(`${name} ${value}`);
    }
  }
  return fill === null && labels.length === 0 ? PLAIN : { fill, label: labels.join(' · ') };
}
