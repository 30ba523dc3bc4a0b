// Room flow: which room the page plays in, and how it gets there. On load it takes the
// step src/entry.ts decides for `?room=`: the lobby, a resume with the token this tab
// stored, a seat from the matchmaker, or the default room. Every seat (the lobby's Join,
// Create room and Quick play, or a join by id) puts `?room=<id>` in the URL without a
// reload and connects to the seat's URL with it. Every Welcome stores the session's
// resume token for its room (src/resume-store.ts), so a reload resumes. A 4005 close
// (seat refused) takes the step entry.ts decides; Leave closes the session, forgets the
// token and shows the lobby on the URL without `?room=`. The app's side (sessions, the
// lobby's DOM, the URL) comes in as callbacks, so tests drive this with fakes.

import { roomFrom, withRoom } from './address';
import { DEFAULT_ROOM, stepAfterJoinFailure, stepAfterRefusal, stepOnLoad, type HelloKind, type Step } from './entry';
import { MatchmakerError, type Matchmaker, type Seat } from '@tickwire/client';
import type { ResumeStore } from './resume-store';

/** The close code of a refused seat or resume: ask the matchmaker again. */
export const SEAT_REFUSED = 4005;

/** What a session starts with. */
export interface Target {
  url: string;
  seat: string | null;
  resumeToken: Uint8Array | null;
  room: string | null;
}

/** The page's URL: read, and replaced without a reload (history.replaceState). */
export interface PageAddress {
  readonly href: string;
  replace(href: string): void;
}

export interface LobbyView {
  /** Shows the lobby with a one-line notice (null: none). */
  show(notice: string | null): void;
  hide(): void;
}

export interface RoomFlowOptions {
  matchmaker: Pick<Matchmaker, 'join' | 'create' | 'matchmake'>;
  store: ResumeStore;
  lobby: LobbyView;
  page: PageAddress;
  /** Where a Hello without a seat goes (the page's own host), and resumes after a reload. */
  socketUrl: string;
  /** Starts a session (closing any other first). */
  connect(target: Target): void;
  /** Closes the session, if any, for good: the player left. */
  disconnect(): void;
}

export class RoomFlow {
  /** The room the page is in or on its way to; null in the lobby. */
  private room: string | null = null;
  /** What the current session's Hello carries (a Welcome turns a seat into a resume). */
  private hello: HelloKind = 'plain';
  /** Counts steps, so that an answer to an earlier one (a join answered after Leave) is dropped. */
  private steps = 0;

  constructor(private readonly options: RoomFlowOptions) {}

  /** Takes the first step, from the page's URL. */
  start(): void {
    const room = roomFrom(new URL(this.options.page.href).search);
    this.follow(stepOnLoad(room, room === null ? null : this.options.store.load(room)));
  }

  /** Joins the room `room` (the lobby's Join). */
  join(room: string): void {
    this.follow({ kind: 'join', room });
  }

  /** Creates a room and plays in it (the lobby's Create room). */
  create(): void {
    this.seatFrom(() => this.options.matchmaker.create(), 'Could not create a room');
  }

  /** Joins an open room, or creates one (the lobby's Quick play). */
  quickPlay(): void {
    this.seatFrom(() => this.options.matchmaker.matchmake(), 'Quick play failed');
  }

  /** A Welcome came: keeps its resume token for its room, and the room in the URL. */
  welcomed(welcome: { room: string; resumeToken: Uint8Array | null }): void {
    this.hello = 'resume';
    if (welcome.room !== '' && welcome.room !== this.room) {
      this.room = welcome.room;
      this.setUrl(welcome.room);
    }
    if (this.room !== null) {
      this.options.store.save(this.room, welcome.resumeToken);
    }
  }

  /** A session closed; a refused seat or resume (4005) takes the next step. */
  closed(code: number, reason: string): void {
    if (code === SEAT_REFUSED && this.room !== null) {
      this.options.store.forget(this.room);
      this.follow(stepAfterRefusal(this.room, this.hello, reason));
    }
  }

  /** Leaves the room for the lobby (the HUD's Leave). */
  leave(): void {
    if (this.room !== null) {
      this.options.store.forget(this.room);
    }
    this.follow({ kind: 'lobby', notice: null });
  }

  private follow(step: Step): void {
    const at = ++this.steps;
    switch (step.kind) {
      case 'lobby':
        this.options.disconnect();
        this.room = null;
        this.setUrl(null);
        this.options.lobby.show(step.notice);
        break;
      case 'resume':
        this.enter(step.room, 'resume', { url: this.options.socketUrl, seat: null, resumeToken: step.token, room: step.room });
        break;
      case 'default':
        this.enter(DEFAULT_ROOM, 'plain', { url: this.options.socketUrl, seat: null, resumeToken: null, room: null });
        break;
      case 'join':
        this.whenSeated(at, this.options.matchmaker.join(step.room), (error) =>
          stepAfterJoinFailure(step.room, error.status, error.message),
        );
        break;
    }
  }

  private seatFrom(request: () => Promise<Seat>, failure: string): void {
    this.whenSeated(++this.steps, request(), (error) => ({ kind: 'lobby', notice: `${failure}: ${error.message}` }));
  }

  /**
   * Enters the seat `request` answers, or takes the step `onFailure` says, unless
   * another step was taken since step `at`.
   */
  private whenSeated(at: number, request: Promise<Seat>, onFailure: (error: MatchmakerError) => Step): void {
    request.then(
      (seat) => {
        if (at === this.steps) {
          this.seated(seat);
        }
      },
      (error: unknown) => {
        if (at === this.steps) {
          this.follow(onFailure(asMatchmakerError(error)));
        }
      },
    );
  }

  private seated(seat: Seat): void {
    this.options.store.forget(seat.room);
    this.enter(seat.room, 'seat', { url: seat.url, seat: seat.seat, resumeToken: null, room: seat.room });
  }

  /** Connects to `room` with `target`, the room in the URL. */
  private enter(room: string, hello: HelloKind, target: Target): void {
    this.hello = hello;
    this.room = room;
    this.setUrl(room);
    this.options.lobby.hide();
    this.options.connect(target);
  }

  private setUrl(room: string | null): void {
    const href = withRoom(this.options.page.href, room);
    if (href !== this.options.page.href) {
      this.options.page.replace(href);
    }
  }
}

/** A failed call as a MatchmakerError (anything else thrown: status 0). */
function asMatchmakerError(error: unknown): MatchmakerError {
  if (error instanceof MatchmakerError) {
    return error;
  }
  return new MatchmakerError(0, error instanceof Error ? error.message : String(error));
}
