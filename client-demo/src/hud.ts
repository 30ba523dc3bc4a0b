// Heads-up display: a small text panel over the canvas with the room, the connection
// state, server tick, round-trip time, actor count, snapshot rate, snapshot bytes per
// second, the server's rates in force (tick rate, this client's snapshot interval and
// why it is throttled, input interval, interpolation delay), the game's gameplay field
// names (only for a game that has any), a log of the last gameplay events (newest first,
// only once there are any), the latest notice (why the connection closed and when the
// next attempt is, a reconnection, a protocol error, a resync), and the Leave button
// (back to the lobby).

import { describeInterval, perSecond, type GameSettings, type SessionState, type Throttle } from '@tickwire/client';
import { COLORS } from './render';

export interface HudNotice {
  text: string;
  kind: 'info' | 'error';
}

export interface HudView {
  /** The room's type and id, from the last Welcome ('' from a server without rooms). */
  roomName: string;
  room: string;
  state: SessionState;
  actorId: number | null;
  tick: number | null;
  /** Round-trip time averaged over recent pings; null before the first is measured. */
  rttMs: number | null;
  actorCount: number;
  /** Snapshots received per second; null until it has been measured for a while. */
  snapshotRate: number | null;
  /** Bytes of snapshot frames received per second; null likewise. */
  snapshotBytesPerSecond: number | null;
  /** How far behind the server others are drawn now (adapted to the link's jitter); null before any state. */
  delayMs: number | null;
  /** The settings in force, or null before Welcome. */
  settings: GameSettings | null;
  /** This client's effective snapshot interval in ticks, and why it differs from broadcast_every. */
  snapshotEveryTicks: number | null;
  throttle: Throttle;
  /** The game's gameplay field names (Welcome.field_names); the row is hidden when empty. */
  fieldNames: readonly string[];
  /** The last gameplay events formatted for people, newest first; the log is hidden when empty. */
  events: readonly string[];
  notice: HudNotice | null;
}

type Field =
  | 'room'
  | 'state'
  | 'actor'
  | 'tick'
  | 'rtt'
  | 'actors'
  | 'rate'
  | 'bytes'
  | 'tickRate'
  | 'interval'
  | 'input'
  | 'delay'
  | 'fields';

const LABELS: Readonly<Record<Field, string>> = {
  room: 'room',
  state: 'state',
  actor: 'you',
  tick: 'tick',
  rtt: 'rtt',
  actors: 'actors',
  rate: 'snapshots/s',
  bytes: 'snapshot bytes/s',
  tickRate: 'server ticks',
  interval: 'snapshots',
  input: 'inputs sent',
  delay: 'others drawn',
  fields: 'fields',
};

/** Rows shown only when they have something to say. */
const OPTIONAL: ReadonlySet<Field> = new Set<Field>(['fields']);

/** A room for people: its type and id ("default k3v9qz2a"), one word when they are the same, '–' when unknown. */
export function describeRoom(roomName: string, room: string): string {
  if (room === '') {
    return roomName === '' ? '–' : roomName;
  }
  return roomName === '' || roomName === room ? room : `${roomName} ${room}`;
}

/** A byte rate for people: "850 B/s", "12.4 kB/s", "3.1 MB/s". */
export function formatByteRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1000) {
    return `${Math.round(bytesPerSecond)} B/s`;
  }
  if (bytesPerSecond < 1_000_000) {
    return `${(bytesPerSecond / 1000).toFixed(1)} kB/s`;
  }
  return `${(bytesPerSecond / 1_000_000).toFixed(1)} MB/s`;
}

/**
 * How far behind others are drawn, for people: "100 ms behind", or "180 ms behind
 * (min 100 ms: the link is jittery)" when the client drew further back than the server's
 * interpolation delay asks; '–' before any state.
 */
export function describeDelay(delayMs: number | null, settings: GameSettings | null): string {
  if (delayMs === null || settings === null) {
    return '–';
  }
  const shown = Math.round(delayMs);
  const floor = settings.interpolationDelayMs;
  return shown <= floor ? `${floor} ms behind` : `${shown} ms behind (min ${floor} ms: the link is jittery)`;
}

/** A coloured dot for the legend; the own actor's has its ring. */
function swatch(color: string, ring: boolean): HTMLElement {
  const dot = document.createElement('span');
  dot.className = 'swatch';
  dot.style.background = color;
  if (ring) {
    dot.style.boxShadow = `0 0 0 2px #0b0e13, 0 0 0 4px ${color}`;
  }
  return dot;
}

