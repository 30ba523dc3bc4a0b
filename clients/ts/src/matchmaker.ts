// Matchmaker: the server's HTTP matchmaking API, on the page's own origin: list the
// rooms (`GET /rooms`), create one (`POST /rooms`), join one by id
// (`POST /rooms/{id}/join`), or join-or-create (`POST /matchmake`). Every call that
// admits the player answers a Seat: a one-use token for the Hello, good for
// `expiresInMs`, and the WebSocket URL to send it to (a relative one, which the server
// answers when it cannot tell its own address, is taken from the page's origin). Answers are checked like wire frames, since the page acts on them; a
// refusal is a MatchmakerError with the HTTP status (404: no such room, 409: full or
// locked, 0: no answer) and the server's one-line error.

/** One room as `GET /rooms` lists it. */
export interface Room {
  id: string;
  /** The room's type, e.g. "default". */
  name: string;
  /** Connected players, players who may still resume, and unexpired seats. */
  clients: number;
  maxClients: number;
  /** The game's description of the room (e.g. `{"mode": "ffa"}`), shown as is. */
  label: Record<string, unknown>;
  tickRateHz: number;
  /** A locked room takes no one new. */
  state: 'open' | 'locked';
}

/** A reserved place in a room: connect to `url` and send `seat` in the Hello. */
export interface Seat {
  room: string;
  name: string;
  /** An absolute ws:// or wss:// URL. */
  url: string;
  seat: string;
  expiresInMs: number;
}

/** The built-in room type, which the lobby creates and quick play looks for. */
export const ROOM_TYPE = 'default';

/** A call the server refused or did not answer. */
export class MatchmakerError extends Error {
  /** The HTTP status; 0 when there was no answer (or it was not HTTP). */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'MatchmakerError';
    this.status = status;
  }
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export class Matchmaker {
  /**
   * @param origin the server's HTTP origin, e.g. "http://127.0.0.1:8080" (the page's).
   * @param fetcher `fetch`, or a stand-in for tests.
   */
  constructor(
    private readonly origin: string,
    private readonly fetcher: Fetch = (url, init) => fetch(url, init),
  ) {}

  async rooms(): Promise<Room[]> {
    return parseRooms(await this.call('GET', '/rooms'));
  }

  /** Creates a room of type `name` and takes a seat in it. */
  async create(name: string = ROOM_TYPE): Promise<Seat> {
    return parseSeat(await this.call('POST', '/rooms', { name }), this.socketBase());
  }

  /** A seat in the room `room`; 404 when it is gone, 409 when it is full or locked. */
  async join(room: string): Promise<Seat> {
    return parseSeat(await this.call('POST', `/rooms/${encodeURIComponent(room)}/join`), this.socketBase());
  }

  /** A seat in an open room of type `name`, created when there is none. */
  async matchmake(name: string = ROOM_TYPE): Promise<Seat> {
    return parseSeat(await this.call('POST', '/matchmake', { name }), this.socketBase());
  }

  /** The origin as a WebSocket base URL: http → ws, https → wss. */
  private socketBase(): string {
    return this.origin.replace(/^http/, 'ws');
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetcher(new URL(path, this.origin).href, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new MatchmakerError(0, `the server did not answer (${error instanceof Error ? error.message : String(error)})`);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Left null: a refusal says its status; a success without JSON fails below.
    }
    if (!response.ok) {
      const error = isObject(json) && typeof json.error === 'string' ? json.error : `HTTP ${response.status}`;
      throw new MatchmakerError(response.status, error);
    }
    if (json === null) {
      throw new MatchmakerError(0, `${method} ${path} answered ${response.status} without JSON`);
    }
    return json;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(object: Record<string, unknown>, key: string, type: 'string' | 'number', what: string): T {
  const value = object[key];
  if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) {
    throw new MatchmakerError(0, `${what}.${key} should be a ${type}, but is ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** The rooms of a `GET /rooms` answer; throws MatchmakerError when it is malformed. */
export function parseRooms(json: unknown): Room[] {
  if (!isObject(json) || !Array.isArray(json.rooms)) {
    throw new MatchmakerError(0, 'GET /rooms should answer {"rooms": [...]}');
  }
  return json.rooms.map((room): Room => {
    if (!isObject(room)) {
      throw new MatchmakerError(0, `a room should be an object, but is ${JSON.stringify(room)}`);
    }
    const state = room.state;
    if (state !== 'open' && state !== 'locked') {
      throw new MatchmakerError(0, `room.state should be "open" or "locked", but is ${JSON.stringify(state)}`);
    }
    return {
      id: field(room, 'id', 'string', 'room'),
      name: field(room, 'name', 'string', 'room'),
      clients: field(room, 'clients', 'number', 'room'),
      maxClients: field(room, 'max_clients', 'number', 'room'),
      label: isObject(room.label) ? room.label : {},
      tickRateHz: field(room, 'tick_rate_hz', 'number', 'room'),
      state,
    };
  });
}

/**
 * The Seat of a join, create or matchmake answer, its URL resolved against `socketBase`
 * (e.g. "ws://127.0.0.1:8080"); throws MatchmakerError when it is malformed.
 */
export function parseSeat(json: unknown, socketBase: string): Seat {
  if (!isObject(json)) {
    throw new MatchmakerError(0, `a seat should be an object, but is ${JSON.stringify(json)}`);
  }
  const given = field<string>(json, 'url', 'string', 'seat');
  let url: URL | null = null;
  try {
    url = new URL(given, socketBase);
  } catch {
    // Left null: refused below.
  }
  if (url === null || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) {
    throw new MatchmakerError(0, `seat.url should be a ws:// or wss:// URL, but is ${JSON.stringify(given)}`);
  }
  return {
    room: field(json, 'room', 'string', 'seat'),
    name: field(json, 'name', 'string', 'seat'),
    url: url.href,
    seat: field(json, 'seat', 'string', 'seat'),
    expiresInMs: field(json, 'expires_in_ms', 'number', 'seat'),
  };
}
