// Entry point: wires the room flow (lobby, matchmaker, the room in the URL, stored
// resume tokens), the session in a room (connections that reconnect and resume, and the
// mirror), world view, snapshot rate, page visibility, keyboard, renderer and HUD
// together (the renderer keeps the arena clear of the HUD) and runs the
// requestAnimationFrame loop.

import { authTokenFrom, socketUrl } from './address';
import { closeNotice } from './close-codes';
import type { ServerNotice, SnapshotFrame } from './connection';
import { EventLog } from './events';
import { namedFields } from './fields';
import { Hud, type HudNotice } from './hud';
import { Keyboard } from './input';
import { Lobby } from './lobby';
import { Matchmaker } from './matchmaker';
import { RateMeter } from './meter';
import { Predictor } from './prediction';
import { Renderer } from './render';
import { SnapshotRateTracker } from './rate';
import { ResumeStore, tabStorage } from './resume-store';
import { RoomFlow, type Target } from './room-flow';
import { Session, type CloseReport, type SessionHandlers, type SessionState } from './session';
import { publishStatus } from './status';
import { isAfter } from './tick';
import { snapshotCap, watchVisibility } from './visibility';
import { World } from './world';

function requireElement<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`index.html should have a <${type.name}> with id "${id}"`);
  }
  return element;
}

/** Gameplay events in the HUD's log. */
const HUD_EVENTS = 5;
/** How long the "reconnected" notice stays up. */
const RECONNECTED_NOTICE_MS = 5000;

const status = publishStatus();
const world = new World();
const renderer = new Renderer(requireElement('view', HTMLCanvasElement));
const hudElement = requireElement('hud', HTMLElement);
const hud = new Hud(hudElement, () => flow.leave());
const snapshots = new RateMeter();
const snapshotRate = new SnapshotRateTracker();
/** Client-side prediction of the own actor (src/prediction.ts). */
const predictor = new Predictor();
/** The session in the current room; null in the lobby. */
let session: Session | null = null;
let state: SessionState = 'connecting';
let notice: HudNotice | null = null;
/** When `notice` goes away by itself (performance.now()); null: when replaced. */
let noticeUntil: number | null = null;
/** The notice saying the mirror is being resynchronised, while it is. */
let resyncNotice: HudNotice | null = null;
/** How the last connection ended, until the next Welcome: the HUD counts down to the retry. */
let lastClose: CloseReport | null = null;
/** The game's gameplay field names, from the last Welcome. */
let fieldNames: readonly string[] = [];
/** Gameplay events, named by the last Welcome's event names. */
const events = new EventLog();

function publishRate(): void {
  world.setSnapshotEveryTicks(snapshotRate.everyTicks);
  status.snapshotEveryTicks = snapshotRate.everyTicks;
  status.throttleReason = snapshotRate.reason;
  const settings = world.settings;
  if (settings !== null) {
    predictor.speed = settings.movementSpeed;
    const everyTicks = snapshotRate.everyTicks ?? settings.broadcastEvery;
    predictor.snapshotIntervalMs = (everyTicks * 1000) / Math.max(1, settings.tickRateHz);
  }
}

function publishPrediction(): void {
  status.predictedPosition = predictor.position;
  status.lastInputAck = predictor.lastAck;
  status.lastInputSent = predictor.lastSent;
  status.predictionError = predictor.lastError;
}

