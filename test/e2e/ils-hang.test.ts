/**
 * A hung ILS, end to end and in real time: `carrel sim ils` (the built CLI in
 * dist/, `npm run build` first) runs in a child process that is stopped with
 * SIGSTOP, so its sockets stay open and the kernel keeps accepting connections
 * while nothing is answered. The desk, with a short heartbeat and request
 * timeout, must show the link not online within one heartbeat and one request
 * timeout, take checkouts offline without waiting, and show it online again
 * within one heartbeat of SIGCONT.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const HEARTBEAT_MS = 2000;
const REQUEST_TIMEOUT_MS = 500;
/** Polling the API, timers firing late on a busy machine. */
const SLACK_MS = 1000;

let ils: ChildProcess | undefined;
let testDesk: TestDesk;
let api: string;

/** Starts `carrel sim ils --port 0` and resolves with its SIP2 port once it serves. */
function startIlsProcess(): Promise<number> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sim', 'ils', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    ils = child;
    let port: number | undefined;
    const timer = setTimeout(() => reject(new Error('carrel sim ils did not start in 10 s')), 10_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /SIP2\s+tcp:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (found) port = Number(found[1]);
      if (line.includes('logins') && port !== undefined) {
        clearTimeout(timer);
        resolve(port);
      }
    });
    child.stderr!.resume();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`carrel sim ils exited (${code ?? signal})`));
    });
  });
}

beforeAll(async () => {
  const port = await startIlsProcess();
  testDesk = await startTestDesk((config) => ({
    ...withIlsAt(config, port, (ils) => ({
      ...ils,
      heartbeatSeconds: HEARTBEAT_MS / 1000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    })),
    offline: { ...config.offline, enabled: true },
  }));
  api = testDesk.api;
  await waitForDevice(api, 'ils', 'online');
}, 30_000);

afterAll(async () => {
  if (ils && ils.exitCode === null) {
    ils.kill('SIGCONT');
    ils.kill('SIGTERM');
  }
  await testDesk?.stop();
});

async function ilsStatus(): Promise<{
  status: string;
  reason: string | null;
  lastError: { code: string } | null;
  detail: { connections?: number };
}> {
  return (await (await fetch(`${api}/api/v1/devices/ils`)).json()) as never;
}

/** Polls the ILS link's health until it says `wanted`; resolves with the milliseconds that took. */
async function timeUntil(wanted: (status: string) => boolean, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { status } = await ilsStatus();
    const took = performance.now() - started;
    if (wanted(status)) return took;
    if (took > limitMs) throw new Error(`ILS still ${status} after ${Math.round(took)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a hung ILS (SIGSTOP)', () => {
  it('is shown not online within one heartbeat and one request timeout, checkouts go offline at once, and it is back within one heartbeat of SIGCONT', async () => {
    const broker = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
    const retained: string[] = [];
    broker.on('message', (_topic, payload) => retained.push(JSON.parse(String(payload)).status));
    await broker.subscribeAsync('carrel/library/desk-1/devices/ils/state');

    ils!.kill('SIGSTOP');
    const notOnlineMs = await timeUntil((s) => s !== 'online', 10_000);
    expect(notOnlineMs).toBeLessThan(HEARTBEAT_MS + REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await ilsStatus()).lastError).toMatchObject({ code: 'ils_timeout' });
    // Offline one request timeout later: the connection opened again was not answered either.
    await timeUntil((s) => s === 'offline', REQUEST_TIMEOUT_MS * 2 + SLACK_MS);
    expect((await fetch(`${api}/readyz`)).status).toBe(503);
    // No connection is claimed open while the link is offline.
    expect((await ilsStatus()).detail.connections).toBe(0);
    await expect.poll(() => retained.at(-1)).toBe('offline');

    // Known offline: a checkout is taken into the offline journal without waiting for the ILS.
    const checkout = await fetch(`${api}/api/v1/checkouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000009', item: '31000005' }),
    });
    expect(checkout.status).toBe(200);
    expect(await checkout.json()).toMatchObject({ ok: true, offline: true });

    // Hung for a while longer, then it answers again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    ils!.kill('SIGCONT');
    const backMs = await timeUntil((s) => s === 'online', 10_000);
    expect(backMs).toBeLessThan(HEARTBEAT_MS + REQUEST_TIMEOUT_MS + SLACK_MS);
    await expect.poll(() => retained.at(-1)).toBe('online');
    await broker.endAsync();
  });
});
