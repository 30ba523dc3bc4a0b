// Session: the page's link to the server across connections. Opens a Connection
// (src/connection.ts) and, whenever one closes without the page asking, opens another
// after a backoff delay (src/reconnect.ts), sending the last Welcome's resume token and
// room so the server can reattach the same actor, and the auth token in every Hello. It
// may start with a seat from the matchmaker (sent until the first Welcome: a seat is good
// for one session) or with a stored resume token and its room (a reload). A final
// close code (src/close-codes.ts) stops it; the code that counts is the Disconnect
// message's when one came, since the close frame may be lost with the connection. A
// connection that hears nothing from the server for SILENCE_MS (the server pings every
// second) is given up as dropped, since a dead network may never close the socket; it
// is closed only once the next Welcome has come (a close frame would tell the server
// the player left, and the actor is to wait for the resume). Each
// connection has a fresh mirror, as a full snapshot follows every Welcome, and asks
// again for the snapshot cap the app wants.

import { isFinalClose } from './close-codes';
import { Connection, type ServerNotice, type SnapshotFrame } from './connection';
import type { Vec } from './protocol';
import { Backoff, RetryTimer, browserTimers, type Timers } from './reconnect';
import type { Replication } from './replication';

/**
 * 'connecting' until the first Welcome (retries included), 'reconnecting' from a
 * dropped connection until the next Welcome, 'closed' for good (a final code, or the
 * page closed it).
 */
export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** How a connection ended, and what the session does next. */
export interface CloseReport {
  /** The Disconnect message's code if one came, else the close frame's (1006: dropped). */
  code: number;
  reason: string;
  /** Retrying cannot help: the session stopped. */
  final: boolean;
  /** Delay before the next attempt in milliseconds, or null when there will be none. */
  retryInMs: number | null;
}

export interface SessionHandlers {
  onState(state: SessionState): void;
  /** Every server message but snapshots; a Welcome after the first is a reconnection. */
  onMessage(event: ServerNotice): void;
  onSnapshot(frame: SnapshotFrame): void;
  onProtocolError(message: string): void;
  /** The current connection sent an Input (sequences start at 1 on every connection). */
  onInput?(sequence: number, direction: Vec): void;
  /** A connection closed (not when the page closed it itself). */
  onClose(report: CloseReport): void;
}

export interface SessionOptions {
  url: string;
  /** Sent in every Hello when not null. */
  authToken?: string | null;
  /** A seat from the matchmaker, sent in the Hello until the first Welcome. */
  seat?: string | null;
  /** A resume token from an earlier session (e.g. before a reload), sent until a Welcome gives a new one. */
  resumeToken?: Uint8Array | null;
  /** The room `resumeToken` belongs to; each Welcome names the room from then on. */
  room?: string | null;
  /** The move direction to send with each Input. */
  direction: () => Vec;
  timers?: Timers;
  /** For the backoff's jitter; uniform in [0, 1). */
  random?: () => number;
  silenceMs?: number;
}

/**
 * A connection silent for this long is taken for dropped, unless the server's Welcome
 * names its quiet interval (the longest it goes without sending): then three times that.
 */
export const SILENCE_MS = 10_000;
/** How many quiet intervals of silence make a dropped connection. */
const QUIET_INTERVALS_OF_SILENCE = 3;

export class Session {
  private readonly url: string;
  private readonly authToken: string | null;
  private readonly seat: string | null;
  private readonly direction: () => Vec;
  private readonly timers: Timers;
  private silenceMs: number;
  /** The options fixed the silence limit: the server's quiet interval does not change it. */
  private readonly silenceFixed: boolean;
  private readonly backoff: Backoff;
  private readonly retry: RetryTimer;
  private readonly watchdog: RetryTimer;

  private connection: Connection | null = null;
  /** Connections given up for silence, closed once the next Welcome has come. */
  private abandoned: Connection[] = [];
  private current!: Replication;
  private state: SessionState = 'connecting';
  /** From the last Welcome (or the options); a secret, so never published. */
  private resumeToken: Uint8Array | null;
  /** The room the resume token belongs to. */
  private room: string | null;
  /** The Disconnect message of the current connection, if one came. */
  private disconnect: { code: number; reason: string } | null = null;
  private welcomes = 0;
  private lastHeardAt = 0;
  private wantedCap = 0;

  constructor(
    options: SessionOptions,
    private readonly handlers: SessionHandlers,
  ) {
    this.url = options.url;
    this.authToken = options.authToken ?? null;
    this.seat = options.seat ?? null;
    this.resumeToken = options.resumeToken ?? null;
    this.room = options.room ?? null;
    this.direction = options.direction;
    this.timers = options.timers ?? browserTimers;
    this.silenceMs = options.silenceMs ?? SILENCE_MS;
    this.silenceFixed = options.silenceMs !== undefined;
    this.backoff = new Backoff({ random: options.random });
    this.retry = new RetryTimer(this.timers);
    this.watchdog = new RetryTimer(this.timers);
    this.connect();
  }

