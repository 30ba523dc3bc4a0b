// Address: where the page's WebSocket goes (ws:// or wss:// to this page's host, path
// /ws) and the auth token to send in every Hello, taken from the page URL's
// `?token=...` query (none when absent or empty).

/** The server's WebSocket URL for a page loaded from `location`. */
export function socketUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

/** The `token` query parameter of `search` (e.g. "?token=abc"), or null. */
export function authTokenFrom(search: string): string | null {
  const token = new URLSearchParams(search).get('token');
  return token === null || token === '' ? null : token;
}
