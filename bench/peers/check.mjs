// Sanity check for the benchmark peers. Run by hand after ./install:
//
//   node bench/peers/check.mjs [--only uws,ws,colyseus,colyseus-players] [--seconds 3] [--clients 3]
//                              [--rate 20] [--frame-bytes 256]
//                              [--actors 200] [--tick-hz 20] [--patch-every 2]
//
// For each server: start it via ./start on port 0 (the READY line gives the real port),
// connect the clients, measure for --seconds, SIGTERM it. Prints per client: messages,
// payload bytes, mean frame size, latency (receive wall ms - stamped ms) mean/p50/p99/max.
// For Colyseus the clients are raw-bytes clients that follow PROTOCOL.md exactly, plus one
// @colyseus/sdk client that decodes the state (actor count == --actors, positions move).
// colyseus-players: the peer with --players and no NPCs; an SDK client steers its actor
// with room.sendBytes(1, direction) (bytes as PROTOCOL.md says), a raw client with the
// documented frame; their actors move as steered, rest without patches, survive malformed
// inputs (counted in --stats), and go when their clients leave.
// Exits non-zero if anything is off.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import path from "node:path";
import WebSocket from "ws";
import { Client as SdkClient } from "@colyseus/sdk";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: o } = parseArgs({
  options: {
    only: { type: "string", default: "uws,ws,colyseus,colyseus-players" },
    seconds: { type: "string", default: "3" },
    clients: { type: "string", default: "3" },
    rate: { type: "string", default: "20" },
    "frame-bytes": { type: "string", default: "256" },
    actors: { type: "string", default: "200" },
    "tick-hz": { type: "string", default: "20" },
    "patch-every": { type: "string", default: "2" },
  },
  strict: true,
});
const SECONDS = Number(o.seconds);
const NCLIENTS = Number(o.clients);
const RATE = Number(o.rate);
const FRAME_BYTES = Number(o["frame-bytes"]);
const ACTORS = Number(o.actors);
const TICK_HZ = Number(o["tick-hz"]);
const PATCH_EVERY = Number(o["patch-every"]);

// Colyseus protocol codes (PROTOCOL.md).
const JOIN_ROOM = 0x0a;
const ERROR = 0x0b;
const ROOM_STATE = 0x0e;
const ROOM_STATE_PATCH = 0x0f;
const ROOM_DATA_BYTES = 0x11;
const TS_MSG_LEN = 10; // 0x11, 0x00 (type 0), f64 LE
const INPUT_TYPE = 0x01; // --players: the input message, 0x11 0x01 <f32 LE x> <f32 LE y>
const MOVEMENT_SPEED = 120; // units per second at direction length 1

const failures = [];
const fail = (what) => {
  failures.push(what);
  console.log(`  FAIL: ${what}`);
};
const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server process
async function startServer(impl, args) {
  const child = spawn(path.join(HERE, "start"), [impl, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((r) => child.on("exit", (code, sig) => r({ code, sig })));
  const ready = await new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), 15000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = stdout.match(/^READY port=(\d+) pid=(\d+)\n/);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), pid: Number(m[2]) });
      }
    });
    exited.then(() => resolve(null));
  });
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`${impl}: no READY line (stdout=${JSON.stringify(stdout)} stderr=${stderr})`);
  }
  if (ready.pid !== child.pid) fail(`${impl}: READY pid ${ready.pid} != spawned pid ${child.pid} (start must exec)`);
  return {
    ...ready,
    async stop() {
      const t0 = Date.now();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const { code, sig } = await exited;
      clearTimeout(timer);
      const ms = Date.now() - t0;
      if (code !== 0) fail(`${impl}: exit after SIGTERM was code=${code} signal=${sig} (${ms} ms)`);
      const lines = stdout.split("\n").filter((l) => l.length > 0);
      if (lines.length !== 1) fail(`${impl}: stdout had ${lines.length} lines, want exactly the READY line: ${JSON.stringify(stdout)}`);
      if (stderr.trim()) console.log(`  (${impl} stderr: ${stderr.trim().split("\n").slice(0, 5).join(" | ")})`);
      return ms;
    },
  };
}

