// TickwireClient: the package's front door. One object per room a game plays in: it
// owns the session (connections that reconnect with backoff and resume, the close-code
// policy), the mirror, the world view on the server's timeline (src/world.ts), the
// prediction of the own actor, the snapshot rate and the settings in force, and tells
// the game what happened through typed events. The game draws `view(now)` each frame
// and calls `sendInput` when its controls change. Nothing here touches the DOM: only
// `WebSocket`, `fetch` (joining through the matchmaker) and timers.

import { closeNotice } from './close-codes';
import type { ServerNotice, SnapshotFrame } from './connection';
import { EventLog, type NamedEvent } from './events';
import { namedFields } from './fields';
import { Matchmaker, type Seat } from './matchmaker';
import { RateMeter, RttMeter } from './meter';
import { Predictor, clampDirection } from './prediction';
import type { GameSettings, Throttle, Vec } from './protocol';
import { SnapshotRateTracker } from './rate';
import type { Timers } from './reconnect';
import { Session, type CloseReport, type SessionState } from './session';
import { isAfter } from './tick';
import { World, type RenderActor } from './world';

/** The connection's state, and why it is not connected when it is not. */
export interface ClientStatus {
  state: SessionState;
  /** How the last connection ended (cleared by the next Welcome); null while all is well. */
  close: CloseReport | null;
  /** The close for people, with the countdown to the next attempt ('' while all is well). */
  reason: string;
}

/** What the server's Welcome said about this session. */
export interface WelcomeInfo {
  actorId: number;
  /** The previous session's own actor, on a reconnection (null on the first Welcome). */
  previousActorId: number | null;
  /** Whether this session resumed the earlier one (same actor). */
  resumed: boolean;
  /**
   * The secret that resumes this session (kept by the client for its reconnections;
   * store it, e.g. in sessionStorage, to resume after a page reload). Null: none given.
   */
  resumeToken: Uint8Array | null;
  /** Welcomes after the first. */
  reconnects: number;
  room: string;
  roomName: string;
  arenaSize: Vec;
  settings: GameSettings;
  tick: number;
  fieldNames: readonly string[];
  eventNames: readonly string[];
}

/** What became of a snapshot: applied to the mirror, or refused (and a full one asked for). */
export type SnapshotInfo =
  | { applied: true; tick: number; full: boolean; bytes: number; actorCount: number }
  | { applied: false; tick: number | null; bytes: number; reason: string; requestedFull: boolean };

/** The client's typed events and what each listener gets. */
export interface ClientEvents {
  status: ClientStatus;
  /** A connection closed (not by close()): its code, reason, and whether and when the client retries. */
  close: CloseReport;
  welcome: WelcomeInfo;
  snapshot: SnapshotInfo;
  gameEvent: NamedEvent;
  settings: GameSettings;
  /** This client's snapshot interval in ticks, and why it differs from broadcast_every. */
  rate: { everyTicks: number; reason: Throttle };
  inputAck: { sequence: number; tick: number };
  /** The server's Disconnect message, before the connection closes. */
  disconnect: { code: number; reason: string };
  /** A frame that did not decode (it was skipped). */
  protocolError: string;
}

export type ClientEventName = keyof ClientEvents;
type Listener<K extends ClientEventName> = (value: ClientEvents[K]) => void;

/** The world to draw at one moment. */
export interface WorldView {
  /** Every actor, others interpolated on the server's timeline, the own actor (predicted) last. */
  actors: RenderActor[];
  /** The own actor as drawn, or null while it is in no state. */
  own: RenderActor | null;
  /** How far behind the estimated server clock others are drawn, in ms. */
  delayMs: number;
}

export interface ConnectOptions {
  /** Sent in every Hello (servers started with --auth-secret need one). */
  authToken?: string | null;
  /** A seat from the matchmaker (join() fills it in). */
  seat?: string | null;
  /** A resume token from an earlier session (e.g. stored across a reload) and its room. */
  resumeToken?: Uint8Array | null;
  room?: string | null;
  /** Timers and clock; the browser's by default. */
  timers?: Timers;
}

