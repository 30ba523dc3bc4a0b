// Colyseus 0.18 peer server.
//
//   node colyseus-server.mjs --port P --actors N --tick-hz T --patch-every K
//                            [--max-clients M] [--rooms R] [--stats PATH] [--players]
//   (or: bench/peers/start colyseus --port P ...)
//
// One room type, "bench". By default a single room is created at startup (autoDispose off),
// so every joinOrCreate lands in the same room. With --max-clients 5 --rooms 0, rooms are
// made by matchmaking instead: joinOrCreate fills a room up to its 5 clients, then creates
// the next one (Colyseus serialises concurrent joinOrCreate calls per room type), and a
// room is disposed when its last client leaves (the Colyseus default). The options given
// at create (the joinOrCreate / create body) may override the command line per room, with
// the names Tickwire's rooms use: {"npcs": N, "max_clients": M, "tick_rate_hz": T}.
//
// Each room's state is N actors in a MapSchema keyed "0".."N-1";
// each actor is a Schema with x, y as float32. Actors wander like Tickwire's NPCs: arena
// 1000 x 1000, a new random heading every 1-3 s (T..3T ticks) at speed 120*(0.4+0.6*rand)
// units/s, moving by velocity*dt each tick (dt = 1/T, fixed like ours) and bouncing off the
// walls (clamp, flip that velocity component).
//
// The automatic patch timer is off (patchRate = null). At the end of every K-th tick the room
// stamps t = performance.timeOrigin + performance.now(), calls broadcastPatch(), and if a
// patch went out (something changed) broadcasts right after it the timestamp message: broadcast(0, <8 bytes: t as float64 LE>), which
// is on the wire as the 10-byte frame  0x11 0x00 <f64 LE t>  (ROOM_DATA_BYTES, type 0).
// See PROTOCOL.md.
//
// --players: every client also owns an actor, and steers it (off by default: clients are
// passive and the room is exactly as above). onJoin adds an Actor keyed by the client's
// sessionId at a random position, with direction (0, 0); onLeave removes it. The client
// steers with the bytes message type 1 (`room.sendBytes(1, bytes)` in @colyseus/sdk; on
// the wire 0x11 0x01 <f32 LE x> <f32 LE y>, see PROTOCOL.md), handled with
// onMessageBytes(1): the 8-byte payload is a direction, scaled to length 1 if longer; a
// payload that is not 8 bytes or not finite is ignored and counted. Each tick a player's
// actor moves by direction * 120 * dt, clamped to the arena (players do not bounce), and
// its schema fields are written only when they changed, so an actor at rest costs no
// patch. The N actors of --actors are NPCs as above, beside the players' actors. --stats
// then also gives each room's players and ignored_inputs (malformed inputs so far).
//
// Tick time per room: each tick's step (move the actors, and on a patch tick the patch
// and the timestamp message, i.e. encoding and writing to every client of the room) is
// timed with performance.now(). On SIGUSR2 the server writes, to --stats PATH, every live
// room's tick-time quantiles since the previous SIGUSR2 (or since the room was created)
// and starts over, so a caller can bracket a window with two signals.
//
// Prints exactly one line on stdout once listening: "READY port=<P> pid=<pid>".
import { writeFileSync, renameSync } from "node:fs";
import { parseArgs } from "node:util";
import { Server, Room, matchMaker } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { schema, t, Encoder } from "@colyseus/schema";

const HOST = "127.0.0.1";
const ARENA = 1000;
const MOVEMENT_SPEED = 120;
const TIMESTAMP_MESSAGE_TYPE = 0;
/** --players: the bytes message a client steers its actor with, and its payload size. */
const INPUT_MESSAGE_TYPE = 1;
const INPUT_BYTES = 8;

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      port: { type: "string" },
      actors: { type: "string", default: "1000" },
      "tick-hz": { type: "string", default: "30" },
      "patch-every": { type: "string", default: "2" },
      "max-clients": { type: "string", default: "20000" },
      rooms: { type: "string", default: "1" },
      stats: { type: "string" },
      players: { type: "boolean", default: false },
    },
    strict: true,
  }));
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
}

function fail(msg) {
  process.stderr.write(`colyseus-server: ${msg}\n`);
  process.exit(2);
}
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail("--port must be an integer 0..65535");
const numActors = Number(opts.actors);
const tickHz = Number(opts["tick-hz"]);
const patchEvery = Number(opts["patch-every"]);
if (!Number.isInteger(numActors) || numActors < 0) fail("--actors must be an integer >= 0");
if (!Number.isInteger(tickHz) || tickHz < 1 || tickHz > 1000) fail("--tick-hz must be an integer 1..1000");
if (!Number.isInteger(patchEvery) || patchEvery < 1) fail("--patch-every must be an integer >= 1");
const maxClients = Number(opts["max-clients"]);
const roomsAtStart = Number(opts.rooms);
if (!Number.isInteger(maxClients) || maxClients < 1) fail("--max-clients must be an integer >= 1");
if (!Number.isInteger(roomsAtStart) || roomsAtStart < 0) fail("--rooms must be an integer >= 0");
const statsPath = opts.stats;
const playersMode = opts.players;

