// Entry point: wires the connection (and its mirror), world view, snapshot rate,
// page visibility, keyboard, renderer and HUD together and runs the
// requestAnimationFrame loop.

import { Connection, type ConnectionState, type ServerNotice, type SnapshotFrame } from './connection';
import { Hud, type HudNotice } from './hud';
import { Keyboard } from './input';
import { RateMeter } from './meter';
import { Renderer } from './render';
import { SnapshotRateTracker } from './rate';
import { publishStatus } from './status';
import { snapshotCap, watchVisibility } from './visibility';
import { World } from './world';

function requireElement<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`index.html should have a <${type.name}> with id "${id}"`);
  }
  return element;
}

function socketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

const status = publishStatus();
const world = new World();
const renderer = new Renderer(requireElement('view', HTMLCanvasElement));
const hud = new Hud(requireElement('hud', HTMLElement));
const snapshots = new RateMeter();
const snapshotRate = new SnapshotRateTracker();
let state: ConnectionState = 'connecting';
let notice: HudNotice | null = null;
/** The notice saying the mirror is being resynchronised, while it is. */
let resyncNotice: HudNotice | null = null;

function publishRate(): void {
  status.snapshotEveryTicks = snapshotRate.everyTicks;
  status.throttleReason = snapshotRate.reason;
}

function onMessage(event: ServerNotice): void {
  switch (event.type) {
    case 'welcome':
      world.welcome(event.actorId, event.arenaSize, event.settings);
      status.actorId = event.actorId;
      status.arenaSize = event.arenaSize;
      status.settings = event.settings;
      status.tick = event.tick;
      snapshotRate.welcome(event.settings);
      publishRate();
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
      status.lastDisconnect = { code: event.code, reason: event.reason };
      notice = { kind: 'info', text: `disconnected by server: ${event.reason || 'no reason given'} (${event.code})` };
      break;
  }
}

function onSnapshot(frame: SnapshotFrame): void {
  const now = performance.now();
  snapshots.record(now, frame.bytes);
  status.snapshotBytes = frame.bytes;
  if (frame.tick !== null && (status.tick === null || frame.tick > status.tick)) {
    status.tick = frame.tick;
  }
  const receipt = frame.receipt;
  if (receipt.outcome === 'failed') {
    status.applyErrors = connection.replication.applyErrors;
    console.warn(`tickwire: snapshot ${frame.tick ?? '?'} not applied: ${receipt.reason}`);
    if (receipt.requestFull) {
      resyncNotice = { kind: 'error', text: `snapshot refused (${receipt.reason}); asked for a full snapshot` };
      notice = resyncNotice;
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
    status.actorCount = connection.replication.mirror.size;
    status.ownPosition = world.ownPosition;
    if (resyncNotice !== null && notice === resyncNotice) {
      notice = null;
    }
    resyncNotice = null;
  }
}

const keyboard = new Keyboard(window, () => connection.sendInputNow());
const connection = new Connection(socketUrl(), () => keyboard.direction(), {
  onState(next) {
    state = next;
    status.state = next;
  },
  onMessage,
  onSnapshot,
  onProtocolError(message) {
    console.warn(`tickwire: ${message}`);
    notice = { kind: 'error', text: `protocol error: ${message}` };
  },
  onClose(code, reason) {
    // A Disconnect message already said why; otherwise the close frame has to.
    if (status.lastDisconnect === null) {
      const why = reason || (code === 1006 ? 'connection lost' : 'no reason given');
      notice = { kind: 'info', text: `connection closed: ${why} (${code})` };
    }
  },
});

connection.capSnapshots(snapshotCap(document));
watchVisibility(document, (maxPerSecond) => connection.capSnapshots(maxPerSecond));
window.addEventListener('resize', () => renderer.resize());

function frame(now: number): void {
  renderer.draw(world.arenaSize, world.actorsAt(now));
  hud.update({
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
    notice,
  });
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
