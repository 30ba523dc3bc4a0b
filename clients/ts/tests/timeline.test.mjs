// Unit test, in Node with a fake clock (times are plain numbers), of the server
// timeline (src/timeline.ts): the server clock estimate from arrivals, the delay's
// adaptation (the server's floor, growing at once, shrinking slowly once steady), the
// render clock's bounded rate; then the world view (src/world.ts) fed a simulated link
// (seeded jitter, bursts) and drawn at 60 frames a second must move an actor on every
// frame at an even speed. The meters (src/meter.ts) say "unknown" rather than absurd.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, loadClient, seeded } from './client.mjs';

let T;
let client;

before(async () => {
  client = await loadClient();
  T = client.timeline;
});

function near(actual, expected, message, tolerance = 1e-6) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message}: expected ${expected}, got ${actual}`);
}

describe('server clock estimate', () => {
  test('the earliest arrival sets the offset; later ones are late by the difference', () => {
    const clock = new T.ServerClock();
    assert.equal(clock.serverNow(5), null, 'no arrival: no estimate');
    assert.equal(clock.observe(0, 1050), 0, 'the first arrival is on time by definition');
    assert.equal(clock.offsetMs, 1050);
    assert.equal(clock.observe(100, 1130), 0, 'an earlier path lowers the offset and is on time');
    assert.equal(clock.offsetMs, 1030);
    assert.equal(clock.observe(200, 1290), 60, 'a state 60 ms later than the best path is 60 ms late');
    assert.equal(clock.offsetMs, 1030, 'a late arrival does not move the estimate');
    assert.equal(clock.serverNow(1330), 300);
  });

  test('old arrivals leave the window, so the estimate follows a path that got slower', () => {
    const clock = new T.ServerClock();
    clock.observe(0, 1000);
    for (let at = 1100; at <= 1000 + T.CLOCK_WINDOW_MS + 500; at += 100) {
      clock.observe(at - 1000 - 50, at); // 50 ms slower than the first arrival
    }
    assert.equal(clock.offsetMs, 1050, 'after CLOCK_WINDOW_MS the first, faster arrival no longer counts');
    clock.reset();
    assert.equal(clock.offsetMs, null);
  });
});

describe('adaptive delay', () => {
  test("never below the server's interpolation delay", () => {
    const delay = new T.AdaptiveDelay(100);
    assert.equal(delay.at(0), 100, 'before any arrival: the floor');
    delay.observe(0, 50, 0);
    assert.equal(delay.at(10), 100, 'a steady link whose need is under the floor keeps the floor');
  });

  test('grows at once when data comes late, holds for the window, then shrinks slowly', () => {
    const delay = new T.AdaptiveDelay(100);
    delay.observe(0, 66, 1000);
    delay.observe(150, 66, 1100);
    const grown = 150 + 66 + T.DELAY_MARGIN_MS;
    assert.equal(delay.at(1100), grown, 'the delay covers the lateness, an interval and a margin at once');
    for (let at = 1200; at < 1100 + T.DELAY_WINDOW_MS; at += 100) {
      delay.observe(0, 66, at);
    }
    assert.equal(delay.at(1100 + T.DELAY_WINDOW_MS - 1), grown, 'held while the late arrival is in the window');
    const steady = 1100 + T.DELAY_WINDOW_MS;
    delay.observe(0, 66, steady);
    near(delay.at(steady), grown, 'the need went, but the delay does not drop at once', 0.1);
    near(delay.at(steady + 1000), grown - T.SHRINK_MS_PER_S, 'it shrinks by SHRINK_MS_PER_S a second', 0.1);
    assert.equal(delay.at(steady + 60_000), 100, 'down to the floor on a steady link, no further');
    delay.observe(300, 66, steady + 60_000);
    assert.equal(delay.at(steady + 60_000), 300 + 66 + T.DELAY_MARGIN_MS, 'and up again at once');
  });

  test('a higher floor from new settings counts at once', () => {
    const delay = new T.AdaptiveDelay(100);
    delay.observe(0, 66, 0);
    delay.floorMs = 250;
    assert.equal(delay.at(1), 250);
  });
});

describe('render clock', () => {
  test('starts at its target, then runs with local time while on target', () => {
    const clock = new T.RenderClock();
    assert.equal(clock.advance(1000, 500), 500);
    assert.equal(clock.advance(1016, 516), 516);
    assert.equal(clock.advance(1016, 900), 516, 'the same frame time changes nothing');
    assert.equal(clock.advance(1000, 900), 516, 'nor an earlier one: render time never goes back');
  });

  test('bends towards a moved target at a bounded rate, and snaps across a large gap', () => {
    const clock = new T.RenderClock();
    clock.advance(0, 0);
    const behind = clock.advance(100, 100 - 400); // the target went 400 ms back (a larger delay)
    near(behind, 100 * T.MIN_RATE, 'no slower than MIN_RATE');
    const ahead = new T.RenderClock();
    ahead.advance(0, 0);
    near(ahead.advance(100, 100 + 400), 100 * T.MAX_RATE, 'no faster than MAX_RATE');
    const small = new T.RenderClock();
    small.advance(0, 0);
    near(small.advance(10, 10 + 40), 10 * (1 + 40 / T.CATCH_UP_MS), 'a small gap closes in proportion');
    const far = new T.RenderClock();
    far.advance(0, 0);
    assert.equal(far.advance(10, 10 + T.SNAP_MS + 1), 10 + T.SNAP_MS + 1, 'a gap over SNAP_MS is jumped');
  });
});

const NPC = 5;
const SPEED = 90; // world units per second
const TICK_MS = 1000 / 30;

/**
 * Simulates `seconds` of a server sending a snapshot every 2 ticks of an NPC moving at
 * SPEED along x, through a link whose delivery time per snapshot is `deliverAt(sentAt)`,
 * to a World drawn at 60 frames a second from `measureFrom`; returns each frame's speed.
 */
function simulate(deliverAt, seconds = 12, measureFrom = 4000) {
  const world = new client.World();
  world.welcome(1, { x: 100000, y: 100 }, SETTINGS);
  world.setSnapshotEveryTicks(2);
  const arrivals = [];
  let last = 0;
  for (let tick = 0; tick * TICK_MS < seconds * 1000; tick += 2) {
    const sentAt = 1000 + tick * TICK_MS;
    last = Math.max(last, deliverAt(sentAt)); // a stream never reorders
    arrivals.push({ at: last, tick, x: Math.round((SPEED * tick * TICK_MS) / 1000) });
  }
  const speeds = [];
  let next = 0;
  let previous = null;
  for (let now = 1000; now < 1000 + seconds * 1000; now += 1000 / 60) {
    while (next < arrivals.length && arrivals[next].at <= now) {
      const { tick, x } = arrivals[next++];
      world.addState(
        {
          tick,
          stepsPerUnit: 1,
          ids: Uint32Array.of(NPC),
          x: Int32Array.of(x),
          y: Int32Array.of(0),
          vx: new Int16Array(1),
          vy: new Int16Array(1),
          kinds: Uint8Array.of(0),
          fields: new Int32Array(4),
        },
        null,
        now,
      );
    }
    const drawn = world.actorsAt(now).find((actor) => actor.id === NPC);
    if (drawn !== undefined && previous !== null && now >= measureFrom + 1000) {
      speeds.push(((drawn.x - previous) * 1000) / (1000 / 60));
    }
    previous = drawn?.x ?? null;
  }
  return speeds;
}

function assertSmooth(speeds, what) {
  assert.ok(speeds.length > 400, `${what}: enough frames measured`);
  const frozen = speeds.filter((speed) => Math.abs(speed) < 1e-3).length;
  assert.equal(frozen, 0, `${what}: the actor should move on every frame, but stood still in ${frozen}`);
  const worst = Math.max(...speeds.map((speed) => Math.abs(speed - SPEED) / SPEED));
  assert.ok(worst < 0.25, `${what}: every frame's speed should be within 25 % of ${SPEED}, but one was off by ${(100 * worst).toFixed(1)} %`);
}

