// Unit test, in Node, of how the client follows the server live: the world view
// (src/world.ts) places states at their ticks, draws other actors behind the estimated
// server clock between the buffered states that bracket the render time, goes on a
// bounded distance when starved, picks up new settings at once (the render clock bends
// towards a new delay), holds the older state until one snapshot interval before the
// newer one across a quiet gap (the server skips snapshots while nothing changes), and
// on a reconnection's Welcome keeps the old
// states drawn until the new session's first one replaces them all (never held across),
// and carries each actor's gameplay fields (never interpolated),
// which src/fields.ts turns into a fill colour and a label; the snapshot
// rate (src/rate.ts) follows broadcast_every and SnapshotRate; the connection
// (src/connection.ts, over a fake WebSocket and recorded timers) reschedules Inputs when
// Settings change and asks for the snapshot cap only once connected.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS, loadClient, serverFrame } from './client.mjs';

let client;

before(async () => {
  client = await loadClient();
});


const OWN = 1;
const NPC = 5;

/** A mirror state at `tick` with one step per unit; `rows` are { id, x, y?, kind?, fields? }. */
function state(tick, rows) {
  return {
    tick,
    stepsPerUnit: 1,
    ids: Uint32Array.from(rows.map((row) => row.id)),
    x: Int32Array.from(rows.map((row) => row.x)),
    y: Int32Array.from(rows.map((row) => row.y ?? 0)),
    vx: new Int16Array(rows.length),
    vy: new Int16Array(rows.length),
    kinds: Uint8Array.from(rows.map((row) => row.kind ?? 0)),
    fields: Int32Array.from(rows.flatMap((row) => [0, 1, 2, 3].map((slot) => row.fields?.[slot] ?? 0))),
  };
}

/** Milliseconds per snapshot interval at 30 Hz, every 2 ticks. */
const INTERVAL = 200 / 3;

/**
 * A world after Welcome with `settings`, holding states at ticks 2, 4, 6, 8 (server
 * times 0, 66.7, 133.3, 200 ms) received on time at 1000, 1066.7, 1133.3, 1200 ms (30 Hz,
 * every 2 ticks): the NPC at x 0, 10, 20, 30 and the own actor at x 100, 110, 120, 130.
 * The clock estimate is then local = server + 1000 ms.
 */
function world(settings = {}) {
  const w = new client.World();
  w.welcome(OWN, { x: 1000, y: 1000 }, { ...SETTINGS, ...settings });
  [0, 1, 2, 3].forEach((i) => {
    w.addState(state(2 * (i + 1), [{ id: OWN, x: 100 + 10 * i, kind: 1 }, { id: NPC, x: 10 * i }]), null, 1000 + i * INTERVAL);
  });
  return w;
}

/** The local time at which `w` draws server time `serverMs` (its clock offset and delay as they stand). */
function localFor(w, serverMs, now = 1200) {
  return w.clockOffsetMs + serverMs + w.delayAt(now);
}

function actor(w, now, id) {
  const found = w.actorsAt(now).find((a) => a.id === id);
  assert.ok(found, `actor ${id} should be drawn at ${now} ms`);
  return found;
}

function near(actual, expected, message, tolerance = 1e-6) {
  assert.ok(Math.abs(actual - expected) < tolerance, `${message}: expected ${expected}, got ${actual}`);
}