function onMessage(event: ServerNotice): void {
  switch (event.type) {
    case 'welcome': {
      const previousId = status.actorId;
      world.welcome(event.actorId, event.arenaSize, event.settings);
      predictor.reset();
      predictor.arena = event.arenaSize;
      flow.welcomed(event);
      const reconnects = session?.reconnects ?? 0;
      if (reconnects > 0) {
        const text = event.resumed
          ? `reconnected: resumed actor #${event.actorId}`
          : `reconnected as a new actor #${event.actorId} (actor #${previousId ?? '?'} could not be resumed)`;
        showNotice({ kind: 'info', text }, RECONNECTED_NOTICE_MS);
        if (!event.resumed) {
          console.info(`tickwire: new session, own actor #${previousId ?? '?'} -> #${event.actorId}`);
        }
      } else {
        showNotice(null);
      }
      lastClose = null;
      resyncNotice = null;
      status.reconnects = reconnects;
      status.room = event.room;
      status.roomName = event.roomName;
      status.resumed = event.resumed;
      status.applyErrors = 0;
      status.actorId = event.actorId;
      status.arenaSize = event.arenaSize;
      status.settings = event.settings;
      status.tick = event.tick;
      fieldNames = event.fieldNames;
      status.fieldNames = [...event.fieldNames];
      events.welcome(event.eventNames);
      status.eventNames = [...event.eventNames];
      snapshotRate.welcome(event.settings);
      publishRate();
      publishPrediction();
      break;
    }
    case 'inputAck': {
      predictor.ack(event.sequence);
      publishPrediction();
      break;
    }
    case 'gameEvents':
      events.add(event.tick, event.events);
      status.events = events.recent.map((named) => ({ ...named }));
      status.eventCount = events.count;
      break;
    case 'settings':
      world.applySettings(event.settings);
      status.settings = event.settings;
      snapshotRate.settings(event.settings);
      publishRate();
      break;
    case 'snapshotRate':
      snapshotRate.rate(event.everyTicks, event.reason);
      publishRate();
      break;
    case 'ping':
      status.rttMs = event.rttUs / 1000;
      break;
    case 'disconnect':
      // The notice comes with the close that follows (see onClose).
      status.lastDisconnect = { code: event.code, reason: event.reason };
      break;
  }
}

/** Shows `next` (null: nothing), for `forMs` or until replaced. */
function showNotice(next: HudNotice | null, forMs: number | null = null): void {
  notice = next;
  noticeUntil = forMs === null ? null : performance.now() + forMs;
}

/** The HUD's notice at `now`: a close (counting down to the retry) before anything else. */
function currentNotice(now: number): HudNotice | null {
  if (lastClose !== null) {
    const retryInMs = lastClose.final ? null : (session?.retryInMs() ?? null);
    return { kind: lastClose.final ? 'error' : 'info', text: closeNotice(lastClose.code, lastClose.reason, retryInMs) };
  }
  if (noticeUntil !== null && now >= noticeUntil) {
    showNotice(null);
  }
  return notice;
}

function onSnapshot(frame: SnapshotFrame): void {
  const now = performance.now();
  snapshots.record(now, frame.bytes);
  status.snapshotBytes = frame.bytes;
  if (frame.tick !== null && (status.tick === null || isAfter(frame.tick, status.tick))) {
    status.tick = frame.tick;
  }
  const receipt = frame.receipt;
  if (receipt.outcome === 'failed') {
    status.applyErrors = session?.replication.applyErrors ?? 0;
    console.warn(`tickwire: snapshot ${frame.tick ?? '?'} not applied: ${receipt.reason}`);
    if (receipt.requestFull) {
      resyncNotice = { kind: 'error', text: `snapshot refused (${receipt.reason}); asked for a full snapshot` };
      showNotice(resyncNotice);
    }
    return;
  }
  if (receipt.outcome === 'applied') {
    world.addState(receipt.state, receipt.full ? null : receipt.spawned, now);
    status.mirrorTick = receipt.state.tick;
    if (receipt.full) {
      status.fullSnapshotsApplied += 1;
    } else {
      status.deltasApplied += 1;
    }
    status.actorCount = session?.replication.mirror.size ?? 0;
    status.ownPosition = world.ownPosition;
    if (status.ownPosition !== null) {
      predictor.reconcile(status.ownPosition, performance.now(), status.rttMs ?? 0);
      publishPrediction();
    }
    const ownFields = world.ownFields;
    status.ownFields = ownFields === null ? null : namedFields(fieldNames, ownFields);
    if (resyncNotice !== null && notice === resyncNotice) {
      showNotice(null);
    }
    resyncNotice = null;
  }
}

const keyboard = new Keyboard(window, () => session?.sendInputNow());
function onInput(sequence: number, direction: { x: number; y: number }): void {
  predictor.sent(sequence, direction, performance.now());
  status.lastInputSent = predictor.lastSent;
}
const sessionHandlers: SessionHandlers = {
  onState(next) {
    state = next;
    status.state = next;
  },
  onMessage,
  onSnapshot,
  onInput,
  onProtocolError(message) {
    console.warn(`tickwire: ${message}`);
    showNotice({ kind: 'error', text: `protocol error: ${message}` });
  },
  onClose(report) {
    // An attempt that fails without a word (1006) keeps the reason the server gave
    // before, e.g. "Server shutting down", with the new countdown.
    const silent = report.code === 1006 && report.reason === '' && !report.final;
    lastClose = silent && lastClose !== null ? { ...lastClose, retryInMs: report.retryInMs } : report;
    const next = report.retryInMs === null ? 'not retrying' : `retrying in ${Math.round(report.retryInMs)} ms`;
    console.info(`tickwire: connection closed (${report.code}${report.reason ? `: ${report.reason}` : ''}); ${next}`);
    flow.closed(report.code, report.reason);
  },
};