/** An option given at create, or the command line's value when absent. */
function roomOption(options, name, fallback, min, max) {
  const value = options?.[name];
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`option ${name} must be an integer ${min}..${max}`);
  }
  return value;
}

// Colyseus' logger defaults to console (stdout); keep stdout for the READY line only.
const stderrLog = (...a) => console.error(...a);
const logger = { debug() {}, trace() {}, info: stderrLog, warn: stderrLog, error: stderrLog };

// What a Colyseus user does when the schema warns "buffer overflow": size the encoder for
// the full state (about 24 bytes per actor here) so it is never regrown at run time.
function sizeEncoderFor(actors) {
  const bytes = Math.max(16 * 1024, Math.ceil((actors * 32 + 4096) / 1024) * 1024);
  Encoder.BUFFER_SIZE = Math.max(Encoder.BUFFER_SIZE ?? 0, bytes);
}
sizeEncoderFor(numActors);

/** The rooms alive now, for --stats. */
const liveRooms = new Set();

const Actor = schema({ x: t.float32(), y: t.float32() }, "Actor");
const BenchState = schema({ actors: t.map(Actor) }, "BenchState");

class BenchRoom extends Room {
  maxClients = maxClients;
  // Rooms made at startup stay; rooms made by matchmaking go with their last client.
  autoDispose = true;
  // A load tool may reserve many seats before it opens their sockets (default: 15 s).
  seatReservationTimeout = 120;

  onCreate(options) {
    const actors = roomOption(options, "npcs", numActors, 0, 1_000_000);
    this.maxClients = roomOption(options, "max_clients", maxClients, 1, 1_000_000);
    this.tickHz = roomOption(options, "tick_rate_hz", tickHz, 1, 1000);
    if (options?.keep) this.autoDispose = false;
    sizeEncoderFor(this.actorCapacity(actors));
    this.state = new BenchState();
    this.actors = []; // sim-side data, parallel to the synced Actor instances
    this.tickMs = []; // step durations since the last stats dump
    liveRooms.add(this);
    for (let i = 0; i < actors; i++) {
      const a = new Actor();
      a.x = Math.random() * ARENA;
      a.y = Math.random() * ARENA;
      this.state.actors.set(String(i), a);
      this.actors.push({ schema: a, x: a.x, y: a.y, vx: 0, vy: 0, nextTurnTick: 0 });
    }
    this.simTick = 0;
    this.tsBytes = new Uint8Array(8);
    this.tsView = new DataView(this.tsBytes.buffer);
    // Simulation first, then disable the automatic patch timer (with a simulation interval
    // in place, patchRate = null does not install the fallback clock timer).
    this.setSimulationInterval(() => this.timedStep(), 1000 / this.tickHz);
    this.patchRate = null;
  }

  /** The most actors the state can hold, with `npcs` NPCs. */
  actorCapacity(npcs) {
    return npcs;
  }

  /** What --stats reports about this room besides its tick times. */
  roomStats() {
    return { clients: this.clients.length, npcs: this.actors.length };
  }

  onDispose() {
    liveRooms.delete(this);
  }

  timedStep() {
    const started = performance.now();
    this.step();
    this.tickMs.push(performance.now() - started);
  }

  step() {
    const tick = this.simTick++;
    this.move(tick, 1 / this.tickHz);
    if (this.simTick % patchEvery === 0) {
      const t = performance.timeOrigin + performance.now();
      // Stamp only patches that went out (none while nothing changed, as in Colyseus).
      if (this.broadcastPatch()) {
        this.tsView.setFloat64(0, t, true);
        this.broadcast(TIMESTAMP_MESSAGE_TYPE, this.tsBytes);
      }
    }
  }

  /** Moves every actor by one tick of `dt` seconds: here, the NPCs. */
  move(tick, dt) {
    const tickHz = this.tickHz;
    for (let i = 0; i < this.actors.length; i++) {
      const a = this.actors[i];
      if (tick >= a.nextTurnTick) {
        const heading = Math.random() * 2 * Math.PI;
        const speed = MOVEMENT_SPEED * (0.4 + 0.6 * Math.random());
        a.vx = Math.cos(heading) * speed;
        a.vy = Math.sin(heading) * speed;
        a.nextTurnTick = tick + tickHz + Math.floor(Math.random() * (2 * tickHz + 1));
      }
      let x = a.x + a.vx * dt;
      let y = a.y + a.vy * dt;
      if (x < 0 || x > ARENA) {
        x = x < 0 ? 0 : ARENA;
        a.vx = -a.vx;
      }
      if (y < 0 || y > ARENA) {
        y = y < 0 ? 0 : ARENA;
        a.vy = -a.vy;
      }
      a.x = x;
      a.y = y;
      a.schema.x = x;
      a.schema.y = y;
    }
  }
}

