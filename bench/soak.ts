/**
 * The soak CI runs on every Node it tests (`node dist/bench/soak.js [seconds]`,
 * 150 s by default): `carrel start` on the simulated desk, under this Node, with
 * garbage collection forced all the time (`--expose-gc` and scripts/forced-gc.mjs),
 * while kiosks check items out and in, print receipts, read the RFID pads, the
 * devices, the statistics and the metrics at a moderate rate, and pings a systemd
 * watchdog ten times a second (through unix-dgram, the other native module). It
 * fails when the daemon exits (Node 24.19 aborted within seconds with
 * better-sqlite3 12), when any request fails or answers 5xx, when a warning or
 * anything past the startup lines reaches stderr (the journal), when the watchdog
 * pings stop, or when the daemon does not stop cleanly on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { spawnCarrel } from './carrel-process.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const forcedGc = new URL('../../scripts/forced-gc.mjs', import.meta.url).href;

const seconds = Number(process.argv[2] ?? 150);
/** Each kiosk sends one request this often: 4 kiosks, ~16 requests a second in all. */
const REQUEST_EVERY_MS = 250;
const PATRON = { patron: '21000001', pin: '1234' };

interface DatagramSocket {
  on(event: 'message', listener: (message: Buffer) => void): void;
  bind(path: string): void;
  close(): void;
}

/** systemd's side of sd_notify: counts what the daemon sends, and the longest gap between watchdog pings. */
function listenAsSystemd(path: string) {
  const unixDgram = createRequire(import.meta.url)('unix-dgram') as {
    createSocket(type: 'unix_dgram'): DatagramSocket;
  };
  const socket = unixDgram.createSocket('unix_dgram');
  const heard = { ready: false, pings: 0, longestGapMs: 0, lastPing: 0, close: () => socket.close() };
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    if (text.includes('READY=1')) heard.ready = true;
    if (text.includes('WATCHDOG=1')) {
      const now = performance.now();
      if (heard.pings > 0) heard.longestGapMs = Math.max(heard.longestGapMs, now - heard.lastPing);
      heard.lastPing = now;
      heard.pings++;
    }
  });
  socket.bind(path);
  return heard;
}

type Step = { name: string; method: 'GET' | 'POST'; path: string; body?: unknown; ok: number[] };

