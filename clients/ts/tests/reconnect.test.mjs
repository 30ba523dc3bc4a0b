// Unit test, in Node, of reconnecting: the backoff policy (src/reconnect.ts: bounds,
// doubling, cap, full jitter, reset) with an injected random source, the retry timer
// on injected timers, which close codes are final and what the HUD says about each
// (src/close-codes.ts), and the
// session (src/session.ts) over a fake WebSocket and a fake clock: it reconnects after
// a drop with the last resume token and the auth token, sends a seat until the first
// Welcome and the room with every resume token, backs off while attempts fail,
// stops on a final code (the Disconnect message's code counts), never reconnects
// after the page's own close, and gives up a silent connection.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClient, seeded, serverFrame } from './client.mjs';

let client;

before(async () => {
  client = await loadClient();
});

/** A manual clock with setTimeout / clearTimeout, in the shape of reconnect.ts's Timers. */
class FakeTimers {
  constructor() {
    this.time = 0;
    this.pending = new Map();
    this.nextId = 1;
    this.setTimeout = (callback, ms) => {
      const id = this.nextId++;
      this.pending.set(id, { at: this.time + ms, callback });
      return id;
    };
    this.clearTimeout = (id) => this.pending.delete(id);
    this.now = () => this.time;
  }

  /** Moves the clock on by `ms`, running every timer that falls due, in order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.pending) {
        if (timer.at <= end && (next === null || timer.at < next[1].at)) {
          next = [id, timer];
        }
      }
      if (next === null) {
        break;
      }
      this.pending.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].callback();
    }
    this.time = end;
  }
}

const CEILINGS = [250, 500, 1000, 2000, 4000, 5000, 5000, 5000];

describe('backoff policy', () => {
  test('ceilings start at 250 ms, double, and stop at 5 s', () => {
    const backoff = new client.reconnect.Backoff({ random: () => 0 });
    const ceilings = CEILINGS.map(() => {
      const ceiling = backoff.ceilingMs;
      backoff.next();
      return ceiling;
    });
    assert.deepEqual(ceilings, CEILINGS, 'the ceilings should double from 250 ms up to the 5 s cap');
    assert.equal(backoff.attempt, CEILINGS.length, 'every delay should count as an attempt');
    for (let i = 0; i < 200; i++) {
      backoff.next();
    }
    assert.equal(backoff.ceilingMs, 5000, 'hundreds of attempts should stay at the cap, not overflow');
  });

  test('full jitter: each delay is uniform in [0, ceiling]', () => {
    const lowest = new client.reconnect.Backoff({ random: () => 0 });
    const highest = new client.reconnect.Backoff({ random: () => 1 - 2 ** -53 });
    const half = new client.reconnect.Backoff({ random: () => 0.5 });
    for (const ceiling of CEILINGS) {
      assert.equal(lowest.next(), 0, 'random 0 should give no delay');
      const top = highest.next();
      assert.ok(top < ceiling && top > ceiling - 1e-6, `random just below 1 should give just below ${ceiling}, got ${top}`);
      assert.equal(half.next(), ceiling / 2, 'random 0.5 should give half the ceiling');
    }
    const random = seeded(7);
    for (const [attempt, ceiling] of CEILINGS.entries()) {
      const delays = [];
      for (let i = 0; i < 500; i++) {
        const backoff = new client.reconnect.Backoff({ random });
        for (let k = 0; k < attempt; k++) {
          backoff.next();
        }
        delays.push(backoff.next());
      }
      assert.ok(delays.every((d) => d >= 0 && d <= ceiling), `attempt ${attempt}: every delay should be in [0, ${ceiling}]`);
      assert.ok(Math.min(...delays) < ceiling * 0.05, `attempt ${attempt}: delays should reach near 0 (jitter)`);
      assert.ok(Math.max(...delays) > ceiling * 0.95, `attempt ${attempt}: delays should reach near ${ceiling}`);
      const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
      assert.ok(Math.abs(mean - ceiling / 2) < ceiling * 0.06, `attempt ${attempt}: the mean should be about ${ceiling / 2}, got ${mean}`);
    }
  });

  test('a random source out of range is clamped', () => {
    for (const [r, expected] of [[1.5, 250], [-1, 0], [NaN, 0]]) {
      assert.equal(new client.reconnect.Backoff({ random: () => r }).next(), expected, `random ${r} should give ${expected}`);
    }
  });

  test('reset starts over at 250 ms', () => {
    const backoff = new client.reconnect.Backoff({ random: () => 0.5 });
    [125, 250, 500, 1000].forEach((expected) => assert.equal(backoff.next(), expected));
    backoff.reset();
    assert.equal(backoff.attempt, 0, 'reset should forget the attempts');
    assert.equal(backoff.ceilingMs, 250, 'after reset the ceiling should be 250 ms again');
    assert.equal(backoff.next(), 125, 'after reset the delay should be short again');
  });

  test('base and cap can be set', () => {
    const backoff = new client.reconnect.Backoff({ baseMs: 100, capMs: 300, random: () => 0.5 });
    assert.deepEqual([1, 2, 3, 4].map(() => backoff.next()), [50, 100, 150, 150]);
  });

  test('the retry timer runs one call at a time and says how long is left', () => {
    const timers = new FakeTimers();
    const retry = new client.reconnect.RetryTimer(timers);
    const calls = [];
    assert.equal(retry.remainingMs(), null, 'nothing pending at first');
    retry.schedule(1000, () => calls.push('a'));
    timers.advance(400);
    assert.equal(retry.remainingMs(), 600, 'remainingMs should count down');
    retry.schedule(300, () => calls.push('b'));
    timers.advance(1000);
    assert.deepEqual(calls, ['b'], 'scheduling again should replace the pending call');
    assert.equal(retry.pending, false, 'nothing pending after the call');
    retry.schedule(10, () => calls.push('c'));
    retry.cancel();
    timers.advance(100);
    assert.deepEqual(calls, ['b'], 'a cancelled call should not run');
    assert.equal(timers.pending.size, 0, 'cancel should clear the timer');
  });
});

describe('close codes', () => {
  test('final codes stop the page; every other code is retried', () => {
    const { isFinalClose } = client.closeCodes;
    for (const code of [1000, 1002, 1003, 1009, 4000, 4001, 4003, 4005]) {
      assert.equal(isFinalClose(code), true, `${code} should be final`);
    }
    for (const code of [1001, 1005, 1006, 1008, 1011, 1013, 4002, 4004, 4006, 3000, 4999]) {
      assert.equal(isFinalClose(code), false, `${code} should be retried`);
    }
  });

  test("the page follows the protocol's table (close-table.ts, generated from protocol/src/close.rs)", () => {
    const { isFinalClose, closeMeaning } = client.closeCodes;
    for (const info of client.closeTable.CLOSE_CODES) {
      assert.equal(isFinalClose(info.code), info.retry === 'never', `${info.code} (${info.name}) should follow the table`);
      assert.doesNotMatch(closeMeaning(info.code).title, /code \d+/, `${info.code} (${info.name}) should have its own HUD words`);
    }
  });

  test('every code has a clear HUD line', () => {
    const { closeNotice } = client.closeCodes;
    assert.equal(closeNotice(1013, '', 2100), 'Server full — retrying in 2.1 s');
    assert.equal(closeNotice(4002, 'limit 4', 500), 'Too many sessions from your address: limit 4 — retrying in 0.5 s');
    assert.equal(closeNotice(1006, '', 0), 'Connection lost — reconnecting…');
    assert.equal(closeNotice(1001, 'server is shutting down', 240), 'Server shutting down: server is shutting down — retrying in 0.3 s');
    // The countdown rounds up: it never says 0.0 s while there is time left.
    assert.equal(closeNotice(1006, '', 30), 'Connection lost — retrying in 0.1 s');
    assert.equal(closeNotice(1006, '', 100), 'Connection lost — retrying in 0.1 s');
    assert.equal(closeNotice(1006, '', -5), 'Connection lost — reconnecting…');
    assert.match(
      closeNotice(4000, 'expected 99', null),
      new RegExp(`^This page speaks protocol ${client.P.PROTOCOL_VERSION}, the server another: expected 99 — reload`),
    );
    assert.match(closeNotice(4001, 'auth token expired', null), /^Not authorised: auth token expired/);
    assert.match(closeNotice(4003, '', null), /origin is not allowed/);
    assert.match(closeNotice(1002, 'malformed message', null), /^Protocol error: malformed message — reload/);
    assert.match(closeNotice(1008, 'idle for 10 s', 100), /^Timed out: idle for 10 s — retrying/);
    assert.match(closeNotice(1009, '', 100), /^Message too big/);
    assert.match(closeNotice(1011, '', 100), /^Server error/);
    assert.match(closeNotice(1003, '', 100), /text frame/);
    assert.match(closeNotice(4004, '', 100), /^Sending too fast/);
    assert.match(closeNotice(4005, 'resume expired', null), /^Seat refused.*: resume expired — back to the lobby$/);
    assert.match(closeNotice(4006, '', 100), /^The room is full — retrying/);
    assert.match(closeNotice(4321, '', 100), /code 4321/);
  });
});

describe('session: reconnecting with resume', () => {
  const sockets = [];
  const saved = {};

  before(() => {
    class FakeSocket {
      static OPEN = 1;
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.listeners = new Map();
        this.sent = [];
        this.closedWith = null;
        sockets.push(this);
      }
      addEventListener(type, listener) {
        this.listeners.set(type, listener);
      }
      send(frame) {
        this.sent.push(frame);
      }
      close(code) {
        this.closedWith = code;
      }
      emit(type, event) {
        if (type === 'open') {
          this.readyState = FakeSocket.OPEN;
        }
        this.listeners.get(type)?.(event);
      }
    }
    Object.assign(saved, { WebSocket: globalThis.WebSocket, setInterval, clearInterval });
    globalThis.WebSocket = FakeSocket;
    // Input timers are the connection's business, tested in live.test.mjs.
    globalThis.setInterval = () => 0;
    globalThis.clearInterval = () => undefined;
  });

  after(() => {
    Object.assign(globalThis, saved);
  });

  const frame = (type, buildBody) => serverFrame(client, type, buildBody);


  /** A Welcome; in the room `room` when given. */
  function welcomeFrame(actorId, token, resumed = false, room = null, quietIntervalMs = 0) {
    const { T } = client;
    return frame(T.ServerBody.Welcome, (b) => {
      const settings = T.Settings.createSettings(b, 30, 2, 2, 120, 0, 100, 8);
      const tokenVector = T.Welcome.createResumeTokenVector(b, token);
      const roomId = room === null ? 0 : b.createString(room);
      T.Welcome.startWelcome(b);
      T.Welcome.addActorId(b, actorId);
      T.Welcome.addTick(b, 10);
      T.Welcome.addSettings(b, settings);
      T.Welcome.addArenaSize(b, T.Vec2.createVec2(b, 1000, 1000));
      T.Welcome.addResumeToken(b, tokenVector);
      T.Welcome.addResumed(b, resumed);
      T.Welcome.addQuietIntervalMs(b, quietIntervalMs);
      if (roomId) {
        T.Welcome.addRoom(b, roomId);
      }
      return T.Welcome.endWelcome(b);
    });
  }

