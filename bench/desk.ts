import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { spawnCarrel } from './carrel-process.js';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const execFileAsync = promisify(execFile);

interface Running {
  child: ChildProcess;
  api: string;
  stateDir: string;
  readyMs: number;
}

/**
 * Starts `carrel start` as the `carrel` command does (same V8 flags) and waits for /readyz 200.
 * Without a config file it is the simulated desk, simulators in the same process.
 */
async function startDesk(configFile?: string): Promise<Running> {
  const stateDir = mkdtempSync(join(tmpdir(), 'carrel-bench-'));
  const began = performance.now();
  const config = configFile ? ['--config', configFile] : [];
  const { child, api } = await spawnCarrel({
    nodeArgs: [...DAEMON_NODE_FLAGS],
    args: [cli, 'start', ...config, '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'],
    cwd: stateDir,
    env: { ...process.env, ...DAEMON_ENV },
  });
  for (;;) {
    const response = await fetch(`${api}/readyz`).catch(() => undefined);
    if (response?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, api, stateDir, readyMs: performance.now() - began };
}

async function stopDesk(desk: Running): Promise<void> {
  const exited = new Promise((resolve) => desk.child.once('exit', resolve));
  desk.child.kill('SIGTERM');
  await exited;
  rmSync(desk.stateDir, { recursive: true, force: true });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function receiptsPerSecond(api: string, count: number): Promise<number> {
  const body = JSON.stringify({
    template: 'checkout',
    data: {
      library: { name: 'Bench Library' },
      patron: { name: 'Zoë Åström' },
      loans: [
        { title: 'Ærø and the sea', barcode: '30001000123456', dueDate: '2026-12-13' },
        { title: 'Le Petit Prince', barcode: '30001000123457', dueDate: '2026-12-13' },
      ],
    },
  });
  const began = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${api}/api/v1/printers/receipt-1/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 202)
      throw new Error(`receipt refused: ${response.status} ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  const last = ids[ids.length - 1];
  for (;;) {
    const job = (await (await fetch(`${api}/api/v1/printers/receipt-1/jobs/${last}`)).json()) as {
      state: string;
    };
    if (job.state === 'printed') break;
    if (job.state !== 'queued' && job.state !== 'printing') throw new Error(`job ended ${job.state}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return count / ((performance.now() - began) / 1000);
}

/**
 * The gateway as deployed: its devices are elsewhere. The simulators run here, in
 * the benchmark's process, and the gateway reaches them over TCP from its config.
 */
async function withExternalSimulators<T>(work: (configFile: string) => Promise<T>): Promise<T> {
  const { startPrinterSimulator } = await import('../simulators/printer/simulator.js');
  const { startIlsSimulator, sampleFixturePath } = await import('../simulators/ils/index.js');
  const { startRfidPadSimulator } = await import('../simulators/rfid-pad/index.js');
  const printer = await startPrinterSimulator({ port: 0, httpPort: 0 });
  const ils = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
  const pad = await startRfidPadSimulator({
    protocol: 'feig',
    tcpPort: 0,
    httpPort: 0,
    tags: [{ preset: 'V1' }],
  });
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-config-'));
  const configFile = join(dir, 'carrel.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      version: 1,
      ils: {
        host: '127.0.0.1',
        port: ils.port,
        user: 'kiosk1',
        password: 'kiosk1pw',
        location: 'MAIN',
        institution: 'RIVERSIDE',
      },
      devices: [
        {
          id: 'receipt-1',
          kind: 'receipt-printer',
          transport: { type: 'tcp', host: '127.0.0.1', port: printer.escposPort },
        },
        {
          id: 'pad-1',
          kind: 'rfid-reader',
          protocol: 'feig',
          transport: { type: 'tcp', host: '127.0.0.1', port: pad.tcpPort },
        },
      ],
    }),
  );
  try {
    return await work(configFile);
  } finally {
    await Promise.allSettled([printer.close(), ils.close(), pad.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idleRssOf(desk: Running): Promise<number> {
  await new Promise((r) => setTimeout(r, 3000));
  return rssMb(desk.child.pid!);
}

export async function run(): Promise<BenchResult[]> {
  const gateway = await withExternalSimulators(async (configFile) => {
    const readyTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const desk = await startDesk(configFile);
      readyTimes.push(desk.readyMs);
      if (i < 4) {
        await stopDesk(desk);
        continue;
      }
      try {
        return { readyMs: median(readyTimes), idleRss: await idleRssOf(desk) };
      } finally {
        await stopDesk(desk);
      }
    }
    throw new Error('unreachable');
  });
  const readyTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const desk = await startDesk();
    readyTimes.push(desk.readyMs);
    if (i < 4) {
      await stopDesk(desk);
      continue;
    }
    try {
      return [
        {
          name: 'gateway start to ready (median of 5)',
          value: gateway.readyMs / 1000,
          unit: 's',
          target: '≤ 1.5 s',
          met: gateway.readyMs <= 1500,
        },
        {
          name: 'gateway idle RSS after ready',
          value: gateway.idleRss,
          unit: 'MB',
          target: '≤ 90 MB',
          met: gateway.idleRss <= 90,
        },
        ...(await measureRunning(desk, readyTimes)),
      ];
    } finally {
      await stopDesk(desk);
    }
  }
  throw new Error('unreachable');
}

/** The simulated desk: the gateway and its simulators in one process. */
async function measureRunning(desk: Running, readyTimes: number[]): Promise<BenchResult[]> {
  const idleRss = await idleRssOf(desk);
  const { stdout } = await execFileAsync(process.execPath, [
    join(here, 'load.js'),
    `${desk.api}/api/v1/devices`,
    '8',
    '32',
  ]);
  const load = JSON.parse(stdout) as {
    requestsPerSecond: number;
    latencyP99Ms: number;
    errors: number;
    non2xx: number;
  };
  const receipts = await receiptsPerSecond(desk.api, 200);
  const readyMs = median(readyTimes);
  const label = `simulated desk (+${defaultDeskConfig().simulators.length} simulators)`;
  return [
    { name: `${label} start to ready`, value: readyMs / 1000, unit: 's' },
    { name: `${label} idle RSS`, value: idleRss, unit: 'MB' },
    {
      name: 'GET /api/v1/devices (32 conns, 2nd process)',
      value: load.requestsPerSecond,
      unit: 'req/s',
      target: '≥ 5,000',
      met: load.requestsPerSecond >= 5000 && load.errors === 0 && load.non2xx === 0,
    },
    { name: 'GET /api/v1/devices p99 latency', value: load.latencyP99Ms, unit: 'ms' },
    { name: 'receipts to the simulator (API → printed)', value: receipts, unit: 'receipts/s' },
  ];
}
