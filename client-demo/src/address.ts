// Address: what the page's URL says and where the WebSocket goes. The WebSocket goes
// to this page's host, path /ws (ws:// or wss:// as the page), unless a seat names
// another URL; `?token=...` is the auth token to send in every Hello; `?room=<id>` is the
// room the page plays in, so that a reload goes back to it (no `room`: the lobby).

/** The server's WebSocket URL for a page loaded from `location`. */
export function socketUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The `token` query parameter of `search` (e.g. "?token=abc"), or null. */
export function authTokenFrom(search: string): string | null {
  return nonEmptyParam(search, 'token');
}

/** The `room` query parameter of `search` (e.g. "?room=k3v9qz2a"), or null. */
export function roomFrom(search: string): string | null {
  return nonEmptyParam(search, 'room');
}

/**
 * `href` with its `room` query parameter set to `room`, or removed when null; every
 * other part (the auth token included) is kept.
 */
export function withRoom(href: string, room: string | null): string {
  const url = new URL(href);
  if (room === null) {
    url.searchParams.delete('room');
  } else {
    url.searchParams.set('room', room);
  }
  return url.href;
}

function nonEmptyParam(search: string, name: string): string | null {
  const value = new URLSearchParams(search).get(name);
  return value === null || value === '' ? null : value;
}