/** The snapshot cap the page wants (src/visibility.ts), asked for on every session. */
let wantedCap = snapshotCap(document);

/** Starts a session with `target`, closing the one before. */
function connect(target: Target): void {
  session?.close();
  lastClose = null;
  resyncNotice = null;
  showNotice(null);
  state = 'connecting';
  status.state = state;
  status.reconnects = 0;
  session = new Session(
    {
      url: target.url,
      authToken: authTokenFrom(location.search),
      seat: target.seat,
      resumeToken: target.resumeToken,
      room: target.room,
      direction: () => keyboard.direction(),
    },
    sessionHandlers,
  );
  session.capSnapshots(wantedCap);
}

/** Closes the session for good: the player left the room. */
function disconnect(): void {
  session?.close();
  session = null;
}

const matchmaker = new Matchmaker(location.origin);
const lobby = new Lobby(requireElement('lobby', HTMLElement), {
  rooms: () => matchmaker.rooms(),
  join: (room) => flow.join(room),
  create: () => flow.create(),
  quickPlay: () => flow.quickPlay(),
});
const flow = new RoomFlow({
  matchmaker,
  store: new ResumeStore(tabStorage()),
  lobby: {
    show(notice) {
      lobby.show(notice);
      status.view = 'lobby';
    },
    hide() {
      lobby.hide();
      status.view = 'room';
    },
  },
  page: {
    get href() {
      return location.href;
    },
    replace(href) {
      history.replaceState(history.state, '', href);
    },
  },
  socketUrl: socketUrl(location),
  connect,
  disconnect,
});

/**
 * Keeps the renderer told where `element` (the HUD) is, so that it lays the arena out
 * clear of it: measured when the HUD changes size (a notice, the event log) and when
 * the window does, not every frame. The canvas covers the window (index.html), so the
 * HUD's rectangle in the page is its rectangle on the canvas.
 */
function trackHud(element: HTMLElement): void {
  const measure = () => renderer.setHudRect(element.getBoundingClientRect());
  new ResizeObserver(measure).observe(element);
  window.addEventListener('resize', measure);
}

watchVisibility(document, (maxPerSecond) => {
  wantedCap = maxPerSecond;
  session?.capSnapshots(maxPerSecond);
});
window.addEventListener('resize', () => renderer.resize());
trackHud(hudElement);
// Leaving the page is the page's own decision: no reconnecting. It says 1001 (going
// away), as the browser would, not 1000 (the player left): a reload comes back on
// `?room=` and resumes. Coming back from the back-forward cache connects again.
window.addEventListener('pagehide', () => session?.close(1001));
window.addEventListener('pageshow', (event) => {
  if (event.persisted) {
    session?.reopen();
  }
});

function frame(now: number): void {
  const actors = world.actorsAt(now);
  // The own actor (drawn last) at its predicted position, once this session has one.
  const predicted = world.waitingForState ? null : predictor.advance(performance.now());
  const own = actors.length > 0 ? actors[actors.length - 1] : undefined;
  if (predicted !== null && own !== undefined && own.own) {
    own.x = predicted.x;
    own.y = predicted.y;
  }
  status.predictedPosition = predicted ?? (own?.own ? { x: own.x, y: own.y } : null);
  const drawn: Record<number, { x: number; y: number }> = {};
  for (const actor of actors) {
    drawn[actor.id] = { x: actor.x, y: actor.y };
  }
  status.drawnPositions = drawn;
  renderer.draw(world.arenaSize, actors, fieldNames);
  status.arenaRect = renderer.arenaPlacement;
  hud.update({
    roomName: status.roomName ?? '',
    room: status.room ?? '',
    state,
    actorId: world.ownId,
    tick: status.tick,
    rttMs: status.rttMs,
    actorCount: world.actorCount,
    snapshotRate: snapshots.eventsPerSecond(now),
    snapshotBytesPerSecond: snapshots.amountPerSecond(now),
    settings: world.settings,
    snapshotEveryTicks: snapshotRate.everyTicks,
    throttle: snapshotRate.reason,
    fieldNames,
    events: events.lines(HUD_EVENTS),
    notice: currentNotice(now),
  });
  requestAnimationFrame(frame);
}
flow.start();
requestAnimationFrame(frame);
