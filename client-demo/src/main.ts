// Entry point: wires the connection, world state, keyboard, renderer and HUD
// together and runs the requestAnimationFrame loop.

import { Connection, type ConnectionState } from './connection';
import { Hud, type HudNotice } from './hud';
import { Keyboard } from './input';
import type { ServerEvent } from './protocol';
import { Renderer } from './render';
import { publishStatus } from './status';
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
let state: ConnectionState = 'connecting';
let notice: HudNotice | null = null;

function onMessage(event: ServerEvent): void {
  const now = performance.now();
  switch (event.type) {
    case 'welcome':
      world.welcome(event.actorId, event.arenaSize, event.settings, event.tick);
      status.actorId = event.actorId;
      status.arenaSize = event.arenaSize;
      status.settings = event.settings;
      status.tick = event.tick;
      break;
    case 'snapshot':
      if (world.addSnapshot(event.tick, event.actors, now)) {
        status.tick = world.tick;
        status.actorCount = world.actorCount;
        status.ownPosition = world.ownPosition;
      }
      break;
    case 'settings':
      world.applySettings(event.settings);
      status.settings = event.settings;
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

const keyboard = new Keyboard(window, () => connection.sendInputNow());
const connection = new Connection(socketUrl(), () => keyboard.direction(), {
  onState(next) {
    state = next;
    status.state = next;
  },
  onMessage,
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

window.addEventListener('resize', () => renderer.resize());

function frame(now: number): void {
  renderer.draw(world.arenaSize, world.actorsAt(now));
  hud.update({
    state,
    actorId: world.ownId,
    tick: world.tick,
    rttMs: status.rttMs,
    actorCount: world.actorCount,
    snapshotRate: world.snapshotRate(now),
    notice,
  });
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
