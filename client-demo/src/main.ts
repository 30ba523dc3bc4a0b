// Entry point: the demo is a thin consumer of @tickwire/client (clients/ts). It wires
// the room flow (lobby, matchmaker, the room in the URL, stored resume tokens) to a
// TickwireClient per room entered, the keyboard to its sendInput, page visibility to its
// snapshot cap, and each animation frame's view of the world to the renderer and the
// HUD (the renderer keeps the arena clear of the HUD); `window.tickwire` mirrors what
// the client knows for tests.

import { Matchmaker, TickwireClient, type Vec } from '@tickwire/client';
import { authTokenFrom, socketUrl } from './address';
import { Hud, type HudNotice } from './hud';
import { Keyboard } from './input';
import { Lobby } from './lobby';
import { Renderer } from './render';
import { ResumeStore, tabStorage } from './resume-store';
import { RoomFlow, type Target } from './room-flow';
import { publishStatus } from './status';
import { snapshotCap, watchVisibility } from './visibility';

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
const renderer = new Renderer(requireElement('view', HTMLCanvasElement));
const hudElement = requireElement('hud', HTMLElement);
const hud = new Hud(hudElement, () => flow.leave());
/** The client in the current room; null in the lobby. */
let client: TickwireClient | null = null;
let notice: HudNotice | null = null;
/** When `notice` goes away by itself (performance.now()); null: when replaced. */
let noticeUntil: number | null = null;
/** The notice saying the mirror is being resynchronised, while it is. */
let resyncNotice: HudNotice | null = null;

function publishRate(of: TickwireClient): void {
  status.snapshotEveryTicks = of.snapshotRate.everyTicks;
  status.throttleReason = of.snapshotRate.reason;
}

function publishPrediction(of: TickwireClient): void {
  status.predictedPosition = of.prediction.position;
  status.lastInputAck = of.prediction.lastAck;
  status.lastInputSent = of.prediction.lastSent;
  status.predictionError = of.prediction.lastError;
}

/** Follows `of`'s events into the HUD's notices and `window.tickwire`. */
function watch(of: TickwireClient): void {
  of.on('status', (next) => {
    if (status.state !== next.state) {
      status.state = next.state; // tests record every state the page goes through
    }
    const close = next.close;
    if (close !== null) {
      const retry = close.retryInMs === null ? 'not retrying' : `retrying in ${Math.round(close.retryInMs)} ms`;
      console.info(`tickwire: connection closed (${close.code}${close.reason ? `: ${close.reason}` : ''}); ${retry}`);
    }
  });
  of.on('welcome', (welcome) => {
    flow.welcomed(welcome);
    if (welcome.reconnects > 0) {
      const previous = welcome.previousActorId;
      const text = welcome.resumed
        ? `reconnected: resumed actor #${welcome.actorId}`
        : `reconnected as a new actor #${welcome.actorId} (actor #${previous ?? '?'} could not be resumed)`;
      showNotice({ kind: 'info', text }, RECONNECTED_NOTICE_MS);
      if (!welcome.resumed) {
        console.info(`tickwire: new session, own actor #${previous ?? '?'} -> #${welcome.actorId}`);
      }
    } else {
      showNotice(null);
    }
    resyncNotice = null;
    status.reconnects = welcome.reconnects;
    status.room = welcome.room;
    status.roomName = welcome.roomName;
    status.resumed = welcome.resumed;
    status.applyErrors = 0;
    status.actorId = welcome.actorId;
    status.arenaSize = welcome.arenaSize;
    status.settings = welcome.settings;
    status.tick = welcome.tick;
    status.fieldNames = [...welcome.fieldNames];
    status.eventNames = [...welcome.eventNames];
    publishRate(of);
    publishPrediction(of);
  });
  of.on('inputAck', () => publishPrediction(of));
  of.on('gameEvent', () => {
    status.events = of.events.recent.map((named) => ({ ...named }));
    status.eventCount = of.events.count;
  });
  of.on('settings', (settings) => {
    status.settings = settings;
    publishRate(of);
  });
  of.on('rate', () => publishRate(of));
  of.on('disconnect', (disconnect) => {
    // The notice comes with the close that follows (the status event).
    status.lastDisconnect = disconnect;
  });
  of.on('protocolError', (message) => {
    console.warn(`tickwire: ${message}`);
    showNotice({ kind: 'error', text: `protocol error: ${message}` });
  });
  of.on('snapshot', (snapshot) => {
    status.snapshotBytes = snapshot.bytes;
    status.tick = of.tick;
    if (!snapshot.applied) {
      status.applyErrors = of.applyErrors;
      console.warn(`tickwire: snapshot ${snapshot.tick ?? '?'} not applied: ${snapshot.reason}`);
      if (snapshot.requestedFull) {
        resyncNotice = { kind: 'error', text: `snapshot refused (${snapshot.reason}); asked for a full snapshot` };
        showNotice(resyncNotice);
      }
      return;
    }
    status.mirrorTick = of.mirrorTick;
    if (snapshot.full) {
      status.fullSnapshotsApplied += 1;
    } else {
      status.deltasApplied += 1;
    }
    status.actorCount = snapshot.actorCount;
    status.ownPosition = of.serverPosition;
    publishPrediction(of);
    status.ownFields = of.ownFields;
    if (resyncNotice !== null && notice === resyncNotice) {
      showNotice(null);
    }
    resyncNotice = null;
  });
}

