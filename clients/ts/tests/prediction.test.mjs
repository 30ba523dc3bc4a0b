// Unit tests of the own actor's client-side prediction and reconciliation
// (src/prediction.ts) with a fake clock: every time is passed in explicitly, and a
// small simulated server (ticks, latency, InputAck before each snapshot) checks that
// the prediction converges on the server without rubber-banding.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClient } from './client.mjs';

let prediction;
before(async () => {
  ({ prediction } = await loadClient());
});

const SPEED = 120;
const ARENA = { x: 300, y: 300 };
const RIGHT = { x: 1, y: 0 };
const DOWN = { x: 0, y: 1 };
const STILL = { x: 0, y: 0 };

function near(actual, expected, message, tolerance = 1e-6) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message}: expected ${expected}, got ${actual}`);
}

function predictor({ intervalMs = 80 } = {}) {
  const p = new prediction.Predictor();
  p.speed = SPEED;
  p.arena = ARENA;
  p.snapshotIntervalMs = intervalMs;
  return p;
}

describe('prediction maths', () => {
  test('move: speed x time in the direction, length clamped to 1, clamped to the arena', () => {
    const moved = prediction.move({ x: 10, y: 10 }, { x: 3, y: 4 }, SPEED, 500, ARENA);
    near(moved.x, 10 + 0.6 * 60, 'x along a clamped direction');
    near(moved.y, 10 + 0.8 * 60, 'y along a clamped direction');
    const slow = prediction.move({ x: 10, y: 10 }, { x: 0.5, y: 0 }, SPEED, 1000, ARENA);
    near(slow.x, 70, 'a direction shorter than 1 moves slower');
    assert.deepEqual(prediction.move({ x: 295, y: 2 }, { x: 1, y: -1 }, SPEED, 1000, ARENA), { x: 300, y: 0 });
  });

  test('before any state there is nothing to draw; the first snapshot places the actor', () => {
    const p = predictor();
    assert.equal(p.advance(0), null);
    assert.equal(p.position, null);
    assert.equal(p.lastAck, null, 'no InputAck yet');
    p.reconcile({ x: 100, y: 100 }, 0);
    assert.deepEqual(p.position, { x: 100, y: 100 });
    assert.deepEqual(p.advance(50), { x: 100, y: 100 }, 'no input: the actor stays');
  });

  test('a key change moves the prediction in the next frame, without the server', () => {
    const p = predictor();
    p.reconcile({ x: 100, y: 100 }, 0);
    p.advance(1000);
    p.sent(1, RIGHT, 1010);
    const next = p.advance(1026);
    near(next.x, 100 + SPEED * 0.016, 'one 16 ms frame to the right');
    near(next.y, 100, 'y unchanged');
    p.sent(2, STILL, 1100);
    near(p.advance(2000).x, 100 + SPEED * 0.09, 'the release stops it where it was at the release');
  });

  test('reconciliation re-applies the unacknowledged inputs on the server position, and drops acked ones', () => {
    const p = predictor();
    p.sent(1, STILL, 0);
    p.sent(2, RIGHT, 100);
    p.sent(3, DOWN, 200);
    p.ack(1);
    assert.equal(p.lastAck, 1);
    assert.deepEqual(p.pendingInputs.map((input) => input.sequence), [2, 3], 'input 1 is dropped once acked');
    p.reconcile({ x: 50, y: 50 }, 300, 0);
    // Input 2 (right) from 100 to 200 ms, input 3 (down) from 200 to 300 ms.
    near(p.position.x, 50 + SPEED * 0.1, 'x re-applies input 2');
    near(p.position.y, 50 + SPEED * 0.1, 'y re-applies input 3');
    p.ack(3);
    assert.deepEqual(p.pendingInputs, [], 'every input is acked');
    p.ack(2);
    assert.equal(p.lastAck, 3, 'an older ack changes nothing');
    assert.equal(p.lastSent, 3);
  });

  test('the acknowledged input is in effect from the snapshot (now - rtt) to the next input', () => {
    const p = predictor();
    p.sent(1, RIGHT, 0);
    p.ack(1);
    p.reconcile({ x: 10, y: 10 }, 500, 100);
    // The snapshot's tick is about now - rtt on the client's timeline: 100 ms of input 1 to re-apply.
    near(p.position.x, 10 + SPEED * 0.1, 'input 1 for the last rtt');
    p.sent(2, STILL, 520);
    p.reconcile({ x: 30, y: 10 }, 600, 200);
    near(p.position.x, 30 + SPEED * 0.12, 'from max(now - rtt, input 1) to input 2 at 520 ms, then still');
  });

  test('a small error is blended away over ~100 ms; a large one snaps', () => {
    const p = predictor({ intervalMs: 80 });
    p.reconcile({ x: 100, y: 100 }, 0);
    p.reconcile({ x: 103, y: 104 }, 10);
    near(p.lastError, 5, 'the error is the distance to the reconciled position');
    assert.deepEqual(p.position, { x: 100, y: 100 }, 'the drawn position does not jump');
    near(p.advance(60).x, 101.5, 'half way after 50 ms');
    near(p.advance(60).y, 102, 'half way after 50 ms');
    assert.deepEqual(p.advance(110), { x: 103, y: 104 }, 'there after 100 ms');
    // 2 x speed x interval = 19.2 units: beyond that the prediction snaps.
    p.reconcile({ x: 103, y: 130 }, 200);
    near(p.lastError, 26, 'a large error');
    assert.deepEqual(p.position, { x: 103, y: 130 }, 'snapped at once');
    assert.equal(p.snaps, 1);
  });

  test('reset forgets the history, the ack and the position (a new Welcome)', () => {
    const p = predictor();
    p.sent(1, RIGHT, 0);
    p.ack(1);
    p.sent(2, RIGHT, 10);
    p.reconcile({ x: 5, y: 5 }, 20);
    p.reset();
    assert.equal(p.position, null);
    assert.equal(p.lastAck, null);
    assert.equal(p.lastSent, 0);
    assert.deepEqual(p.pendingInputs, []);
    p.sent(1, STILL, 30);
    assert.deepEqual(p.pendingInputs.map((input) => input.sequence), [1], 'sequences start again at 1');
  });

  test('against a simulated server with latency: no rubber-banding, converges after the release', () => {
    // 25 Hz ticks (40 ms), a snapshot every 2 ticks, inputs every 2 ticks and on key
    // changes, 15 ms each way. The server applies the newest input that arrived at the
    // start of each tick, then moves; InputAck comes before each snapshot when it changed.
    const TICK_MS = 40;
    const LATENCY = 15;
    const p = predictor({ intervalMs: 2 * TICK_MS });
    let server = { x: 100, y: 100 };
    let serverDirection = STILL;
    let applied = 0;
    let ackedSent = 0;
    const toServer = [];
    const toClient = [];
    let sequence = 0;
    let direction = STILL;
    let maxError = 0;
    let maxFrameJump = 0;
    let lastDrawn = null;
    const send = (t) => {
      sequence += 1;
      p.sent(sequence, direction, t);
      toServer.push({ at: t + LATENCY, sequence, direction });
    };
    toClient.push({ at: LATENCY, type: 'snapshot', position: { ...server } });
    for (let t = 0; t <= 2000; t++) {
      if (t === 300 || t === 800) {
        direction = t === 300 ? RIGHT : STILL;
        send(t);
      }
      // (The periodic inputs stop 200 ms before the end, so the last one is acked by then.)
      if (t % (2 * TICK_MS) === 7 && t < 1800) {
        send(t);
      }
      if (t % TICK_MS === 0 && t > 0) {
        const arrived = toServer.filter((input) => input.at <= t && input.sequence > applied);
        if (arrived.length > 0) {
          const newest = arrived[arrived.length - 1];
          applied = newest.sequence;
          serverDirection = newest.direction;
        }
        server = prediction.move(server, serverDirection, SPEED, TICK_MS, ARENA);
        if ((t / TICK_MS) % 2 === 0) {
          if (applied !== ackedSent) {
            ackedSent = applied;
            toClient.push({ at: t + LATENCY, type: 'ack', sequence: applied });
          }
          toClient.push({ at: t + LATENCY, type: 'snapshot', position: { ...server } });
        }
      }
      while (toClient.length > 0 && toClient[0].at <= t) {
        const message = toClient.shift();
        if (message.type === 'ack') {
          p.ack(message.sequence);
        } else {
          p.reconcile(message.position, t, 2 * LATENCY);
          if (t > 100) {
            maxError = Math.max(maxError, p.lastError);
          }
        }
      }
      if (t % 16 === 0 && p.position !== null) {
        const drawn = p.advance(t);
        if (lastDrawn !== null) {
          maxFrameJump = Math.max(maxFrameJump, Math.hypot(drawn.x - lastDrawn.x, drawn.y - lastDrawn.y));
        }
        lastDrawn = { ...drawn };
      }
    }
    const drawn = p.advance(2000);
    near(server.x, 100 + SPEED * 0.5, 'the server moved the actor for about the 500 ms held', SPEED * TICK_MS / 1000 + 1e-9);
    assert.ok(Math.hypot(drawn.x - server.x, drawn.y - server.y) < 0.01, `converged: drawn ${JSON.stringify(drawn)}, server ${JSON.stringify(server)}`);
    assert.equal(p.lastAck, sequence, 'the last input sent is acknowledged');
    assert.deepEqual(p.pendingInputs, [], 'no input left unacknowledged');
    assert.ok(maxError <= SPEED * TICK_MS / 1000 + 1e-9, `errors stay within one tick of movement, were up to ${maxError}`);
    assert.equal(p.snaps, 0, 'never snapped');
    assert.ok(maxFrameJump <= SPEED * 0.016 * 1.5 + 1e-9, `no per-frame jump beyond the speed, but up to ${maxFrameJump}`);
  });
});