export class Hud {
  private readonly values = new Map<Field, HTMLElement>();
  private readonly labels = new Map<Field, HTMLElement>();
  private readonly notice: HTMLElement;
  private readonly events: HTMLOListElement;
  private shownEvents = '';

  /** @param onLeave what the Leave button does. */
  constructor(root: HTMLElement, onLeave: () => void) {
    const list = document.createElement('dl');
    for (const field of Object.keys(LABELS) as Field[]) {
      const label = document.createElement('dt');
      label.textContent = LABELS[field];
      const value = document.createElement('dd');
      value.dataset.field = field;
      list.append(label, value);
      this.values.set(field, value);
      this.labels.set(field, label);
      if (OPTIONAL.has(field)) {
        label.hidden = true;
        value.hidden = true;
      }
    }
    this.events = document.createElement('ol');
    this.events.className = 'events';
    this.events.hidden = true;
    this.notice = document.createElement('p');
    this.notice.className = 'notice';
    const help = document.createElement('p');
    help.className = 'help';
    help.textContent = 'move: WASD or arrow keys';
    const legend = document.createElement('p');
    legend.className = 'legend';
    legend.append(
      swatch(COLORS.own, true),
      ' you  ',
      swatch(COLORS.player, false),
      ' other players  ',
      swatch(COLORS.npc, false),
      ' NPCs',
    );
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.dataset.action = 'leave';
    leave.textContent = 'Leave room';
    leave.addEventListener('click', () => {
      // Focus would stay on the hidden button, where Space or Enter would press it again.
      leave.blur();
      onLeave();
    });
    const actions = document.createElement('p');
    actions.className = 'actions';
    actions.append(leave);
    root.replaceChildren(list, legend, this.events, this.notice, help, actions);
  }

  update(view: HudView): void {
    this.set('room', describeRoom(view.roomName, view.room));
    this.set('state', view.state);
    this.values.get('state')?.setAttribute('data-state', view.state);
    this.set('actor', view.actorId === null ? '–' : `#${view.actorId}`);
    this.set('tick', view.tick === null ? '–' : String(view.tick));
    this.set('rtt', view.rttMs === null ? '–' : `${view.rttMs.toFixed(1)} ms`);
    this.set('actors', String(view.actorCount));
    this.set('rate', view.snapshotRate === null ? '–' : view.snapshotRate.toFixed(1));
    this.set('bytes', view.snapshotBytesPerSecond === null ? '–' : formatByteRate(view.snapshotBytesPerSecond));
    const settings = view.settings;
    const tickRate = settings?.tickRateHz ?? null;
    this.set('tickRate', settings === null ? '–' : perSecond(1, settings.tickRateHz));
    this.set('interval', describeInterval(view.snapshotEveryTicks, view.throttle, tickRate));
    this.values.get('interval')?.toggleAttribute('data-throttled', view.throttle !== 'none');
    this.set('input', settings === null ? '–' : describeInterval(settings.inputEvery, 'none', tickRate));
    this.set('delay', describeDelay(view.delayMs, settings));
    this.set('fields', view.fieldNames.join(', '));
    this.show('fields', view.fieldNames.length > 0);
    this.showEvents(view.events);
    const text = view.notice?.text ?? '';
    if (this.notice.textContent !== text) {
      this.notice.textContent = text;
    }
    this.notice.dataset.kind = view.notice?.kind ?? 'info';
    this.notice.hidden = text === '';
  }

  private showEvents(events: readonly string[]): void {
    const key = events.join('\n');
    if (key === this.shownEvents) {
      return;
    }
    this.shownEvents = key;
    this.events.replaceChildren(
      ...events.map((text) => {
        const item = document.createElement('li');
        item.textContent = text;
        return item;
      }),
    );
    this.events.hidden = events.length === 0;
  }

  private show(field: Field, shown: boolean): void {
    for (const element of [this.labels.get(field), this.values.get(field)]) {
      if (element !== undefined && element.hidden === shown) {
        element.hidden = !shown;
      }
    }
  }

  private set(field: Field, text: string): void {
    const element = this.values.get(field);
    if (element !== undefined && element.textContent !== text) {
      element.textContent = text;
    }
  }
}
