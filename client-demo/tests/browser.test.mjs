// Browser test of the demo client against the real server: starts the
// tickwire-server binary, opens its page in headless Chromium, and checks that the
// client connects, draws the actors (the arena clear of the HUD, in a narrow window
// too), keeps its mirror in step with delta snapshots (and gets back in step with a
// FullSnapshotRequest when a snapshot is lost), moves the own actor with the keyboard,
// predicts the own actor (it responds to a key in the next frame, converges on the
// server after the release, its last input acknowledged) and draws the others without
// jumps, follows settings changed live through the admin API, caps its snapshot rate
// while the page is hidden, reconnects and resumes its actor after the connection
// drops (through a TCP proxy the test cuts), retries when the server is full and stops
// on a final close code (a mock server), opens on the lobby at `/` (the default room
// listed and the list refreshed; Create lands in a new room named in the URL and the
// HUD, a reload resumes the same actor there, Leave goes back, Join enters the default
// room; a room that is gone is a notice; Quick play finds a room), and keeps trying after
// the server shuts down. Pages that play at once open `/?room=default`.
// Then it runs the `tag` example game, which replicates the gameplay fields `color` and
// `score` and the event `tagged`, and checks the page knows their names, shows them in
// the HUD, fills the "it" actor with its red and receives and shows `tagged` events.
//
// Env: TICKWIRE_SERVER_BIN (default ../target/debug/tickwire-server, relative to
// client-demo), TICKWIRE_TAG_BIN (default ../target/debug/examples/tag), CHROMIUM_BIN
// (default /usr/bin/chromium), TICKWIRE_SCREENSHOT (a .png path: saves a screenshot of
// the page once it is connected, in a narrow window as `-narrow.png`, of the lobby as
// `-lobby.png`, and of the tag game as `-tag.png`).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadClient } from './client.mjs';
import { ShapingProxy } from './shaping-proxy.mjs';
import { Server, clientDir, launchChromium, within } from './support.mjs';

const tagBin = path.resolve(clientDir, process.env.TICKWIRE_TAG_BIN ?? '../target/debug/examples/tag');
const screenshotPath = process.env.TICKWIRE_SCREENSHOT;

const NPCS = 10;
const HOLD_MS = 700;
/** Time for the server to stop the actor and the page to draw where it stopped. */
const SETTLE_MS = 600;
/** How long the page is watched applying delta snapshots. */
const DELTA_WATCH_MS = 3000;

/** The canvas colours, read from src/render.ts so the test and the renderer agree. */
function rendererColor(name) {
  const source = readFileSync(path.join(clientDir, 'src/render.ts'), 'utf8');
  const match = source.match(new RegExp(`\\b${name}: '#([0-9a-fA-F]{6})'`));
  assert.ok(match, `src/render.ts should define COLORS.${name} as a '#rrggbb' string`);
  const hex = match[1];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}
const OWN_RGB = rendererColor('own');
const NPC_RGB = rendererColor('npc');
/** The tag game's "it" colour (0xE53935), which the page fills the "it" actor with. */
const IT_RGB = [0xe5, 0x39, 0x35];

/** The page URL that plays in the default room at once (`/` opens the lobby). */
function defaultRoom(url) {
  return new URL('?room=default', url).href;
}

/** Opens another page on `url`; its uncaught errors count as the suite's. */
async function openPage(url, setup = async () => undefined) {
  const other = await browser.newPage({ viewport: { width: 800, height: 600 } });
  other.on('pageerror', (error) => pageErrors.push(String(error)));
  await setup(other);
  await other.goto(url, { timeout: 10000 });
  return other;
}

/**
 * Runs `body` with the helpers above (status, waitForStatus, checkMove...) pointed at
 * `other` instead of the main page.
 */
async function onPage(other, body) {
  const main = page;
  page = other;
  try {
    return await body();
  } finally {
    page = main;
  }
}

/** Makes the page record every state it goes through in `window.__states`. */
async function recordStates() {
  await page.evaluate(() => {
    const status = window.tickwire;
    let state = status.state;
    window.__states = [state];
    Object.defineProperty(status, 'state', {
      configurable: true,
      enumerable: true,
      get: () => state,
      set: (next) => {
        state = next;
        window.__states.push(next);
      },
    });
  });
}

const server = new Server();
let browser;
let page;
const pageErrors = [];

/**
 * Runs a test body (or hook); on failure prints what the server (`from`) and page said,
 * then rethrows.
 */
function check(body, from = server) {
  return async (t) => {
    try {
      await body(t);
      assert.deepEqual(pageErrors, [], 'the page should run without uncaught errors');
    } catch (error) {
      // The server's logs may carry ANSI colours; strip them for a readable report.
      const stderr = from.stderr.replace(/\x1b\[[0-9;]*m/g, '');
      console.error(`--- server stderr (last 20 kB) ---\n${stderr}\n--- end of server stderr ---`);
      if (page) {
        const status = await page.evaluate(() => window.tickwire).catch(() => 'unavailable');
        console.error(`window.tickwire: ${JSON.stringify(status)}`);
      }
      throw error;
    }
  };
}

async function status() {
  return page.evaluate(() => window.tickwire);
}

/** Waits until `predicate(arg)` holds in the page; fails with `message` otherwise. */
async function waitForStatus(message, predicate, timeoutMs = 10000, arg = null) {
  try {
    await page.waitForFunction(predicate, arg, { timeout: timeoutMs, polling: 50 });
  } catch {
    assert.fail(`${message} within ${timeoutMs} ms; window.tickwire is ${JSON.stringify(await status())}`);
  }
}

/** Calls the server's admin API: `method` /admin/settings with an optional JSON body. */
async function adminSettings(method, body, expectedStatus = 200) {
  const url = new URL('admin/settings', server.url);
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    assert.fail(`${method} ${url} should answer within 5000 ms, but: ${error}`);
  }
  const text = await response.text();
  assert.equal(
    response.status,
    expectedStatus,
    `${method} ${url} ${JSON.stringify(body ?? null)} should answer ${expectedStatus}, but answered ${response.status}: ${text}`,
  );
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`${method} ${url} should answer JSON, but answered: ${text}`);
  }
}

/**
 * Watches the page apply snapshots for `ms`: returns the gaps in ticks between
 * consecutive applied snapshots seen one at a time (a poll that saw two at once gives
 * no gap), and how many were applied in all.
 */
async function watchSnapshots(ms) {
  return page.evaluate(
    (watchMs) =>
      new Promise((resolve) => {
        const applied = () => window.tickwire.fullSnapshotsApplied + window.tickwire.deltasApplied;
        const start = applied();
        let last = { count: start, tick: window.tickwire.mirrorTick };
        const gaps = [];
        const timer = setInterval(() => {
          const now = { count: applied(), tick: window.tickwire.mirrorTick };
          if (now.count === last.count + 1) {
            gaps.push(now.tick - last.tick);
          }
          last = now;
        }, 4);
        setTimeout(() => {
          clearInterval(timer);
          resolve({ gaps, applied: applied() - start });
        }, watchMs);
      }),
    ms,
  );
}

