/**
 * A gate alarm to several WebSocket clients: a desk has the staff page, the gates page, IT's
 * dashboard and a monitoring tool on the event stream at once, and an alarm goes to all of them.
 * For 1, 3 and 10 clients on each path, this process writes a gate's notification frames (as
 * gate.ts does) and times each frame's last byte to its `gate.alarm` on the last of the clients;
 * beside it the floor, the bare gate (bare-gate.ts: one JSON message encoded per alarm, sent to
 * every client). The paths take turns alarm by alarm, each in a slot of its own in the period and
 * in every order in turn, so whatever else the machine does weighs on each alike; each path's CPU
 * over the same alarms is read from /proc (CPU per alarm includes the process's idle work over
 * those seconds: compare it between paths, not with a loop's figure).
 *
 * `node dist/bench/gate-clients.js --build-a=<dist folder>` runs a daemon of that build (an A/B's
 * "before": `npm run build` there, the folder copied aside) as a third path, and prints B ÷ A too;
 * `--a-first` starts it before this build's daemon (a daemon started earlier has idled longer).
 */
import { fileURLToPath } from 'node:url';
import { SETTLE_AFTER_START_MS } from './carrel-process.js';
import {
  type AlarmPath,
  type OpenPath,
  openPath,
  passageFrame,
  percentile,
  resampledRatio,
  startBareGate,
  startGateDaemon,
} from './gate.js';
import { processUsage } from './process-usage.js';
import type { BenchResult } from './types.js';

/** Clients on each path's event stream. */
const CLIENTS = [1, 3, 10] as const;
/**
 * Passages a second on each path (`--rate=` when run alone), and for how long they are measured
 * per client count (after WARM_UP passages). At 50/s an alarm's CPU is not lost in what a daemon
 * does idle (its timers, V8's collections), which is measured alone over IDLE_MS before and taken
 * off at its rate. At 10/s that figure is not to be read: one of V8's idle collections landing in
 * or out of the 3 s window moves it by more than an alarm costs (it read −390 µs once).
 */
const DEFAULT_RATE = 50;
const MEASURED_SECONDS = 10;
const IDLE_MS = 3000;
const WARM_UP = 20;
const TARGET_RATIO = 1.3;

interface Path {
  name: string;
  pid: number;
  alarms: AlarmPath;
}

/** One client count: each path's latencies (frame → alarm on every client) and CPU per alarm in µs. */
async function segment(
  paths: readonly Path[],
  clients: number,
  rate: number,
): Promise<{ latencies: number[][]; cpuUs: number[] }> {
  const open: OpenPath[] = [];
  try {
    for (const path of paths) open.push(await openPath(path.alarms, clients));
    let next = clients * 100_000;
    // Each path's alarm in a slot of its own in the period, far enough from the one before that a
    // daemon's work after its alarm (its bookkeeping, the history) does not weigh on the next
    // path's; which path takes which slot goes through every order in turn, so none always follows
    // the same other.
    const orders = permutations(open.length);
    const passages = async (count: number, latencies?: number[][]) => {
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        const order = orders[i % orders.length]!;
        for (const [slot, p] of order.entries()) {
          const wait = start + ((i + slot / order.length) * 1000) / rate - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const latency = await open[p]!.pass(passageFrame(next++));
          latencies?.[p]?.push(latency);
        }
      }
    };
    await passages(WARM_UP);
    const latencies = paths.map(() => [] as number[]);
    const cpuMs = () => paths.map((path) => processUsage(path.pid)?.cpuMs ?? Number.NaN);
    const idleFrom = cpuMs();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const before = cpuMs();
    const began = performance.now();
    const count = MEASURED_SECONDS * rate;
    await passages(count, latencies);
    const seconds = (performance.now() - began) / 1000;
    const after = cpuMs();
    const cpuUs = paths.map((_, p) => {
      const idlePerSecond = (before[p]! - idleFrom[p]!) / (IDLE_MS / 1000);
      return ((after[p]! - before[p]! - idlePerSecond * seconds) * 1000) / count;
    });
    return { latencies, cpuUs };
  } finally {
    for (const path of open) path.close();
  }
}