describe('world view on a simulated link (fake clock, 60 frames a second)', () => {
  test('100 ms ± 40 ms of jitter: moves on every frame at an even speed', () => {
    const random = seeded(11);
    assertSmooth(simulate((sentAt) => sentAt + 100 + (2 * random() - 1) * 40), 'jitter');
  });

  test('bursts every 200 ms: moves on every frame at an even speed', () => {
    assertSmooth(simulate((sentAt) => Math.ceil(sentAt / 200) * 200), 'bursts');
  });

  test('a stall longer than the delay: bounded extrapolation, a hold, then motion again', () => {
    // Everything sent between 5 s and 5.6 s arrives at 5.6 s.
    const speeds = simulate((sentAt) => (sentAt >= 5000 && sentAt < 5600 ? 5600 : sentAt + 20), 10, 3000);
    const stillFrames = speeds.filter((speed) => Math.abs(speed) < 1e-3).length;
    assert.ok(stillFrames > 0, 'starved beyond EXTRAPOLATE_MS, the actor should hold');
    const fastest = Math.max(...speeds);
    assert.ok(fastest <= SPEED * 1.25, `and resume from where it stopped, never leaping (fastest frame ${fastest.toFixed(1)} per second)`);
    assert.ok(Math.abs(speeds.at(-1) - SPEED) / SPEED < 0.25, 'and move at its speed again once data flows');
  });
});

describe('meters', () => {
  test('snapshots per second: unknown for the first second, never absurd after a burst', () => {
    const meter = new client.meter.RateMeter(2000);
    meter.record(1000, 100);
    meter.record(1001, 100); // two at once: a burst
    assert.equal(meter.eventsPerSecond(1002), null, 'two arrivals 1 ms apart are not "1000 per second"');
    assert.equal(meter.amountPerSecond(1002), null);
    for (let at = 1066; at <= 3000; at += 66) {
      meter.record(at, 100);
    }
    near(meter.eventsPerSecond(3000), 15.5, 'then the rate over the window', 1);
    near(meter.amountPerSecond(3000), 1550, 'and the bytes', 100);
  });

  test('RTT: unknown before the first sample, then the mean of the recent ones', () => {
    const rtt = new client.meter.RttMeter(4);
    assert.equal(rtt.value, null);
    rtt.record(10);
    assert.equal(rtt.value, 10);
    for (const sample of [20, 30, 40, 50]) {
      rtt.record(sample);
    }
    assert.equal(rtt.value, 35, 'the mean of the last 4');
  });
});
