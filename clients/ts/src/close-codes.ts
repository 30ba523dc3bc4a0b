// Close codes: what each code a session can end with (the server's Disconnect message
// and close frame carry the same one; the browser reports 1006 for a connection that
// dropped without a close frame) means for the page: whether reconnecting can help, and
// what to tell the player in the HUD. Whether a code is final comes from the protocol's
// one table (src/close-table.ts, generated from protocol/src/close.rs), which the Rust
// client follows too; final codes stop the page, every other code (an unknown one
// included) is retried with backoff (src/reconnect.ts). This file only adds the words.

import { CLOSE_CODES } from './close-table';
import { PROTOCOL_VERSION } from './protocol';

export interface CloseMeaning {
  /** Retrying cannot help: the page stops and says why. */
  final: boolean;
  /** What happened, for people. */
  title: string;
  /** What the player can do about a final close. */
  hint?: string;
}

type Words = Omit<CloseMeaning, 'final'>;

const WORDS: ReadonlyMap<number, Words> = new Map<number, Words>([
  [1000, { title: 'The session ended', hint: 'another tab or device took it over; reload to play here' }],
  [1001, { title: 'Server shutting down' }],
  [1002, { title: 'Protocol error', hint: 'reload the page' }],
  [1003, { title: 'The server refused a text frame', hint: 'reload the page' }],
  [1005, { title: 'Connection closed without a reason' }],
  [1006, { title: 'Connection lost' }],
  [1007, { title: 'The server refused invalid UTF-8 text', hint: 'reload the page' }],
  [1008, { title: 'Timed out' }],
  [1009, { title: 'Message too big', hint: 'reload the page' }],
  [1011, { title: 'Server error' }],
  [1013, { title: 'Server full' }],
  [4000, { title: `This page speaks protocol ${PROTOCOL_VERSION}, the server another`, hint: 'reload the page' }],
  [4001, { title: 'Not authorised', hint: 'check the ?token= in the address' }],
  [4002, { title: 'Too many sessions from your address' }],
  [4003, { title: "This page's origin is not allowed by the server" }],
  [4004, { title: 'Sending too fast' }],
  [4005, { title: 'Seat refused: it expired, or the room is gone', hint: 'back to the lobby' }],
  [4006, { title: 'The room is full' }],
]);

const FINAL: ReadonlySet<number> = new Set(CLOSE_CODES.filter((info) => info.retry === 'never').map((info) => info.code));

/** What `code` means; an unknown code is retried. */
export function closeMeaning(code: number): CloseMeaning {
  const words = WORDS.get(code) ?? { title: `Connection closed (code ${code})` };
  return { final: FINAL.has(code), ...words };
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
