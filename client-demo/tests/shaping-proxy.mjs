// A loopback TCP proxy that shapes what the server sends, the way real links do
// (Chromium's network emulation does not apply to WebSockets, so the test does it
// below the browser). Test support, not a test itself.
//
// Every chunk the server writes is held and delivered to the browser later, in order
// (TCP never reorders):
// - `jitter`: each chunk after `delayMs` ± `jitterMs` (uniform, seeded), never before
//   the chunk before it, so a long delay bunches the chunks behind it, as on a real link;
// - `burst`: chunks are held and released together every `everyMs`, as a Wi-Fi or
//   mobile link that wakes up periodically does;
// - `none`: straight through (a link the test can cut: dropAll()).
// What the browser sends goes straight through.

import net from 'node:net';
import { seeded } from '../../clients/ts/tests/client.mjs';

export class ShapingProxy {
  /**
   * @param target the server's URL (http://127.0.0.1:PORT/).
   * @param shape { kind: 'jitter', delayMs, jitterMs, seed }, { kind: 'burst', everyMs } or { kind: 'none' }.
   */
  constructor(target, shape = { kind: 'none' }) {
    this.target = new URL(target);
    this.shape = shape;
    this.sockets = new Set();
    this.timers = new Set();
    /** Connections accepted so far. */
    this.connections = 0;
  }

  async start() {
    const random = seeded(this.shape.seed ?? 1);
    this.server = net.createServer((client) => {
      this.connections++;
      client.setNoDelay(true);
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      upstream.setNoDelay(true);
      /** When the last chunk held for the browser is due (performance.now()): closes wait for it. */
      let lastAt = 0;
      const afterHeld = (callback) => this.later(Math.max(lastAt, performance.now()) - performance.now() + 1, callback);
      for (const [socket, other] of [[client, upstream], [upstream, client]]) {
        this.sockets.add(socket);
        socket.on('error', () => (socket === upstream ? afterHeld(() => other.destroy()) : other.destroy()));
        socket.on('close', () => {
          this.sockets.delete(socket);
          if (socket === upstream) {
            afterHeld(() => other.destroy());
          } else {
            other.destroy();
          }
        });
      }
      client.pipe(upstream);
      if (this.shape.kind === 'none') {
        upstream.pipe(client);
        return;
      }
      const deliver = (chunk) => {
        if (!client.destroyed) {
          client.write(chunk);
        }
      };
      if (this.shape.kind === 'jitter') {
        upstream.on('data', (chunk) => {
          const delay = this.shape.delayMs + (2 * random() - 1) * this.shape.jitterMs;
          const at = Math.max(lastAt, performance.now() + delay);
          lastAt = at;
          this.later(at - performance.now(), () => deliver(chunk));
        });
        // The end follows the last chunk, never overtakes it.
        upstream.on('end', () => afterHeld(() => client.end()));
      } else {
        let held = [];
        const flush = () => {
          if (held.length > 0) {
            deliver(Buffer.concat(held));
            held = [];
          }
        };
        upstream.on('data', (chunk) => held.push(chunk));
        const timer = setInterval(flush, this.shape.everyMs);
        this.timers.add(timer);
        upstream.on('end', () => {
          clearInterval(timer);
          this.timers.delete(timer);
          flush();
          client.end();
        });
        upstream.on('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
      }
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${this.server.address().port}/`;
    return this.url;
  }

  /** Runs `callback` in `ms` (a timer the proxy cancels when it stops). */
  later(ms, callback) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  /** Destroys every proxied socket, a network drop with no close handshake; returns how many there were. */
  dropAll() {
    const count = this.sockets.size;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    return count;
  }

  async stop() {
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
    this.dropAll();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve());
  }
}