/** Text of the HUD field `field`. */
async function hudText(field) {
  return page.locator(`#hud dd[data-field="${field}"]`).textContent({ timeout: 2000 });
}

/** Waits until the HUD field `field` satisfies `predicate`; fails with `message` otherwise. */
async function waitForHud(message, field, predicate, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  let text = await hudText(field);
  while (!predicate(text ?? '')) {
    if (Date.now() > deadline) {
      assert.fail(`${message} within ${timeoutMs} ms, but the HUD's '${field}' shows ${JSON.stringify(text)}`);
    }
    await page.waitForTimeout(50);
    text = await hudText(field);
  }
  return text;
}

/** A narrow portrait window, where the HUD takes much of the width. */
const NARROW_VIEWPORT = { width: 420, height: 800 };

/**
 * Waits until the page has the window size `size` and has drawn two animation frames
 * since, then returns the HUD's box and where the arena was drawn (window.tickwire.arenaRect).
 */
async function hudAndArena(size) {
  await page.waitForFunction(({ width, height }) => window.innerWidth === width && window.innerHeight === height, size, {
    timeout: 5000,
    polling: 50,
  });
  return page.evaluate(async () => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    await frame();
    await frame();
    const box = document.getElementById('hud').getBoundingClientRect();
    return {
      hud: { left: box.left, top: box.top, width: box.width, height: box.height },
      arena: window.tickwire.arenaRect,
    };
  });
}

/** Whether the rectangles `a` and `b` ({left, top, width, height}) share some area. */
function overlaps(a, b) {
  const x = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const y = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return x > 0 && y > 0;
}

/** A rectangle for people: "372x372+24+370". */
function describeRect({ left, top, width, height }) {
  return `${Math.round(width)}x${Math.round(height)}+${Math.round(left)}+${Math.round(top)}`;
}

/** Makes the page look hidden (or visible again) and tells it, as a browser would. */
async function setPageHidden(hidden) {
  await page.evaluate((hide) => {
    if (hide) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      // The own properties shadowed Document.prototype's getters; removing them restores those.
      delete document.visibilityState;
      delete document.hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** Counts the canvas pixels of the own-actor and NPC colours, and the own pixels' centroid. */
async function canvasPixels() {
  return page.evaluate(
    ({ own, npc }) => {
      const canvas = document.getElementById('view');
      const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const near = (i, rgb) =>
        Math.abs(data[i] - rgb[0]) <= 2 && Math.abs(data[i + 1] - rgb[1]) <= 2 && Math.abs(data[i + 2] - rgb[2]) <= 2;
      let ownCount = 0;
      let npcCount = 0;
      let sumX = 0;
      let sumY = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 4;
          if (near(i, own)) {
            ownCount++;
            sumX += x;
            sumY += y;
          } else if (near(i, npc)) {
            npcCount++;
          }
        }
      }
      return {
        width,
        height,
        ownCount,
        npcCount,
        ownCentroid: ownCount > 0 ? { x: sumX / ownCount, y: sumY / ownCount } : null,
      };
    },
    { own: OWN_RGB, npc: NPC_RGB },
  );
}

async function hold(key, ms) {
  await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  await page.keyboard.up(key);
}

/** Moves the own actor away from an edge it is close to, so a test move is not clamped. */
async function moveAwayFromEdge(axis) {
  const { ownPosition, arenaSize } = await status();
  const [towardLow, size] = axis === 'x' ? ['a', arenaSize.x] : ['w', arenaSize.y];
  if (ownPosition[axis] <= size * 0.6) {
    return;
  }
  await page.keyboard.down(towardLow);
  try {
    // If this fails, the move check that follows says what went wrong.
    await waitForStatus(
      `holding '${towardLow}' should bring the own actor's ${axis} below ${size * 0.5}`,
      ([a, limit]) => window.tickwire.ownPosition !== null && window.tickwire.ownPosition[a] < limit,
      15000,
      [axis, size * 0.5],
    ).catch(() => undefined);
  } finally {
    await page.keyboard.up(towardLow);
  }
  await page.waitForTimeout(SETTLE_MS);
}

/** Holds `key` and checks that the own actor moves along `axis` in the positive direction. */
async function checkMove(t, key, axis, directionWord) {
  await moveAwayFromEdge(axis);
  const before = await status();
  const pixelsBefore = await canvasPixels();
  assert.ok(pixelsBefore.ownCentroid, 'the own actor should be drawn before the move');

  await hold(key, HOLD_MS);
  await page.waitForTimeout(SETTLE_MS);

  const after = await status();
  const pixelsAfter = await canvasPixels();
  assert.ok(pixelsAfter.ownCentroid, 'the own actor should be drawn after the move');

  const speed = after.settings.movementSpeed;
  const expected = (speed * HOLD_MS) / 1000;
  const moved = after.ownPosition[axis] - before.ownPosition[axis];
  assert.ok(
    moved >= expected * 0.5,
    `holding '${key}' for ${HOLD_MS} ms should move the own actor ${directionWord} by about ${expected.toFixed(1)} units ` +
      `(movement_speed ${speed}), but ${axis} went from ${before.ownPosition[axis]} to ${after.ownPosition[axis]}`,
  );
  assert.ok(
    moved <= expected * 1.5 + 1,
    `holding '${key}' for ${HOLD_MS} ms should move the own actor at most about ${expected.toFixed(1)} units ` +
      `(movement_speed ${speed}), but it moved ${moved.toFixed(1)}`,
  );
  const shift = pixelsAfter.ownCentroid[axis] - pixelsBefore.ownCentroid[axis];
  t.diagnostic(`moved ${moved.toFixed(1)} units (expected about ${expected.toFixed(1)}), highlight moved ${shift.toFixed(1)} px`);
  assert.ok(
    shift >= 3,
    `the own actor's highlight on the canvas should move ${directionWord}, but its centroid ${axis} went from ` +
      `${pixelsBefore.ownCentroid[axis].toFixed(1)} to ${pixelsAfter.ownCentroid[axis].toFixed(1)} px`,
  );
}

/** Starts headless Chromium (into `browser`) and opens `url` in a new main `page`. */
async function launchBrowser(url) {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    // The client reports protocol problems as warnings prefixed 'tickwire:'.
    if (message.type() === 'error' || message.text().startsWith('tickwire:')) {
      console.error(`page console ${message.type()}: ${message.text()}`);
    }
  });
  await page.goto(url, { timeout: 10000 });
}

/** Counts the canvas pixels within 2 of each channel of `rgb`. */
async function countPixels(rgb) {
  return page.evaluate((color) => {
    const canvas = document.getElementById('view');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - color[0]) <= 2 && Math.abs(data[i + 1] - color[1]) <= 2 && Math.abs(data[i + 2] - color[2]) <= 2) {
        count++;
      }
    }
    return count;
  }, rgb);
}

