// Raw WebSocket broadcast server: the "transport ceiling" peer.
//
//   node raw-server.mjs --impl uws|ws --port P --rate HZ --frame-bytes N
//
// Start it through ./start (it sets LD_PRELOAD for the uWS addon): ./start uws --port P ...
//
// Every 1000/HZ ms (drift-free: deadlines are computed from the start time) it builds ONE
// binary frame of exactly N bytes and sends it to every connected client:
//   bytes 0..8  little-endian float64 = server wall clock, epoch ms with sub-ms precision
//               (performance.timeOrigin + performance.now()), stamped right before sending
//   bytes 8..N  filler 0xAB
// --rate 0 or --frame-bytes 0 = idle (no frames). Client messages are ignored.
// Prints exactly one line on stdout when listening: "READY port=<P> pid=<pid>".
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import path from "node:path";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = "127.0.0.1";

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      impl: { type: "string" },
      port: { type: "string" },
      rate: { type: "string", default: "20" },
      "frame-bytes": { type: "string", default: "256" },
    },
    strict: true,
  }));
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
}

function fail(msg) {
  process.stderr.write(`raw-server: ${msg}\n`);
  process.exit(2);
}

const impl = opts.impl;
if (impl !== "uws" && impl !== "ws") fail("--impl must be uws or ws");
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail("--port must be an integer 0..65535");
const rate = Number(opts.rate);
const frameBytes = Number(opts["frame-bytes"]);
if (!(rate >= 0) || !Number.isFinite(rate)) fail("--rate must be >= 0");
if (!Number.isInteger(frameBytes) || frameBytes < 0) fail("--frame-bytes must be an integer >= 0");
const idle = rate === 0 || frameBytes === 0;
if (!idle && frameBytes < 8) fail("--frame-bytes must be >= 8 (or 0 for idle)");

// uWS copies published data into each subscriber's send buffer, so one frame is reused.
// ws may keep a reference to the Buffer in a socket's write queue, so it gets a fresh
// frame per broadcast (one allocation per broadcast, never per client).
const filler = 0xab;
function makeFrame() {
  const buf = Buffer.allocUnsafe(frameBytes);
  buf.fill(filler, 8);
  return buf;
}
const timeOrigin = performance.timeOrigin;
const stampNow = () => timeOrigin + performance.now();

let timer = null; // declared before the servers: uWS calls back from listen() synchronously
let broadcast; // () => void
let shutdown; // () => Promise<void>
let clientCount = () => 0;

if (impl === "uws") {
  const require = createRequire(import.meta.url);
  let uWS;
  try {
    uWS = require(path.join(HERE, "build", "uwebsockets.js", "uws.js"));
  } catch (e) {
    fail(
      `cannot load the patched uWebSockets.js addon (${e.message.split("\n").pop()}).\n` +
        "Run bench/peers/install, and start this server via bench/peers/start uws ... (it sets LD_PRELOAD).",
    );
  }
  const frame = idle ? null : makeFrame();
  let open = 0;
  let listenSocket = null;
  const app = uWS.App();
  app.ws("/*", {
    compression: uWS.DISABLED,
    idleTimeout: 0, // never time out passive clients
    maxPayloadLength: 16 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    sendPingsAutomatically: false,
    open: (ws) => {
      open++;
      ws.subscribe("world");
    },
    message: () => {},
    close: () => {
      open--;
    },
  });
  app.listen(HOST, port, (token) => {
    if (!token) fail(`cannot listen on ${HOST}:${port}`);
    listenSocket = token;
    const actual = uWS.us_socket_local_port(token);
    process.stdout.write(`READY port=${actual} pid=${process.pid}\n`);
    startTicker();
  });
  broadcast = () => {
    frame.writeDoubleLE(stampNow(), 0);
    app.publish("world", frame, true, false);
  };
  clientCount = () => open;
  shutdown = async () => {
    if (listenSocket) uWS.us_listen_socket_close(listenSocket);
    app.close?.();
  };
} else {
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({
    host: HOST,
    port,
    perMessageDeflate: false,
    maxPayload: 16 * 1024,
    // No path restriction: any path is accepted.
  });
  wss.on("connection", (ws) => {
    ws.on("error", () => {});
    // Client messages are ignored (no 'message' listener needed).
  });
  wss.on("error", (e) => fail(`cannot listen on ${HOST}:${port}: ${e.message}`));
  wss.on("listening", () => {
    process.stdout.write(`READY port=${wss.address().port} pid=${process.pid}\n`);
    startTicker();
  });
  const sendOpts = { binary: true };
  broadcast = () => {
    const frame = makeFrame();
    frame.writeDoubleLE(stampNow(), 0);
    for (const ws of wss.clients) {
      if (ws.readyState === 1) ws.send(frame, sendOpts);
    }
  };
  clientCount = () => wss.clients.size;
  shutdown = async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(() => r()));
  };
}

// Drift-free schedule: the k-th broadcast is due at start + k * period.
function startTicker() {
  if (idle) return;
  const period = 1000 / rate;
  const start = performance.now();
  let k = 0;
  const loop = () => {
    broadcast();
    k++;
    const now = performance.now();
    let next = start + k * period;
    if (next < now - period) {
      // Fell behind by more than a whole period (server overloaded): skip the missed
      // slots instead of bursting them, keeping the phase of the schedule.
      k = Math.floor((now - start) / period) + 1;
      next = start + k * period;
    }
    timer = setTimeout(loop, Math.max(0, next - now));
  };
  timer = setTimeout(loop, period);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  if (timer) clearTimeout(timer);
  const force = setTimeout(() => process.exit(0), 1000);
  force.unref?.();
  try {
    await shutdown();
  } catch {}
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (process.env.RAW_SERVER_DEBUG) {
  setInterval(() => process.stderr.write(`clients=${clientCount()}\n`), 2000).unref();
}