/** Every order of 0 … n − 1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((rest) =>
    Array.from({ length: n }, (_, at) => [...rest.slice(0, at), n - 1, ...rest.slice(at)]),
  );
}

/** The rows: Carrel (this build) next to the floor per client count; with `buildA`, that build's daemon too. */
export async function fanOut(buildA?: string, aFirst = false, rate = DEFAULT_RATE): Promise<BenchResult[]> {
  const started: Array<{ stop(): Promise<void> }> = [];
  const results: BenchResult[] = [];
  try {
    const paths: Path[] = [];
    const daemon = async (name: string, build?: string) => {
      const gate = await startGateDaemon(build);
      started.push(gate.daemon);
      paths.push({ name, pid: gate.daemon.pid, alarms: gate.path });
    };
    // A daemon started earlier has idled longer when measured: `aFirst` starts A before this build's.
    const earlier = aFirst && buildA !== undefined ? await startGateDaemon(buildA) : undefined;
    if (earlier) started.push(earlier.daemon);
    await daemon('Carrel');
    const bare = await startBareGate();
    started.push(bare);
    paths.push({ name: 'floor', pid: bare.pid, alarms: bare.path });
    if (earlier) paths.push({ name: 'Carrel A (before)', pid: earlier.daemon.pid, alarms: earlier.path });
    else if (buildA !== undefined) await daemon('Carrel A (before)', buildA);
    await new Promise((r) => setTimeout(r, SETTLE_AFTER_START_MS));
    for (const clients of CLIENTS) {
      const { latencies, cpuUs } = await segment(paths, clients, rate);
      const [carrel, floor, before] = latencies as [number[], number[], number[] | undefined];
      const ratio = percentile(carrel, 50) / percentile(floor, 50);
      const [low, high] = resampledRatio(carrel, floor);
      results.push(
        {
          name: `${clients} clients, ${rate}/s: frame → gate.alarm on every client, Carrel p50 (n=${carrel.length})`,
          value: percentile(carrel, 50),
          unit: 'ms',
        },
        {
          name: `${clients} clients: floor (bare, one message encoded, sent to each), p50`,
          value: percentile(floor, 50),
          unit: 'ms',
        },
        {
          name: `${clients} clients: Carrel p50 ÷ floor p50`,
          value: ratio,
          unit: '×',
          target: `≤ ${TARGET_RATIO}×`,
          met: ratio <= TARGET_RATIO,
        },
        {
          name: `${clients} clients: … resampled by turn, 5th–95th percentile`,
          value: low,
          unit: `– ${high.toFixed(2)} ×`,
        },
        {
          name: `${clients} clients: Carrel CPU per alarm (its idle CPU taken off)`,
          value: cpuUs[0]!,
          unit: 'µs',
        },
        { name: `${clients} clients: floor CPU per alarm`, value: cpuUs[1]!, unit: 'µs' },
      );
      if (before) {
        const [bLow, bHigh] = resampledRatio(carrel, before);
        results.push(
          { name: `${clients} clients: Carrel A (before) p50`, value: percentile(before, 50), unit: 'ms' },
          { name: `${clients} clients: Carrel A (before) CPU per alarm`, value: cpuUs[2]!, unit: 'µs' },
          {
            name: `${clients} clients: p50 this build ÷ A`,
            value: percentile(carrel, 50) / percentile(before, 50),
            unit: '×',
          },
          {
            name: `${clients} clients: … resampled by turn, 5th–95th percentile`,
            value: bLow,
            unit: `– ${bHigh.toFixed(2)} ×`,
          },
        );
      }
    }
  } finally {
    await Promise.allSettled(started.map((each) => each.stop()));
  }
  return results;
}

export function run(): Promise<BenchResult[]> {
  return fanOut();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const buildA = process.argv.find((arg) => arg.startsWith('--build-a='))?.slice('--build-a='.length);
  const rate = Number(
    process.argv.find((arg) => arg.startsWith('--rate='))?.slice('--rate='.length) ?? DEFAULT_RATE,
  );
  for (const row of await fanOut(buildA, process.argv.includes('--a-first'), rate))
    console.log(`${row.name.padEnd(80)} ${row.value.toFixed(row.value >= 100 ? 0 : 3)} ${row.unit}`);
}