describe('world view: the server timeline', () => {
  test('states sit at tick × tick period; others are drawn the delay behind the estimated server clock', () => {
    const w = world();
    near(w.clockOffsetMs, 1000, 'on-time arrivals: local time = server time + 1000 ms', 1e-9);
    near(w.delayAt(1250), 100, "a steady link renders the server's interpolation delay behind");
    // 1250 - 1000 - 100 = 150 ms server time: between tick 6 (133.3) and tick 8 (200).
    const span = w.renderSpan(1250);
    assert.deepEqual([span.from.tick, span.to.tick], [6, 8], 'ticks 6 and 8 should bracket the render time');
    near(actor(w, 1250, NPC).x, 22.5, 'the NPC should be interpolated at the render time');
    near(actor(world(), 1200, NPC).x, 15, 'an earlier frame draws an earlier server time');
  });

  test('a burst of snapshots does not bunch the motion: places come from ticks, not arrivals', () => {
    const w = new client.World();
    w.welcome(OWN, { x: 1000, y: 1000 }, SETTINGS);
    w.addState(state(2, [{ id: NPC, x: 0 }]), null, 1000);
    // Ticks 4, 6 and 8 held back by the network and delivered together.
    for (let i = 1; i <= 3; i++) {
      w.addState(state(2 + 2 * i, [{ id: NPC, x: 10 * i }]), null, 1200);
    }
    assert.equal(w.clockOffsetMs, 1000, 'the earliest path sets the clock');
    near(w.delayAt(1200), 2 * INTERVAL + INTERVAL + 20, 'the delay should grow to cover the 133 ms lateness, an interval and a margin');
    const first = actor(w, 1300, NPC).x;
    const second = actor(w, 1300 + INTERVAL, NPC).x;
    assert.ok(first > 0 && first < 30, `the NPC should be on its way, at ${first}`);
    near(second - first, 10, 'one interval later it should have moved one interval of motion', 1e-6);
  });

  test('the own actor is drawn at its newest position, whatever the delay', () => {
    near(actor(world(), 1250, OWN).x, 130, 'the own actor should be at its newest x');
    assert.equal(world().actorsAt(1250).at(-1).own, true, 'the own actor should be drawn last');
  });

  test('starved of data others go on a bounded distance, then hold; with one state it is drawn as it is', () => {
    const w = world();
    // 50 ms past tick 8 (x 30): on along the last motion, 10 per interval.
    near(actor(w, localFor(w, 250), NPC).x, 30 + (10 * 50) / INTERVAL, 'extrapolated 50 ms along the last motion');
    const starved = world();
    near(actor(starved, localFor(starved, 700), NPC).x, 30 + (10 * client.pkg.EXTRAPOLATE_MS) / INTERVAL, 'at most EXTRAPOLATE_MS');
    near(actor(starved, localFor(starved, 900), NPC).x, 30 + (10 * client.pkg.EXTRAPOLATE_MS) / INTERVAL, 'then held');
    const walled = new client.World();
    walled.welcome(OWN, { x: 35, y: 35 }, SETTINGS);
    walled.addState(state(2, [{ id: NPC, x: 20 }]), null, 1000);
    walled.addState(state(4, [{ id: NPC, x: 30 }]), null, 1000 + INTERVAL);
    near(actor(walled, localFor(walled, 500), NPC).x, 35, 'never extrapolated through a wall');
    const fresh = new client.World();
    fresh.welcome(OWN, { x: 1000, y: 1000 }, SETTINGS);
    fresh.addState(state(2, [{ id: NPC, x: 7 }]), null, 1000);
    near(actor(fresh, 1010, NPC).x, 7, 'with one state, it should be drawn as it is');
  });

  test("the server's interpolation delay is the floor; a shorter one still waits an interval and a margin", () => {
    const long = world({ interpolationDelayMs: 200 });
    assert.equal(long.delayAt(1250), 200);
    // 1250 - 1000 - 200 = 50: between tick 2 (0, x 0) and tick 4 (66.7, x 10).
    near(actor(long, 1250, NPC).x, 7.5, 'a longer delay reaches back to older states');
    const short = world({ interpolationDelayMs: 20 });
    near(short.delayAt(1250), INTERVAL + 20, 'the next state must have arrived: an interval plus the margin');
  });

  test('new settings apply at the next frame; the render clock bends towards a new delay, never jumps', () => {
    const w = world();
    const before = w.renderTimeAt(1250);
    w.applySettings({ ...SETTINGS, interpolationDelayMs: 200 });
    assert.equal(w.delayAt(1250), 200, 'the new floor counts at once');
    const frame = 1000 / 60;
    const after = w.renderTimeAt(1250 + frame);
    assert.ok(after > before, 'the render time should still move forward');
    assert.ok(after - before >= frame * client.timeline.MIN_RATE - 1e-9, 'no slower than MIN_RATE');
    assert.ok(after - before < frame, 'slower than real time while the delay grows');
    const eased = world({ smoothing: 0 });
    eased.actorsAt(1200);
    eased.applySettings({ ...SETTINGS, smoothing: 0.5 });
    eased.addState(state(10, [{ id: OWN, x: 230, kind: 1 }, { id: NPC, x: 40 }]), null, 1200 + INTERVAL);
    const own = actor(eased, 1200 + 1000 / 60, OWN).x;
    near(own, 130 + 100 * 0.5, 'with smoothing 0.5 the own actor should go half way in one 60 Hz frame');
  });

  test('actors a delta spawned are not interpolated from an earlier actor with their id', () => {
    const w = world();
    // Tick 10 respawns the NPC's id far away.
    w.addState(state(10, [{ id: OWN, x: 140, kind: 1 }, { id: NPC, x: 900 }]), Uint32Array.of(NPC), 1000 + 4 * INTERVAL);
    // Server time 220: between tick 8 (200) and tick 10 (266.7).
    near(actor(w, 1320, NPC).x, 900, 'a respawned actor should be drawn where it is');
    // Another kind under the same id after a full snapshot is not interpolated either.
    w.addState(state(12, [{ id: OWN, x: 150, kind: 1 }, { id: NPC, x: 0, kind: 1 }]), null, 1000 + 5 * INTERVAL);
    near(actor(w, 1400, NPC).x, 0, 'an actor of another kind should be drawn where it is');
  });

  test("a reconnection's Welcome keeps the old states drawn until the new session's first state", () => {
    const w = world();
    const NEW_OWN = 9;
    w.welcome(NEW_OWN, { x: 500, y: 500 }, SETTINGS);
    assert.equal(w.waitingForState, true, 'the world should wait for the new session');
    assert.equal(w.ownId, OWN, 'the old own actor should stay highlighted until the new state');
    assert.deepEqual(w.arenaSize, { x: 500, y: 500 }, 'the arena should follow the Welcome at once');
    const rest = 30 + (10 * client.pkg.EXTRAPOLATE_MS) / INTERVAL;
    near(actor(w, 1400, NPC).x, rest, 'the old states should still be drawn, coming to rest past the newest');
    near(actor(w, 1400, OWN).x, 130, 'the old own actor too');
    assert.equal(w.bufferedStates, 4, 'the old states should be kept until the new one arrives');
    w.addState(state(500, [{ id: NPC, x: 700 }, { id: NEW_OWN, x: 50, kind: 1 }]), null, 1500);
    assert.equal(w.waitingForState, false);
    assert.equal(w.bufferedStates, 1, "the new session's first state should replace the whole buffer");
    assert.equal(w.ownId, NEW_OWN, 'the own actor should now be the new one');
    near(actor(w, 1510, NPC).x, 700, 'nothing should be interpolated across sessions');
    assert.equal(actor(w, 1510, NEW_OWN).own, true, 'the new own actor should be drawn as own');
    assert.deepEqual(w.ownPosition, { x: 50, y: 0 });
    assert.equal(w.clockOffsetMs, 1500, 'the new session starts a new timeline');
  });

  test('every actor carries the fields of the state it is drawn towards; the own actor its newest', () => {
    const w = world();
    w.addState(
      state(10, [
        { id: OWN, x: 140, kind: 1, fields: [0, 0, 0, 4] },
        { id: NPC, x: 40, fields: [0xe53935, 7] },
      ]),
      null,
      1000 + 4 * INTERVAL,
    );
    // Server time 150: the NPC is drawn between ticks 6 and 8, which hold no fields.
    assert.deepEqual(Array.from(actor(w, 1250, NPC).fields), [0, 0, 0, 0], 'fields should come from the state drawn towards');
    assert.deepEqual(Array.from(actor(w, 1250, OWN).fields), [0, 0, 0, 4], 'the own actor should carry its newest fields');
    // Server time 250: between ticks 8 and 10: the later state's fields, not a blend.
    assert.deepEqual(Array.from(actor(w, 1350, NPC).fields), [0xe53935, 7, 0, 0], 'fields should not be interpolated');
    assert.deepEqual(Array.from(w.ownFields), [0, 0, 0, 4], "ownFields should be the own actor's newest fields");
    assert.equal(new client.World().ownFields, null, 'no state: no own fields');
  });

  test('fields for people: a non-zero color fills the actor, other non-zero fields are its label', () => {
    const { fieldLook, namedFields, cssColor } = client.fields;
    const names = ['color', 'score'];
    assert.deepEqual(fieldLook(names, [0xe53935, 3, 0, 0]), { fill: '#e53935', label: 'score 3' });
    assert.deepEqual(fieldLook(names, [0, 0, 0, 0]), { fill: null, label: '' }, 'all zero: drawn as usual');
    assert.deepEqual(fieldLook(names, [0, -2, 0, 0]), { fill: null, label: 'score -2' });
    assert.deepEqual(fieldLook(['score', 'color'], [5, 0x00ff00, 0, 0]), { fill: '#00ff00', label: 'score 5' }, 'color may be any slot');
    assert.deepEqual(fieldLook([], [0xe53935, 0, 0, 0]), { fill: null, label: 'slot 0 15022389' }, 'without names nothing is a colour');
    assert.deepEqual(fieldLook(['lives', 'score'], [2, 9, 0, 1]), { fill: null, label: 'lives 2 · score 9 · slot 3 1' });
    assert.equal(cssColor(0x0000ff), '#0000ff');
    assert.equal(cssColor(-1), '#ffffff', 'bits above 0xFFFFFF are ignored');
    assert.deepEqual(namedFields(names, Int32Array.of(0xe53935, 3, 0, 8)), { color: 0xe53935, score: 3 });
    assert.deepEqual(namedFields([], Int32Array.of(1, 2, 3, 4)), {});
  });

  test('the buffer keeps what the render time needs and no more', () => {
    const w = new client.World();
    w.welcome(OWN, { x: 1000, y: 1000 }, SETTINGS);
    for (let i = 0; i < 1000; i++) {
      const now = 1000 + i * INTERVAL;
      w.addState(state(2 * i, [{ id: NPC, x: i }]), null, now);
      w.actorsAt(now);
    }
    assert.ok(w.bufferedStates >= 2, 'at least the latest two states should be kept');
    assert.ok(w.bufferedStates <= 10, `a 100 ms delay at 15 snapshots/s should keep a few states, not ${w.bufferedStates}`);
    w.applySettings({ ...SETTINGS, interpolationDelayMs: 60000 });
    for (let i = 1000; i < 1500; i++) {
      const now = 1000 + i * INTERVAL;
      w.addState(state(2 * i, [{ id: NPC, x: i }]), null, now);
      w.actorsAt(now);
    }
    assert.ok(w.bufferedStates <= 128, `the buffer should stay bounded, but holds ${w.bufferedStates} states`);
  });
});

