// Test support shared by the browser tests (not a test itself): the real server as a
// child process, headless Chromium, and a bounded wait.
//
// Env: TICKWIRE_SERVER_BIN (default ../target/debug/tickwire-server, relative to
// client-demo), CHROMIUM_BIN (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const serverBin = path.resolve(clientDir, process.env.TICKWIRE_SERVER_BIN ?? '../target/debug/tickwire-server');
export const chromiumBin = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Headless Chromium as this machine runs it (TOOLCHAIN.md): no sandbox, no GPU, no QUIC. */
export async function launchChromium(executablePath = chromiumBin) {
  assert.ok(existsSync(executablePath), `Chromium should be installed at ${executablePath} (apt-get install -y chromium)`);
  return within(
    30000,
    'Chromium should start',
    chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    }),
  );
}

/** Rejects with `message` if `promise` has not settled within `ms`. */
export async function within(ms, message, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (timed out after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The running server process, with its stderr kept for failure reports. */
export class Server {
  /**
   * @param bin the server binary (the server, or an example game taking its flags).
   * @param build the command that builds it, for the message when it is missing.
   */
  constructor(bin = serverBin, build = 'cargo build -p tickwire-server') {
    this.bin = bin;
    this.build = build;
    this.stderr = '';
    this.exit = null;
  }

  async start(args) {
    assert.ok(existsSync(this.bin), `the server binary should exist at ${this.bin} (build it with: ${this.build})`);
    this.process = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-20000);
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    const listening = new Promise((resolve, reject) => {
      let stdout = '';
      this.process.stdout.setEncoding('utf8');
      this.process.stdout.on('data', (chunk) => {
        stdout += chunk;
        const match = stdout.match(/^tickwire listening on (http:\/\/\S+\/)$/m);
        if (match) {
          resolve(match[1]);
        }
      });
      this.process.on('error', reject);
      this.exited.then((exit) =>
        reject(new Error(`the server should keep running, but it exited (${JSON.stringify(exit)}); stdout: ${JSON.stringify(stdout)}`)),
      );
    });
    this.url = await within(15000, 'the server should print "tickwire listening on http://127.0.0.1:PORT/"', listening);
    return this.url;
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 3000) {
    if (!this.process || this.exit !== null) {
      return;
    }
    this.process.kill('SIGTERM');
    try {
      await within(graceMs, 'the server should exit after SIGTERM', this.exited);
    } catch {
      this.process.kill('SIGKILL');
      await this.exited;
    }
  }
}
