// Entry: how the page gets into a room, as pure decisions (src/room-flow.ts does the
// calls). A page on `?room=<id>` resumes with the token this tab stored for that room;
// without one it asks the matchmaker for a seat there, except in the default room,
// which a Hello without a seat joins. A refused resume (4005: the token expired, or its
// room is gone) asks for a seat again; a refused seat (or a refused Hello without one),
// or a room the matchmaker says is gone or full, goes back to the lobby with a one-line
// notice, so that nothing loops.

/** The default room's id: a Hello without a seat plays there. */
export const DEFAULT_ROOM = 'default';

export type Step =
  /** Show the lobby, with a notice saying why (null: none). */
  | { kind: 'lobby'; notice: string | null }
  /** Connect with the stored resume token for `room`. */
  | { kind: 'resume'; room: string; token: Uint8Array }
  /** Ask the matchmaker for a seat in `room` (POST /rooms/{id}/join). */
  | { kind: 'join'; room: string }
  /** Connect with a Hello without a seat: the default room. */
  | { kind: 'default' };

/** What the page does on load, given `?room=` (null: none) and the token stored for it. */
export function stepOnLoad(room: string | null, token: Uint8Array | null): Step {
  if (room === null) {
    return { kind: 'lobby', notice: null };
  }
  if (token !== null) {
    return { kind: 'resume', room, token };
  }
  return enterWithoutToken(room);
}

/** What the refused Hello carried: a seat, a resume token, or neither (the default room). */
export type HelloKind = 'seat' | 'resume' | 'plain';

/** What the page does when the server refuses its Hello (`hello`) for `room` with 4005. */
export function stepAfterRefusal(room: string, hello: HelloKind, reason: string): Step {
  if (hello === 'resume') {
    return enterWithoutToken(room);
  }
  const what = hello === 'seat' ? `The seat in room ${room}` : `Room ${room}`;
  return { kind: 'lobby', notice: `${what} was refused${reason === '' ? '' : `: ${reason}`}` };
}

/** What the page does when a join of `room` fails with HTTP `status` (0: no answer). */
export function stepAfterJoinFailure(room: string, status: number, error: string): Step {
  switch (status) {
    case 404:
      return { kind: 'lobby', notice: `Room ${room} is gone` };
    case 409:
      return { kind: 'lobby', notice: `Room ${room} is full` };
    default:
      return { kind: 'lobby', notice: `Could not join room ${room}: ${error}` };
  }
}

function enterWithoutToken(room: string): Step {
  return room === DEFAULT_ROOM ? { kind: 'default' } : { kind: 'join', room };
}