  function disconnectFrame(code, reason) {
    const { T } = client;
    return frame(T.ServerBody.Disconnect, (b) => T.Disconnect.createDisconnect(b, code, b.createString(reason)));
  }

  function pingFrame() {
    return frame(client.T.ServerBody.Ping, (b) => client.T.Ping.createPing(b, 1, 0));
  }

  /** The Hello `socket` sent, decoded. */
  function decodedHello(socket) {
    const { T, ByteBuffer } = client;
    assert.ok(socket.sent.length > 0, 'the socket should have sent a Hello');
    const message = T.ClientMessage.getRootAsClientMessage(new ByteBuffer(socket.sent[0]));
    assert.equal(message.bodyType(), T.ClientBody.Hello, 'the first message should be a Hello');
    return message.body(new T.Hello());
  }

  /** The Hello `socket` sent: { authToken, resumeToken (array or null) }. */
  function helloOf(socket) {
    const hello = decodedHello(socket);
    const token = hello.resumeTokenArray();
    return { authToken: hello.authToken(), resumeToken: token === null ? null : Array.from(token) };
  }

  /** The room part of the Hello `socket` sent: { seat, room, resumeToken (array or null) }. */
  function roomHelloOf(socket) {
    const hello = decodedHello(socket);
    const token = hello.resumeTokenArray();
    return { seat: hello.seat(), room: hello.room(), resumeToken: token === null ? null : Array.from(token) };
  }

