// Colyseus 0.18 peer server.
//
//   node colyseus-server.mjs --port P --actors N --tick-hz T --patch-every K
//   (or: bench/peers/start colyseus --port P ...)
//
// One room type, "bench". A single room is created at startup (autoDispose off), so every
// joinOrCreate lands in the same room. Its state is N actors in a MapSchema keyed "0".."N-1";
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
// Prints exactly one line on stdout once listening: "READY port=<P> pid=<pid>".
import { parseArgs } from "node:util";
import { Server, Room, matchMaker } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { schema, t, Encoder } from "@colyseus/schema";

const HOST = "127.0.0.1";
const ARENA = 1000;
const MOVEMENT_SPEED = 120;
const TIMESTAMP_MESSAGE_TYPE = 0;

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      port: { type: "string" },
      actors: { type: "string", default: "1000" },
      "tick-hz": { type: "string", default: "30" },
      "patch-every": { type: "string", default: "2" },
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

// Colyseus' logger defaults to console (stdout); keep stdout for the READY line only.
const stderrLog = (...a) => console.error(...a);
const logger = { debug() {}, trace() {}, info: stderrLog, warn: stderrLog, error: stderrLog };

// What a Colyseus user does when the schema warns "buffer overflow": size the encoder for
// the full state (about 24 bytes per actor here) so it is never regrown at run time.
Encoder.BUFFER_SIZE = Math.max(16 * 1024, Math.ceil((numActors * 32 + 4096) / 1024) * 1024);

const Actor = schema({ x: t.float32(), y: t.float32() }, "Actor");
const BenchState = schema({ actors: t.map(Actor) }, "BenchState");

class BenchRoom extends Room {
  maxClients = 20000;
  autoDispose = false;
  // A load tool may reserve many seats before it opens their sockets (default: 15 s).
  seatReservationTimeout = 120;

  onCreate() {
    this.state = new BenchState();
    this.actors = []; // sim-side data, parallel to the synced Actor instances
    for (let i = 0; i < numActors; i++) {
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
    this.setSimulationInterval(() => this.step(), 1000 / tickHz);
    this.patchRate = null;
  }

  step() {
    const tick = this.simTick++;
    const dt = 1 / tickHz;
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
    if (this.simTick % patchEvery === 0) {
      const t = performance.timeOrigin + performance.now();
      // Stamp only patches that went out (none while nothing changed, as in Colyseus).
      if (this.broadcastPatch()) {
        this.tsView.setFloat64(0, t, true);
        this.broadcast(TIMESTAMP_MESSAGE_TYPE, this.tsBytes);
      }
    }
  }
}

const transport = new WebSocketTransport({ perMessageDeflate: false });
const server = new Server({ transport, greet: false, gracefullyShutdown: false, logger });
server.define("bench", BenchRoom);

// Colyseus only logs listen errors; fail fast instead (e.g. EADDRINUSE).
transport.server.once("error", (e) => fail(`cannot listen on ${HOST}:${port}: ${e.message}`));
await server.listen(port, HOST);
await matchMaker.createRoom("bench", {});
const addr = transport.server.address();
process.stdout.write(`READY port=${addr.port} pid=${process.pid}\n`);

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
