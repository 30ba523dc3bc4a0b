// Load the Colyseus peer with real @colyseus/sdk clients (which decode the state), to
// cross-check the figures `loadtest --target colyseus` (a raw client that does not
// decode) gets for the server.
//
//   node bench/peers/sdk-load.mjs --url http://127.0.0.1:PORT --clients N --ramp S
//        --warmup S --duration S [--server-pid PID] [--json OUT.json]
//
// All N clients live in this one Node process: `new Client(url).joinOrCreate("bench")`,
// started evenly over --ramp seconds. After ramp + warm-up, a window of --duration
// seconds is measured:
//   - patches per client per s: `room.onStateChange` calls (one per ROOM_STATE_PATCH,
//     after the SDK decoded it into the state);
//   - bytes per client per s: WebSocket payload bytes, counted by wrapping the SDK's
//     transport hook `room.connection.events.onmessage` (every message the SDK gets goes
//     through it). Split like loadtest: game traffic (everything except the room's
//     10-byte timestamp messages) and the timestamp messages apart. null if the hook is
//     not there (the SDK changed);
//   - delivery latency: `room.onMessage(0, ...)` gets the room's timestamp message (an
//     8-byte f64 LE epoch ms, sent right after each patch); latency = this process's
//     wall clock (performance.timeOrigin + performance.now()) − stamp, taken as the
//     handler starts. It includes this process decoding the patch that came just before
//     (and queueing behind the other clients' decoding): a client-side figure;
//   - the server (--server-pid) from /proc: CPU cores over the window ((utime + stime)
//     / CLK_TCK), VmRSS before the first client connected and at the window's end;
//   - this process's own CPU (process.cpuUsage(), all threads) over the window: near
//     1.0 core on a pinned core means the clients, not the server, were the limit.
// Per-client figures divide by the mean connected clients over the window (sampled every
// 500 ms), like loadtest. Prints a table; --json writes the figures as one flat object.
// Clients leave with room.leave() at the end. Exit 0, or 1 if no client connected,
// 2 on bad arguments.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { Client } from "@colyseus/sdk";

const usage = () => {
  console.error(
    "usage: node sdk-load.mjs --url http://127.0.0.1:PORT --clients N --ramp S --warmup S " +
      "--duration S [--server-pid PID] [--json OUT.json]",
  );
  process.exit(2);
};

