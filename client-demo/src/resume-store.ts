// Resume tokens by room, kept in the tab's sessionStorage so that a reload can reattach
// the actor it had: the page reopens on `?room=<id>` and resumes with the token stored
// for that room. sessionStorage is per tab, so another tab on the same room takes a seat
// of its own instead of this tab's actor. A token is a secret: it is kept nowhere else
// and dropped when the player leaves the room. Storage that refuses (private mode, quota)
// only costs the resume.

/** The part of `Storage` this needs. */
export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const KEY_PREFIX = 'tickwire.resume.';

export class ResumeStore {
  /** @param storage sessionStorage, or null when the page may not use it. */
  constructor(private readonly storage: TokenStorage | null) {}

  /** The token stored for `room`, or null (none, or not a token). */
  load(room: string): Uint8Array | null {
    const hex = this.attempt(() => this.storage?.getItem(KEY_PREFIX + room) ?? null) ?? null;
    if (hex === null || hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) {
      return null;
    }
    return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  }

  /** Keeps `token` for `room` (null or empty: forgets it). */
  save(room: string, token: Uint8Array | null): void {
    if (token === null || token.length === 0) {
      this.forget(room);
      return;
    }
    const hex = Array.from(token, (byte) => byte.toString(16).padStart(2, '0')).join('');
    this.attempt(() => this.storage?.setItem(KEY_PREFIX + room, hex));
  }

  forget(room: string): void {
    this.attempt(() => this.storage?.removeItem(KEY_PREFIX + room));
  }

  private attempt<T>(action: () => T): T | undefined {
    try {
      return action();
    } catch {
      return undefined;
    }
  }
}

/** This tab's sessionStorage, or null where the page may not use it (it throws then). */
export function tabStorage(): TokenStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