  const TOKEN_A = Array.from({ length: 16 }, (_, i) => i + 1);
  const TOKEN_B = Array.from({ length: 16 }, (_, i) => 200 + i);

  /** A session on fake timers (`room`: its seat, resume token and room options); returns it with its records. */
  function start({ authToken = null, random = () => 0.5, room = {} } = {}) {
    sockets.length = 0;
    const timers = new FakeTimers();
    const states = [];
    const closes = [];
    const welcomes = [];
    const session = new client.Session(
      { url: 'ws://test/ws', authToken, direction: () => ({ x: 0, y: 0 }), timers, random, ...room },
      {
        onState: (state) => states.push(state),
        onMessage: (event) => event.type === 'welcome' && welcomes.push(event),
        onSnapshot: () => undefined,
        onProtocolError: (message) => assert.fail(`no protocol error expected: ${message}`),
        onClose: (report) => closes.push(report),
      },
    );
    return { session, timers, states, closes, welcomes };
  }

  /** Opens the newest socket and answers its Hello with a Welcome (in `room` when given). */
  function welcome(actorId, token, resumed = false, room = null, quietIntervalMs = 0) {
    const socket = sockets.at(-1);
    socket.emit('open', {});
    socket.emit('message', { data: welcomeFrame(actorId, token, resumed, room, quietIntervalMs) });
    return socket;
  }