describe('demo client in Chromium against tickwire-server', { timeout: 120000 }, () => {
  before(check(async () => {
    // Auto-tuning off, as in the Rust tests: a hiccup of a busy machine (a 125 ms
    // overrun in CI) must not change the rates the settings tests count on.
    const url = await server.start(['--bind', '127.0.0.1:0', '--npcs', String(NPCS), '--autotune', 'false']);
    await launchBrowser(defaultRoom(url));
  }));

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server.stop();
  });

  test('(a) connects and receives every actor', { timeout: 30000 }, check(async () => {
    await waitForStatus(
      `the page should reach state 'connected' with at least ${NPCS + 1} actors`,
      (min) => window.tickwire?.state === 'connected' && window.tickwire.actorCount >= min,
      10000,
      NPCS + 1,
    );
    await waitForStatus(
      'the own actor should appear in a snapshot',
      () => window.tickwire.ownPosition !== null,
    );
    const now = await status();
    assert.equal(typeof now.actorId, 'number', 'actorId should be a number once connected');
    assert.deepEqual([now.room, now.roomName], ['default', 'default'], '/?room=default should play in the default room');
    await waitForHud('the HUD should name the default room', 'room', (text) => text === 'default');
    assert.deepEqual(now.fieldNames, [], 'the plain server replicates no gameplay fields');
    assert.deepEqual(now.ownFields, {}, 'without field names the own actor has no named fields');
    assert.equal(await page.locator('#hud dd[data-field="fields"]').isHidden(), true, 'the HUD should list no fields');
    assert.ok(now.tick > 0, 'tick should be positive once snapshots arrive');
    await waitForStatus('rttMs should be reported after a ping or two', () => window.tickwire.rttMs !== null, 5000);
    if (screenshotPath) {
      await page.waitForTimeout(300);
      await page.screenshot({ path: screenshotPath });
    }
  }));

  test('(b) draws the own actor and the NPCs on the canvas', { timeout: 30000 }, check(async () => {
    const pixels = await canvasPixels();
    assert.ok(pixels.ownCount >= 20, `the canvas should show the own actor in ${OWN_RGB}, found ${pixels.ownCount} pixels`);
    assert.ok(pixels.npcCount >= 20 * NPCS, `the canvas should show ${NPCS} NPCs in ${NPC_RGB}, found ${pixels.npcCount} pixels`);
  }));

  test('(x) the arena is drawn clear of the HUD, in a narrow window too', { timeout: 30000 }, check(async (t) => {
    const original = page.viewportSize();
    const seen = [];
    try {
      for (const size of [original, NARROW_VIEWPORT]) {
        await page.setViewportSize(size);
        const { hud, arena } = await hudAndArena(size);
        assert.equal(
          typeof arena?.width,
          'number',
          'window.tickwire.arenaRect should say where the arena was drawn (the server embeds dist/app.js: is its binary older?)',
        );
        assert.ok(
          arena.left >= 0 && arena.top >= 0 && arena.left + arena.width <= size.width && arena.top + arena.height <= size.height,
          `in a ${size.width} x ${size.height} window the arena should be inside it, but is at ${JSON.stringify(arena)}`,
        );
        assert.ok(Math.min(arena.width, arena.height) >= 100, `the arena should still be a usable size: ${JSON.stringify(arena)}`);
        assert.ok(
          !overlaps(hud, arena),
          `in a ${size.width} x ${size.height} window the HUD (${JSON.stringify(hud)}) should not cover the arena (${JSON.stringify(arena)})`,
        );
        seen.push(`${size.width} x ${size.height}: HUD ${describeRect(hud)}, arena ${describeRect(arena)}`);
      }
      if (screenshotPath) {
        await page.screenshot({ path: screenshotPath.replace(/\.png$/, '') + '-narrow.png' });
      }
    } finally {
      await page.setViewportSize(original);
      await hudAndArena(original);
    }
    t.diagnostic(seen.join('; '));
  }));

  test('(c) applies delta snapshots without errors; the HUD agrees with the mirror', { timeout: 30000 }, check(async (t) => {
    const start = await status();
    await page.waitForTimeout(DELTA_WATCH_MS);
    const end = await status();
    assert.equal(end.applyErrors, 0, `every snapshot should apply to the mirror, but ${end.applyErrors} did not`);
    assert.ok(
      end.mirrorTick > start.mirrorTick,
      `the mirror should advance over ${DELTA_WATCH_MS} ms, but stayed at tick ${start.mirrorTick}`,
    );
    const deltas = end.deltasApplied - start.deltasApplied;
    assert.ok(deltas > 0, `delta snapshots should be applied over ${DELTA_WATCH_MS} ms, but none were`);
    assert.ok(end.snapshotBytes > 0, 'the size of the last snapshot frame should be reported');
    assert.ok(end.actorCount >= NPCS + 1, `the mirror should hold every actor, but holds ${end.actorCount}`);
    const hudMatches = await page
      .waitForFunction(
        () => document.querySelector('#hud dd[data-field="actors"]')?.textContent === String(window.tickwire.actorCount),
        null,
        { timeout: 2000, polling: 50 },
      )
      .then(() => true, () => false);
    const hudActors = await page.locator('#hud dd[data-field="actors"]').textContent();
    assert.ok(hudMatches, `the HUD should show the mirror's ${(await status()).actorCount} actors, but shows ${hudActors}`);
    const hudBytes = await page.locator('#hud dd[data-field="bytes"]').textContent();
    assert.match(hudBytes ?? '', /^\d+(\.\d)? [kM]?B\/s$/, 'the HUD should show the snapshot bytes per second');
    t.diagnostic(
      `mirror tick ${start.mirrorTick} -> ${end.mirrorTick}: ${deltas} deltas, ${end.fullSnapshotsApplied} full snapshots in all; ` +
        `last frame ${end.snapshotBytes} B; HUD ${hudActors} actors, ${hudBytes}`,
    );
  }));

  test("(d) holding 'd' moves the own actor right", { timeout: 45000 }, check(async (t) => {
    await checkMove(t, 'd', 'x', 'right');
  }));

  test("(e) holding 's' moves the own actor down", { timeout: 45000 }, check(async (t) => {
    await checkMove(t, 's', 'y', 'down');
  }));

  test('(u) the own actor responds to a key in the next frame, before the server does', { timeout: 45000 }, check(async (t) => {
    await moveAwayFromEdge('x');
    // Every frame: where the own actor is drawn (predicted) and where the server has it.
    await page.evaluate(() => {
      window.__frames = [];
      window.__keyFrame = null;
      const record = () => {
        const s = window.tickwire;
        window.__frames.push({ predicted: s.predictedPosition && { ...s.predictedPosition }, own: s.ownPosition && { ...s.ownPosition } });
        requestAnimationFrame(record);
      };
      requestAnimationFrame(record);
      // Registered after the client's own listener: the input is sent by the time this runs.
      window.addEventListener('keydown', (event) => {
        if (event.code === 'KeyD' && window.__keyFrame === null) {
          window.__keyFrame = window.__frames.length;
        }
      });
    });
    // Recording must have started: the frame before the key press is the reference.
    await page.waitForFunction(() => window.__frames.length >= 2, null, { timeout: 5000, polling: 'raf' });
    const attempts = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      // Press right after a snapshot was applied, so the server's next one is a snapshot interval away.
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            window.__keyFrame = null;
            const applied = () => window.tickwire.fullSnapshotsApplied + window.tickwire.deltasApplied;
            const start = applied();
            const poll = setInterval(() => {
              if (applied() !== start) {
                clearInterval(poll);
                resolve();
              }
            }, 1);
          }),
      );
      await page.keyboard.down('d');
      await page.waitForFunction(() => window.__keyFrame !== null && window.__frames.length >= window.__keyFrame + 2, null, {
        timeout: 2000,
        polling: 'raf',
      });
      await page.keyboard.up('d');
      const { frames, keyFrame } = await page.evaluate(() => ({ frames: window.__frames, keyFrame: window.__keyFrame }));
      const before = frames[keyFrame - 1];
      const next = frames.slice(keyFrame, keyFrame + 2);
      assert.ok(before?.predicted && before.own, `the own actor should be drawn before the key: ${JSON.stringify(before)}`);
      const moved = next.findIndex((frame) => frame.predicted.x > before.predicted.x);
      assert.ok(
        moved >= 0,
        `within 2 animation frames of pressing 'd' the drawn own actor should move right, but predictedPosition went ` +
          `${JSON.stringify(before.predicted)} -> ${JSON.stringify(next.map((frame) => frame.predicted))}`,
      );
      const serverStill = next[moved].own.x === before.own.x && next[moved].own.y === before.own.y;
      attempts.push({ frame: moved + 1, serverStill, dx: next[moved].predicted.x - before.predicted.x });
      if (serverStill) {
        break;
      }
      await page.waitForTimeout(SETTLE_MS);
    }
    t.diagnostic(`attempts: ${JSON.stringify(attempts)}`);
    assert.ok(
      attempts.some((a) => a.serverStill),
      `the prediction should move before the server's position (ownPosition) changes: ${JSON.stringify(attempts)}`,
    );
    await page.waitForTimeout(SETTLE_MS);
  }));

  test('(v) the prediction converges on the server after the keys are released; the last input is acked', { timeout: 45000 }, check(async (t) => {
    await moveAwayFromEdge('x');
    const start = await status();
    await page.keyboard.down('d');
    // Largest prediction error seen at a snapshot while the key is held.
    await page.evaluate(() => {
      window.__maxPredictionError = 0;
      window.__errorWatch = setInterval(() => {
        window.__maxPredictionError = Math.max(window.__maxPredictionError, window.tickwire.predictionError);
      }, 5);
    });
    await page.waitForTimeout(500);
    await page.keyboard.up('d');
    const released = (await status()).lastInputSent;
    await page.waitForTimeout(500);
    const maxError = await page.evaluate(() => {
      clearInterval(window.__errorWatch);
      return window.__maxPredictionError;
    });
    const after = await status();
    const gap = Math.hypot(after.predictedPosition.x - after.ownPosition.x, after.predictedPosition.y - after.ownPosition.y);
    assert.ok(after.ownPosition.x > start.ownPosition.x + 10, `holding 'd' should move the own actor on the server: ${JSON.stringify([start.ownPosition, after.ownPosition])}`);
    assert.ok(
      gap < 2,
      `500 ms after the release the drawn own actor should be within 2 units of the server's, but predictedPosition is ` +
        `${JSON.stringify(after.predictedPosition)} and ownPosition ${JSON.stringify(after.ownPosition)}`,
    );
    assert.ok(after.lastInputAck >= released, `the release's input #${released} should be acknowledged, but lastInputAck is ${after.lastInputAck}`);
    // Inputs keep going out every input_every ticks: at some moment the ack catches up with the last one sent.
    await waitForStatus(
      'lastInputAck should equal the last sequence sent',
      () => window.tickwire.lastInputAck === window.tickwire.lastInputSent,
      3000,
    );
    const speed = after.settings.movementSpeed;
    const intervalS = after.snapshotEveryTicks / after.settings.tickRateHz;
    assert.ok(
      maxError <= 2 * speed * intervalS,
      `on a clean connection the prediction should never need to snap (error <= ${2 * speed * intervalS}), but was off by ${maxError}`,
    );
    t.diagnostic(`gap ${gap.toFixed(3)} units; largest prediction error while held ${maxError.toFixed(2)}; ack ${after.lastInputAck}`);
  }));

  test('(w) other actors move smoothly: no per-frame jump', { timeout: 45000 }, check(async (t) => {
    const now = await status();
    const intervalMs = (now.snapshotEveryTicks * 1000) / now.settings.tickRateHz;
    const limit = (now.settings.movementSpeed * (intervalMs + 50)) / 1000;
    const { frames, jumps, largest, moving } = await page.evaluate(
      ([watchMs, ownId]) =>
        new Promise((resolve) => {
          const ids = Object.keys(window.tickwire.drawnPositions).map(Number).filter((id) => id !== ownId).slice(0, 5);
          let last = null;
          let frames = 0;
          let largest = 0;
          let moving = 0;
          const jumps = [];
          const end = performance.now() + watchMs;
          const sample = (time) => {
            const drawn = window.tickwire.drawnPositions;
            if (last !== null) {
              for (const id of ids) {
                if (drawn[id] && last[id]) {
                  const jump = Math.hypot(drawn[id].x - last[id].x, drawn[id].y - last[id].y);
                  largest = Math.max(largest, jump);
                  moving += jump > 0 ? 1 : 0;
                  jumps.push(jump);
                }
              }
            }
            last = {};
            for (const id of ids) {
              last[id] = drawn[id] && { ...drawn[id] };
            }
            frames++;
            if (time < end) {
              requestAnimationFrame(sample);
            } else {
              resolve({ frames, jumps: jumps.length, largest, moving });
            }
          };
          requestAnimationFrame(sample);
        }),
      [2000, now.actorId],
    );
    assert.ok(frames >= 30, `about 120 animation frames should be drawn in 2 s, but only ${frames} were`);
    assert.ok(jumps > 0, 'some NPCs should have been sampled');
    assert.ok(
      largest <= limit,
      `no NPC should move more than ${limit.toFixed(1)} units between two frames (movement_speed x (snapshot interval + 50 ms)), but one moved ${largest.toFixed(2)}`,
    );
    t.diagnostic(`${frames} frames, ${jumps} samples (${moving} moving), largest per-frame move ${largest.toFixed(2)} units (limit ${limit.toFixed(1)})`);
  }));

  test('(f) a lost snapshot costs one FullSnapshotRequest, then the mirror is back in step', { timeout: 30000 }, check(async (t) => {
    // A second session whose socket goes through Playwright, which drops one snapshot.
    const { T, ByteBuffer } = await loadClient();
    const serverBody = (bytes) => T.ServerMessage.getRootAsServerMessage(new ByteBuffer(new Uint8Array(bytes))).bodyType();
    let snapshotsSeen = 0;
    let dropped = false;
    const requests = [];
    const acks = [];
    const second = await browser.newPage({ viewport: { width: 640, height: 480 } });
    try {
      second.on('pageerror', (error) => pageErrors.push(String(error)));
      await second.routeWebSocket(/\/ws$/, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
          if (typeof message !== 'string' && serverBody(message) === T.ServerBody.Snapshot && ++snapshotsSeen === 20) {
            dropped = true;
            return;
          }
          ws.send(message);
        });
        ws.onMessage((message) => {
          if (typeof message !== 'string') {
            const decoded = T.ClientMessage.getRootAsClientMessage(new ByteBuffer(new Uint8Array(message)));
            if (decoded.bodyType() === T.ClientBody.FullSnapshotRequest) {
              requests.push(snapshotsSeen);
            } else if (decoded.bodyType() === T.ClientBody.Input) {
              acks.push(decoded.body(new T.Input()).ackTick());
            }
          }
          upstream.send(message);
        });
      });
      await second.goto(defaultRoom(server.url), { timeout: 10000 });
      const recovered = await second
        .waitForFunction(
          () => window.tickwire.applyErrors > 0 && window.tickwire.fullSnapshotsApplied >= 2 && window.tickwire.deltasApplied > 25,
          null,
          { timeout: 15000, polling: 50 },
        )
        .then(() => true, () => false);
      const after = await second.evaluate(() => window.tickwire);
      assert.ok(dropped, 'the test should have dropped a snapshot');
      assert.ok(recovered, `the page should refuse the next delta, get a full snapshot and apply deltas again; window.tickwire is ${JSON.stringify(after)}`);
      assert.equal(after.applyErrors, 1, 'one lost snapshot should cost exactly one refused delta');
      assert.equal(requests.length, 1, `the page should send one FullSnapshotRequest, but sent ${requests.length}`);
      assert.ok(after.actorCount >= NPCS + 2, `the mirror should hold the NPCs and both players, but holds ${after.actorCount}`);
      assert.ok(acks.some((tick) => tick > 0), 'Inputs should acknowledge the snapshots applied');
      assert.ok(acks.every((tick, i) => i === 0 || tick >= acks[i - 1]), `acknowledged ticks should never go back: ${acks}`);
      assert.ok(acks[acks.length - 1] <= after.mirrorTick, 'Inputs should acknowledge no tick beyond the mirror');
      t.diagnostic(
        `dropped snapshot #20; FullSnapshotRequest sent after snapshot #${requests[0]}; ` +
          `then ${after.deltasApplied} deltas and ${after.fullSnapshotsApplied} full snapshots applied, mirror at tick ${after.mirrorTick}`,
      );
    } finally {
      await second.close();
    }
  }));

  test('(g) a settings change through the admin API shows in the page', { timeout: 45000 }, check(async (t) => {
    const original = await adminSettings('GET');
    for (const key of ['tick_rate_hz', 'broadcast_every', 'input_every', 'interpolation_delay_ms']) {
      assert.equal(typeof original[key], 'number', `GET /admin/settings should hold a number '${key}': ${JSON.stringify(original)}`);
    }
    const before = await status();
    assert.equal(
      before.settings.broadcastEvery,
      original.broadcast_every,
      'the page should start with the broadcast_every the admin API reports',
    );
    assert.equal(before.throttleReason, 'none', 'a visible page should not be throttled');
    assert.equal(before.snapshotEveryTicks, original.broadcast_every, 'snapshotEveryTicks should start at broadcast_every');
    assert.equal(await hudText('tickRate'), `${original.tick_rate_hz} per second`, 'the HUD should show the tick rate in plain words');
    const delayText = await hudText('delay');
    const shownDelay = Number(/^(\d+) ms behind/.exec(delayText ?? '')?.[1]);
    assert.ok(
      shownDelay >= original.interpolation_delay_ms,
      `the HUD should show how far behind others are drawn, at least interpolation_delay_ms ${original.interpolation_delay_ms}: ${delayText}`,
    );
    assert.match(
      await hudText('input'),
      new RegExp(`^[\\d.]+ per second \\(every ${original.input_every} ticks?\\)$`),
      'the HUD should show the input rate in plain words',
    );

    const refused = await adminSettings('PATCH', { broadcast_every: 0 }, 400);
    assert.match(refused.error ?? '', /broadcast_every/, `a refused PATCH should name the setting: ${JSON.stringify(refused)}`);

    const target = original.broadcast_every === 4 ? 6 : 4;
    let gaps;
    try {
      const changed = await adminSettings('PATCH', { broadcast_every: target });
      assert.equal(changed.broadcast_every, target, `PATCH should answer with broadcast_every ${target}: ${JSON.stringify(changed)}`);
      assert.equal(changed.tick_rate_hz, original.tick_rate_hz, 'PATCH should leave the other settings alone');
      await waitForStatus(
        `window.tickwire.settings.broadcastEvery should become ${target} after the PATCH`,
        (every) => window.tickwire.settings?.broadcastEvery === every,
        5000,
        target,
      );
      await waitForStatus(
        `window.tickwire.snapshotEveryTicks should follow broadcast_every to ${target}`,
        (every) => window.tickwire.snapshotEveryTicks === every && window.tickwire.throttleReason === 'none',
        5000,
        target,
      );
      await waitForHud(`the HUD should show snapshots every ${target} ticks`, 'interval', (text) => text.endsWith(`(every ${target} ticks)`));
      // Let the last snapshot of the old rate pass, then watch the new one.
      await page.waitForTimeout(300);
      ({ gaps } = await watchSnapshots(1200));
    } finally {
      await adminSettings('PATCH', { broadcast_every: original.broadcast_every });
    }
    assert.ok(gaps.length >= 4, `about ${Math.floor((1.2 * original.tick_rate_hz) / target)} snapshots should be applied in 1.2 s, but only ${gaps.length} gaps were seen`);
    assert.ok(
      gaps.every((gap) => gap === target),
      `consecutive applied mirror ticks should differ by ${target}, but differed by ${JSON.stringify(gaps)}`,
    );
    await waitForStatus(
      `the page should be back at broadcast_every ${original.broadcast_every} after the second PATCH`,
      (every) => window.tickwire.settings?.broadcastEvery === every && window.tickwire.snapshotEveryTicks === every,
      5000,
      original.broadcast_every,
    );
    const after = await status();
    assert.equal(after.applyErrors, 0, 'every snapshot should apply across the settings changes');
    t.diagnostic(`broadcast_every ${original.broadcast_every} -> ${target} -> ${original.broadcast_every}; mirror tick gaps at ${target}: ${JSON.stringify(gaps)}`);
  }));

  test('(h) a hidden page caps its snapshot rate; a visible one lifts the cap', { timeout: 45000 }, check(async (t) => {
    const before = await status();
    const broadcastEvery = before.settings.broadcastEvery;
    assert.equal(before.throttleReason, 'none', 'a visible page should not be throttled');
    let hiddenEvery;
    let hidden;
    try {
      await setPageHidden(true);
      await waitForStatus(
        "hiding the page should make the server answer with throttleReason 'client-cap' and a larger snapshotEveryTicks",
        (every) => window.tickwire.throttleReason === 'client-cap' && window.tickwire.snapshotEveryTicks > every,
        5000,
        broadcastEvery,
      );
      hiddenEvery = (await status()).snapshotEveryTicks;
      assert.equal(hiddenEvery % broadcastEvery, 0, `the capped interval ${hiddenEvery} should be a multiple of broadcast_every ${broadcastEvery}`);
      await waitForHud('the HUD should say the snapshots are throttled by the client cap', 'interval', (text) =>
        text.includes('slowed down: this page asked for fewer'),
      );
      hidden = await watchSnapshots(2000);
    } finally {
      await setPageHidden(false);
    }
    // At most 2 per second: 4 in 2 s, and one more for where the window falls.
    assert.ok(hidden.applied <= 5, `a hidden page should get at most 2 snapshots per second, but applied ${hidden.applied} in 2 s`);
    assert.ok(
      hidden.gaps.slice(1).every((gap) => gap >= hiddenEvery),
      `while capped, consecutive applied mirror ticks should differ by at least ${hiddenEvery}, but differed by ${JSON.stringify(hidden.gaps)}`,
    );
    await waitForStatus(
      "showing the page again should bring throttleReason back to 'none' and snapshotEveryTicks to broadcast_every",
      (every) => window.tickwire.throttleReason === 'none' && window.tickwire.snapshotEveryTicks === every,
      5000,
      broadcastEvery,
    );
    await waitForHud('the HUD should stop saying the snapshots are throttled', 'interval', (text) => text.endsWith(`(every ${broadcastEvery} ticks)`));
    const visible = await watchSnapshots(1000);
    const expected = (await status()).settings.tickRateHz / broadcastEvery;
    assert.ok(
      visible.applied >= expected * 0.6,
      `a visible page should get about ${expected} snapshots per second again, but applied ${visible.applied} in 1 s`,
    );
    t.diagnostic(
      `hidden: every ${hiddenEvery} ticks, ${hidden.applied} snapshots in 2 s (gaps ${JSON.stringify(hidden.gaps)}); ` +
        `visible again: ${visible.applied} snapshots in 1 s`,
    );
  }));

  test('(i) after the server drops the connection the page reconnects and keeps the same actor', { timeout: 60000 }, check(async (t) => {
    const proxy = new ShapingProxy(server.url);
    const proxied = await openPage(defaultRoom(await proxy.start()));
    try {
      await onPage(proxied, async () => {
        await waitForStatus(
          "the page loaded through the proxy should reach state 'connected' and see its own actor",
          () => window.tickwire?.state === 'connected' && window.tickwire.ownPosition !== null,
        );
        const before = await status();
        assert.equal(before.reconnects, 0, 'no reconnection yet');
        assert.equal(before.resumed, false, 'the first Welcome should not be a resume');
        await recordStates();

        const dropped = proxy.dropAll();
        assert.ok(dropped >= 2, `the proxy should have had the WebSocket's two sockets to cut, had ${dropped}`);
        await waitForStatus(
          "the page should be 'connected' again after one reconnection",
          () => window.tickwire.state === 'connected' && window.tickwire.reconnects === 1,
          15000,
        );
        const states = await page.evaluate(() => window.__states);
        assert.deepEqual(states, ['connected', 'reconnecting', 'connected'], "the page should go through 'reconnecting' and back");
        const after = await status();
        assert.equal(after.actorId, before.actorId, 'the page should keep its actor');
        assert.equal(after.resumed, true, 'the Welcome should say the session was resumed');
        assert.equal(after.reconnects, 1, 'one successful reconnection');
        assert.ok(proxy.connections >= 2, 'the page should have connected through the proxy again');

        // A full snapshot follows the Welcome, then the mirror advances with deltas again.
        await waitForStatus(
          'a full snapshot should follow the Welcome, then deltas',
          ([full, tick]) =>
            window.tickwire.fullSnapshotsApplied > full && window.tickwire.mirrorTick > tick && window.tickwire.deltasApplied > 0,
          5000,
          [before.fullSnapshotsApplied, before.mirrorTick],
        );
        const resumedAt = (await status()).mirrorTick;
        await waitForStatus(
          "the mirror's ticks should keep advancing after the reconnection",
          (tick) => window.tickwire.mirrorTick > tick + 10 && window.tickwire.ownPosition !== null,
          5000,
          resumedAt,
        );
        await waitForStatus(
          `the world should hold as many actors as before (${before.actorCount}): the resumed actor is no extra one`,
          (count) => window.tickwire.actorCount === count,
          5000,
          before.actorCount,
        );
        assert.equal((await status()).applyErrors, 0, 'every snapshot of the new connection should apply');
        await checkMove(t, 'd', 'x', 'right');
        t.diagnostic(
          `cut ${dropped} sockets; states ${JSON.stringify(states)}; actor #${after.actorId} kept, ` +
            `mirror tick ${before.mirrorTick} -> ${(await status()).mirrorTick}`,
        );
      });
    } finally {
      await proxied.close();
      await proxy.stop();
    }
  }));

  test('(j) a full server is retried; a final close code stops the page and says why', { timeout: 30000 }, check(async (t) => {
    // A mock server: the first connection is told the server is full, the second is
    // held a moment, then refused as unauthorised (final).
    const { T, Builder, ByteBuffer } = await loadClient();
    const disconnect = (code, reason) => {
      const b = new Builder(64);
      b.finish(T.ServerMessage.createServerMessage(b, T.ServerBody.Disconnect, T.Disconnect.createDisconnect(b, code, b.createString(reason))));
      return Buffer.from(b.asUint8Array());
    };
    const hellos = [];
    let connections = 0;
    const mocked = await openPage(new URL('?token=let-me-in&room=default', server.url).href, async (other) => {
      await other.addInitScript(() => {
        // Every text the HUD's notice shows, in order.
        window.__notices = [];
        setInterval(() => {
          const text = document.querySelector('#hud .notice')?.textContent ?? '';
          if (text !== '' && window.__notices.at(-1) !== text) {
            window.__notices.push(text);
          }
        }, 5);
      });
      await other.routeWebSocket(/\/ws$/, (ws) => {
        const attempt = ++connections;
        ws.onMessage(async (message) => {
          const decoded = T.ClientMessage.getRootAsClientMessage(new ByteBuffer(new Uint8Array(message)));
          const hello = decoded.body(new T.Hello());
          hellos.push({ authToken: hello.authToken(), resumeTokenLength: hello.resumeTokenLength() });
          const [code, reason] = attempt === 1 ? [1013, 'server is full'] : [4001, 'auth token expired'];
          if (attempt > 1) {
            await new Promise((resolve) => setTimeout(resolve, 400));
          }
          ws.send(disconnect(code, reason));
          await ws.close({ code, reason });
        });
      });
    });
    try {
      await onPage(mocked, async () => {
        await waitForStatus("the page should reach state 'closed' after the final code", () => window.tickwire.state === 'closed', 10000);
        await page.waitForTimeout(1500);
        assert.equal(connections, 2, 'the page should retry once after 1013, and never after 4001');
        assert.deepEqual(
          hellos,
          [{ authToken: 'let-me-in', resumeTokenLength: 0 }, { authToken: 'let-me-in', resumeTokenLength: 0 }],
          'every Hello should carry the ?token= from the page URL, and no resume token before any Welcome',
        );
        const notices = await page.evaluate(() => window.__notices);
        assert.ok(
          notices.some((text) => /^Server full: server is full — (retrying in \d+\.\d s|reconnecting…)$/.test(text)),
          `the HUD should have said the server was full and that the page retries: ${JSON.stringify(notices)}`,
        );
        const final = await page.locator('#hud .notice').textContent({ timeout: 2000 });
        assert.match(final ?? '', /^Not authorised: auth token expired/, 'the HUD should say why the page stopped');
        assert.equal(await page.locator('#hud .notice').getAttribute('data-kind'), 'error', 'a final close is an error');
        const { lastDisconnect, reconnects } = await status();
        assert.deepEqual(lastDisconnect, { code: 4001, reason: 'auth token expired' });
        assert.equal(reconnects, 0, 'no Welcome, so no reconnection');
        t.diagnostic(`HUD notices: ${JSON.stringify(notices)}`);
      });
    } finally {
      await mocked.close();
    }
  }));

  test('(l) the lobby lists the rooms; Create lands in a new room, a reload resumes it there, Leave goes back', { timeout: 60000 }, check(async (t) => {
    /** When the page asked for GET /rooms (Date.now()). */
    const listings = [];
    const lobby = await openPage(server.url, async (other) => {
      other.on('request', (request) => {
        if (request.method() === 'GET' && new URL(request.url()).pathname === '/rooms') {
          listings.push(Date.now());
        }
      });
    });
    try {
      await onPage(lobby, async () => {
        await waitForStatus("the page on / should show the lobby (window.tickwire.view 'lobby')", () => window.tickwire?.view === 'lobby', 5000);
        assert.equal(await page.locator('#lobby').isVisible(), true, 'the lobby should be visible');
        assert.equal(await page.locator('#hud').isVisible(), false, 'the HUD should be hidden behind the lobby');
        const defaultRow = page.locator('#lobby tr[data-room="default"]');
        await defaultRow.waitFor({ timeout: 5000 }).catch(() => undefined);
        const cells = await defaultRow.locator('td').allTextContents();
        assert.equal(cells[0], 'default', `the lobby should list the default room by its type, but its row is ${JSON.stringify(cells)}`);
        assert.match(cells[2] ?? '', /^[1-9]\d*\/\d+$/, `the default room's row should count the main page among its players: ${JSON.stringify(cells)}`);
        const listedBy = Date.now() + 4000;
        while (listings.length < 2 && Date.now() < listedBy) {
          await page.waitForTimeout(100);
        }
        assert.ok(listings.length >= 2, `the lobby should refresh its room list every 2 s, but asked ${listings.length} time(s) in 4 s`);

        await page.locator('#lobby button[data-action="create"]').click();
        await waitForStatus(
          "Create should land the page in a new room: state 'connected', a room other than 'default', its own actor in a snapshot",
          () => window.tickwire.view === 'room' && window.tickwire.state === 'connected' && window.tickwire.room && window.tickwire.room !== 'default' && window.tickwire.ownPosition !== null,
          10000,
        );
        const created = await status();
        const url = new URL(page.url());
        assert.equal(url.searchParams.get('room'), created.room, `the URL should name the room (?room=${created.room}), but is ${page.url()}`);
        assert.equal(created.roomName, 'default', 'the room is of the type the lobby creates');
        await waitForHud('the HUD should name the room', 'room', (text) => text.includes(created.room));
        assert.ok(created.actorCount >= 1, 'the new room holds at least the own actor');
        await waitForStatus(
          'snapshots should arrive in the new room',
          (tick) => window.tickwire.deltasApplied > 0 && window.tickwire.mirrorTick > tick,
          5000,
          created.mirrorTick,
        );
        const listed = await fetch(new URL('rooms', server.url)).then((response) => response.json());
        const room = listed.rooms.find((r) => r.id === created.room);
        assert.ok(room && room.clients >= 1, `GET /rooms should list the new room with the page in it: ${JSON.stringify(listed)}`);

        await page.reload({ timeout: 10000 });
        await waitForStatus(
          `after a reload the page should be back in room ${created.room}, connected`,
          (id) => window.tickwire?.state === 'connected' && window.tickwire.room === id,
          10000,
          created.room,
        );
        const reloaded = await status();
        assert.equal(new URL(page.url()).searchParams.get('room'), created.room, 'the reload should keep ?room=');
        assert.equal(reloaded.resumed, true, 'the Welcome after the reload should say the session was resumed');
        assert.equal(reloaded.actorId, created.actorId, `the reload should resume actor #${created.actorId}, not #${reloaded.actorId}`);
        await waitForStatus('snapshots should arrive after the reload', () => window.tickwire.deltasApplied > 0 && window.tickwire.ownPosition !== null, 5000);

        await page.locator('#hud button[data-action="leave"]').click();
        await waitForStatus("Leave should bring the lobby back (view 'lobby', state 'closed')", () => window.tickwire.view === 'lobby' && window.tickwire.state === 'closed', 5000);
        assert.equal(page.url(), server.url, 'Leave should take ?room= out of the URL');
        assert.equal(await page.locator('#lobby').isVisible(), true, 'the lobby should be visible again');

        await page.locator('#lobby tr[data-room="default"] button[data-action="join"]').click();
        await waitForStatus(
          "the default room's Join should land the page there, connected",
          () => window.tickwire.view === 'room' && window.tickwire.state === 'connected' && window.tickwire.room === 'default',
          10000,
        );
        assert.equal(new URL(page.url()).searchParams.get('room'), 'default', 'the URL should name the default room');

        await page.goto(new URL('?room=nosuchroom', server.url).href, { timeout: 10000 });
        await waitForStatus("a room that is gone should bring the lobby", () => window.tickwire?.view === 'lobby', 5000);
        const notice = await page.locator('#lobby .notice').textContent({ timeout: 2000 });
        assert.equal(notice, 'Room nosuchroom is gone', 'the lobby should say the room is gone');
        assert.equal(page.url(), server.url, 'the URL should be back on /');
        if (screenshotPath) {
          await page.screenshot({ path: screenshotPath.replace(/\.png$/, '') + '-lobby.png' });
        }

        await page.locator('#lobby button[data-action="quick-play"]').click();
        await waitForStatus(
          'Quick play should land the page in a room, connected',
          () => window.tickwire.view === 'room' && window.tickwire.state === 'connected' && Boolean(window.tickwire.room),
          10000,
        );
        const played = await status();
        assert.equal(new URL(page.url()).searchParams.get('room'), played.room, 'the URL should name the room Quick play found');
        t.diagnostic(
          `default room row ${JSON.stringify(cells)}; created ${created.room} (actor #${created.actorId}); ` +
            `after the reload actor #${reloaded.actorId}, resumed ${reloaded.resumed}; quick play: ${played.room}; ` +
            `${listings.length} room listings`,
        );
      });
    } finally {
      await lobby.close();
    }
  }));

  test('(k) stopping the server: the page says so and keeps trying to reconnect', { timeout: 30000 }, check(async (t) => {
    const { applyErrors } = await status();
    assert.equal(applyErrors, 0, 'every snapshot of the session should have applied to the mirror');
    await server.stop();
    await waitForStatus(
      "the page should reach state 'reconnecting' after the server stops (1001 is worth retrying)",
      () => window.tickwire.state === 'reconnecting',
      5000,
    );
    const { lastDisconnect } = await status();
    assert.equal(lastDisconnect?.code, 1001, `the server should have said it is going away: ${JSON.stringify(lastDisconnect)}`);
    // Failed attempts keep the server's reason on screen, with the countdown.
    await page.waitForTimeout(1000);
    const notice = await page.locator('#hud .notice').textContent({ timeout: 2000 });
    assert.match(notice ?? '', /^Server shutting down\b.* — (retrying in \d+\.\d s|reconnecting…)$/, 'the HUD should say why and when it retries');
    assert.equal((await status()).state, 'reconnecting', 'the page should keep trying');
    t.diagnostic(`HUD notice: ${notice}; lastDisconnect: ${JSON.stringify(lastDisconnect)}`);
    if (screenshotPath) {
      await page.screenshot({ path: screenshotPath.replace(/\.png$/, '') + '-closed.png' });
    }
  }));
});

