/**
 * Two Carrel daemons side by side, started with different Node flags or from different builds,
 * against one simulated ILS, beside the bare HTTP gateway: not a benchmark with a target, a tool
 * for deciding a daemon flag (src/cli/node-flags.ts) or a change on the hot path on evidence
 * (issue 20).
 *
 *   npm run build && node dist/bench/node-flags-ab.js [--with=<flag>]… [--without=<flag>]… [--build-a=<dist>]
 *
 * "A" runs with the daemon's flags less every `--without`, "B" with them plus every `--with`
 * (so `--without=--no-allocation-site-pretenuring` asks what that flag buys). `--build-a` runs A
 * from another build's `dist` folder (copy `dist` aside before the change, then build it:
 * `--build-a=/tmp/dist-before` asks what the change buys); B is always this build. The bare
 * gateway runs with A's flags, from this build. Every path is warmed up alike (5,000 checkouts), then each reading alternates the three
 * paths segment by segment, the order rotated every round (A B bare, B bare A, bare A B), so a slow
 * spell of the machine falls on all of them and each path idles as long between its segments as
 * the others — at a kiosk's pace that matters more than the flags: with the order turned round
 * instead (A B bare, bare B A), the path always in the middle, idle two segments every time, read
 * 429 µs of CPU a paced checkout where the same daemon with the same flags at the ends, idle
 * alternately none and four, read 666. Readings: paced (50 and 200 kiosks, a checkout every
 * 500 ms each, as the circulation bench) and saturated (1, 50 and 200 kiosks). Printed per path: p50 / p90 / p99 / p99.9 paced,
 * checkouts a second saturated, and the process's CPU per checkout (all threads, from /proc).
 * Runs of one build differ by 10 % and more on a 2-core VM; differences that hold across two runs
 * are the ones to act on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { spawnCarrel } from './carrel-process.js';
import { CarrelKiosk, startRig, untilIlsOnline, writeGatewayConfig } from './circulation-rig.js';
import {
  closedLoop,
  closedLoopSamples,
  type KioskJob,
  merged,
  pacedLoad,
  type Samples,
} from './kiosk-load.js';
import { processUsage } from './process-usage.js';

const WARM_UP = 5000;
const KIOSKS = 200;
const ROUNDS = 9;
const PACED = [50, 200];
const SATURATED = [
  { kiosks: 1, segment: 500 },
  { kiosks: 50, segment: 1500 },
  { kiosks: 200, segment: 1500 },
];

const flagsOf = (name: string) =>
  process.argv.filter((arg) => arg.startsWith(`--${name}=`)).map((arg) => arg.slice(name.length + 3));
const without = flagsOf('without');
const added = flagsOf('with');
const buildA = flagsOf('build-a')[0];
if (without.length + added.length === 0 && buildA === undefined) {
  console.error(
    'usage: node dist/bench/node-flags-ab.js [--with=<flag>]… [--without=<flag>]… [--build-a=<dist folder>]',
  );
  process.exit(2);
}
const flagsA = DAEMON_NODE_FLAGS.filter((flag) => !without.includes(flag));
const flagsB = [...DAEMON_NODE_FLAGS, ...added];

const items = WARM_UP * 3 + 3 * ROUNDS * (PACED.reduce((sum, k) => sum + k * 5, 0) + 2 * 1500 + 500) + 10_000;
const rig = await startRig(items, { nodeFlags: flagsA, env: { ...DAEMON_ENV } });
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cliA = buildA === undefined ? cli : resolve(buildA, 'src', 'cli', 'main.js');
const dirs: string[] = [];

/**
 * A and B are both started here, alike but for their flags (the rig's own gateway stays idle): with
 * A as the rig's gateway and B started here, the same flags on both read B 5–12 % cheaper at
 * saturation, run after run — a difference of the processes, not of the flags.
 */