/** How to find a room through the matchmaking API. */
export type JoinTarget = { room: string } | { create: string } | { quickPlay: string } | 'quickPlay';

/** RTT samples averaged for `rttMs`. */
const RTT_SAMPLES = 8;

export class TickwireClient {
  private readonly world = new World();
  private readonly predictor = new Predictor();
  private readonly rateTracker = new SnapshotRateTracker();
  private readonly snapshots = new RateMeter();
  private readonly rtt = new RttMeter(RTT_SAMPLES);
  private readonly log = new EventLog();
  private readonly session: Session;
  private readonly now: () => number;
  private readonly listeners = new Map<ClientEventName, Set<(value: never) => void>>();
  private direction: Vec = { x: 0, y: 0 };
  private lastClose: CloseReport | null = null;
  private welcomeInfo: WelcomeInfo | null = null;
  private newestTick: number | null = null;
  private sessionState: SessionState = 'connecting';

  /** Connects to a server's WebSocket URL (`ws://host:port/ws`) at once. */
  static connect(url: string, options: ConnectOptions = {}): TickwireClient {
    return new TickwireClient(url, options);
  }

  /**
   * Takes a seat through the matchmaking API at `httpOrigin` ("https://game.example")
   * and connects to the room's server with it.
   * @throws MatchmakerError when the matchmaker refuses (404 room gone, 409 full...).
   */
  static async join(httpOrigin: string, target: JoinTarget = 'quickPlay', options: ConnectOptions = {}): Promise<TickwireClient> {
    const matchmaker = new Matchmaker(httpOrigin);
    let seat: Seat;
    if (target === 'quickPlay') {
      seat = await matchmaker.matchmake();
    } else if ('room' in target) {
      seat = await matchmaker.join(target.room);
    } else if ('create' in target) {
      seat = await matchmaker.create(target.create);
    } else {
      seat = await matchmaker.matchmake(target.quickPlay);
    }
    return new TickwireClient(seat.url, { ...options, seat: seat.seat });
  }

  private constructor(url: string, options: ConnectOptions) {
    const timers = options.timers;
    this.now = timers === undefined ? () => performance.now() : () => timers.now();
    this.session = new Session(
      {
        url,
        authToken: options.authToken ?? null,
        seat: options.seat ?? null,
        resumeToken: options.resumeToken ?? null,
        room: options.room ?? null,
        direction: () => this.direction,
        timers,
      },
      {
        onState: (state) => {
          this.sessionState = state;
          this.emit('status', this.status);
        },
        onMessage: (event) => this.message(event),
        onSnapshot: (frame) => this.snapshot(frame),
        onProtocolError: (message) => this.emit('protocolError', message),
        onInput: (sequence, direction) => this.predictor.sent(sequence, direction, this.now()),
        onClose: (report) => {
          // An attempt that fails without a word (1006) keeps the reason the server gave
          // before, e.g. "Server shutting down", with the new countdown.
          const silent = report.code === 1006 && report.reason === '' && !report.final;
          this.lastClose = silent && this.lastClose !== null ? { ...this.lastClose, retryInMs: report.retryInMs } : report;
          this.emit('close', report);
          this.emit('status', this.status);
        },
      },
    );
  }