/** --players: a BenchRoom whose clients each own an actor and steer it. */
class PlayersRoom extends BenchRoom {
  onCreate(options) {
    this.players = new Map(); // sessionId -> sim-side player data
    this.ignoredInputs = 0; // malformed inputs since the room was created
    super.onCreate(options);
    this.onMessageBytes(INPUT_MESSAGE_TYPE, (client, bytes) => this.steer(client, bytes));
  }

  actorCapacity(npcs) {
    return npcs + this.maxClients;
  }

  roomStats() {
    return { ...super.roomStats(), players: this.players.size, ignored_inputs: this.ignoredInputs };
  }

  onJoin(client) {
    const a = new Actor();
    a.x = Math.random() * ARENA;
    a.y = Math.random() * ARENA;
    this.state.actors.set(client.sessionId, a);
    this.players.set(client.sessionId, { schema: a, x: a.x, y: a.y, dx: 0, dy: 0 });
  }

  onLeave(client) {
    this.state.actors.delete(client.sessionId);
    this.players.delete(client.sessionId);
  }

  /** An input: the client's new direction, or ignored (and counted) if malformed. */
  steer(client, bytes) {
    const player = this.players.get(client.sessionId);
    const direction = readDirection(bytes);
    if (!player || !direction) {
      this.ignoredInputs++;
      return;
    }
    player.dx = direction.x;
    player.dy = direction.y;
  }

  move(tick, dt) {
    super.move(tick, dt);
    const step = MOVEMENT_SPEED * dt;
    for (const p of this.players.values()) {
      if (p.dx === 0 && p.dy === 0) continue;
      const x = clampToArena(p.x + p.dx * step);
      const y = clampToArena(p.y + p.dy * step);
      if (x !== p.x) {
        p.x = x;
        p.schema.x = x;
      }
      if (y !== p.y) {
        p.y = y;
        p.schema.y = y;
      }
    }
  }
}

/** An input payload's direction {x, y}, scaled to length 1 if longer; null if malformed. */
function readDirection(bytes) {
  if (bytes.byteLength !== INPUT_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, INPUT_BYTES);
  const x = view.getFloat32(0, true);
  const y = view.getFloat32(4, true);
  const length = Math.hypot(x, y);
  if (!Number.isFinite(length)) return null;
  return length > 1 ? { x: x / length, y: y / length } : { x, y };
}

function clampToArena(v) {
  return Math.min(Math.max(v, 0), ARENA);
}

const transport = new WebSocketTransport({ perMessageDeflate: false });
const server = new Server({ transport, greet: false, gracefullyShutdown: false, logger });
// `room`: a load tool that spreads its clients over rooms itself names the room (a slot
// number) in the joinOrCreate options; each slot gets its own room, and joins of different
// slots never contend. Without it, any room with a free seat will do.
server.define("bench", playersMode ? PlayersRoom : BenchRoom).filterBy(["room"]);

// Colyseus only logs listen errors; fail fast instead (e.g. EADDRINUSE).
transport.server.once("error", (e) => fail(`cannot listen on ${HOST}:${port}: ${e.message}`));
await server.listen(port, HOST);
// `keep`: rooms made at startup are never disposed (an internal option, not Tickwire's).
for (let i = 0; i < roomsAtStart; i++) await matchMaker.createRoom("bench", { keep: true });
const addr = transport.server.address();
process.stdout.write(`READY port=${addr.port} pid=${process.pid}\n`);

/** The q-quantile of sorted numbers (nearest rank). */
function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Writes every live room's tick times since the last dump to --stats, then starts over. */
function dumpStats() {
  const rooms = [];
  for (const room of liveRooms) {
    const ticks = room.tickMs.sort((a, b) => a - b);
    room.tickMs = [];
    rooms.push({
      id: room.roomId,
      ...room.roomStats(),
      ticks: ticks.length,
      tick_p50_ms: quantile(ticks, 0.5),
      tick_p99_ms: quantile(ticks, 0.99),
      tick_max_ms: ticks.length ? ticks[ticks.length - 1] : null,
    });
  }
  const clients = rooms.reduce((sum, room) => sum + room.clients, 0);
  process.stderr.write(`colyseus-server: stats: ${rooms.length} rooms, ${clients} clients\n`);
  if (!statsPath) return;
  const temporary = `${statsPath}.tmp`;
  writeFileSync(temporary, JSON.stringify({ at_ms: Date.now(), rooms }));
  renameSync(temporary, statsPath);
}
process.on("SIGUSR2", () => {
  try {
    dumpStats();
  } catch (e) {
    process.stderr.write(`colyseus-server: stats: ${e.message}\n`);
  }
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(0), 1500);
  force.unref?.();
  try {
    await server.gracefullyShutdown(false);
  } catch {}
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