describe('demo client in Chromium against the tag example game (gameplay fields)', { timeout: 90000 }, () => {
  const tag = new Server(tagBin, 'cargo build -p tickwire-server --example tag');
  // Many NPCs in a small arena, so tags happen within seconds.
  const TAG_NPCS = 60;

  before(check(async () => {
    const url = await tag.start(['--bind', '127.0.0.1:0', '--npcs', String(TAG_NPCS), '--arena-width', '300', '--arena-height', '300']);
    await launchBrowser(defaultRoom(url));
  }, tag));

  after(async () => {
    await browser?.close().catch(() => undefined);
    await tag.stop();
  });

  test('(t) the page knows the fields color and score, lists them, draws "it" in red and shows tagged events', { timeout: 45000 }, check(async (t) => {
    await waitForStatus(
      `the page should reach state 'connected' with at least ${TAG_NPCS + 1} actors and see its own actor`,
      (min) => window.tickwire?.state === 'connected' && window.tickwire.actorCount >= min && window.tickwire.ownPosition !== null,
      10000,
      TAG_NPCS + 1,
    );
    const now = await status();
    for (const name of ['color', 'score']) {
      assert.ok(now.fieldNames.includes(name), `fieldNames should include '${name}', but is ${JSON.stringify(now.fieldNames)}`);
    }
    assert.ok(now.ownFields !== null, 'ownFields should be set once the own actor is in the mirror');
    assert.deepEqual(Object.keys(now.ownFields).sort(), [...now.fieldNames].sort(), 'ownFields should hold every named field');
    for (const [name, value] of Object.entries(now.ownFields)) {
      assert.ok(Number.isInteger(value), `ownFields.${name} should be an integer, but is ${value}`);
    }
    await waitForHud('the HUD should list the game\'s fields', 'fields', (text) => /\bcolor\b/.test(text) && /\bscore\b/.test(text));

    // Someone is always "it": the canvas shows an actor filled with its red.
    let red = 0;
    const deadline = Date.now() + 5000;
    while ((red = await countPixels(IT_RGB)) < 20 && Date.now() < deadline) {
      await page.waitForTimeout(100);
    }
    assert.ok(red >= 20, `an actor should be drawn in the "it" red ${IT_RGB}, but only ${red} pixels are`);
    const own = await countPixels(OWN_RGB);
    assert.ok(own >= 20, `the own actor's yellow highlight should still be drawn, found ${own} pixels`);
    await page.waitForTimeout(DELTA_WATCH_MS / 3);
    const later = await status();
    assert.equal(later.applyErrors, 0, 'every snapshot (with fields) should apply to the mirror');
    assert.ok(later.deltasApplied > 0, 'deltas should be applied');

    // Events: the game names `tagged`, and with 60 NPCs in 300 x 300 tags come quickly.
    assert.ok(later.eventNames.includes('tagged'), `eventNames should include 'tagged', but is ${JSON.stringify(later.eventNames)}`);
    await waitForStatus(
      "at least one 'tagged' event should arrive",
      () => window.tickwire.eventCount > 0 && window.tickwire.events.some((event) => event.name === 'tagged'),
      10000,
    );
    const tagged = await status();
    assert.ok(tagged.events.length > 0 && tagged.events.length <= 20, `events should hold the last 20 at most, holds ${tagged.events.length}`);
    assert.ok(tagged.eventCount >= tagged.events.length, 'eventCount should count every event received');
    const event = tagged.events.findLast((e) => e.name === 'tagged');
    assert.deepEqual(Object.keys(event).sort(), ['actor', 'kind', 'name', 'other', 'tick', 'value']);
    assert.equal(tagged.eventNames[event.kind], 'tagged', 'the event should be named by its kind');
    assert.ok(event.actor > 0 && event.other > 0, `a tag should name the tagger and the tagged: ${JSON.stringify(event)}`);
    assert.ok(event.tick > 0, `the event should carry its batch's tick: ${JSON.stringify(event)}`);
    const lines = await page.locator('#hud .events li').allTextContents();
    assert.ok(lines.length >= 1 && lines.length <= 5, `the HUD should list 1 to 5 events, lists ${JSON.stringify(lines)}`);
    assert.ok(
      lines.some((line) => /^#\d+ tagged #\d+( \(-?\d+\))?$/.test(line)),
      `the HUD should show a tagged event like '#12 tagged #7', but shows ${JSON.stringify(lines)}`,
    );
    assert.ok(await page.locator('#hud .events').isVisible(), 'the HUD event log should be visible');
    t.diagnostic(
      `fieldNames ${JSON.stringify(later.fieldNames)}; ownFields ${JSON.stringify(later.ownFields)}; ` +
        `${red} red pixels, ${own} own-highlight pixels; HUD fields '${await hudText('fields')}'; ` +
        `eventNames ${JSON.stringify(tagged.eventNames)}; ${tagged.eventCount} events; HUD events ${JSON.stringify(lines)}`,
    );
    if (screenshotPath) {
      await page.screenshot({ path: screenshotPath.replace(/\.png$/, '') + '-tag.png' });
    }
  }, tag));
});
