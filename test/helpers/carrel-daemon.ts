/**
 * `carrel start` as a child process, for the tests that SIGKILL the daemon and start it again on the
 * same database. It runs the compiled code in dist/: `npm run build` first (`npm test` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
