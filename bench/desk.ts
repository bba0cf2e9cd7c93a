import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { spawnCarrel } from './carrel-process.js';
import { externalDeskConfig, type SimulatorHost, startSimulatorHost } from './external-desk.js';
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
function startDesk(configFile?: string): Promise<Running> {
  const config = configFile ? ['--config', configFile] : [];
  return startProcess([
    cli,
    'start',
    ...config,
    '--http-port',
    '0',
    '--mqtt-port',
    '0',
    '--log-level',
    'warn',
  ]);
}

/** The floor (bench/floor-process.ts), started and measured as the gateway is. */
function startFloor(): Promise<Running> {
  return startProcess([join(here, 'floor-process.js')]);
}

async function startProcess(args: string[]): Promise<Running> {
  const stateDir = mkdtempSync(join(tmpdir(), 'carrel-bench-'));
  const began = performance.now();
  const { child, api } = await spawnCarrel({
    nodeArgs: [...DAEMON_NODE_FLAGS],
    args,
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

/** The batch-1 families: what a circulation desk needs before anything else. */
const BATCH_1 = ['ils', 'receipt-printer', 'rfid-reader'];

interface Footprint {
  readyMs: number;
  idleRss: number;
}

/** Median start-to-ready of five starts, and the idle RSS the last one settles at. */
async function footprintOf(start: () => Promise<Running>): Promise<Footprint> {
  const readyTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const desk = await start();
    readyTimes.push(desk.readyMs);
    try {
      if (i === 4) return { readyMs: median(readyTimes), idleRss: await idleRssOf(desk) };
    } finally {
      await stopDesk(desk);
    }
  }
  throw new Error('unreachable');
}

/** A gateway whose devices are in another process (the simulator host), from a config of those devices. */
async function gatewayFootprint(host: SimulatorHost, kinds?: readonly string[]): Promise<Footprint> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-config-'));
  const configFile = join(dir, 'carrel.json');
  writeFileSync(configFile, JSON.stringify(externalDeskConfig(host, kinds)));
  try {
    return await footprintOf(() => startDesk(configFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The RSS a started process settles at when nothing happens: sampled every second from 3 s to
 * 20 s after ready, the median of the last eight samples. V8's memory reducer collects what the
 * start left behind some seconds after allocation stops (a gateway read at 3 s showed ~100 MB,
 * ~91 MB from 10 s on, for as long as it stayed idle): the footprint a desk keeps is the later one.
 */
async function idleRssOf(desk: Running): Promise<number> {
  const samples: number[] = [];
  await new Promise((r) => setTimeout(r, 2000));
  for (let second = 3; second <= 20; second++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(rssMb(desk.child.pid!));
  }
  return median(samples.slice(-8));
}

export async function run(): Promise<BenchResult[]> {
  const floor = await footprintOf(() => startFloor());
  const host = await startSimulatorHost();
  let every: Footprint;
  let batch1: Footprint;
  try {
    every = await gatewayFootprint(host);
    batch1 = await gatewayFootprint(host, BATCH_1);
  } finally {
    await host.close();
  }
  const simulated = await footprintOf(() => startDesk());
  const load = await withDesk(measureRunning);
  return [
    { name: 'floor: node + fastify + SQLite open, start to ready', value: floor.readyMs / 1000, unit: 's' },
    { name: 'floor: idle RSS (settled, as the gateway)', value: floor.idleRss, unit: 'MB' },
    {
      name: 'gateway, every family (simulators in a 2nd process), start to ready',
      value: every.readyMs / 1000,
      unit: 's',
      target: '≤ 1.5 s',
      met: every.readyMs <= 1500,
    },
    {
      name: 'gateway, every family, idle RSS (settled, 13–20 s after ready)',
      value: every.idleRss,
      unit: 'MB',
      target: '≤ 100 MB',
      met: every.idleRss <= 100,
    },
    {
      name: `gateway, batch-1 only (${BATCH_1.join(', ')}), start to ready`,
      value: batch1.readyMs / 1000,
      unit: 's',
      target: '≤ 1.5 s',
      met: batch1.readyMs <= 1500,
    },
    {
      name: 'gateway, batch-1 only, idle RSS (settled)',
      value: batch1.idleRss,
      unit: 'MB',
      target: '≤ 90 MB',
      met: batch1.idleRss <= 90,
    },
    { name: 'every family above the floor', value: every.idleRss - floor.idleRss, unit: 'MB' },
    { name: 'batch-1 above the floor', value: batch1.idleRss - floor.idleRss, unit: 'MB' },
    ...simulatedDesk(simulated),
    ...load,
  ];
}

async function withDesk<T>(work: (desk: Running) => Promise<T>): Promise<T> {
  const desk = await startDesk();
  try {
    return await work(desk);
  } finally {
    await stopDesk(desk);
  }
}

function simulatedDesk(footprint: Footprint): BenchResult[] {
  const label = `simulated desk (+${defaultDeskConfig().simulators.length} simulators in-process)`;
  return [
    { name: `${label} start to ready`, value: footprint.readyMs / 1000, unit: 's' },
    { name: `${label} idle RSS`, value: footprint.idleRss, unit: 'MB' },
  ];
}

/** The simulated desk (the gateway and its simulators in one process) under load. */
async function measureRunning(desk: Running): Promise<BenchResult[]> {
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
  return [
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
