// Gameplay events: names them from the Welcome's event_names, formats them for people
// (`#12 tagged #7`) and keeps the recent ones for the HUD and `window.tickwire`.

import type { GameEventData } from './protocol';

/** One event as the page keeps it: its batch's tick and its kind's name. */
export interface NamedEvent {
  tick: number;
  kind: number;
  /** `eventNames[kind]`, or `event K` for a kind without a name. */
  name: string;
  actor: number;
  other: number;
  value: number;
}

/** How many events the log keeps (`window.tickwire.events`). */
export const KEPT_EVENTS = 20;

/** The name of event kind `kind`: `eventNames[kind]`, or `event K` when it has none. */
export function eventName(eventNames: readonly string[], kind: number): string {
  return kind < eventNames.length ? eventNames[kind] : `event ${kind}`;
}

/**
 * An event for people: `#actor name #other (value)`, leaving out an actor or other of 0
 * (none) and a value of 0: `#12 tagged #7`, `#3 scored (2)`.
 */
export function formatEvent(event: NamedEvent): string {
  const parts: string[] = [];
  if (event.actor !== 0) {
    parts.push(`#${event.actor}`);
  }
  parts.push(event.name);
  if (event.other !== 0) {
    parts.push(`#${event.other}`);
  }
  if (event.value !== 0) {
    parts.push(`(${event.value})`);
  }
  return parts.join(' ');
}

/** The recent events, oldest first, and how many there were in all. */
export class EventLog {
  private names: readonly string[] = [];
  private kept: NamedEvent[] = [];
  private total = 0;

  /** The event kinds' names, from the last Welcome. */
  get eventNames(): readonly string[] {
    return this.names;
  }

  /** Events received in all, on every connection. */
  get count(): number {
    return this.total;
  }

  /** The last KEPT_EVENTS events, oldest first. */
  get recent(): readonly NamedEvent[] {
    return this.kept;
  }

  welcome(eventNames: readonly string[]): void {
    this.names = [...eventNames];
  }

  /** Adds a GameEvents batch, in order. */
  add(tick: number, events: readonly GameEventData[]): void {
    for (const event of events) {
      this.kept.push({ tick, ...event, name: eventName(this.names, event.kind) });
    }
    this.total += events.length;
    if (this.kept.length > KEPT_EVENTS) {
      this.kept = this.kept.slice(-KEPT_EVENTS);
    }
  }

  /** The newest `count` events formatted for people, newest first. */
  lines(count: number): string[] {
    return this.kept.slice(-count).reverse().map(formatEvent);
  }
}