// ---------------------------------------------------------------- stats
function newStats(name) {
  return { name, msgs: 0, bytes: 0, sizes: new Map(), lat: [], window: 0, sizesOf: [] };
}
function summarize(s) {
  const lat = [...s.lat].sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  const mean = lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : NaN;
  return { mean, p50: q(0.5), p99: q(0.99), max: lat.length ? lat[lat.length - 1] : NaN };
}
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
function printStats(s, extra = "") {
  const l = summarize(s);
  console.log(
    `  ${s.name.padEnd(10)} msgs=${String(s.msgs).padStart(5)} bytes=${String(s.bytes).padStart(8)} ` +
      `mean_frame=${f2(s.bytes / s.msgs).padStart(8)} lat_ms mean=${f2(l.mean)} p50=${f2(l.p50)} ` +
      `p99=${f2(l.p99)} max=${f2(l.max)} (${s.lat.length} stamps)${extra}`,
  );
  return l;
}
function checkLatency(label, s) {
  const l = summarize(s);
  if (s.lat.length === 0) return fail(`${label}: no timestamps received`);
  // Same machine, same wall clock: latency must be >= ~0 and small at this load.
  if (!(l.p50 > -1 && l.p50 < 50)) fail(`${label}: p50 latency ${f2(l.p50)} ms out of range`);
  if (!(l.mean > -1 && l.mean < 100)) fail(`${label}: mean latency ${f2(l.mean)} ms out of range`);
}
function checkCount(label, got, expected) {
  const tol = Math.max(2, expected * 0.15);
  if (Math.abs(got - expected) > tol) fail(`${label}: ${got} stamped messages in the window, expected ~${expected.toFixed(0)}`);
}

