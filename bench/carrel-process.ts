import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');

/**
 * `CARREL_BENCH_CPU_PROF=<dir>`: the processes `startCarrel` and `startBareProcess` start write
 * CPU profiles there (100 µs samples) when they stop.
 */
export const PROFILE_FLAGS: readonly string[] = process.env.CARREL_BENCH_CPU_PROF
  ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${process.env.CARREL_BENCH_CPU_PROF}`]
  : [];

/**
 * How long a daemon (and a bare process beside it) idles after start before its latencies are
 * measured (gate.ts, scanner.ts): V8 is still collecting the start's garbage — `--trace-gc` of an
 * idle daemon shows its memory reducer's full collections 16–26 s after start (pauses up to 32 ms
 * and incremental steps of 16 ms on a busy machine), after the young generation's trims at 3–9 s.
 * 15 s let them land on the first alarms and scans measured.
 */
export const SETTLE_AFTER_START_MS = 30_000;

/**
 * Spawns `carrel start` with the given node flags and arguments, and resolves
 * with the API's base URL once the daemon prints it. Rejects if the daemon
 * exits first, with what it wrote to stderr.
 */
export async function spawnCarrel(options: {
  nodeArgs: readonly string[];
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<{ child: ChildProcess; api: string }> {
  const child = spawn(process.execPath, [...options.nodeArgs, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const api = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /API\s+(http:\/\/\S+)\/api\/v1/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`carrel exited with ${code}: ${stderr}`)));
  });
  return { child, api };
}

/** A daemon started by `startCarrel`. */
export interface RunningCarrel {
  /** The API's base URL, `http://127.0.0.1:<port>` (routes under `/api/v1`). */
  api: string;
  pid: number;
  /** SIGTERM, wait for the exit, remove the daemon's folder. */
  stop(): Promise<void>;
}

/**
 * Carrel as deployed: `carrel start --config` with a config file holding `devices` (MQTT off,
 * its database in a folder of its own), the daemon's node flags and environment; resolves once
 * /readyz says ready. `build` is another build's output folder (an A/B's "before", `npm run
 * build` of it copied aside); this build's when absent.
 */
export async function startCarrel(devices: unknown[], build?: string): Promise<RunningCarrel> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-daemon-'));
  const configFile = join(dir, 'carrel.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      version: 2,
      site: 'bench',
      gateway: 'bench-1',
      mqtt: { mode: 'off' },
      storage: { path: join(dir, 'carrel.db') },
      devices,
    }),
  );
  const { child, api } = await spawnCarrel({
    nodeArgs: [...DAEMON_NODE_FLAGS, ...PROFILE_FLAGS],
    args: [
      build === undefined ? cli : join(build, 'src', 'cli', 'main.js'),
      'start',
      '--config',
      configFile,
      '--http-port',
      '0',
      '--log-level',
      'warn',
    ],
    cwd: dir,
    env: { ...process.env, ...DAEMON_ENV },
  });
  for (;;) {
    const response = await fetch(`${api}/readyz`).catch(() => undefined);
    if (response?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    api,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A bench script (a floor: `bare-*.js` beside this file) in a process of its own, with the
 * daemon's node flags and environment, so it runs as Carrel does; resolves once it prints a
 * line matching `ready` (on stdout or stderr), with that match.
 */
export async function startBareProcess(
  script: string,
  args: readonly string[],
  ready: RegExp,
): Promise<{ match: RegExpExecArray; pid: number; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [...DAEMON_NODE_FLAGS, ...PROFILE_FLAGS, join(here, script), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...DAEMON_ENV } },
  );
  let out = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4096);
      const found = ready.exec(out);
      if (found) resolve(found);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
  return {
    match,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