  test('a seat is sent until the first Welcome; then the resume token goes with the Welcome\'s room', () => {
    const { session, timers } = start({ room: { seat: 'seat-1', room: 'r1' } });
    sockets[0].emit('open', {});
    sockets[0].emit('close', { code: 1006, reason: '' });
    timers.advance(250);
    assert.deepEqual(roomHelloOf(sockets[0]), { seat: 'seat-1', room: null, resumeToken: null }, 'the first Hello carries the seat');
    const seated = welcome(4, TOKEN_A, false, 'r1');
    assert.deepEqual(roomHelloOf(seated), { seat: 'seat-1', room: null, resumeToken: null }, 'an attempt before any Welcome keeps the seat');
    seated.emit('close', { code: 1006, reason: '' });
    timers.advance(250);
    assert.deepEqual(
      roomHelloOf(welcome(4, TOKEN_B, true, 'r1')),
      { seat: null, room: 'r1', resumeToken: TOKEN_A },
      'after a Welcome the seat is used up: the resume token goes with its room',
    );
    session.close();
  });

  test('a session may start from a stored resume token and its room', () => {
    const { session, timers } = start({ room: { resumeToken: Uint8Array.from(TOKEN_A), room: 'r7' } });
    const first = welcome(9, TOKEN_B, true, 'r7');
    assert.deepEqual(roomHelloOf(first), { seat: null, room: 'r7', resumeToken: TOKEN_A }, 'a reload resumes with the stored token');
    first.emit('close', { code: 1006, reason: '' });
    timers.advance(250);
    assert.deepEqual(roomHelloOf(welcome(9, TOKEN_A, true, 'r7')), { seat: null, room: 'r7', resumeToken: TOKEN_B });
    session.close();
  });

  test('the page going away closes with 1001', () => {
    const { session } = start();
    const socket = welcome(1, TOKEN_A);
    session.close(1001);
    assert.equal(socket.closedWith, 1001, 'a page that goes away should say 1001, so that a reload can resume');
  });

