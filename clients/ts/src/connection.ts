// Connection: one WebSocket connection to the server. Sends Hello (with the auth and
// resume tokens it was given) on open, answers
// every Ping at once, sends Inputs every `input_every` ticks at the current tick rate
// (rescheduled whenever Settings change them, and sent on demand when the keys
// change), each acknowledging the newest snapshot applied, feeds snapshots to the
// mirror (src/replication.ts) and sends a FullSnapshotRequest when one cannot be
// applied, asks for the snapshot cap the app wants (SnapshotRateRequest, once
// connected), and hands each server message to the app. A frame that does not decode
// is reported and skipped, never thrown. Reconnecting is src/session.ts's job: a
// Connection lives and dies with its socket.

import { ServerBody } from './generated/tickwire';
import {
  decodeServerMessage,
  encodeFullSnapshotRequest,
  encodeHello,
  encodeInput,
  encodePong,
  encodeSnapshotRateRequest,
  ProtocolError,
  type GameSettings,
  type HelloOptions,
  type ServerEvent,
  type Vec,
} from './protocol';
import { Replication, type Receipt } from './replication';

/** Every server message but snapshots, which go to the mirror first. */
export type ServerNotice = Exclude<ServerEvent, { type: 'snapshot' }>;

/** What became of one snapshot frame. */
export interface SnapshotFrame {
  /** Size of the WebSocket frame in bytes. */
  bytes: number;
  /** The snapshot's tick, or null when the frame did not decode. */
  tick: number | null;
  receipt: Receipt;
}

export type ConnectionState = 'connecting' | 'connected' | 'closed';

export interface ConnectionHandlers {
  /** 'connected' once the server's Welcome has arrived. */
  onState(state: ConnectionState): void;
  onMessage(event: ServerNotice): void;
  /** A snapshot frame arrived and was applied to the mirror, skipped, or refused. */
  onSnapshot(frame: SnapshotFrame): void;
  onProtocolError(message: string): void;
  /** An Input was sent, with its sequence and direction (for client-side prediction). */
  onInput?(sequence: number, direction: Vec): void;
  /** The socket closed, with the close frame's code and reason. */
  onClose(code: number, reason: string): void;
}

/** Never send inputs faster than this, whatever the settings say. */
const MIN_INPUT_INTERVAL_MS = 5;

export class Connection {
  /** The mirror of the server's world, and how it keeps in step. */
  readonly replication = new Replication();
  private readonly socket: WebSocket;
  private state: ConnectionState = 'connecting';
  private sequence = 0;
  private inputTimer: ReturnType<typeof setInterval> | null = null;
  private inputIntervalMs = 0;
  /** The snapshot cap the app wants (0: none), and the one the server was last asked for. */
  private wantedCap = 0;
  private sentCap = 0;
  /** Set by dispose(): the socket's events are ignored from then on. */
  private disposed = false;

  /**
   * @param direction the move direction to send with each Input.
   * @param hello the auth and resume tokens to send in the Hello.
   */
  constructor(
    url: string,
    private readonly direction: () => Vec,
    private readonly handlers: ConnectionHandlers,
    private readonly hello: HelloOptions = {},
  ) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('open', () => this.disposed || this.send(encodeHello(this.hello)));
    this.socket.addEventListener('message', (event: MessageEvent) => this.disposed || this.receive(event.data));
    this.socket.addEventListener('close', (event: CloseEvent) => this.disposed || this.closed(event.code, event.reason));
  }

  /**
   * Stops every timer and ignores the socket from now on, without closing it: a close
   * frame tells the server the player left, whereas a connection given up for dead
   * should leave the actor waiting for a resume. No handler is called after this.
   */
  abandon(): void {
    this.disposed = true;
    this.stopInputs();
    this.state = 'closed';
  }

  /**
   * Closes the socket and abandons it: with 1000 (normal closure) the player leaves; with
   * 1001 (going away) the page does, as a browser says when a page unloads.
   */
  dispose(code: 1000 | 1001 = 1000): void {
    this.abandon();
    try {
      this.socket.close(code);
    } catch {
      // Already closing or closed: nothing more to do.
    }
  }

  /** Sends an Input with the current direction now (used when the pressed keys change). */
  sendInputNow(): void {
    if (this.state !== 'connected') {
      return;
    }
    this.sequence += 1;
    const direction = this.direction();
    this.send(encodeInput(this.sequence, direction, this.replication.ackTick));
    this.handlers.onInput?.(this.sequence, direction);
  }

  /**
   * Asks the server for at most `maxPerSecond` snapshots per second (0 lifts the cap):
   * now when connected, else right after the Welcome.
   */
  capSnapshots(maxPerSecond: number): void {
    this.wantedCap = maxPerSecond;
    this.sendCap();
  }

  private sendCap(): void {
    if (this.state === 'connected' && this.wantedCap !== this.sentCap) {
      this.sentCap = this.wantedCap;
      this.send(encodeSnapshotRateRequest(this.wantedCap));
    }
  }

  private receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.handlers.onProtocolError('server sent a text frame; every frame should be binary');
      return;
    }
    let event: ServerEvent;
    try {
      event = decodeServerMessage(data);
    } catch (error) {
      const message = error instanceof ProtocolError ? error.message : String(error);
      this.handlers.onProtocolError(`bad frame (${data.byteLength} bytes): ${message}`);
      if (error instanceof ProtocolError && error.bodyType === ServerBody.Snapshot) {
        // A lost snapshot leaves the mirror behind: the next delta cannot apply.
        this.snapshotDone({ bytes: data.byteLength, tick: null, receipt: this.replication.fail(message) });
      }
      return;
    }
    if (event.type === 'snapshot') {
      const receipt = this.replication.receive(event.snapshot);
      this.snapshotDone({ bytes: data.byteLength, tick: event.snapshot.tick, receipt });
      return;
    }
    if (event.type === 'ping') {
      this.send(encodePong(event.nonce));
    }
    if (event.type === 'welcome' || event.type === 'settings') {
      this.scheduleInputs(event.settings);
    }
    this.handlers.onMessage(event);
    if (event.type === 'welcome') {
      this.sentCap = 0; // a new session starts uncapped
      this.setState('connected');
      this.sendCap();
    }
  }

  private snapshotDone(frame: SnapshotFrame): void {
    if (frame.receipt.outcome === 'failed' && frame.receipt.requestFull) {
      this.send(encodeFullSnapshotRequest());
    }
    this.handlers.onSnapshot(frame);
  }

  /** Sends Inputs every `input_every` ticks; a timer already at that interval is kept. */
  private scheduleInputs(settings: GameSettings): void {
    const intervalMs = Math.max(MIN_INPUT_INTERVAL_MS, (settings.inputEvery * 1000) / settings.tickRateHz);
    if (this.inputTimer !== null && intervalMs === this.inputIntervalMs) {
      return;
    }
    this.stopInputs();
    this.inputIntervalMs = intervalMs;
    this.inputTimer = setInterval(() => this.sendInputNow(), intervalMs);
  }

  private stopInputs(): void {
    if (this.inputTimer !== null) {
      clearInterval(this.inputTimer);
      this.inputTimer = null;
    }
  }

  private send(frame: Uint8Array<ArrayBuffer>): void {
    if (!this.disposed && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame);
    }
  }

  private closed(code: number, reason: string): void {
    this.stopInputs();
    this.setState('closed');
    this.handlers.onClose(code, reason);
  }

  private setState(state: ConnectionState): void {
    if (this.state !== state) {
      this.state = state;
      this.handlers.onState(state);
    }
  }
}