/** What one kiosk does, over and over. Two kiosks each circulate an item of their own. */
function round(kiosk: number): Step[] {
  const reads: Step[] = [
    { name: 'pad tags', method: 'GET', path: '/api/v1/rfid/pad-1/tags', ok: [200] },
    { name: 'devices', method: 'GET', path: '/api/v1/devices', ok: [200] },
    {
      name: 'statistics',
      method: 'GET',
      path: '/api/v1/stats?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&groupBy=kind',
      ok: [200],
    },
    { name: 'metrics', method: 'GET', path: '/metrics', ok: [200] },
  ];
  const receipt: Step = {
    name: 'receipt',
    method: 'POST',
    path: '/api/v1/printers/receipt-1/receipts',
    body: {
      template: 'checkout',
      data: {
        library: { name: 'Riverside Public Library' },
        patron: { name: 'Zoë Åström' },
        loans: [{ title: 'Middlemarch', barcode: '31000004', dueDate: '2026-12-13' }],
      },
    },
    ok: [202],
  };
  const item = kiosk === 0 ? '31000004' : kiosk === 1 ? '31000005' : undefined;
  if (!item) return [receipt, ...reads];
  return [
    // A refusal (409/422: already on loan after a cut-short round) is an answer, not a failure.
    {
      name: 'checkout',
      method: 'POST',
      path: '/api/v1/checkouts',
      body: { ...PATRON, item },
      ok: [200, 409, 422],
    },
    reads[0]!,
    receipt,
    { name: 'checkin', method: 'POST', path: '/api/v1/checkins', body: { item }, ok: [200, 409, 422] },
    ...reads.slice(1),
  ];
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'carrel-soak-'));
  const notifySocket = join(stateDir, 'notify.sock');
  const systemd = listenAsSystemd(notifySocket);
  const { child, api } = await spawnCarrel({
    nodeArgs: [...DAEMON_NODE_FLAGS, '--expose-gc', '--import', forcedGc],
    args: [cli, 'start', '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'],
    cwd: stateDir,
    // A 200 ms watchdog: a ping (one unix-dgram socket) every 100 ms.
    env: { ...process.env, ...DAEMON_ENV, NOTIFY_SOCKET: notifySocket, WATCHDOG_USEC: '200000' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exit code ${code}, signal ${signal}`;
      resolve();
    }),
  );
  const failures: string[] = [];
  const answers = new Map<string, number>();
  const began = performance.now();
  const phases: string[] = [];
  try {
    await waitForReady(api);
    phases.push(`ready in ${Math.round(performance.now() - began)} ms`);
    const startupLines = stderr.length;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      [0, 1, 2, 3].map(async (kiosk) => {
        const steps = round(kiosk);
        for (let i = 0; performance.now() < deadline && !exited && failures.length < 10; i++) {
          const step = steps[i % steps.length]!;
          const began = performance.now();
          const status = await send(api, step).catch((error: unknown) => `${(error as Error).message}`);
          answers.set(step.name, (answers.get(step.name) ?? 0) + 1);
          if (typeof status !== 'number' || !step.ok.includes(status))
            failures.push(`${step.method} ${step.path} (kiosk ${kiosk}) answered ${status}`);
          await new Promise((r) =>
            setTimeout(r, Math.max(0, REQUEST_EVERY_MS - (performance.now() - began))),
          );
        }
      }),
    );
    if (exited) failures.push(`the daemon died under load: ${exited}\n${stderr}`);
    const after = stderr.slice(startupLines).trim();
    if (after) failures.push(`the daemon wrote to stderr under load:\n${after}`);
    if (/Warning:/.test(stderr)) failures.push(`a warning reached stderr:\n${stderr}`);
    if (!systemd.ready) failures.push('systemd never heard READY=1');
    // Ten a second on an idle machine; a 5 s silence would be a stuck event loop, not a busy CI box.
    if (systemd.pings < seconds || systemd.longestGapMs > 5000)
      failures.push(
        `watchdog: ${systemd.pings} pings in ${seconds} s, longest gap ${Math.round(systemd.longestGapMs)} ms`,
      );
  } finally {
    if (!exited) {
      const stopping = performance.now();
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        exit.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), 20_000);
        }),
      ]);
      clearTimeout(timer);
      if (!stopped) {
        child.kill('SIGKILL');
        failures.push('the daemon did not stop within 20 s of SIGTERM');
      } else if (!/exit code 0,/.test(exited ?? ''))
        failures.push(`the daemon stopped with ${exited}\n${stderr}`);
      phases.push(`stopped in ${Math.round(performance.now() - stopping)} ms`);
    }
    systemd.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const total = [...answers.values()].reduce((a, b) => a + b, 0);
  console.log(
    `soak on node ${process.version}: ${seconds} s, ${total} requests (${[...answers]
      .map(([name, n]) => `${name} ${n}`)
      .join(
        ', ',
      )}), ${systemd.pings} watchdog pings (longest gap ${Math.round(systemd.longestGapMs)} ms), forced GC every ${process.env.CARREL_FORCED_GC_MS ?? 25} ms; ${phases.join(', ')}`,
  );
  if (failures.length > 0) {
    console.log(`FAILED:\n${failures.join('\n')}`);
    process.exitCode = 1;
  } else console.log('ok: the daemon lived, every request was answered, nothing 5xx');
}

async function waitForReady(api: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const response = await fetch(`${api}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await sleep(50);
  }
  throw new Error('the simulated desk was not ready within 30 s');
}

async function send(api: string, step: Step): Promise<number> {
  const response = await fetch(`${api}${step.path}`, {
    method: step.method,
    signal: AbortSignal.timeout(10_000),
    ...(step.body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(step.body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
