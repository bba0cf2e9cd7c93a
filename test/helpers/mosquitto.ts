import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { makeSignedCertificate } from './tls-ca.js';

/** Where Debian's mosquitto package puts the broker. */
export const MOSQUITTO_PATH = process.env.MOSQUITTO_PATH ?? '/usr/sbin/mosquitto';

export interface MosquittoBroker {
  url: string;
  port: number;
  /** Has the broker read its password and ACL files again (SIGHUP), as IT does after editing them. */
  reload(): void;
  /** Kills the broker (SIGTERM, then SIGKILL) and removes its temporary config. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Whether the Mosquitto tests can run here. Without the binary they are skipped
 * on a developer's machine, but in CI (CI set) a missing broker is a failure:
 * `startMosquitto` then throws instead of the suite being skipped.
 */
export function mosquittoSkipReason(): string | undefined {
  if (existsSync(MOSQUITTO_PATH)) return undefined;
  if (process.env.CI) return undefined;
  return `${MOSQUITTO_PATH} not found (apt-get install mosquitto); Mosquitto tests skipped`;
}

/** Where Debian's mosquitto package puts the password tool. */
export const MOSQUITTO_PASSWD_PATH = process.env.MOSQUITTO_PASSWD_PATH ?? '/usr/bin/mosquitto_passwd';

/** Writes a Mosquitto password file at `path` with `mosquitto_passwd -b`, one entry per user. */
export function writeMosquittoPasswords(path: string, users: Record<string, string>): void {
  for (const [i, [user, password]] of Object.entries(users).entries()) {
    execFileSync(MOSQUITTO_PASSWD_PATH, [...(i === 0 ? ['-c'] : []), '-b', path, user, password], {
      stdio: 'ignore',
    });
  }
}

export interface MosquittoOptions {
  /** 0 or omitted: a free port; a port number to come back on the same one. */
  port?: number;
  startTimeoutMs?: number;
  /**
   * Prepares extra files in the broker's temporary folder `dir` (a password
   * file, an ACL file…) and returns extra mosquitto.conf lines. Without an
   * `allow_anonymous` line among them the broker accepts anonymous clients.
   */
  configure?: (dir: string) => string[] | Promise<string[]>;
}

/** How many fresh ports a broker without a `port` of its own is tried on before the start fails. */
const PORT_TRIES = 5;

/** Mosquitto's words when its listener's port is held by another process. */
const PORT_TAKEN = /Error: Address already in use/;

/**
 * Starts a real Mosquitto on 127.0.0.1 (a free port, or `port` to come back on
 * the same one), anonymous unless `configure` says otherwise, without
 * persistence: a restarted broker has lost every retained message. Resolves
 * once the broker says it is running.
 *
 * Mosquitto cannot listen on a port the system gives it and say which, so it is told a port found
 * free a moment before; on a busy machine another process may take that port first. Such a start
 * (Mosquitto: "Address already in use") is tried again on a fresh port, up to PORT_TRIES ports; a
 * broker given its `port` (coming back where it was) is started there once.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  if (!existsSync(MOSQUITTO_PATH)) {
    throw new Error(`${MOSQUITTO_PATH} not found: the Mosquitto tests need the mosquitto package`);
  }
  if (options.port) return startMosquittoOn(options.port, options);
  for (let tried = 1; ; tried++) {
    try {
      return await startMosquittoOn(await freePort(), options);
    } catch (error) {
      if (!(error instanceof Error && PORT_TAKEN.test(error.message)) || tried === PORT_TRIES) throw error;
    }
  }
}

/** One start of Mosquitto on `port`; rejects with what the broker logged if it does not run there. */
async function startMosquittoOn(port: number, options: MosquittoOptions): Promise<MosquittoBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'carrel-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  let extra: string[];
  try {
    extra = (await options.configure?.(dir)) ?? [];
    // Started as root, Mosquitto drops to the mosquitto user, who must read these files.
    await chmod(dir, 0o755);
    for (const file of await readdir(dir)) await chmod(join(dir, file), 0o644);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const anonymous = extra.some((line) => line.startsWith('allow_anonymous')) ? [] : ['allow_anonymous true'];
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      ...anonymous,
      ...extra,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO_PATH, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Should the test process end without stop(), the broker goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  let log = '';
  try {
    await waitUntilRunning(
      child,
      () => log,
      (chunk) => {
        log = (log + chunk).slice(-4000);
      },
      options.startTimeoutMs ?? 10_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    reload() {
      child.kill('SIGHUP');
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function waitUntilRunning(
  child: ChildProcess,
  log: () => string,
  append: (chunk: string) => void,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      append(chunk.toString('utf8'));
      // Printed after every listener is open.
      if (/mosquitto version \S+ running/.test(log())) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (${code ?? signal}) at start`);
    const onError = (error: Error) => fail(error.message);
    function cleanup() {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining stderr so a chatty broker never blocks on a full pipe.
      child.stderr?.resume();
    }
    function fail(why: string) {
      cleanup();
      reject(new Error(`mosquitto ${why}:\n${log()}`));
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * A Mosquitto listening over TLS with a certificate `certName` made out for `altNames`, signed by
 * the CA `ca` made in `caDir` (tls-ca.ts's makeTestCa); `extra` adds lines to its configuration;
 * `port` brings it back on a port an earlier one had (a broker restarted with another certificate).
 */
export function startTlsMosquitto(
  caDir: string,
  ca: string,
  certName: string,
  altNames: string,
  extra: (brokerDir: string) => string[] = () => [],
  port?: number,
): Promise<MosquittoBroker> {
  return startMosquitto({
    ...(port !== undefined && { port }),
    configure: (brokerDir) => {
      for (const file of [`${ca}.pem`, `${ca}.key`]) copyFileSync(join(caDir, file), join(brokerDir, file));
      const { cert, key } = makeSignedCertificate(brokerDir, ca, certName, altNames);
      return [
        `cafile ${join(brokerDir, `${ca}.pem`)}`,
        `certfile ${cert}`,
        `keyfile ${key}`,
        ...extra(brokerDir),
      ];
    },
  });
}
