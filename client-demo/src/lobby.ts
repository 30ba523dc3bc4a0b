// Lobby: the panel the page opens on without `?room=`. It lists the rooms from the
// matchmaker (type, id, players/capacity, label), refreshed every REFRESH_MS while it is
// shown, with a Join button per room that takes players, and Create room and Quick play
// buttons; what they do is src/room-flow.ts's job. The buttons are disabled from a click
// until the lobby is shown again (the flow answers every click by hiding it, or showing
// it with a notice), so a slow answer is not asked for twice.

import type { Room } from '@tickwire/client';

/** How often the room list is fetched while the lobby is shown. */
export const REFRESH_MS = 2000;

/** One row of the room list, as shown. */
export interface LobbyRow {
  id: string;
  name: string;
  /** "3/5" */
  players: string;
  /** "mode=ffa, map=2" ('' for an empty label) */
  label: string;
  /** Open, with a place free. */
  joinable: boolean;
}

/** The rows for `rooms`, in the server's order. */
export function lobbyRows(rooms: readonly Room[]): LobbyRow[] {
  return rooms.map((room) => ({
    id: room.id,
    name: room.name,
    players: `${room.clients}/${room.maxClients}`,
    label: describeLabel(room.label),
    joinable: room.state === 'open' && room.clients < room.maxClients,
  }));
}

/** A room label for people: `{"mode": "ffa", "map": 2}` → "mode=ffa, map=2". */
export function describeLabel(label: Readonly<Record<string, unknown>>): string {
  return Object.entries(label)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

export interface LobbyActions {
  rooms(): Promise<Room[]>;
  join(room: string): void;
  create(): void;
  quickPlay(): void;
}

export class Lobby {
  private readonly notice: HTMLElement;
  private readonly listError: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLElement;
  /** Counts shows, so that a refresh answered after the lobby was hidden is dropped. */
  private shown = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: LobbyActions,
  ) {
    const title = document.createElement('h1');
    title.textContent = 'Tickwire rooms';
    this.notice = paragraph('notice');
    this.table = document.createElement('table');
    const head = this.table.createTHead().insertRow();
    for (const text of ['room', 'id', 'players', 'label', '']) {
      const cell = document.createElement('th');
      cell.textContent = text;
      head.append(cell);
    }
    this.body = this.table.createTBody();
    this.empty = paragraph('empty');
    this.empty.textContent = 'No rooms yet.';
    this.listError = paragraph('list-error');
    const buttons = document.createElement('p');
    buttons.className = 'actions';
    buttons.append(button('Create room', 'create', () => this.act(() => actions.create())));
    buttons.append(button('Quick play', 'quick-play', () => this.act(() => actions.quickPlay())));
    root.replaceChildren(title, this.notice, this.table, this.empty, this.listError, buttons);
  }

  /** Shows the lobby with `notice` (null: none) and keeps its list fresh until hidden. */
  show(notice: string | null): void {
    this.shown += 1;
    this.root.hidden = false;
    this.notice.textContent = notice ?? '';
    this.notice.hidden = notice === null;
    this.setBusy(false);
    this.refresh();
  }

  hide(): void {
    this.shown += 1;
    this.root.hidden = true;
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
  }

  private refresh(): void {
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    const at = this.shown;
    const next = () => {
      if (at === this.shown) {
        this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_MS);
      }
    };
    this.actions.rooms().then(
      (rooms) => {
        if (at === this.shown) {
          this.listError.hidden = true;
          this.render(lobbyRows(rooms));
        }
        next();
      },
      (error: unknown) => {
        if (at === this.shown) {
          this.listError.textContent = `Could not list the rooms: ${error instanceof Error ? error.message : String(error)}`;
          this.listError.hidden = false;
        }
        next();
      },
    );
  }

  private render(rows: readonly LobbyRow[]): void {
    const busy = this.root.hasAttribute('data-busy');
    this.body.replaceChildren(
      ...rows.map((row) => {
        const line = document.createElement('tr');
        line.dataset.room = row.id;
        for (const text of [row.name, row.id, row.players, row.label]) {
          line.insertCell().textContent = text;
        }
        const join = button('Join', 'join', () => this.act(() => this.actions.join(row.id)));
        join.dataset.joinable = String(row.joinable);
        join.disabled = busy || !row.joinable;
        line.insertCell().append(join);
        return line;
      }),
    );
    this.table.hidden = rows.length === 0;
    this.empty.hidden = rows.length > 0;
  }

  private act(action: () => void): void {
    this.setBusy(true);
    action();
  }

  private setBusy(busy: boolean): void {
    this.root.toggleAttribute('data-busy', busy);
    for (const element of this.root.querySelectorAll('button')) {
      element.disabled = busy || element.dataset.joinable === 'false';
    }
  }
}

function paragraph(className: string): HTMLElement {
  const element = document.createElement('p');
  element.className = className;
  element.hidden = true;
  return element;
}

function button(text: string, action: string, onClick: () => void): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = text;
  element.dataset.action = action;
  element.addEventListener('click', onClick);
  return element;
}
