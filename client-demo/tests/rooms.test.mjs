// Unit test, in Node, of the page's way into a room: the matchmaker's answers checked
// and its refusals as errors with their status (src/matchmaker.ts, over a fake fetch),
// the lobby's rows from a rooms answer (src/lobby.ts), `?room=` read and written
// (src/address.ts), resume tokens per room (src/resume-store.ts), the choice of lobby,
// resume, seat or default room (src/entry.ts), the HUD's room name (src/hud.ts), and
// the room flow (src/room-flow.ts) with a fake matchmaker, lobby, URL and sessions:
// create, reload and resume, a refused resume, a room that is gone, leave.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClient } from './client.mjs';

let client;

before(async () => {
  client = await loadClient();
});

const ROOM = {
  id: 'k3v9qz2a',
  name: 'default',
  clients: 3,
  max_clients: 5,
  label: { mode: 'ffa', size: 2 },
  tick_rate_hz: 30,
  state: 'open',
};
const SEAT = { room: 'k3v9qz2a', name: 'default', url: 'ws://127.0.0.1:9000/ws', seat: 'opaque.seat', expires_in_ms: 15000 };

/** A fetch that answers from `answers` (one [status, body] per call, in order) and records the calls. */
function fakeFetch(answers) {
  const calls = [];
  const fetcher = async (url, init) => {
    calls.push({ url, method: init.method, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    const next = answers.shift();
    if (next instanceof Error) {
      throw next;
    }
    const [status, body] = next;
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { fetcher, calls };
}

describe('matchmaker', () => {
  test('lists rooms and takes seats with the contract\'s calls', async () => {
    const { Matchmaker } = client.matchmaker;
    const { fetcher, calls } = fakeFetch([
      [200, { rooms: [ROOM] }],
      [201, SEAT],
      [200, SEAT],
      [200, { ...SEAT, url: '/ws' }],
    ]);
    const matchmaker = new Matchmaker('http://127.0.0.1:9000', fetcher);
    assert.deepEqual(await matchmaker.rooms(), [
      { id: 'k3v9qz2a', name: 'default', clients: 3, maxClients: 5, label: { mode: 'ffa', size: 2 }, tickRateHz: 30, state: 'open' },
    ]);
    const seat = { room: 'k3v9qz2a', name: 'default', url: 'ws://127.0.0.1:9000/ws', seat: 'opaque.seat', expiresInMs: 15000 };
    assert.deepEqual(await matchmaker.create(), seat);
    assert.deepEqual(await matchmaker.join('a b/c'), seat);
    assert.deepEqual(await matchmaker.matchmake(), seat, 'a relative seat URL is on the page\'s origin');
    assert.deepEqual(calls, [
      { url: 'http://127.0.0.1:9000/rooms', method: 'GET', body: undefined },
      { url: 'http://127.0.0.1:9000/rooms', method: 'POST', body: { name: 'default' } },
      { url: 'http://127.0.0.1:9000/rooms/a%20b%2Fc/join', method: 'POST', body: undefined },
      { url: 'http://127.0.0.1:9000/matchmake', method: 'POST', body: { name: 'default' } },
    ]);
  });

  test('a refusal is a MatchmakerError with the status and the server\'s words', async () => {
    const { Matchmaker, MatchmakerError } = client.matchmaker;
    const { fetcher } = fakeFetch([
      [404, { error: 'no room k3v9qz2a' }],
      [409, 'not json'],
      new TypeError('connection refused'),
      [200, { ...SEAT, url: 'http://elsewhere/' }],
      [200, { rooms: [{ ...ROOM, state: 'gone' }] }],
      [200, 'not json'],
    ]);
    const matchmaker = new Matchmaker('http://h', fetcher);
    const refusal = async (promise, status, message) => {
      await assert.rejects(promise, (error) => {
        assert.ok(error instanceof MatchmakerError, `should be a MatchmakerError: ${error}`);
        assert.equal(error.status, status);
        assert.match(error.message, message);
        return true;
      });
    };
    await refusal(matchmaker.join('k3v9qz2a'), 404, /^no room k3v9qz2a$/);
    await refusal(matchmaker.join('k3v9qz2a'), 409, /^HTTP 409$/);
    await refusal(matchmaker.rooms(), 0, /did not answer \(connection refused\)/);
    await refusal(matchmaker.join('k3v9qz2a'), 0, /seat\.url should be a ws/);
    await refusal(matchmaker.rooms(), 0, /room\.state/);
    await refusal(matchmaker.rooms(), 0, /without JSON/);
  });

  test('malformed answers are refused', () => {
    const { parseRooms, parseSeat } = client.matchmaker;
    assert.throws(() => parseRooms({}), /\{"rooms": \[\.\.\.\]\}/);
    assert.throws(() => parseRooms({ rooms: [{ ...ROOM, clients: '3' }] }), /room\.clients should be a number/);
    assert.throws(() => parseRooms({ rooms: [{ ...ROOM, max_clients: Infinity }] }), /max_clients/);
    assert.throws(() => parseSeat({ ...SEAT, seat: 7 }, 'ws://h'), /seat\.seat should be a string/);
    assert.throws(() => parseSeat({ ...SEAT, url: 'http://h/ws' }, 'ws://h'), /seat\.url should be a ws/);
    assert.equal(parseSeat({ ...SEAT, url: '/ws' }, 'wss://h:8443').url, 'wss://h:8443/ws');
    assert.deepEqual(parseRooms({ rooms: [{ ...ROOM, label: null }] })[0].label, {}, 'a missing label is an empty one');
  });
});

describe('lobby rows', () => {
  test('name, id, players/capacity, label; joinable while open with a place', () => {
    const { lobbyRows, describeLabel } = client.lobby;
    const rooms = client.matchmaker.parseRooms({
      rooms: [
        ROOM,
        { ...ROOM, id: 'default', clients: 5, label: {} },
        { ...ROOM, id: 'locked1', state: 'locked', label: { ranked: true } },
      ],
    });
    assert.deepEqual(lobbyRows(rooms), [
      { id: 'k3v9qz2a', name: 'default', players: '3/5', label: 'mode=ffa, size=2', joinable: true },
      { id: 'default', name: 'default', players: '5/5', label: '', joinable: false },
      { id: 'locked1', name: 'default', players: '3/5', label: 'ranked=true', joinable: false },
    ]);
    assert.equal(describeLabel({ map: 'a=b', n: null, nested: { x: 1 } }), 'map=a=b, n=null, nested={"x":1}');
  });
});

describe('room in the URL', () => {
  test('?room= is read, set and removed; the auth token stays', () => {
    const { roomFrom, withRoom } = client.address;
    assert.equal(roomFrom('?room=k3v9qz2a'), 'k3v9qz2a');
    assert.equal(roomFrom('?token=t&room=default'), 'default');
    assert.equal(roomFrom('?room='), null, 'an empty room should be none');
    assert.equal(roomFrom(''), null);
    assert.equal(withRoom('http://h:1/', 'k3v9qz2a'), 'http://h:1/?room=k3v9qz2a');
    assert.equal(withRoom('http://h:1/?token=t', 'r1'), 'http://h:1/?token=t&room=r1');
    assert.equal(withRoom('http://h:1/?room=old&token=t', 'new'), 'http://h:1/?room=new&token=t');
    assert.equal(withRoom('http://h:1/?room=r1', null), 'http://h:1/', 'leaving should go back to /');
    assert.equal(withRoom('http://h:1/?token=t&room=r1', null), 'http://h:1/?token=t');
  });
});

/** A sessionStorage stand-in; `broken` makes every call throw, as a page without storage. */
function memoryStorage(broken = false) {
  const items = new Map();
  const guard = () => {
    if (broken) {
      throw new Error('SecurityError');
    }
  };
  return {
    items,
    getItem: (key) => (guard(), items.get(key) ?? null),
    setItem: (key, value) => (guard(), items.set(key, String(value))),
    removeItem: (key) => (guard(), items.delete(key)),
  };
}

describe('resume store', () => {
  test('keeps a token per room; forgets it; survives storage that refuses', () => {
    const { ResumeStore } = client.resumeStore;
    const storage = memoryStorage();
    const store = new ResumeStore(storage);
    const token = Uint8Array.from([0, 1, 0xab, 0xff]);
    assert.equal(store.load('r1'), null);
    store.save('r1', token);
    assert.deepEqual(store.load('r1'), token, 'the token should come back byte for byte');
    assert.equal(store.load('r2'), null, 'each room has its own token');
    store.save('r1', null);
    assert.equal(store.load('r1'), null, 'saving none forgets it');
    store.save('r2', token);
    store.forget('r2');
    assert.equal(store.load('r2'), null);
    storage.items.set('tickwire.resume.r3', 'xyz');
    assert.equal(store.load('r3'), null, 'something not a token is none');
    const broken = new ResumeStore(memoryStorage(true));
    broken.save('r1', token);
    assert.equal(broken.load('r1'), null, 'storage that throws costs only the resume');
    assert.equal(new ResumeStore(null).load('r1'), null);
  });
});

describe('entry decisions', () => {
  const token = Uint8Array.from([1, 2, 3]);

  test('on load: lobby, resume, join, or the default room', () => {
    const { stepOnLoad } = client.entry;
    assert.deepEqual(stepOnLoad(null, null), { kind: 'lobby', notice: null });
    assert.deepEqual(stepOnLoad('r1', token), { kind: 'resume', room: 'r1', token });
    assert.deepEqual(stepOnLoad('r1', null), { kind: 'join', room: 'r1' });
    assert.deepEqual(stepOnLoad('default', null), { kind: 'default' }, 'the default room takes a Hello without a seat');
    assert.deepEqual(stepOnLoad('default', token), { kind: 'resume', room: 'default', token });
  });

  test('a refused resume asks again; a refused seat goes to the lobby', () => {
    const { stepAfterRefusal } = client.entry;
    assert.deepEqual(stepAfterRefusal('r1', 'resume', 'resume expired'), { kind: 'join', room: 'r1' });
    assert.deepEqual(stepAfterRefusal('default', 'resume', ''), { kind: 'default' });
    assert.deepEqual(stepAfterRefusal('r1', 'seat', 'seat expired'), { kind: 'lobby', notice: 'The seat in room r1 was refused: seat expired' });
    assert.deepEqual(stepAfterRefusal('default', 'plain', ''), { kind: 'lobby', notice: 'Room default was refused' });
  });

  test('a failed join goes to the lobby and says why', () => {
    const { stepAfterJoinFailure } = client.entry;
    assert.deepEqual(stepAfterJoinFailure('r1', 404, 'no room'), { kind: 'lobby', notice: 'Room r1 is gone' });
    assert.deepEqual(stepAfterJoinFailure('r1', 409, 'full'), { kind: 'lobby', notice: 'Room r1 is full' });
    assert.deepEqual(stepAfterJoinFailure('r1', 0, 'the server did not answer'), {
      kind: 'lobby',
      notice: 'Could not join room r1: the server did not answer',
    });
  });
});

describe('HUD room', () => {
  test('type and id, one word when they are the same', () => {
    const { describeRoom } = client.hud;
    assert.equal(describeRoom('default', 'k3v9qz2a'), 'default k3v9qz2a');
    assert.equal(describeRoom('default', 'default'), 'default');
    assert.equal(describeRoom('', ''), '–', 'a server without rooms names none');
    assert.equal(describeRoom('', 'r1'), 'r1');
  });
});

describe('room flow', () => {
  const PAGE = 'http://127.0.0.1:9000/';
  const SOCKET = 'ws://127.0.0.1:9000/ws';
  const seat = (room, token = `seat-${room}`) => ({ room, name: 'default', url: `ws://seats.test/ws`, seat: token, expiresInMs: 15000 });

  /**
   * A flow on fakes: `answers` maps 'join:<id>', 'create', 'matchmake' to Seats, Errors or
   * promises, one per call in order (none left: never answered).
   */
  function start(href, { storage = memoryStorage(), answers = {} } = {}) {
    const log = [];
    const page = {
      href,
      replace(next) {
        log.push(['url', next]);
        this.href = next;
      },
    };
    const answer = (key) => {
      log.push(['ask', key]);
      const queue = answers[key] ?? [];
      const next = queue.shift();
      if (next instanceof Error) {
        return Promise.reject(next);
      }
      return next === undefined ? new Promise(() => undefined) : Promise.resolve(next);
    };
    const flow = new client.roomFlow.RoomFlow({
      matchmaker: { join: (room) => answer(`join:${room}`), create: () => answer('create'), matchmake: () => answer('matchmake') },
      store: new client.resumeStore.ResumeStore(storage),
      lobby: { show: (notice) => log.push(['lobby', notice]), hide: () => log.push(['hide']) },
      page,
      socketUrl: SOCKET,
      connect: (target) => log.push(['connect', { ...target, resumeToken: target.resumeToken && Array.from(target.resumeToken) }]),
      disconnect: () => log.push(['disconnect']),
    });
    flow.start();
    return { flow, log, page, storage };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const refusal = (status, message) => new client.matchmaker.MatchmakerError(status, message);

  test('no ?room=: the lobby; Create takes a seat, puts the room in the URL and connects with the seat', async () => {
    const { flow, log, page } = start(PAGE, { answers: { create: [seat('r1')] } });
    assert.deepEqual(log, [['disconnect'], ['lobby', null]], 'the page opens on the lobby');
    log.length = 0;
    flow.create();
    await settle();
    assert.deepEqual(log, [
      ['ask', 'create'],
      ['url', `${PAGE}?room=r1`],
      ['hide'],
      ['connect', { url: 'ws://seats.test/ws', seat: 'seat-r1', resumeToken: null, room: 'r1' }],
    ]);
    assert.equal(page.href, `${PAGE}?room=r1`);
  });

  test('a reload resumes with the stored token; a refused resume joins again', async () => {
    const storage = memoryStorage();
    const first = start(`${PAGE}?room=r1`, { storage, answers: { 'join:r1': [seat('r1')] } });
    await settle();
    first.flow.welcomed({ room: 'r1', resumeToken: Uint8Array.from([9, 9]) });

    const reload = start(`${PAGE}?room=r1`, { storage, answers: { 'join:r1': [seat('r1', 'second')] } });
    assert.deepEqual(reload.log, [['hide'], ['connect', { url: SOCKET, seat: null, resumeToken: [9, 9], room: 'r1' }]], 'a reload should resume');
    reload.log.length = 0;
    reload.flow.closed(client.roomFlow.SEAT_REFUSED, 'resume expired');
    await settle();
    assert.deepEqual(reload.log, [
      ['ask', 'join:r1'],
      ['hide'],
      ['connect', { url: 'ws://seats.test/ws', seat: 'second', resumeToken: null, room: 'r1' }],
    ]);
    assert.equal(new client.resumeStore.ResumeStore(storage).load('r1'), null, 'the refused token should be forgotten');
  });

  test('a room that is gone: the lobby, with a notice, on /', async () => {
    const { log, page } = start(`${PAGE}?room=gone1`, { answers: { 'join:gone1': [refusal(404, 'no such room')] } });
    await settle();
    assert.deepEqual(log, [['ask', 'join:gone1'], ['disconnect'], ['url', PAGE], ['lobby', 'Room gone1 is gone']]);
    assert.equal(page.href, PAGE);
  });

  test('a refused seat goes to the lobby rather than asking again', async () => {
    const { flow, log } = start(PAGE, { answers: { matchmake: [seat('r2')] } });
    flow.quickPlay();
    await settle();
    log.length = 0;
    flow.closed(client.roomFlow.SEAT_REFUSED, 'seat expired');
    await settle();
    assert.deepEqual(log, [['disconnect'], ['url', PAGE], ['lobby', 'The seat in room r2 was refused: seat expired']]);
  });

  test('?room=default connects without a seat; other close codes are the session\'s business', () => {
    const { flow, log } = start(`${PAGE}?room=default`);
    assert.deepEqual(log, [['hide'], ['connect', { url: SOCKET, seat: null, resumeToken: null, room: null }]]);
    log.length = 0;
    flow.closed(1006, '');
    flow.closed(4006, 'room full');
    assert.deepEqual(log, [], 'only 4005 takes a step');
    flow.welcomed({ room: 'default', resumeToken: Uint8Array.from([1]) });
    assert.deepEqual(log, [], 'the URL already names the room');
  });

  test('Leave closes the session, forgets the token and goes back to /; a late answer is dropped', async () => {
    const storage = memoryStorage();
    const { flow, log, page } = start(PAGE, { storage, answers: { 'join:r1': [seat('r1')] } });
    flow.join('r1');
    await settle();
    flow.welcomed({ room: 'r1', resumeToken: Uint8Array.from([5]) });
    assert.equal(storage.items.size, 1, 'the Welcome\'s token should be stored');
    log.length = 0;
    flow.leave();
    assert.deepEqual(log, [['disconnect'], ['url', PAGE], ['lobby', null]]);
    assert.equal(storage.items.size, 0, 'leaving should forget the token');
    assert.equal(page.href, PAGE);

    let answer;
    const late = start(PAGE, { answers: { 'join:r9': [new Promise((resolve) => (answer = resolve))] } });
    late.flow.join('r9');
    late.flow.leave();
    late.log.length = 0;
    answer(seat('r9'));
    await settle();
    assert.deepEqual(late.log, [], 'a seat answered after Leave should be dropped');
  });
});

describe('address', () => {
  test('the auth token comes from ?token=', () => {
    const { authTokenFrom, socketUrl } = client.address;
    assert.equal(authTokenFrom('?token=abc.def%2Bg'), 'abc.def+g');
    assert.equal(authTokenFrom('?x=1&token=t'), 't');
    assert.equal(authTokenFrom('?token='), null, 'an empty token should be none');
    assert.equal(authTokenFrom(''), null);
    assert.equal(socketUrl({ protocol: 'http:', host: 'h:8080' }), 'ws://h:8080/ws');
    assert.equal(socketUrl({ protocol: 'https:', host: 'h' }), 'wss://h/ws');
  });
});