/** Shows `next` (null: nothing), for `forMs` or until replaced. */
function showNotice(next: HudNotice | null, forMs: number | null = null): void {
  notice = next;
  noticeUntil = forMs === null ? null : performance.now() + forMs;
}

/** The HUD's notice at `now`: a close (counting down to the retry) before anything else. */
function currentNotice(now: number): HudNotice | null {
  const closed = client?.status;
  if (closed !== undefined && closed.close !== null) {
    return { kind: closed.close.final ? 'error' : 'info', text: closed.reason };
  }
  if (noticeUntil !== null && now >= noticeUntil) {
    showNotice(null);
  }
  return notice;
}

const keyboard = new Keyboard(window, () => client?.sendInput(keyboard.direction()));

/** The snapshot cap the page wants (src/visibility.ts), asked for on every client. */
let wantedCap = snapshotCap(document);

/** Starts a client for `target`, closing the one before. */
function connect(target: Target): void {
  client?.close();
  resyncNotice = null;
  showNotice(null);
  status.state = 'connecting';
  status.reconnects = 0;
  const next = TickwireClient.connect(target.url, {
    authToken: authTokenFrom(location.search),
    seat: target.seat,
    resumeToken: target.resumeToken,
    room: target.room,
  });
  client = next;
  watch(next);
  next.on('close', (report) => flow.closed(report.code, report.reason));
  next.sendInput(keyboard.direction());
  next.capSnapshots(wantedCap);
}

/** Closes the client for good: the player left the room. */
function disconnect(): void {
  client?.close();
  client = null;
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
  client?.capSnapshots(maxPerSecond);
});
window.addEventListener('resize', () => renderer.resize());
trackHud(hudElement);
// Leaving the page is the page's own decision: no reconnecting. It says 1001 (going
// away), as the browser would, not 1000 (the player left): a reload comes back on
// `?room=` and resumes. Coming back from the back-forward cache connects again.
window.addEventListener('pagehide', () => client?.close(1001));
window.addEventListener('pageshow', (event) => {
  if (event.persisted) {
    client?.reopen();
  }
});

function frame(now: number): void {
  const view = client?.view(now) ?? null;
  const actors = view?.actors ?? [];
  const own = view?.own ?? null;
  status.predictedPosition = own === null ? null : { x: own.x, y: own.y };
  const drawn: Record<number, Vec> = {};
  for (const actor of actors) {
    drawn[actor.id] = { x: actor.x, y: actor.y };
  }
  status.drawnPositions = drawn;
  status.frameTime = now;
  status.frames += 1;
  status.interpolationDelayMs = view?.delayMs ?? null;
  const fieldNames = client?.welcome?.fieldNames ?? [];
  renderer.draw(client?.arenaSize ?? null, actors, fieldNames);
  status.arenaRect = renderer.arenaPlacement;
  status.rttMs = client?.rttMs ?? null;
  const rate = client?.snapshotRate ?? { everyTicks: null, reason: 'none' as const };
  hud.update({
    roomName: status.roomName ?? '',
    room: status.room ?? '',
    state: status.state,
    actorId: client?.actorId ?? null,
    tick: status.tick,
    rttMs: status.rttMs,
    actorCount: client?.actorCount ?? 0,
    snapshotRate: client?.snapshotsPerSecond(now) ?? null,
    snapshotBytesPerSecond: client?.snapshotBytesPerSecond(now) ?? null,
    settings: client?.settings ?? null,
    snapshotEveryTicks: rate.everyTicks,
    throttle: rate.reason,
    delayMs: view?.delayMs ?? null,
    fieldNames,
    events: client?.events.lines(HUD_EVENTS) ?? [],
    notice: currentNotice(now),
  });
  requestAnimationFrame(frame);
}
flow.start();
requestAnimationFrame(frame);