// ---------------------------------------------------------------- raw servers
function rawClient(port, name, window) {
  const s = newStats(name);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/any/path?x=1`, { perMessageDeflate: false });
  ws.binaryType = "nodebuffer";
  ws.on("message", (data, isBinary) => {
    const t = nowMs();
    if (!window.open) return;
    s.msgs++;
    s.bytes += data.length;
    s.sizes.set(data.length, (s.sizes.get(data.length) ?? 0) + 1);
    if (!isBinary) s.text = (s.text ?? 0) + 1;
    if (data.length >= 8) s.lat.push(t - data.readDoubleLE(0));
  });
  const opened = new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  return { s, ws, opened };
}

async function checkRaw(impl) {
  console.log(`\n== ${impl}: raw-server --rate ${RATE} --frame-bytes ${FRAME_BYTES}, ${NCLIENTS} clients, ${SECONDS} s`);
  const srv = await startServer(impl, ["--rate", String(RATE), "--frame-bytes", String(FRAME_BYTES)]);
  console.log(`  READY port=${srv.port} pid=${srv.pid}`);
  const window = { open: false };
  const clients = [];
  try {
    for (let i = 0; i < NCLIENTS; i++) clients.push(rawClient(srv.port, `client${i}`, window));
    await Promise.all(clients.map((c) => c.opened));
    await sleep(300);
    window.open = true;
    await sleep(SECONDS * 1000);
    window.open = false;
    for (const c of clients) {
      printStats(c.s);
      const label = `${impl} ${c.s.name}`;
      if (c.s.text) fail(`${label}: ${c.s.text} text frames`);
      const sizes = [...c.s.sizes.keys()];
      if (sizes.length !== 1 || sizes[0] !== FRAME_BYTES) fail(`${label}: frame sizes ${JSON.stringify(sizes)}, want [${FRAME_BYTES}]`);
      checkCount(label, c.s.msgs, RATE * SECONDS);
      checkLatency(label, c.s);
    }
    for (const c of clients) c.ws.close();
    await sleep(100);
  } finally {
    const ms = await srv.stop();
    console.log(`  stopped by SIGTERM in ${ms} ms`);
  }
  // Idle mode: no frames at all.
  const idle = await startServer(impl, ["--rate", "0", "--frame-bytes", "0"]);
  const w2 = { open: true };
  const c = rawClient(idle.port, "idle", w2);
  await c.opened;
  await sleep(600);
  if (c.s.msgs !== 0) fail(`${impl}: idle server sent ${c.s.msgs} messages`);
  else console.log("  idle mode (--rate 0): connected, 0 messages in 0.6 s");
  c.ws.close();
  await idle.stop();
}

// ---------------------------------------------------------------- Colyseus, raw bytes (PROTOCOL.md)
async function colyseusRawClient(port, name, window) {
  const s = newStats(name);
  s.patches = 0;
  s.patchBytes = 0;
  s.tsMsgs = 0;
  s.stateBytes = 0;
  s.seq = [];
  // 1. Seat reservation.
  const res = await fetch(`http://127.0.0.1:${port}/matchmake/joinOrCreate/bench`, { method: "POST" });
  if (res.status !== 200) throw new Error(`${name}: matchmake HTTP ${res.status}: ${await res.text()}`);
  const seat = await res.json();
  for (const k of ["sessionId", "roomId", "processId"]) if (typeof seat[k] !== "string") throw new Error(`${name}: seat reservation lacks ${k}: ${JSON.stringify(seat)}`);
  // 2. WebSocket to /<processId>/<roomId>?sessionId=<sessionId>.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${seat.processId}/${seat.roomId}?sessionId=${seat.sessionId}`, {
    perMessageDeflate: false,
  });
  ws.binaryType = "nodebuffer";
  let n = 0;
  let joined;
  const joinedP = new Promise((r) => (joined = r));
  ws.on("message", (data, isBinary) => {
    const t = nowMs();
    n++;
    const code = data[0];
    if (!isBinary) fail(`${name}: text frame`);
    if (n === 1) {
      // 3. First message must be JOIN_ROOM; 4. reply with the single byte 0x0a.
      if (code !== JOIN_ROOM) fail(`${name}: first message code ${code} (want JOIN_ROOM 10): ${data.subarray(0, 32).toString("hex")}`);
      const tokLen = data[1];
      const serLen = data[2 + tokLen];
      const serializer = data.subarray(3 + tokLen, 3 + tokLen + serLen).toString();
      if (serializer !== "schema") fail(`${name}: serializer ${serializer}`);
      s.joinLen = data.length;
      ws.send(Buffer.from([JOIN_ROOM]));
      return;
    }
    if (n === 2) {
      if (code !== ROOM_STATE) fail(`${name}: second message code ${code} (want ROOM_STATE 14)`);
      s.stateBytes = data.length;
      joined();
      return;
    }
    if (code === ERROR) fail(`${name}: ERROR message ${data.toString("hex")}`);
    if (code === ROOM_DATA_BYTES && data.length === TS_MSG_LEN) {
      if (data[1] !== 0x00) fail(`${name}: timestamp message type byte ${data[1]}`);
      if (window.open) {
        s.lat.push(t - data.readDoubleLE(data.length - 8));
        s.tsMsgs++;
      }
      s.seq.push("t");
    } else if (code === ROOM_STATE_PATCH) {
      if (window.open) {
        s.patches++;
        s.patchBytes += data.length;
        s.sizesOf.push(data.length);
      }
      s.seq.push("p");
    } else {
      fail(`${name}: unexpected message code ${code} len ${data.length}`);
    }
    if (window.open) {
      s.msgs++;
      s.bytes += data.length;
    }
  });
  await new Promise((res, rej) => {
    ws.once("open", res);
    ws.once("error", rej);
  });
  return { s, ws, joined: joinedP, sessionId: seat.sessionId };
}