  /** Listens to `name`; returns the function that stops listening. */
  on<K extends ClientEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (value: never) => void);
    return () => set.delete(listener as (value: never) => void);
  }

  private emit<K extends ClientEventName>(name: K, value: ClientEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      (listener as Listener<K>)(value);
    }
  }

  /** The connection's state, and why it is not connected when it is not. */
  get status(): ClientStatus {
    const close = this.lastClose;
    let reason = '';
    if (close !== null) {
      reason = closeNotice(close.code, close.reason, close.final ? null : (this.session.retryInMs() ?? null));
    }
    return { state: this.sessionState, close, reason };
  }

  /**
   * The direction the own actor should move in (each component in [-1, 1]; longer
   * vectors are scaled to length 1). Sent at once and then with every scheduled Input.
   */
  sendInput(direction: Vec): void {
    this.direction = clampDirection(direction);
    this.session.sendInputNow();
  }

  /** Where to draw the world at `frameTime` (performance.now(), e.g. requestAnimationFrame's time). */
  view(frameTime: number = this.now()): WorldView {
    const actors = this.world.actorsAt(frameTime);
    const predicted = this.world.waitingForState ? null : this.predictor.advance(frameTime);
    const last = actors.length > 0 ? actors[actors.length - 1] : undefined;
    const own = last !== undefined && last.own ? last : null;
    if (predicted !== null && own !== null) {
      own.x = predicted.x;
      own.y = predicted.y;
    }
    return { actors, own, delayMs: this.world.delayAt(frameTime) };
  }

  /** Asks the server for at most `maxPerSecond` snapshots a second (0: as many as it sends), on every connection. */
  capSnapshots(maxPerSecond: number): void {
    this.session.capSnapshots(maxPerSecond);
  }

  /**
   * Closes for good: 1000 (the default) means the player leaves and the actor goes;
   * 1001 (going away) lets a later session resume it.
   */
  close(code: 1000 | 1001 = 1000): void {
    this.session.close(code);
  }

  /** Connects again after close(1001), e.g. when a page comes back from the back-forward cache. */
  reopen(): void {
    this.session.reopen();
  }

  /** The last Welcome, or null before any. */
  get welcome(): WelcomeInfo | null {
    return this.welcomeInfo;
  }

  get settings(): GameSettings | null {
    return this.world.settings;
  }

  get arenaSize(): Vec | null {
    return this.world.arenaSize;
  }

  get actorId(): number | null {
    return this.world.ownId;
  }

  get actorCount(): number {
    return this.world.actorCount;
  }

  /** The own actor's position in the newest snapshot (the server's word), or null. */
  get serverPosition(): Vec | null {
    return this.world.ownPosition;
  }

  /** The own actor's gameplay fields in the newest snapshot, name → value, or null. */
  get ownFields(): Record<string, number> | null {
    const fields = this.world.ownFields;
    return fields === null ? null : namedFields(this.welcomeInfo?.fieldNames ?? [], fields);
  }

  /** The newest server tick heard of, or null. */
  get tick(): number | null {
    return this.newestTick;
  }

  /** The tick of the state the mirror holds (0: none yet). */
  get mirrorTick(): number {
    return this.session.replication.mirror.tick;
  }

  /** Snapshots refused in this connection. */
  get applyErrors(): number {
    return this.session.replication.applyErrors;
  }

  /** Round-trip time averaged over the last few pings, in ms; null until the first is measured. */
  get rttMs(): number | null {
    return this.rtt.value;
  }

  /** Snapshots per second over the last 2 s; null until a second of them was seen. */
  snapshotsPerSecond(now: number = this.now()): number | null {
    return this.snapshots.eventsPerSecond(now);
  }

  /** Snapshot bytes per second, likewise. */
  snapshotBytesPerSecond(now: number = this.now()): number | null {
    return this.snapshots.amountPerSecond(now);
  }

  /** This client's snapshot interval in ticks (null before Welcome) and why it is throttled. */
  get snapshotRate(): { everyTicks: number | null; reason: Throttle } {
    return { everyTicks: this.rateTracker.everyTicks, reason: this.rateTracker.reason };
  }

  /** The game's gameplay events: the recent ones (oldest first) and how many in all. */
  get events(): EventLog {
    return this.log;
  }

  /** The prediction of the own actor (input history, last error, last ack). */
  get prediction(): Predictor {
    return this.predictor;
  }

  /** Successful reconnections of this client. */
  get reconnects(): number {
    return this.session.reconnects;
  }

  /** Milliseconds until the next connection attempt (0: under way), null when connected or closed. */
  retryInMs(): number | null {
    return this.session.retryInMs();
  }

  private publishRate(): void {
    this.world.setSnapshotEveryTicks(this.rateTracker.everyTicks);
    const settings = this.world.settings;
    if (settings !== null) {
      this.predictor.speed = settings.movementSpeed;
      const everyTicks = this.rateTracker.everyTicks ?? settings.broadcastEvery;
      this.predictor.snapshotIntervalMs = (everyTicks * 1000) / Math.max(1, settings.tickRateHz);
    }
  }

  private message(event: ServerNotice): void {
    switch (event.type) {
      case 'welcome': {
        const previousActorId = this.welcomeInfo?.actorId ?? null;
        this.world.welcome(event.actorId, event.arenaSize, event.settings);
        this.predictor.reset();
        this.predictor.arena = event.arenaSize;
        this.rateTracker.welcome(event.settings);
        this.log.welcome(event.eventNames);
        this.lastClose = null;
        this.newestTick = event.tick;
        this.publishRate();
        this.welcomeInfo = {
          actorId: event.actorId,
          previousActorId,
          resumed: event.resumed,
          resumeToken: event.resumeToken,
          reconnects: this.session.reconnects,
          room: event.room,
          roomName: event.roomName,
          arenaSize: event.arenaSize,
          settings: event.settings,
          tick: event.tick,
          fieldNames: [...event.fieldNames],
          eventNames: [...event.eventNames],
        };
        this.emit('welcome', this.welcomeInfo);
        break;
      }
      case 'inputAck':
        this.predictor.ack(event.sequence);
        this.emit('inputAck', { sequence: event.sequence, tick: event.tick });
        break;
      case 'gameEvents': {
        const before = this.log.count;
        this.log.add(event.tick, event.events);
        const added = this.log.count - before;
        for (const named of this.log.recent.slice(-Math.min(added, this.log.recent.length))) {
          this.emit('gameEvent', named);
        }
        break;
      }
      case 'settings':
        this.world.applySettings(event.settings);
        this.rateTracker.settings(event.settings);
        this.publishRate();
        this.emit('settings', event.settings);
        break;
      case 'snapshotRate':
        this.rateTracker.rate(event.everyTicks, event.reason);
        this.publishRate();
        this.emit('rate', { everyTicks: event.everyTicks, reason: event.reason });
        break;
      case 'ping':
        // 0: the server has measured nothing yet (its first ping).
        if (event.rttUs > 0) {
          this.rtt.record(event.rttUs / 1000);
        }
        break;
      case 'disconnect':
        this.emit('disconnect', { code: event.code, reason: event.reason });
        break;
    }
  }

  private snapshot(frame: SnapshotFrame): void {
    const now = this.now();
    this.snapshots.record(now, frame.bytes);
    if (frame.tick !== null && (this.newestTick === null || isAfter(frame.tick, this.newestTick))) {
      this.newestTick = frame.tick;
    }
    const receipt = frame.receipt;
    if (receipt.outcome === 'failed') {
      this.emit('snapshot', {
        applied: false,
        tick: frame.tick,
        bytes: frame.bytes,
        reason: receipt.reason,
        requestedFull: receipt.requestFull,
      });
      return;
    }
    if (receipt.outcome !== 'applied') {
      return;
    }
    this.world.addState(receipt.state, receipt.full ? null : receipt.spawned, now);
    const own = this.world.ownPosition;
    if (own !== null) {
      this.predictor.reconcile(own, now, this.rtt.value ?? 0);
    }
    this.emit('snapshot', {
      applied: true,
      tick: receipt.state.tick,
      full: receipt.full,
      bytes: frame.bytes,
      actorCount: this.world.actorCount,
    });
  }
}
