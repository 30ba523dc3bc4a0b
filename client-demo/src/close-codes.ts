// Close codes: what each code a session can end with (the server's Disconnect message
// and close frame carry the same one; the browser reports 1006 for a connection that
// dropped without a close frame) means for the page: whether reconnecting can help,
// and what to tell the player in the HUD. Final codes (wrong protocol version, not
// authorised, origin not allowed, protocol error) stop the page; every other code,
// server full and too many sessions included, is retried with backoff
// (src/reconnect.ts).

import { PROTOCOL_VERSION } from './protocol';

export interface CloseMeaning {
  /** Retrying cannot help: the page stops and says why. */
  final: boolean;
  /** What happened, for people. */
  title: string;
  /** What the player can do about a final close. */
  hint?: string;
}

const MEANINGS: ReadonlyMap<number, CloseMeaning> = new Map<number, CloseMeaning>([
  [1000, { final: false, title: 'The server ended the session' }],
  [1001, { final: false, title: 'Server shutting down' }],
  [1002, { final: true, title: 'Protocol error', hint: 'reload the page' }],
  [1003, { final: false, title: 'The server refused a text frame' }],
  [1005, { final: false, title: 'Connection closed without a reason' }],
  [1006, { final: false, title: 'Connection lost' }],
  [1008, { final: false, title: 'Timed out' }],
  [1009, { final: false, title: 'Message too big' }],
  [1011, { final: false, title: 'Server error' }],
  [1013, { final: false, title: 'Server full' }],
  [
    4000,
    {
      final: true,
      title: `This page speaks protocol ${PROTOCOL_VERSION}, the server another`,
      hint: 'reload the page',
    },
  ],
  [4001, { final: true, title: 'Not authorised', hint: 'check the ?token= in the address' }],
  [4002, { final: false, title: 'Too many sessions from your address' }],
  [4003, { final: true, title: "This page's origin is not allowed by the server" }],
  [4004, { final: false, title: 'Sending too fast' }],
]);

/** What `code` means; an unknown code is retried. */
export function closeMeaning(code: number): CloseMeaning {
  return MEANINGS.get(code) ?? { final: false, title: `Connection closed (code ${code})` };
}

/** Whether the page should stop rather than reconnect after a close with `code`. */
export function isFinalClose(code: number): boolean {
  return closeMeaning(code).final;
}

/**
 * The HUD's line for a close: "Server full: <reason> — retrying in 2.1 s",
 * "Not authorised: <reason> — check the ?token= in the address". The countdown is
 * rounded up to the next tenth of a second.
 * @param retryInMs time left before the next attempt (0: it is under way), or null
 *   when the page will not retry.
 */
export function closeNotice(code: number, reason: string, retryInMs: number | null): string {
  const meaning = closeMeaning(code);
  const what = reason.trim() === '' ? meaning.title : `${meaning.title}: ${reason.trim()}`;
  if (retryInMs === null) {
    return meaning.hint === undefined ? what : `${what} — ${meaning.hint}`;
  }
  if (retryInMs <= 0) {
    return `${what} — reconnecting…`;
  }
  return `${what} — retrying in ${secondsLeft(retryInMs)} s`;
}

/**
 * A countdown in seconds to one decimal, rounded up ("0.1" for 1 to 100 ms), so that it
 * never shows "0.0" while there is still time left.
 */
function secondsLeft(ms: number): string {
  return (Math.ceil(ms / 100) / 10).toFixed(1);
}