async function daemon(nodeArgs: readonly string[], main: string) {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-flags-'));
  dirs.push(dir);
  const config = join(dir, 'carrel.json');
  writeGatewayConfig(config, rig.ilsPort);
  const daemonProcess = await spawnCarrel({
    nodeArgs,
    args: [main, 'start', '--config', config, '--log-level', 'warn'],
    cwd: dir,
    env: { ...process.env, ...DAEMON_ENV },
  });
  started.push(daemonProcess);
  await untilIlsOnline(daemonProcess.api);
  return daemonProcess;
}
const started: Daemon[] = [];
const kiosksOpen: CarrelKiosk[][] = [];
/** Stops what was started so far: a daemon that fails to start must not leave the rig running. */
async function stopAll() {
  for (const list of kiosksOpen) for (const kiosk of list) kiosk.close();
  for (const { child } of started) child.kill('SIGTERM');
  await rig.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

type Daemon = Awaited<ReturnType<typeof spawnCarrel>>;
type Path = 'A' | 'B' | 'bare';
const PATHS: Path[] = ['A', 'B', 'bare'];
let a: Daemon;
let b: Daemon;
const kiosks = {} as Record<Path, CarrelKiosk[]>;
try {
  a = await daemon(flagsA, cliA);
  b = await daemon(flagsB, cli);
  for (const [path, open] of [
    ['A', () => Promise.all(Array.from({ length: KIOSKS }, () => CarrelKiosk.open(a.api)))],
    ['B', () => Promise.all(Array.from({ length: KIOSKS }, () => CarrelKiosk.open(b.api)))],
    ['bare', () => rig.bareGatewayKiosks(KIOSKS)],
  ] as const) {
    kiosks[path] = await open();
    kiosksOpen.push(kiosks[path]);
  }
} catch (error) {
  await stopAll();
  throw error;
}
const pids: Record<Path, number> = { A: a.child.pid ?? 0, B: b.child.pid ?? 0, bare: rig.bareGatewayPid };
const jobs = Object.fromEntries(
  PATHS.map((path) => [
    path,
    (kiosk: number) => {
      const loan = rig.nextLoan();
      return kiosks[path][kiosk]!.checkout(loan.patron, loan.item);
    },
  ]),
) as Record<Path, KioskJob>;
const cpuMs = (path: Path) => processUsage(pids[path])?.cpuMs ?? 0;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

/** Runs `segment` for each path, ROUNDS times in rotated order; each path's samples and CPU ms. */
async function alternate(segment: (job: KioskJob, round: number) => Promise<Samples>) {
  const runs: Record<Path, Samples[]> = { A: [], B: [], bare: [] };
  const used: Record<Path, number> = { A: 0, B: 0, bare: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of [...PATHS.slice(round % 3), ...PATHS.slice(0, round % 3)]) {
      const before = cpuMs(path);
      runs[path].push(await segment(jobs[path], round));
      used[path] += cpuMs(path) - before;
    }
  }
  return { runs, used };
}

console.log(
  `A: ${flagsA.join(' ')}${buildA === undefined ? '' : ` (${cliA})`}\nB: ${flagsB.join(' ')}\nbare HTTP gateway: as A`,
);
try {
  for (const path of PATHS) await closedLoop(16, WARM_UP, jobs[path]);
  for (const level of PACED) {
    const { runs, used } = await alternate((job, round) =>
      pacedLoad({ kiosks: level, ratePerKiosk: 2, durationMs: 2500, seed: level + round }, job),
    );
    for (const path of PATHS) {
      const latencies = runs[path].flatMap((run) => run.latencies).sort((x, y) => x - y);
      const at = (q: number) => quantile(latencies, q).toFixed(2);
      const cpu = ((used[path] * 1000) / latencies.length).toFixed(0);
      console.log(
        `paced ${level} kiosks, ${path}: p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} p99.9 ${at(0.999)} ms, CPU ${cpu} µs a checkout`,
      );
    }
  }
  for (const { kiosks: level, segment } of SATURATED) {
    const { runs, used } = await alternate((job) => closedLoopSamples(level, segment, job));
    const bare = merged(runs.bare).perSecond;
    for (const path of PATHS) {
      const reading = merged(runs[path]);
      const cpu = ((used[path] * 1000) / reading.requests).toFixed(0);
      console.log(
        `saturated ${level} kiosk${level === 1 ? '' : 's'}, ${path}: ${reading.perSecond.toFixed(0)} checkouts/s (${(reading.perSecond / bare).toFixed(2)}× bare), CPU ${cpu} µs a checkout`,
      );
    }
  }
} finally {
  await stopAll();
}