let o;
try {
  ({ values: o } = parseArgs({
    options: {
      url: { type: "string" },
      clients: { type: "string", default: "100" },
      ramp: { type: "string", default: "5" },
      warmup: { type: "string", default: "5" },
      duration: { type: "string", default: "20" },
      "server-pid": { type: "string" },
      json: { type: "string" },
      room: { type: "string", default: "bench" },
      "join-timeout": { type: "string", default: "30" },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`sdk-load: ${e.message}`);
  usage();
}
const URL_ = o.url;
const N = Number(o.clients);
const RAMP = Number(o.ramp);
const WARMUP = Number(o.warmup);
const DURATION = Number(o.duration);
const JOIN_TIMEOUT = Number(o["join-timeout"]);
const PID = o["server-pid"] === undefined ? null : Number(o["server-pid"]);
const badNum = (x, min) => !Number.isFinite(x) || x < min;
if (!URL_ || !/^https?:\/\//.test(URL_)) {
  console.error("sdk-load: --url must be http://host:port");
  usage();
}
if (!Number.isInteger(N) || N < 1 || badNum(RAMP, 0) || badNum(WARMUP, 0) || badNum(DURATION, 0.1) || badNum(JOIN_TIMEOUT, 1)) {
  console.error("sdk-load: --clients must be an integer >= 1; --ramp, --warmup >= 0; --duration > 0");
  usage();
}
if (PID !== null && (!Number.isInteger(PID) || PID <= 0)) {
  console.error("sdk-load: --server-pid must be a pid");
  usage();
}

const SDK_VERSION = (() => {
  try {
    const require = createRequire(import.meta.url);
    return require("@colyseus/sdk/package.json").version;
  } catch {
    return null;
  }
})();
const nowMs = () => performance.timeOrigin + performance.now();
const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

// ---------------------------------------------------------------- server /proc
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
if (!(CLK_TCK > 0)) {
  console.error("sdk-load: getconf CLK_TCK failed");
  process.exit(2);
}
/** Server CPU seconds (utime + stime), or null if the process cannot be read. */
function serverCpuSeconds() {
  if (PID === null) return null;
  try {
    const stat = readFileSync(`/proc/${PID}/stat`, "utf8");
    // Fields after the ")" closing comm start at field 3 (state): utime is field 14,
    // stime field 15, i.e. indexes 11 and 12 here.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}
/** Server VmRSS in KiB, or null. */
function serverRssKiB() {
  if (PID === null) return null;
  try {
    const m = readFileSync(`/proc/${PID}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB$/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
if (PID !== null && serverCpuSeconds() === null) {
  console.error(`sdk-load: cannot read /proc/${PID}/stat`);
  process.exit(2);
}

// ---------------------------------------------------------------- clients
const STAMP_LEN = 10; // 0x11 ROOM_DATA_BYTES, 0x00 type 0, f64 LE
const ROOM_DATA_BYTES = 0x11;

const win = { open: false };
const latencies = [];
const failureReasons = new Map();
const lostReasons = new Map();
const bump = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
let connectFailures = 0;
let connectionsLost = 0;
let connected = 0;
let leaving = false;
let bytesHooked = 0; // clients whose transport hook could be wrapped
const clients = [];

function newClientStats() {
  return { room: null, connected: false, patches: 0, bytes: 0, stampBytes: 0, stamps: 0, hooked: false };
}

async function join(c) {
  let timer;
  const timeout = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`join timed out after ${JOIN_TIMEOUT} s`)), JOIN_TIMEOUT * 1000);
  });
  let room;
  const joining = new Client(URL_).joinOrCreate(o.room);
  try {
    room = await Promise.race([joining, timeout]);
  } catch (e) {
    // A join that completes after its timeout is not used: leave at once.
    joining.then((late) => late.leave(true)).catch(() => {});
    connectFailures++;
    bump(failureReasons, String(e?.message ?? e).slice(0, 120) || "unknown");
    return;
  } finally {
    clearTimeout(timer);
  }
  c.room = room;
  // A dropped connection counts as lost (as in loadtest), no automatic reconnection.
  if (room.reconnection) room.reconnection.enabled = false;

  // Bytes: wrap the hook the transport calls for every received message.
  const ev = room.connection?.events;
  if (ev && typeof ev.onmessage === "function") {
    const inner = ev.onmessage;
    ev.onmessage = (event) => {
      if (win.open) {
        const d = event.data;
        const len = d?.byteLength;
        if (typeof len === "number") {
          let first;
          if (d instanceof ArrayBuffer) first = len > 0 ? new Uint8Array(d, 0, 1)[0] : undefined;
          else first = d[0];
          if (first === ROOM_DATA_BYTES && len === STAMP_LEN) c.stampBytes += len;
          else c.bytes += len;
        } else {
          c.hooked = false; // not a binary payload we can measure
        }
      }
      return inner(event);
    };
    c.hooked = true;
    bytesHooked++;
  }

  room.onStateChange(() => {
    if (win.open) c.patches++;
  });
  room.onMessage(0, (payload) => {
    const t = nowMs();
    if (!win.open) return;
    if (!(payload instanceof Uint8Array) || payload.byteLength !== 8) return;
    const stamp = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
    latencies.push(t - stamp);
    c.stamps++;
  });
  room.onLeave((code, reason) => {
    if (c.connected) {
      c.connected = false;
      connected--;
      if (!leaving) {
        connectionsLost++;
        bump(lostReasons, `close ${code}${reason ? ` ${reason}` : ""}`);
      }
    }
  });
  room.onError((code, message) => {
    if (!leaving) bump(lostReasons, `error ${code}${message ? ` ${message}` : ""}`);
  });
  c.connected = true;
  connected++;
}

// ---------------------------------------------------------------- run
const rssBefore = serverRssKiB();
const t0 = performance.now();
const joins = [];
for (let i = 0; i < N; i++) {
  const c = newClientStats();
  clients.push(c);
  const due = t0 + (RAMP * 1000 * i) / N;
  joins.push(sleepUntil(due).then(() => join(c)));
}

await sleepUntil(t0 + (RAMP + WARMUP) * 1000);
const connectedSamples = [];
const sampleConnected = () => connectedSamples.push(connected);
const startCpu = serverCpuSeconds();
const startLoader = process.cpuUsage();
const startAt = performance.now();
win.open = true;
sampleConnected();
const sampler = setInterval(sampleConnected, 500);
await sleepUntil(startAt + DURATION * 1000);
win.open = false;
const endAt = performance.now();
const endLoader = process.cpuUsage();
const endCpu = serverCpuSeconds();
const rssEnd = serverRssKiB();
clearInterval(sampler);
sampleConnected();
const connectedAtEnd = connected;

// ---------------------------------------------------------------- figures
const seconds = (endAt - startAt) / 1000;
const connectedMean = connectedSamples.reduce((a, b) => a + b, 0) / connectedSamples.length;
const perClient = Math.max(connectedMean, 1);
let patches = 0;
let bytes = 0;
let stampBytes = 0;
let allHooked = true;
for (const c of clients) {
  if (!c.room) continue;
  patches += c.patches;
  bytes += c.bytes;
  stampBytes += c.stampBytes;
  if (!c.hooked) allHooked = false;
}
const bytesKnown = bytesHooked > 0 && allHooked;
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
const serverCores = startCpu !== null && endCpu !== null ? (endCpu - startCpu) / seconds : null;
const loaderCores =
  (endLoader.user - startLoader.user + endLoader.system - startLoader.system) / 1e6 / seconds;
const r = (x, d) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

const result = {
  tool: "sdk-load.mjs",
  sdk_version: SDK_VERSION,
  url: URL_,
  clients_requested: N,
  ramp_s: RAMP,
  warmup_s: WARMUP,
  window_s: r(seconds, 3),
  clients_connected_at_end: connectedAtEnd,
  clients_connected_mean: r(connectedMean, 1),
  connect_failures: connectFailures,
  connections_lost: connectionsLost,
  patches_per_client_per_s: r(patches / seconds / perClient, 2),
  bytes_per_client_per_s: bytesKnown ? r(bytes / seconds / perClient, 0) : null,
  mean_patch_bytes: bytesKnown && patches > 0 ? r(bytes / patches, 1) : null,
  stamp_bytes_per_client_per_s: bytesKnown ? r(stampBytes / seconds / perClient, 0) : null,
  latency_samples: latencies.length,
  latency_p50_ms: r(q(0.5), 3),
  latency_p99_ms: r(q(0.99), 3),
  latency_max_ms: r(latencies.length ? latencies[latencies.length - 1] : null, 3),
  server_pid: PID,
  server_cpu_cores: r(serverCores, 4),
  server_cpu_us_per_client_per_s: serverCores === null ? null : r((serverCores * 1e6) / perClient, 1),
  server_rss_kib_before: rssBefore,
  server_rss_kib_at_end: rssEnd,
  server_rss_kib_per_client: rssBefore !== null && rssEnd !== null ? r((rssEnd - rssBefore) / perClient, 1) : null,
  loader_cpu_cores: r(loaderCores, 4),
  loader_saturated: loaderCores >= 0.95,
  clk_tck: CLK_TCK,
  failure_reasons: Object.fromEntries(failureReasons),
  lost_reasons: Object.fromEntries(lostReasons),
};

const f = (x, d = 1) => (x === null ? "n/a" : x.toFixed(d));
const rows = [
  ["target", `Colyseus via @colyseus/sdk ${SDK_VERSION ?? "?"} at ${URL_}`],
  ["clients", `${N} asked, ${f(connectedMean, 0)} connected (mean), ${connectedAtEnd} at end`],
  ["run", `${RAMP} s ramp + ${WARMUP} s warm-up + ${f(seconds, 1)} s measured`],
  ["patches / client / s", f(result.patches_per_client_per_s, 2)],
  [
    "bytes / client / s",
    bytesKnown
      ? `${result.bytes_per_client_per_s} (patches of ${f(result.mean_patch_bytes, 0)} B; stamps ${result.stamp_bytes_per_client_per_s} B/s extra)`
      : "null (transport hook not available)",
  ],
  [
    "delivery latency",
    latencies.length
      ? `p50 ${f(result.latency_p50_ms, 2)} ms, p99 ${f(result.latency_p99_ms, 2)} ms, max ${f(result.latency_max_ms, 2)} ms (${latencies.length} samples)`
      : "no samples",
  ],
  [
    "server CPU",
    serverCores === null ? "n/a" : `${f(serverCores, 3)} cores, ${f(result.server_cpu_us_per_client_per_s, 1)} µs per client per s`,
  ],
  [
    "server RSS",
    result.server_rss_kib_per_client === null
      ? "n/a"
      : `${f(rssBefore / 1024, 1)} MiB before, ${f(rssEnd / 1024, 1)} MiB at end, ${f(result.server_rss_kib_per_client, 1)} KiB per client`,
  ],
  ["load generator CPU", `${f(loaderCores, 3)} cores${result.loader_saturated ? " (SATURATED: figures are client-bound)" : ""}`],
  ["dropped", `${connectFailures} failed to connect, ${connectionsLost} lost`],
];
for (const [k, v] of [...failureReasons, ...lostReasons]) rows.push(["  reason", `${v} × ${k}`]);
const w = Math.max(...rows.map(([k]) => k.length));
console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n"));
if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2) + "\n");

// ---------------------------------------------------------------- leave
leaving = true;
await Promise.race([
  Promise.allSettled(
    clients.filter((c) => c.room && c.connected).map((c) => c.room.leave(true)),
  ),
  new Promise((r) => setTimeout(r, 5000)),
]);
await Promise.race([Promise.allSettled(joins), new Promise((r) => setTimeout(r, 100))]);
if (clients.every((c) => !c.room)) {
  console.error(`sdk-load: no client could connect (${connectFailures} failures)`);
  process.exit(1);
}
process.exit(0);