  /** The mirror and its replication state, of the newest connection. */
  get replication(): Replication {
    return this.current;
  }

  /** Successful reconnections: Welcomes after the first. */
  get reconnects(): number {
    return Math.max(0, this.welcomes - 1);
  }

  /**
   * Milliseconds until the next attempt; 0 while one is under way; null when
   * connected or closed.
   */
  retryInMs(): number | null {
    if (this.state === 'connected' || this.state === 'closed') {
      return null;
    }
    return this.retry.remainingMs() ?? 0;
  }

  sendInputNow(): void {
    this.connection?.sendInputNow();
  }

  /** The snapshot cap to ask for (0: none), now and on every connection to come. */
  capSnapshots(maxPerSecond: number): void {
    this.wantedCap = maxPerSecond;
    this.connection?.capSnapshots(maxPerSecond);
  }

  /**
   * The page's own decision: closes the connection and never reconnects (until reopen).
   * @param code 1000: the player leaves; 1001: the page goes away (it may come back and resume).
   */
  close(code: 1000 | 1001 = 1000): void {
    this.retry.cancel();
    this.watchdog.cancel();
    this.connection?.dispose(code);
    this.connection = null;
    this.closeAbandoned();
    this.setState('closed');
  }

  /** Connects again after close() (e.g. the page came back from the back-forward cache). */
  reopen(): void {
    if (this.state !== 'closed' || this.connection !== null) {
      return;
    }
    this.backoff.reset();
    this.setState(this.welcomes > 0 ? 'reconnecting' : 'connecting');
    this.connect();
  }

  private connect(): void {
    this.disconnect = null;
    const connection: Connection = new Connection(
      this.url,
      this.direction,
      {
        onState: () => undefined,
        onMessage: (event) => {
          if (this.connection === connection) {
            this.message(event);
          }
        },
        onSnapshot: (frame) => {
          if (this.connection === connection) {
            this.heard();
            this.handlers.onSnapshot(frame);
          }
        },
        onProtocolError: (message) => {
          if (this.connection === connection) {
            this.heard();
            this.handlers.onProtocolError(message);
          }
        },
        onInput: (sequence, direction) => {
          if (this.connection === connection) {
            this.handlers.onInput?.(sequence, direction);
          }
        },
        onClose: (code, reason) => {
          if (this.connection === connection) {
            this.closed(code, reason);
          }
        },
      },
      {
        authToken: this.authToken,
        seat: this.welcomes === 0 ? this.seat : null,
        resumeToken: this.resumeToken,
        room: this.resumeToken === null ? null : this.room,
      },
    );
    this.connection = connection;
    this.current = connection.replication;
    connection.capSnapshots(this.wantedCap);
    this.heard();
  }

  private message(event: ServerNotice): void {
    this.heard();
    if (event.type === 'disconnect') {
      this.disconnect = { code: event.code, reason: event.reason };
    }
    if (event.type === 'welcome') {
      this.backoff.reset();
      this.resumeToken = event.resumeToken;
      if (event.room !== '') {
        this.room = event.room;
      }
      this.welcomes += 1;
      if (!this.silenceFixed && event.quietIntervalMs > 0) {
        this.silenceMs = QUIET_INTERVALS_OF_SILENCE * event.quietIntervalMs;
        this.watchdog.cancel(); // Watch with the new limit from now.
        this.heard();
      }
      this.closeAbandoned();
    }
    this.handlers.onMessage(event);
    if (event.type === 'welcome') {
      this.setState('connected');
    }
  }

  private closed(code: number, reason: string): void {
    this.connection = null;
    this.watchdog.cancel();
    const ending = this.disconnect ?? { code, reason };
    if (isFinalClose(ending.code)) {
      this.setState('closed');
      this.handlers.onClose({ ...ending, final: true, retryInMs: null });
      return;
    }
    const delay = this.backoff.next();
    this.retry.schedule(delay, () => this.connect());
    this.setState(this.welcomes > 0 ? 'reconnecting' : 'connecting');
    this.handlers.onClose({ ...ending, final: false, retryInMs: delay });
  }

  /** Something came from the server: the connection is alive. */
  private heard(): void {
    this.lastHeardAt = this.timers.now();
    if (!this.watchdog.pending) {
      this.watchdog.schedule(this.silenceMs, () => this.checkSilence());
    }
  }

  private checkSilence(): void {
    const connection = this.connection;
    if (connection === null) {
      return;
    }
    const silentMs = this.timers.now() - this.lastHeardAt;
    if (silentMs < this.silenceMs) {
      this.watchdog.schedule(this.silenceMs - silentMs, () => this.checkSilence());
      return;
    }
    connection.abandon();
    this.abandoned.push(connection);
    this.disconnect = null;
    this.closed(1006, `no word from the server for ${Math.round(silentMs / 1000)} s`);
  }

  private closeAbandoned(): void {
    for (const connection of this.abandoned) {
      connection.dispose();
    }
    this.abandoned = [];
  }

  private setState(state: SessionState): void {
    if (this.state !== state) {
      this.state = state;
      this.handlers.onState(state);
    }
  }
}