  test('after a drop it reconnects with the last resume token and the auth token', () => {
    const { session, timers, states, closes, welcomes } = start({ authToken: 'secret-token' });
    assert.equal(sockets.length, 1, 'the session should connect at once');
    const first = welcome(7, TOKEN_A);
    assert.deepEqual(helloOf(first), { authToken: 'secret-token', resumeToken: null }, 'the first Hello has the auth token only');
    assert.deepEqual(states, ['connected']);
    assert.equal(session.reconnects, 0);

    first.emit('close', { code: 1006, reason: '' });
    assert.deepEqual(states, ['connected', 'reconnecting'], 'a drop should make the session reconnecting');
    assert.deepEqual(closes, [{ code: 1006, reason: '', final: false, retryInMs: 125 }], 'the drop should be reported with its delay');
    assert.equal(session.retryInMs(), 125, 'the HUD should see the time left');
    timers.advance(124);
    assert.equal(sockets.length, 1, 'no attempt before the delay is over');
    timers.advance(1);
    assert.equal(sockets.length, 2, 'an attempt when the delay is over');
    assert.equal(session.retryInMs(), 0, 'while the attempt is under way there is no time left');

    const second = welcome(7, TOKEN_B, true);
    assert.deepEqual(helloOf(second), { authToken: 'secret-token', resumeToken: TOKEN_A }, 'the Hello should carry the last resume token');
    assert.deepEqual(states, ['connected', 'reconnecting', 'connected']);
    assert.equal(session.reconnects, 1, 'one successful reconnection');
    assert.equal(welcomes.at(-1).resumed, true, 'the app should get the resumed Welcome');
    assert.notEqual(session.replication, undefined);

    // The backoff was reset by the Welcome, and the token is the newest one.
    second.emit('close', { code: 1006, reason: '' });
    assert.equal(closes.at(-1).retryInMs, 125, 'a Welcome should reset the backoff');
    timers.advance(125);
    welcome(8, TOKEN_A, false);
    assert.deepEqual(helloOf(sockets[2]).resumeToken, TOKEN_B, 'each attempt sends the newest token');
    assert.equal(session.reconnects, 2);
    session.close();
  });

  test('while attempts fail the delays double up to the cap; before any Welcome it is still connecting', () => {
    const { session, timers, states, closes } = start({ random: () => 1 - 2 ** -40 });
    for (let i = 0; i < CEILINGS.length; i++) {
      sockets.at(-1).emit('close', { code: 1006, reason: '' });
      timers.advance(closes.at(-1).retryInMs);
    }
    const delays = closes.map((c) => Math.round(c.retryInMs));
    assert.deepEqual(delays, CEILINGS, 'each failed attempt should double the delay, up to 5 s');
    assert.equal(sockets.length, CEILINGS.length + 1, 'one socket per attempt');
    assert.ok(states.every((s) => s === 'connecting'), `never connected, so still 'connecting': ${states}`);
    assert.equal(helloOf(welcome(3, TOKEN_A)).resumeToken, null, 'no token before any Welcome');
    assert.equal(session.reconnects, 0, 'the first Welcome is no reconnection');
    session.close();
  });

  test('final codes stop; server full, too many sessions and a restart retry', () => {
    for (const code of [4000, 4001, 4003, 1002, 1003, 1009, 1000]) {
      const { timers, states, closes } = start();
      const socket = welcome(1, TOKEN_A);
      socket.emit('message', { data: disconnectFrame(code, 'because') });
      socket.emit('close', { code, reason: 'because' });
      assert.equal(states.at(-1), 'closed', `code ${code} should close the session for good`);
      assert.deepEqual(closes, [{ code, reason: 'because', final: true, retryInMs: null }]);
      timers.advance(60000);
      assert.equal(sockets.length, 1, `no reconnection after code ${code}`);
    }
    for (const code of [1013, 4002, 1001, 1008, 1011, 4004]) {
      const { session, timers, states } = start();
      sockets[0].emit('open', {});
      sockets[0].emit('message', { data: disconnectFrame(code, 'later') });
      sockets[0].emit('close', { code, reason: 'later' });
      assert.deepEqual(states, [], `code ${code} before any Welcome should stay 'connecting'`);
      assert.ok(session.retryInMs() > 0, `code ${code} should schedule a retry`);
      timers.advance(5000);
      assert.equal(sockets.length, 2, `code ${code} should be retried`);
      session.close();
    }
  });

  test("the Disconnect message's code counts when the close frame is lost", () => {
    const { timers, states, closes } = start();
    const socket = welcome(1, TOKEN_A);
    socket.emit('message', { data: disconnectFrame(4001, 'auth token expired') });
    socket.emit('close', { code: 1006, reason: '' });
    assert.equal(states.at(-1), 'closed');
    assert.deepEqual(closes, [{ code: 4001, reason: 'auth token expired', final: true, retryInMs: null }]);
    timers.advance(60000);
    assert.equal(sockets.length, 1);
  });