/**
 * A world after Welcome with `settings` (30 Hz, every 2 ticks by default) and the
 * snapshot interval `everyTicks`, holding one state: tick 10 received at 1000 ms (server
 * time 0), the NPC at x 0 and the own actor at x 100.
 */
function quietWorld(settings = {}, everyTicks = 2) {
  const w = new client.World();
  w.welcome(OWN, { x: 1000, y: 1000 }, { ...SETTINGS, ...settings });
  w.setSnapshotEveryTicks(everyTicks);
  w.addState(state(10, [{ id: OWN, x: 100, kind: 1 }, { id: NPC, x: 0 }]), null, 1000);
  return w;
}

/** The state at `tick` with the own actor at x 100 and the NPC at `x`. */
function npcAt(tick, x) {
  return state(tick, [{ id: OWN, x: 100, kind: 1 }, { id: NPC, x }]);
}

const NONE_SPAWNED = new Uint32Array(0);

describe('world view: quiet gaps', () => {
  test('after a quiet gap others rest, then move over the last snapshot interval', () => {
    const w = quietWorld();
    // Nothing changed from tick 10 to 37; the NPC moved by tick 40 (server time 1000).
    w.addState(npcAt(40, 30), NONE_SPAWNED, 2000);
    assert.equal(w.bufferedStates, 3, 'a hold state should come between ticks 10 and 40');
    const hold = 1000 - INTERVAL;
    const resting = w.renderSpan(localFor(w, 900, 2000));
    assert.deepEqual([resting.from.tick, resting.to.tick], [10, 38], 'before the hold, tick 10 to the hold at tick 38');
    near(actor(w, localFor(w, 900, 2000), NPC).x, 0, 'before the hold the NPC should rest at its old position');
    near(actor(w, localFor(w, hold - 1, 2000), NPC).x, 0, 'just before the hold too');
    const moving = w.renderSpan(localFor(w, hold + INTERVAL / 2, 2000));
    assert.deepEqual([moving.from.tick, moving.to.tick], [38, 40], 'the last interval is the hold to tick 40');
    near(actor(w, localFor(w, hold + INTERVAL / 2, 2000), NPC).x, 15, 'half way through the last interval, the NPC should be half way');
    near(actor(w, localFor(w, 1000, 2000), NPC).x, 30, 'once the render time reaches tick 40, the NPC should be there');
    // Regular states again: the buffer is trimmed as usual.
    for (let i = 1; i <= 30; i++) {
      w.addState(npcAt(40 + 2 * i, 30 + i), NONE_SPAWNED, 2000 + i * INTERVAL);
      w.actorsAt(2000 + i * INTERVAL);
    }
    assert.ok(w.bufferedStates <= 10, `the buffer should be trimmed as usual, but holds ${w.bufferedStates} states`);
    near(actor(w, localFor(w, 1000 + 28.5 * INTERVAL, 4000), NPC).x, 58.5, 'regular states should be interpolated as before');
  });

  test('a quiet gap across the tick wrap (0xFFFFFFFF to 0) is held like any other', () => {
    const start = 0xffff_fff6; // ten ticks before the wrap: tick 20 is 30 ticks later
    const w = new client.World();
    w.welcome(OWN, { x: 1000, y: 1000 }, SETTINGS);
    w.setSnapshotEveryTicks(2);
    w.addState(npcAt(start, 0), null, 1000);
    w.addState(npcAt(20, 30), NONE_SPAWNED, 2000);
    assert.equal(w.bufferedStates, 3, 'a hold state should come between the last tick before the wrap and tick 20');
    const resting = w.renderSpan(localFor(w, 900, 2000));
    assert.deepEqual([resting.from.tick, resting.to.tick], [start, 18], 'before the hold, the old tick to the hold at tick 18');
    near(actor(w, localFor(w, 1000 - INTERVAL / 2, 2000), NPC).x, 15, 'half way through the last interval, the NPC should be half way');
    w.addState(npcAt(22, 40), NONE_SPAWNED, 2000 + INTERVAL);
    const after = w.renderSpan(localFor(w, 1000 + INTERVAL / 2, 2100));
    assert.deepEqual([after.from.tick, after.to.tick], [20, 22], 'regular states after the wrap should follow on');
  });

  test('a gap of one interval gets no hold, however late it arrives, and is drawn by its ticks', () => {
    const w = quietWorld();
    w.addState(npcAt(12, 10), NONE_SPAWNED, 1080); // 13 ms late
    w.addState(npcAt(14, 20), NONE_SPAWNED, 1400); // a stall: late, but no tick was skipped
    assert.equal(w.bufferedStates, 3, 'regular ticks should get no hold state');
    near(w.delayAt(1400), 1400 - 1000 - 2 * INTERVAL + INTERVAL + 20, 'the stall should raise the delay to cover it');
    const span = w.renderSpan(localFor(w, 1.5 * INTERVAL, 1400));
    assert.deepEqual([span.from.tick, span.to.tick], [12, 14], 'tick 12 to tick 14, nothing between');
    near(actor(w, localFor(w, 1.5 * INTERVAL, 1400), NPC).x, 15, 'half way between the ticks, whatever their arrival times');
  });

  test("no hold across a Welcome: the new session's first state replaces the buffer", () => {
    for (const spawned of [null, Uint32Array.of(NPC)]) {
      const w = world();
      w.welcome(9, { x: 500, y: 500 }, SETTINGS);
      w.setSnapshotEveryTicks(2);
      // Tick 500, 300 ms after the old session's tick 8: a gap, but between sessions.
      w.addState(state(500, [{ id: NPC, x: 700 }, { id: 9, x: 50, kind: 1 }]), spawned, 1500);
      assert.equal(w.bufferedStates, 1, `the new session's first state (${spawned === null ? 'full' : 'even a delta'}) should be alone`);
      assert.equal(w.renderSpan(1500).from, null, 'nothing should be drawn from the old session');
      near(actor(w, 1500, NPC).x, 700, 'the NPC should be drawn where the new session has it');
    }
  });

  test('no hold for a full snapshot (a resync); a quiet gap that arrives in a burst is still held', () => {
    const full = quietWorld();
    full.addState(npcAt(40, 30), null, 2000);
    assert.equal(full.bufferedStates, 2, 'a full snapshot should get no hold state');
    // Tick 40 came 50 ms after tick 10: the ticks say the gap was quiet, whatever the network did.
    const burst = quietWorld();
    burst.addState(npcAt(40, 30), NONE_SPAWNED, 1050);
    assert.equal(burst.bufferedStates, 3, 'the ticks, not the arrivals, make a quiet gap');
  });

  test("the interval is SnapshotRate's, else broadcast_every; just after it shrinks, the larger counts", () => {
    // Throttled to every 16 ticks: a gap of 16 is regular, one of 30 quiet.
    const throttled = quietWorld({}, 16);
    throttled.addState(npcAt(26, 10), NONE_SPAWNED, 1533);
    assert.equal(throttled.bufferedStates, 2, 'a gap of the throttled interval should get no hold');
    throttled.addState(npcAt(56, 20), NONE_SPAWNED, 2533);
    // Tick 56 is at server time 1533.3; the hold one throttled interval (533.3 ms) before it.
    const hold = throttled.renderSpan(localFor(throttled, 1010, 2533));
    assert.deepEqual([hold.from.tick, hold.to.tick], [40, 56], 'a longer gap should get a hold one throttled interval back');
    // No SnapshotRate: broadcast_every (here 4).
    const unthrottled = quietWorld({ broadcastEvery: 4 }, null);
    unthrottled.addState(npcAt(14, 10), NONE_SPAWNED, 1133);
    assert.equal(unthrottled.bufferedStates, 2, 'a gap of broadcast_every should get no hold');
    unthrottled.addState(npcAt(44, 20), NONE_SPAWNED, 2133);
    const quiet = unthrottled.renderSpan(localFor(unthrottled, 1010, 2133));
    assert.deepEqual([quiet.from.tick, quiet.to.tick], [40, 44], 'a longer gap should get a hold one broadcast_every back');
    // The throttle lifts (16 -> 2): the first gap may still be up to 16 ticks, with changes.
    const lifted = quietWorld({}, 16);
    lifted.setSnapshotEveryTicks(2);
    lifted.addState(npcAt(22, 10), NONE_SPAWNED, 1400);
    assert.equal(lifted.bufferedStates, 2, 'the first gap after the interval shrinks should get no hold');
    lifted.addState(npcAt(52, 20), NONE_SPAWNED, 2400);
    assert.equal(lifted.renderSpan(localFor(lifted, 1400 - 20, 2400)).from.tick, 50, 'then the new interval counts: a hold one interval back');
  });
});

