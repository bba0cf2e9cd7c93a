/**
 * What an idle desk costs the desk PC (often a small fanless box or a laptop, woken for every timer):
 * `carrel start` on the simulated desk's devices, their simulators in a second process
 * (simulator-host.ts), nobody at the desk. Beside it, in the same windows, the floor: a bare node
 * process with fastify listening and a SQLite database open (floor-process.ts). Both settle
 * SETTLE_AFTER_START_MS after ready (V8's memory reducer is done by then), then:
 *
 * - over WINDOW_MS, from /proc: CPU ms per second (every thread) and wake-ups per second (times a
 *   thread went to sleep and was woken, every thread summed: what keeps a core out of its sleep
 *   states). Not schedstat's timeslices: on a loaded machine those count a thread's preemptions too
 *   (78 against 60 a second for the same desk at load 10 and 2);
 * - over the next minute, under `strace -f -y` (not in the CPU window: tracing slows every call):
 *   calls on the database's files (the database, -wal, -shm) — fcntl (a read or write transaction
 *   takes and drops locks) and pread64 (pages read) — and in how many bursts they came (calls less
 *   than 500 ms apart are one: one piece of work). Skipped without strace.
 *
 * The desk's devices are polled as a deployed desk's are (their defaults): three RFID pads' inventory
 * every 200 ms, two ccTalk acceptors every 200 ms, the receipt printer's status and the print
 * server's held queue every second, the card printer every 2 s — DEVICE_POLLS_PER_SECOND in all.
 * Those polls are how a pad sees a book laid on it and how a printer or pad that goes silent is
 * noticed: they stay, and each costs a wake-up for the timer and one for the reply.
 *
 * Targets: the database worked on at most once a minute while nothing happens (the devices'
 * availability sampled once a minute; the desk totals' recent days are read only when a statistic
 * is written); wake-ups at most the floor's plus two per device poll; CPU at most twice the floor's plus
 * 0.5 ms per device poll — what a poll over loopback TCP costs both ends' kernel and this process's
 * JavaScript on the 2-core bench VM (13 ms/s for the 27.5 polls a second, 2026-12-07): a guard against
 * anything beyond the polling, not a claim that the polls are cheap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { SETTLE_AFTER_START_MS, spawnCarrel, startBareProcess } from './carrel-process.js';
import { externalDeskConfig, startSimulatorHost } from './external-desk.js';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const WINDOW_MS = 20_000;

/** Polls a second the simulated desk's devices need (see above). */
const DEVICE_POLLS_PER_SECOND = 3 * 5 + 2 * 5 + 1 + 1 + 0.5;
const POLL_CPU_MS = 0.5;

interface Sample {
  cpuMs: number;
  wakeUps: number;
}

/** CPU ms and wake-ups (voluntary context switches) of every thread of `pid` so far. */
function sample(pid: number): Sample {
  let cpuNs = 0;
  let wakeUps = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      cpuNs += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
      wakeUps += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { cpuMs: cpuNs / 1e6, wakeUps };
}

async function usagePerSecond(pids: readonly number[]): Promise<Sample[]> {
  const before = pids.map(sample);
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const seconds = (performance.now() - began) / 1000;
  return pids.map((pid, at) => {
    const after = sample(pid);
    return {
      cpuMs: (after.cpuMs - before[at]!.cpuMs) / seconds,
      wakeUps: (after.wakeUps - before[at]!.wakeUps) / seconds,
    };
  });
}

function hasStrace(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, 'strace')));
}

const STRACE_WINDOW_MS = 60_000;

interface DatabaseCalls {
  /** fcntl (locks) and pread64 (pages read) on the database's files, a minute. */
  calls: number;
  /** Bursts of them (calls less than 500 ms apart are one), a minute: how often the database was worked. */
  bursts: number;
}