async function checkColyseus() {
  const patchHz = TICK_HZ / PATCH_EVERY;
  console.log(
    `\n== colyseus: --actors ${ACTORS} --tick-hz ${TICK_HZ} --patch-every ${PATCH_EVERY} (${patchHz} patches/s), ` +
      `${NCLIENTS} raw clients + 1 SDK client, ${SECONDS} s`,
  );
  const srv = await startServer("colyseus", [
    "--actors", String(ACTORS), "--tick-hz", String(TICK_HZ), "--patch-every", String(PATCH_EVERY),
  ]);
  console.log(`  READY port=${srv.port} pid=${srv.pid}`);
  const window = { open: false };
  const clients = [];
  let sdkRoom;
  try {
    for (let i = 0; i < NCLIENTS; i++) clients.push(await colyseusRawClient(srv.port, `raw${i}`, window));
    await Promise.race([Promise.all(clients.map((c) => c.joined)), sleep(5000).then(() => { throw new Error("raw clients did not get ROOM_STATE within 5 s"); })]);

    // SDK client: decodes the state.
    const sdk = new SdkClient(`http://127.0.0.1:${srv.port}`);
    sdkRoom = await sdk.joinOrCreate("bench");
    const sdkStats = newStats("sdk");
    let changes = 0;
    let moved = 0;
    let sizeOk = true;
    let prev = null;
    let maxActors = 0;
    sdkRoom.onStateChange((state) => {
      const m = state.actors;
      maxActors = Math.max(maxActors, m.size);
      if (m.size !== ACTORS) sizeOk = false;
      const snap = new Float64Array(m.size * 2);
      let i = 0;
      m.forEach((a) => {
        snap[i++] = a.x;
        snap[i++] = a.y;
      });
      if (window.open) {
        changes++;
        if (prev && prev.length === snap.length) {
          let diff = 0;
          for (let j = 0; j < snap.length; j++) if (snap[j] !== prev[j]) diff++;
          if (diff > 0) moved++;
        }
      }
      prev = snap;
    });
    sdkRoom.onMessage(0, (payload) => {
      const t = nowMs();
      if (!window.open) return;
      const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      if (b.length !== 8) fail(`sdk: timestamp payload ${b.length} bytes`);
      sdkStats.msgs++;
      sdkStats.bytes += b.length;
      sdkStats.lat.push(t - b.readDoubleLE(0));
    });

    await sleep(500);
    window.open = true;
    await sleep(SECONDS * 1000);
    window.open = false;

    for (const c of clients) {
      const s = c.s;
      const meanPatch = s.patches ? s.patchBytes / s.patches : NaN;
      const sorted = [...s.sizesOf].sort((a, b) => a - b);
      printStats(
        s,
        `\n             join=${s.joinLen} B, full state=${s.stateBytes} B, patches=${s.patches} ` +
          `mean_patch=${f2(meanPatch)} B (min ${sorted[0]}, max ${sorted[sorted.length - 1]}), ts msgs=${s.tsMsgs}`,
      );
      const label = `colyseus ${s.name}`;
      checkCount(label, s.tsMsgs, patchHz * SECONDS);
      if (ACTORS > 0 && Math.abs(s.patches - s.tsMsgs) > 1) fail(`${label}: ${s.patches} patches vs ${s.tsMsgs} timestamps`);
      // Each timestamp message directly follows its patch.
      const str = s.seq.join("");
      if (ACTORS > 0 && /tt|pp/.test(str.slice(1, -1))) fail(`${label}: patch/timestamp not alternating: ${str.slice(0, 40)}`);
      checkLatency(label, s);
    }
    printStats(sdkStats, `\n             SDK state: ${maxActors} actors (want ${ACTORS}), ${changes} state changes, ${moved} with moved positions`);
    if (!sizeOk || maxActors !== ACTORS) fail(`sdk: actor count ${maxActors}, want ${ACTORS}`);
    if (ACTORS > 0 && (changes < 2 || moved < changes - 1)) fail(`sdk: positions did not change between patches (${moved}/${changes})`);
    checkCount("colyseus sdk", sdkStats.msgs, patchHz * SECONDS);
    checkLatency("colyseus sdk", sdkStats);

    // Leave: raw clients send a plain close frame; SDK leaves consented.
    for (const c of clients) c.ws.close(1000);
    await sdkRoom.leave(true);
    await sleep(200);
  } finally {
    const ms = await srv.stop();
    console.log(`  stopped by SIGTERM in ${ms} ms`);
  }
}