describe('snapshot rate', () => {
  test('follows broadcast_every until throttled, then the server', () => {
    const rate = new client.rate.SnapshotRateTracker();
    rate.welcome(SETTINGS);
    assert.deepEqual([rate.everyTicks, rate.reason], [2, 'none'], 'after Welcome the interval should be broadcast_every');
    rate.settings({ ...SETTINGS, broadcastEvery: 4 });
    assert.equal(rate.everyTicks, 4, 'an unthrottled client should follow a new broadcast_every');
    rate.rate(16, 'client-cap');
    rate.settings({ ...SETTINGS, broadcastEvery: 2 });
    assert.deepEqual([rate.everyTicks, rate.reason], [16, 'client-cap'], 'a throttled interval should stand until the server changes it');
    rate.rate(2, 'none');
    assert.deepEqual([rate.everyTicks, rate.reason], [2, 'none'], 'SnapshotRate should lift the throttle');
  });

  test('describes the interval for the HUD', () => {
    const { describeInterval } = client.rate;
    assert.equal(describeInterval(4, 'none'), 'every 4 ticks');
    assert.equal(describeInterval(1, 'none'), 'every 1 tick');
    assert.equal(describeInterval(null, 'none'), '–', 'an unknown interval is a dash');
    assert.equal(describeInterval(2, 'none', 30), '15 per second (every 2 ticks)');
    assert.equal(describeInterval(4, 'none', 30), '7.5 per second (every 4 ticks)');
    assert.equal(describeInterval(16, 'client-cap', 30), '1.9 per second (every 16 ticks), slowed down: this page asked for fewer');
    assert.equal(describeInterval(6, 'congested'), 'every 6 ticks, slowed down: the connection is not keeping up');
  });
});

