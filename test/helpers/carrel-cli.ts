import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';

/** The built `carrel` command (`npm run build` first; `npm test` does). */
export const CARREL_CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/src/cli/main.js',
);

/**
 * The node options and environment under which a `carrel` process takes `port` for `alias`: its
 * listens and connects on `port` go to `alias` (test/helpers/port-alias.mjs). For a well-known port
 * (1883) held by a listener of the test's on a port the system gave it.
 */
export function portAlias(port: number, alias: number): { nodeArgs: string[]; env: Record<string, string> } {
  return {
    nodeArgs: [
      '--import',
      pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'port-alias.mjs')).href,
    ],
    env: { CARREL_TEST_PORT_ALIAS: `${port}=${alias}` },
  };
}

/** One check of `carrel doctor --json`. */
export interface DoctorCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  hint?: string;
}

export interface CarrelRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Still running after `stopAfterMs` and sent SIGTERM then (a desk that started where it should not). */
  stopped?: boolean;
}

/**
 * Runs `carrel <args>` to its end without blocking this process's event loop (a desk or broker
 * the test runs in this process goes on meanwhile, as spawnSync would not let it). With
 * `stopAfterMs`, one still running then is stopped (SIGTERM) and said `stopped`: a bound on a
 * failing test, never a wait a passing one sits through.
 */
export function runCarrel(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[]; stopAfterMs?: number } = {},
): Promise<CarrelRun> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CARREL_CLI, ...args], {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let stopped = false;
  const timer =
    options.stopAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          stopped = true;
          child.kill('SIGTERM');
        }, options.stopAfterMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ...(timer && { stopped }) });
    }),
  );
}

/** The simulated desk as `npm start` runs it, started by `startSimulatedDesk`. */
export interface SimulatedDeskProcess {
  /** The API's base URL, `http://127.0.0.1:<port>`. */
  api: string;
  /** What the desk printed on start-up, up to "Stop with Ctrl-C" (its API, broker and simulators). */
  banner: string;
  /** The folder it was started in, where it keeps its state (`.carrel-state/`). */
  dir: string;
  /** Its process id. */
  pid: number;
  /** SIGTERM, wait for the exit, remove the state folder. */
  stop(): Promise<void>;
}

/**
 * `carrel start` with no configuration, as `npm start` runs it (the built CLI, the daemon's node
 * flags), in a fresh state folder and on free ports (or with the port options `ports`); resolves
 * once the banner is out.
 */
export async function startSimulatedDesk(
  prefix = 'carrel-simulated-desk-',
  ports: string[] = ['--http-port', '0', '--mqtt-port', '0'],
  options: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<SimulatedDeskProcess> {
  const stateDir = mkdtempSync(path.join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...options.env };
  delete env.CARREL_CONFIG;
  delete env.STATE_DIRECTORY;
  const nodeArgs = [...DAEMON_NODE_FLAGS, ...(options.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, CARREL_CLI, 'start', ...ports], {
    cwd: stateDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  let said = '';
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (/Stop with Ctrl-C/.test(said)) resolve(said);
      });
      child.once('exit', (code) => reject(new Error(`carrel exited (${code}): ${said}`)));
    });
    const api = /API\s+(http:\/\/\S+)\/api\/v1/.exec(banner)?.[1];
    if (!api) throw new Error(`carrel named no API: ${banner}`);
    return { api, banner, dir: stateDir, pid: child.pid as number, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A `carrel` child process a test drives: how it ended, and what it has said. */
export interface CarrelChild {
  child: ChildProcess;
  exited: Promise<void>;
  /** The last `keepChars` characters of its stdout and stderr, as they came. */
  said: () => string;
}

/** `carrel <args>` in `cwd` (with `env` added to this process's), its output kept as it comes. */
export function spawnCarrel(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; keepChars: number },
): CarrelChild {
  const child = spawn(process.execPath, [CARREL_CLI, ...args], {
    cwd: options.cwd,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let said = '';
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => {
      said = (said + chunk.toString()).slice(-options.keepChars);
    });
  return { child, exited, said: () => said };
}