  test("the page's own close never reconnects; reopen connects again", () => {
    const { session, timers, states, closes } = start();
    const socket = welcome(1, TOKEN_A);
    session.close();
    assert.equal(socket.closedWith, 1000, 'the socket should be closed normally');
    socket.emit('close', { code: 1000, reason: '' });
    assert.deepEqual(closes, [], 'the own close is no close to report');
    assert.equal(states.at(-1), 'closed');
    timers.advance(60000);
    assert.equal(sockets.length, 1, 'no reconnection after the page closed it');
    session.reopen();
    assert.equal(sockets.length, 2, 'reopen should connect again');
    assert.equal(states.at(-1), 'reconnecting');
    assert.deepEqual(helloOf(welcome(1, TOKEN_B, true)).resumeToken, TOKEN_A, 'reopen should try to resume');
    session.close();
  });

  test('a closed retry pending is cancelled by close()', () => {
    const { session, timers } = start();
    welcome(1, TOKEN_A).emit('close', { code: 1006, reason: '' });
    session.close();
    timers.advance(60000);
    assert.equal(sockets.length, 1, 'close() should cancel the pending retry');
  });

  test('a server that names its quiet interval is given three of them before silence counts', () => {
    const { session, timers, states } = start();
    const socket = welcome(1, TOKEN_A, false, null, 2000);
    timers.advance(5999);
    assert.equal(states.at(-1), 'connected', 'under three quiet intervals is not silence');
    timers.advance(1);
    assert.equal(states.at(-1), 'reconnecting', 'three quiet intervals without a word is');
    socket.emit('close', { code: 1006, reason: '' });
    session.close();
  });

  test('a connection silent for SILENCE_MS is given up as dropped', () => {
    const { session, timers, states, closes } = start();
    const silence = client.SILENCE_MS;
    const socket = welcome(1, TOKEN_A);
    timers.advance(silence / 2);
    socket.emit('message', { data: pingFrame() });
    timers.advance(silence - 1);
    assert.equal(states.at(-1), 'connected', 'a ping should keep the connection alive');
    timers.advance(1);
    assert.equal(states.at(-1), 'reconnecting', 'silence should count as a drop');
    assert.equal(socket.closedWith, null, 'no close frame yet: the server would take it for a goodbye');
    assert.equal(closes.at(-1).code, 1006);
    assert.match(closes.at(-1).reason, /no word from the server/);
    socket.emit('close', { code: 1006, reason: '' });
    assert.equal(closes.length, 1, 'the silent socket closing later is not another close');
    timers.advance(250);
    assert.equal(sockets.length, 2, 'and it should reconnect');
    assert.deepEqual(helloOf(welcome(1, TOKEN_B, true)).resumeToken, TOKEN_A);
    assert.equal(socket.closedWith, 1000, 'the silent socket should be closed once the new Welcome came');
    session.close();
  });

  test('an attempt that never opens is given up after SILENCE_MS too', () => {
    const { session, timers, closes } = start();
    timers.advance(client.SILENCE_MS);
    assert.equal(closes.length, 1, 'a hung attempt should be given up');
    timers.advance(250);
    assert.equal(sockets.length, 2, 'and retried');
    session.close();
  });

  test('the snapshot cap is asked for again on every connection', () => {
    const { session, timers } = start();
    session.capSnapshots(2);
    const types = (socket) =>
      socket.sent.map((bytes) => client.T.ClientBody[client.T.ClientMessage.getRootAsClientMessage(new client.ByteBuffer(bytes)).bodyType()]);
    const first = welcome(1, TOKEN_A);
    assert.deepEqual(types(first), ['Hello', 'SnapshotRateRequest']);
    first.emit('close', { code: 1006, reason: '' });
    timers.advance(250);
    const second = welcome(1, TOKEN_B, true);
    assert.deepEqual(types(second), ['Hello', 'SnapshotRateRequest'], 'the new connection should ask for the cap again');
    session.close();
  });
});
