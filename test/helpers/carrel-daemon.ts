/**
 * `carrel start` as a child process, for the tests that SIGKILL the daemon and start it again on the
 * same database. It runs the compiled code in dist/: `npm run build` first (`npm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDeskConfig } from '../../src/app/default-desk.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

export interface CarrelDaemon {
  child: ChildProcess;
  /** `http://host:port`, as the daemon announced its API. */
  api: string;
  /** Each simulator's control API (`http://host:port`) by its id, as the daemon's banner lists them. */
  simulators: Map<string, string>;
  /** What it has said so far: its log (stdout) and then its banner (stderr). */
  log: () => string;
}

/**
 * Starts `carrel start --config <configPath>` (with `env` added to this process's environment, and
 * `nodeFlags` before the script: the daemon's own, DAEMON_NODE_FLAGS, where a test needs them);
 * resolves once its banner says where its API and simulators are, rejects with what it logged if it exits first, or — when
 * it has not said so within `timeoutMs` (a daemon held on its own thread) — kills it and rejects.
 */
export function startCarrelDaemon(
  configPath: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
  nodeFlags: readonly string[] = [],
): Promise<CarrelDaemon> {
  const child = spawn(process.execPath, [...nodeFlags, CLI, 'start', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  // Its log (stdout, one JSON object a line), read as it comes so that it never fills the pipe.
  let logged = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    logged += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`carrel did not announce its API within ${timeoutMs} ms (held?): ${stderr}`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /API\s+(http:\/\/\S+)\/api\/v1/.exec(stderr);
      // The banner ends so, after its simulators.
      if (match?.[1] && /Stop with Ctrl-C/.test(stderr)) {
        clearTimeout(timer);
        const simulators = new Map(
          [...stderr.matchAll(/simulator\s+(\S+) \(\S+\): (http:\/\/\S+)/g)].map(([, id, url]) => [
            id!,
            url!,
          ]),
        );
        resolve({ child, api: match[1], simulators, log: () => `${logged}${stderr}` });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`carrel exited (${code ?? signal}): ${stderr}`));
    });
  });
}

/** SIGTERMs the daemon (as systemd stops it for a restart); resolves once it has exited. */
export function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** SIGKILLs the daemon (no chance to tidy up, as a power cut); resolves once it has exited. */
export function killDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Writes `carrel.json` in `dir` for a daemon on a free HTTP port with MQTT off and its database
 * in `dir` (as `carrel.db`, or `storagePath`); `more` adds or replaces top-level settings
 * (devices, offline, payments…). Returns the file's path.
 */
export function writeDaemonConfig(
  dir: string,
  gateway: string,
  more: Record<string, unknown> & { storagePath?: string },
): string {
  const { storagePath, ...settings } = more;
  const configPath = path.join(dir, 'carrel.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 2,
      site: 'library',
      gateway,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'off' },
      storage: { path: storagePath ?? path.join(dir, 'carrel.db') },
      devices: [],
      ...settings,
    }),
  );
  return configPath;
}

/**
 * The simulated desk's config (`carrel start` with none) kept to the `devices` and `simulators` named
 * (by id), on a port the system gives, MQTT off, its database `carrel.db` in `dir`.
 */
export function simulatedDeskConfig(
  dir: string,
  keep: { devices: readonly string[]; simulators: readonly string[] },
) {
  const base = defaultDeskConfig();
  return {
    ...base,
    http: { ...base.http, port: 0 },
    mqtt: { mode: 'off' as const },
    storage: { path: path.join(dir, 'carrel.db') },
    devices: base.devices.filter((device) => keep.devices.includes(device.id)),
    simulators: base.simulators.filter((simulator) => keep.simulators.includes(simulator.id)),
  };
}

/**
 * `carrel start` in a folder of its own that a test SIGKILLs (a power cut, the OOM killer) or
 * SIGTERMs (systemd's stop) and starts again on the same config and database, as systemd does.
 */
export interface RestartableCarrel {
  /** Its folder: the config and the database, removed by `close()`. */
  readonly dir: string;
  readonly configPath: string;
  /** The daemon started last (it may have been killed since); throws before the first start. */
  readonly daemon: CarrelDaemon;
  /** `http://host:port`, as the daemon started last announced its API. */
  readonly api: string;
  /** Whether the daemon started last is still running (false before the first start). */
  running(): boolean;
  /** Starts `carrel start` on the config as it is now; resolves once its banner is out. */
  start(): Promise<CarrelDaemon>;
  /** SIGKILLs the daemon started last; resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERMs the daemon started last; resolves once it has exited. */
  stop(): Promise<void>;
  /** Changes the config file (it takes effect at the next `start()`). */
  changeConfig(change: (config: Record<string, unknown>) => void): void;
  /** Kills a daemon still running and removes the folder. */
  close(): Promise<void>;
}

/**
 * A folder `folderPrefix…` under the system's temporary folder, `writeConfig(dir)` writing the
 * daemon's config there (and giving its path), and the daemon on it, not yet started. With
 * `samePort`, the port the first start was given (HTTP on port 0: one found free beforehand may be
 * taken by another test's process first) is written into the config, so that each start after it
 * comes back where an open page or kiosk dials it again.
 */
export function restartableCarrel(
  folderPrefix: string,
  writeConfig: (dir: string) => string,
  options: { samePort?: boolean } = {},
): RestartableCarrel {
  const dir = mkdtempSync(path.join(tmpdir(), folderPrefix));
  let configPath: string;
  try {
    configPath = writeConfig(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let daemon: CarrelDaemon | undefined;
  const last = (): CarrelDaemon => {
    if (!daemon) throw new Error(`carrel in ${dir} has not been started`);
    return daemon;
  };
  const carrel: RestartableCarrel = {
    dir,
    configPath,
    get daemon() {
      return last();
    },
    get api() {
      return last().api;
    },
    running: () => daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null,
    async start() {
      const first = daemon === undefined;
      daemon = await startCarrelDaemon(configPath);
      if (first && options.samePort) {
        const port = Number(new URL(daemon.api).port);
        carrel.changeConfig((config) => {
          config.http = { ...(config.http as object), port };
        });
      }
      return daemon;
    },
    kill: () => killDaemon(last().child),
    stop: () => stopDaemon(last().child),
    changeConfig(change) {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      change(config);
      writeFileSync(configPath, JSON.stringify(config));
    },
    async close() {
      if (daemon) await killDaemon(daemon.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return carrel;
}

/** The ILS simulator on `port` as the daemon's ILS device (the sample library's kiosk account). */
export function simulatedIlsDevice(port: number): Record<string, unknown> {
  return {
    id: 'ils',
    kind: 'ils',
    user: 'kiosk1',
    password: 'kiosk1pw',
    location: 'MAIN',
    institution: 'RIVERSIDE',
    timeZone: 'Europe/Stockholm',
    requestTimeoutMs: 3000,
    transport: { type: 'tcp', host: '127.0.0.1', port },
  };
}

/**
 * SIGTERMs the daemon and says how it went: `'exited'`, or that it is still running `withinMs`
 * after SIGTERM.
 */
export function exitsOnSigterm(child: ChildProcess, withinMs = 15_000): Promise<string> {
  const exited = stopDaemon(child).then(() => 'exited');
  return Promise.race([
    exited,
    new Promise<string>((resolve) =>
      setTimeout(() => resolve(`still running ${withinMs / 1000} s after SIGTERM`), withinMs),
    ),
  ]);
}