// ---------------------------------------------------------------- Colyseus --players (PROTOCOL.md 2f)
/** A direction as the input payload: x, y as f32 LE. */
function directionBytes(x, y) {
  const b = Buffer.alloc(8);
  b.writeFloatLE(x, 0);
  b.writeFloatLE(y, 4);
  return b;
}
/** The whole input frame, as PROTOCOL.md documents it. */
function inputFrame(x, y) {
  return Buffer.concat([Buffer.from([ROOM_DATA_BYTES, INPUT_TYPE]), directionBytes(x, y)]);
}
/** Records a copy of every frame the SDK room sends (the SDK reuses its send buffer). */
function recordSends(room) {
  const frames = [];
  const send = room.connection.send.bind(room.connection);
  room.connection.send = (data) => {
    frames.push(Buffer.from(data));
    send(data);
  };
  return frames;
}
/** Waits until `cond()` holds, up to `ms`; whether it did. */
async function until(cond, ms = 2000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
/** Patches a raw client gets in `ms` (its window open only for that long). */
async function patchesWithin(client, window, ms) {
  const before = client.s.patches;
  window.open = true;
  await sleep(ms);
  window.open = false;
  return client.s.patches - before;
}
/** The room's stats (--stats), written on SIGUSR2. */
async function roomStats(srv, statsPath) {
  rmSync(statsPath, { force: true });
  process.kill(srv.pid, "SIGUSR2");
  let text = null;
  await until(() => {
    try {
      text = readFileSync(statsPath, "utf8");
      return true;
    } catch {
      return false;
    }
  });
  if (text === null) throw new Error("no --stats dump after SIGUSR2");
  return JSON.parse(text).rooms;
}
/**
 * Steers with `send()` for `ms`: checks the actor `get()` moves along (dx, dy) (a unit
 * direction) at no more than MOVEMENT_SPEED, clamped to the arena, and by at least half
 * of what it could. Positions are read from patches, up to a patch period and a tick old:
 * that much slack above.
 */
async function checkSteered(label, get, send, [dx, dy], ms) {
  const before = { x: get().x, y: get().y };
  const started = performance.now();
  send();
  await sleep(ms);
  const after = { x: get().x, y: get().y };
  const seconds = (performance.now() - started) / 1000;
  const along = (after.x - before.x) * dx + (after.y - before.y) * dy;
  const across = (after.x - before.x) * -dy + (after.y - before.y) * dx;
  // Room to move before a wall, along the direction.
  const room = Math.min(dx > 0 ? 1000 - before.x : dx < 0 ? before.x : Infinity, dy > 0 ? 1000 - before.y : dy < 0 ? before.y : Infinity);
  const most = MOVEMENT_SPEED * seconds;
  const slack = (MOVEMENT_SPEED * (PATCH_EVERY + 1)) / TICK_HZ;
  console.log(
    `  ${label}: (${f2(before.x)}, ${f2(before.y)}) -> (${f2(after.x)}, ${f2(after.y)}) in ${f2(seconds)} s: ` +
      `${f2(along)} along (${dx}, ${dy}), at most ${f2(Math.min(most + slack, room))}`,
  );
  if (Math.abs(across) > 1e-3) fail(`${label}: moved ${f2(across)} across its direction`);
  if (along > Math.min(most + slack, room) + 1e-3) fail(`${label}: moved ${f2(along)}, faster than ${MOVEMENT_SPEED}/s or past the wall`);
  // Inputs and the patch back take a tick or two; at least half the distance must show.
  if (along < Math.min(0.5 * most, room) - 1e-3) fail(`${label}: moved only ${f2(along)} along its direction`);
}

async function checkColyseusPlayers() {
  console.log(`\n== colyseus --players: --actors 0 --tick-hz ${TICK_HZ} --patch-every ${PATCH_EVERY}, 1 raw client + 1 SDK client`);
  const statsPath = path.join(os.tmpdir(), `tickwire-check-players-${process.pid}.json`);
  const srv = await startServer("colyseus", [
    "--players", "--actors", "0", "--tick-hz", String(TICK_HZ), "--patch-every", String(PATCH_EVERY),
    "--stats", statsPath,
  ]);
  console.log(`  READY port=${srv.port} pid=${srv.pid}`);
  const window = { open: false };
  try {
    const raw = await colyseusRawClient(srv.port, "raw", window);
    if (!(await until(() => raw.s.stateBytes > 0, 5000))) throw new Error("raw client got no ROOM_STATE within 5 s");
    const sdkRoom = await new SdkClient(`http://127.0.0.1:${srv.port}`).joinOrCreate("bench");
    sdkRoom.onMessage(0, () => {}); // the timestamp messages
    const sent = recordSends(sdkRoom);
    const actors = () => sdkRoom.state.actors;
    const own = () => actors()?.get(sdkRoom.sessionId);
    const rawActor = () => actors()?.get(raw.sessionId);
    if (!(await until(() => own() && rawActor()))) throw new Error("the players' actors are not in the SDK's state");
    console.log(`  state: ${actors().size} actors, keyed ${[...actors().keys()].join(", ")} (sessionIds)`);
    if (actors().size !== 2) fail(`players: ${actors().size} actors in the state, want 2 (one per client)`);

    // At rest: nothing changes, so no patch goes out.
    await sleep(300);
    const restPatches = await patchesWithin(raw, window, 600);
    console.log(`  at rest: ${restPatches} patches in 0.6 s`);
    if (restPatches !== 0) fail(`players: ${restPatches} patches while every actor rested`);

    // The SDK's sendBytes(1, (1, 0)) a few times: its actor moves +x, and the bytes it
    // sent are the frame PROTOCOL.md documents.
    const east = () => {
      for (let i = 0; i < 3; i++) sdkRoom.sendBytes(1, directionBytes(1, 0));
    };
    await checkSteered("sdk, sendBytes(1, (1, 0)) x3", own, east, [1, 0], 700);
    const want = inputFrame(1, 0);
    console.log(`  sdk sent ${sent.length} frames, e.g. ${sent[0]?.toString("hex")}`);
    if (sent.length !== 3 || !sent.every((f) => f.equals(want))) fail(`players: SDK sent ${sent.map((f) => f.toString("hex"))}, want 3 x ${want.toString("hex")}`);

    // The raw client's documented frame, towards the farther wall (so the actor keeps
    // moving); a direction longer than 1 is scaled to 1.
    const dy = rawActor().y < 500 ? 1 : -1;
    await checkSteered(`raw, ${inputFrame(0, 3 * dy).toString("hex")}`, rawActor, () => raw.ws.send(inputFrame(0, 3 * dy)), [0, dy], 700);

    // Malformed inputs (3 payload bytes; a NaN direction) are ignored: the client stays,
    // its actor keeps its direction, the server counts them.
    raw.ws.send(Buffer.from([ROOM_DATA_BYTES, INPUT_TYPE, 1, 2, 3]));
    raw.ws.send(inputFrame(NaN, 0));
    await checkSteered("raw, after 2 malformed inputs", rawActor, () => {}, [0, dy], 400);
    if (raw.ws.readyState !== WebSocket.OPEN) fail("players: the raw client was closed after malformed inputs");
    const [stats] = await roomStats(srv, statsPath);
    console.log(`  stats: ${JSON.stringify({ clients: stats?.clients, npcs: stats?.npcs, players: stats?.players, ignored_inputs: stats?.ignored_inputs })}`);
    if (stats?.players !== 2 || stats?.ignored_inputs !== 2) fail(`players: stats ${JSON.stringify(stats)}, want 2 players and 2 ignored inputs`);

    // Both stop: no more patches.
    sdkRoom.sendBytes(1, directionBytes(0, 0));
    raw.ws.send(inputFrame(0, 0));
    await sleep(300);
    const stoppedPatches = await patchesWithin(raw, window, 600);
    console.log(`  stopped: ${stoppedPatches} patches in 0.6 s`);
    if (stoppedPatches !== 0) fail(`players: ${stoppedPatches} patches after both players stopped`);

    // Leaving removes the actor.
    raw.ws.close(1000);
    if (!(await until(() => !rawActor()))) fail("players: the raw client's actor stayed after it left");
    await sdkRoom.leave(true);
    await sleep(200);
  } finally {
    const ms = await srv.stop();
    rmSync(statsPath, { force: true });
    console.log(`  stopped by SIGTERM in ${ms} ms`);
  }
}

// ---------------------------------------------------------------- main
const only = new Set(o.only.split(",").map((x) => x.trim()));
try {
  for (const impl of ["uws", "ws"]) if (only.has(impl)) await checkRaw(impl);
  if (only.has("colyseus")) await checkColyseus();
  if (only.has("colyseus-players")) await checkColyseusPlayers();
} catch (e) {
  fail(e.stack || String(e));
}
console.log("");
if (failures.length) {
  console.log(`check: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log("check: all OK");
process.exit(0);
