// Keyboard input: turns the pressed WASD / arrow keys into a normalised move
// direction (diagonals have length 1, no key is zero) and reports when the set of
// pressed movement keys changes.

import type { Vec } from '@tickwire/client';

type Axis = 'left' | 'right' | 'up' | 'down';

/** Movement keys by KeyboardEvent.code, so they follow the physical layout. */
const KEY_AXES: ReadonlyMap<string, Axis> = new Map<string, Axis>([
  ['KeyW', 'up'],
  ['KeyA', 'left'],
  ['KeyS', 'down'],
  ['KeyD', 'right'],
  ['ArrowUp', 'up'],
  ['ArrowLeft', 'left'],
  ['ArrowDown', 'down'],
  ['ArrowRight', 'right'],
]);

export class Keyboard {
  private readonly pressed = new Set<string>();

  /** @param onChange called whenever the set of pressed movement keys changes. */
  constructor(
    target: Window,
    private readonly onChange: () => void,
  ) {
    target.addEventListener('keydown', (event) => this.handle(event, true));
    target.addEventListener('keyup', (event) => this.handle(event, false));
    // Keys released while the page is in the background never send keyup.
    target.addEventListener('blur', () => this.releaseAll());
  }

  /** The move direction for the keys held now: length 1, or zero when none (or opposites). */
  direction(): Vec {
    const held = new Set<Axis>();
    for (const code of this.pressed) {
      const axis = KEY_AXES.get(code);
      if (axis !== undefined) {
        held.add(axis);
      }
    }
    const x = (held.has('right') ? 1 : 0) - (held.has('left') ? 1 : 0);
    const y = (held.has('down') ? 1 : 0) - (held.has('up') ? 1 : 0);
    const length = Math.hypot(x, y);
    return length === 0 ? { x: 0, y: 0 } : { x: x / length, y: y / length };
  }

  private handle(event: KeyboardEvent, down: boolean): void {
    if (!KEY_AXES.has(event.code) || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    event.preventDefault(); // arrows must not scroll the page
    const changed = down ? !this.pressed.has(event.code) : this.pressed.has(event.code);
    if (!changed) {
      return; // auto-repeat
    }
    if (down) {
      this.pressed.add(event.code);
    } else {
      this.pressed.delete(event.code);
    }
    this.onChange();
  }

  private releaseAll(): void {
    if (this.pressed.size > 0) {
      this.pressed.clear();
      this.onChange();
    }
  }
}