describe('connection: live settings and snapshot cap', () => {
  const sockets = [];
  const timers = new Map();
  const saved = {};
  let nextTimer = 1;

  before(() => {
    class FakeSocket {
      static OPEN = 1;
      constructor(url) {
        this.url = url;
        this.readyState = FakeSocket.OPEN;
        this.listeners = new Map();
        this.sent = [];
        sockets.push(this);
      }
      addEventListener(type, listener) {
        this.listeners.set(type, listener);
      }
      send(frame) {
        this.sent.push(frame);
      }
      emit(type, event) {
        this.listeners.get(type)?.(event);
      }
    }
    Object.assign(saved, { WebSocket: globalThis.WebSocket, setInterval, clearInterval });
    globalThis.WebSocket = FakeSocket;
    globalThis.setInterval = (callback, ms) => {
      const id = nextTimer++;
      timers.set(id, { callback, ms });
      return id;
    };
    globalThis.clearInterval = (id) => timers.delete(id);
  });

  after(() => {
    Object.assign(globalThis, saved);
  });

  const frame = (type, buildBody) => serverFrame(client, type, buildBody);


  function settingsBody(b, { tickRateHz, broadcastEvery, inputEvery, movementSpeed, smoothing, interpolationDelayMs, positionStepsPerUnit }) {
    return client.T.Settings.createSettings(b, tickRateHz, broadcastEvery, inputEvery, movementSpeed, smoothing, interpolationDelayMs, positionStepsPerUnit);
  }

  function welcomeFrame() {
    const { T } = client;
    return frame(T.ServerBody.Welcome, (b) => {
      const s = settingsBody(b, SETTINGS);
      T.Welcome.startWelcome(b);
      T.Welcome.addActorId(b, OWN);
      T.Welcome.addTick(b, 10);
      T.Welcome.addSettings(b, s);
      T.Welcome.addArenaSize(b, T.Vec2.createVec2(b, 1000, 1000));
      return T.Welcome.endWelcome(b);
    });
  }

  /** The client messages `socket` sent, as [type name, table]. */
  function sent(socket) {
    const { T, ByteBuffer } = client;
    return socket.sent.map((bytes) => {
      const message = T.ClientMessage.getRootAsClientMessage(new ByteBuffer(bytes));
      const type = message.bodyType();
      const table = type === T.ClientBody.SnapshotRateRequest ? message.body(new T.SnapshotRateRequest()) : null;
      return [T.ClientBody[type], table?.maxPerSecond()];
    });
  }

  function connect() {
    const events = [];
    const connection = new client.Connection('ws://test/ws', () => ({ x: 0, y: 0 }), {
      onState: () => undefined,
      onMessage: (event) => events.push(event),
      onSnapshot: () => undefined,
      onProtocolError: (message) => assert.fail(`no protocol error expected: ${message}`),
      onClose: () => undefined,
    });
    const socket = sockets.at(-1);
    socket.emit('open', {});
    return { connection, socket, events };
  }

  test('Inputs follow input_every and the tick rate live', () => {
    const { socket, events } = connect();
    socket.emit('message', { data: welcomeFrame() });
    assert.equal(events[0]?.type, 'welcome', 'the app should get the Welcome');
    assert.deepEqual([...timers.values()].map((t) => t.ms), [(2 * 1000) / 30], 'Inputs should go every 2 ticks at 30 Hz');
    const changed = { ...SETTINGS, tickRateHz: 60, inputEvery: 3 };
    socket.emit('message', { data: frame(client.T.ServerBody.Settings, (b) => settingsBody(b, changed)) });
    assert.deepEqual(events[1]?.settings, changed, 'the app should get the new settings');
    assert.deepEqual([...timers.values()].map((t) => t.ms), [50], 'Inputs should go every 3 ticks at 60 Hz, on one timer');
    const before = socket.sent.length;
    [...timers.values()][0].callback();
    assert.deepEqual(sent(socket).slice(before).map(([type]) => type), ['Input'], 'the input timer should send an Input');
    socket.emit('close', { code: 1000, reason: '' });
    assert.equal(timers.size, 0, 'closing should stop the Inputs');
  });

  test('the snapshot cap is asked for once connected, and only when it changes', () => {
    const { connection, socket, events } = connect();
    connection.capSnapshots(2);
    assert.deepEqual(sent(socket), [['Hello', undefined]], 'no cap should be asked for before the Welcome');
    socket.emit('message', { data: welcomeFrame() });
    assert.deepEqual(sent(socket).at(-1), ['SnapshotRateRequest', 2], 'the cap should be asked for right after the Welcome');
    connection.capSnapshots(2);
    connection.capSnapshots(0);
    connection.capSnapshots(0);
    const requests = sent(socket).filter(([type]) => type === 'SnapshotRateRequest');
    assert.deepEqual(requests, [['SnapshotRateRequest', 2], ['SnapshotRateRequest', 0]], 'each change should be asked for once');
    const rate = frame(client.T.ServerBody.SnapshotRate, (b) => client.T.SnapshotRate.createSnapshotRate(b, 16, 2));
    socket.emit('message', { data: rate });
    assert.deepEqual(events.at(-1), { type: 'snapshotRate', everyTicks: 16, reason: 'client-cap' }, 'the app should get the SnapshotRate');
    socket.emit('close', { code: 1000, reason: '' });
  });
});