/** Calls on files whose path contains `database`, over STRACE_WINDOW_MS of `strace -f -y -tt -p pid`. */
async function databaseCalls(pid: number, database: string, out: string): Promise<DatabaseCalls> {
  const strace: ChildProcess = spawn(
    'strace',
    ['-f', '-y', '-tt', '-e', 'trace=fcntl,pread64', '-o', out, '-p', String(pid)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  strace.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => strace.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, STRACE_WINDOW_MS));
  strace.kill('SIGINT');
  await exited;
  if (!existsSync(out)) throw new Error(`strace wrote nothing: ${stderr.trim()}`);
  let calls = 0;
  let bursts = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line.includes(database) || !/\b(fcntl|pread64)\(/.test(line)) continue;
    calls++;
    // "<tid>  09:13:19.123456 fcntl(…": when it was made.
    const [h, m, sec] = (line.split(/\s+/)[1] ?? '').split(':').map(Number) as [number, number, number];
    const at = ((h * 60 + m) * 60 + sec) * 1000;
    if (at - last > 500) bursts++;
    last = at;
  }
  const perMinute = 60_000 / STRACE_WINDOW_MS;
  return { calls: calls * perMinute, bursts: bursts * perMinute };
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-idle-'));
  const host = await startSimulatorHost();
  const floor = await startBareProcess('floor-process.js', [], /API (http:\S+)\/api\/v1/);
  let daemon: ChildProcess | undefined;
  try {
    const database = join(dir, 'carrel.db');
    const configFile = join(dir, 'carrel.json');
    writeFileSync(configFile, JSON.stringify({ ...externalDeskConfig(host), storage: { path: database } }));
    const started = await spawnCarrel({
      nodeArgs: [...DAEMON_NODE_FLAGS],
      args: [
        cli,
        'start',
        '--config',
        configFile,
        '--http-port',
        '0',
        '--mqtt-port',
        '0',
        '--log-level',
        'warn',
      ],
      cwd: dir,
      env: { ...process.env, ...DAEMON_ENV },
    });
    daemon = started.child;
    for (;;) {
      const response = await fetch(`${started.api}/readyz`).catch(() => undefined);
      if (response?.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, SETTLE_AFTER_START_MS));
    const [ours, bare] = (await usagePerSecond([daemon.pid!, floor.pid])) as [Sample, Sample];
    const results: BenchResult[] = [
      { name: 'floor: CPU', value: bare.cpuMs, unit: 'ms/s' },
      {
        name: 'idle daemon: CPU',
        value: ours.cpuMs,
        unit: 'ms/s',
        target: `≤ 2 × floor + ${DEVICE_POLLS_PER_SECOND} polls/s × ${POLL_CPU_MS * 1000} µs`,
        met: ours.cpuMs <= 2 * bare.cpuMs + DEVICE_POLLS_PER_SECOND * POLL_CPU_MS,
      },
      { name: 'floor: wake-ups (every thread)', value: bare.wakeUps, unit: '/s' },
      {
        name: 'idle daemon: wake-ups (every thread)',
        value: ours.wakeUps,
        unit: '/s',
        target: `≤ floor + 2 × ${DEVICE_POLLS_PER_SECOND} device polls/s`,
        met: ours.wakeUps <= bare.wakeUps + 2 * DEVICE_POLLS_PER_SECOND,
      },
    ];
    if (!hasStrace()) return results;
    const [ourCalls, bareCalls] = await Promise.all([
      databaseCalls(daemon.pid!, database, join(dir, 'daemon.strace')),
      databaseCalls(floor.pid, 'floor.db', join(dir, 'floor.strace')),
    ]);
    return [
      ...results,
      { name: 'floor: database calls (fcntl + pread64)', value: bareCalls.calls, unit: '/min' },
      { name: 'idle daemon: database calls (fcntl + pread64)', value: ourCalls.calls, unit: '/min' },
      { name: 'floor: bursts of database calls', value: bareCalls.bursts, unit: '/min' },
      {
        name: 'idle daemon: bursts of database calls',
        value: ourCalls.bursts,
        unit: '/min',
        target: '≤ 1 (the availability sample, once a minute)',
        met: ourCalls.bursts <= 1,
      },
    ];
  } finally {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((resolve) => daemon?.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    }
    await floor.stop();
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
