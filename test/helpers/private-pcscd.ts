import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { accepts, PCSCD, pcscSkipReason, VPCD_DRIVER } from './pcscd.js';

/**
 * A pcscd of the test's own, for tests that stop it, kill it or unplug its reader: it runs in a
 * mount namespace of its own (`unshare --mount`) with /run/pcscd bound to a temporary folder, so
 * its socket, pid file and clean-up never touch the machine's pcscd that other tests share, and
 * its vpcd reader listens on a free port of its own. The test process reaches it through
 * PCSCLITE_CSOCK_NAME (`socket`), which libpcsclite reads once: set it before the first context.
 */
export interface PrivatePcscd {
  /** pcscd's socket, for PCSCLITE_CSOCK_NAME. */
  readonly socket: string;
  /** The vpcd reader's port: its first reader ("Virtual PCD 00 00") waits for a virtual card here. */
  readonly vpcdPort: number;
  /** The names of the readers pcscd offers (vpcd's two slots per configured reader). */
  readonly readers: readonly string[];
  /** Starts pcscd (again) and waits until its vpcd reader listens. */
  start(): Promise<void>;
  /** Stops pcscd: SIGTERM (a clean stop) or SIGKILL (a crash); waits for it to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Why this machine cannot run a private pcscd (root and unshare are needed besides pcscd and vpcd). */
export function privatePcscdSkipReason(): string | undefined {
  if (!existsSync(PCSCD) || !existsSync(VPCD_DRIVER)) return pcscSkipReason() ?? 'pcscd or vpcd is missing';
  if (process.getuid?.() !== 0) return 'a private pcscd needs root (a mount namespace)';
  const probe = spawnSync('unshare', ['--mount', 'true']);
  if (probe.status !== 0) return 'unshare --mount is not allowed here';
  return undefined;
}

/**
 * A port free a moment ago whose next one is free too, for vpcd's two slots. The next one was not
 * asked before: an outgoing connection's own port there left vpcd's second slot unbound and the
 * start waiting for it (once in CI).
 */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await canListen(port + 1))) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A private pcscd, started: ports found free may still be taken by another process before vpcd
 * binds them, so a start that does not come up is tried again, on a new folder and new ports,
 * `tries` times in all.
 */
export async function startPrivatePcscd(tries = 3): Promise<PrivatePcscd> {
  for (let attempt = 1; ; attempt++) {
    const pcscd = await privatePcscd();
    try {
      await pcscd.start();
      return pcscd;
    } catch (error) {
      await pcscd.dispose();
      if (attempt >= tries) throw error;
    }
  }
}

/**
 * pcscd with one vpcd reader, which has two slots as a two-slot reader (an ACR1252's PICC and SAM)
 * has: "Virtual PCD 00 00" and "Virtual PCD 00 01". (vpcd keeps one socket per slot number, so a
 * second vpcd reader in the same pcscd would take the first one's.)
 */
export async function privatePcscd(timeoutMs = 10_000): Promise<PrivatePcscd> {
  const dir = await mkdtemp(join(tmpdir(), 'carrel-pcscd-'));
  const run = join(dir, 'run');
  const conf = join(dir, 'reader.conf.d');
  await mkdir(run);
  await mkdir(conf);
  // vpcd listens on its port and the one after it (its two slots).
  const port = await freePortPair();
  const hex = `0x${port.toString(16)}`;
  await writeFile(
    join(conf, 'vpcd'),
    `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:${hex}\nLIBPATH ${VPCD_DRIVER}\nCHANNELID ${hex}\n`,
  );
  const ports = [port, port + 1];
  const readers = ['Virtual PCD 00 00', 'Virtual PCD 00 01'];
  const vpcdPort = ports[0]!;
  const socket = join(run, 'pcscd.comm');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };

  return {
    socket,
    vpcdPort,
    readers,
    async start() {
      await stop();
      child = spawn(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          `mount --bind "$1" /run/pcscd && exec "$2" --foreground -c "$3"`,
          'sh',
          run,
          PCSCD,
          conf,
        ],
        { stdio: 'ignore' },
      );
      const started = child;
      exited = new Promise((resolve) => {
        started.once('exit', () => resolve());
        started.once('error', () => resolve());
      });
      const deadline = performance.now() + timeoutMs;
      // vpcd takes each connection for a card and queues few: a port that accepted once is not
      // asked again (connections piling up in its backlog hold a card's connect for a minute).
      const waiting = new Set(ports);
      const listening = async () => {
        if (!(await accepts({ path: socket }))) return false;
        for (const port of waiting) if (await accepts({ host: '127.0.0.1', port })) waiting.delete(port);
        return waiting.size === 0;
      };
      while (!(await listening())) {
        if (started.exitCode !== null || started.signalCode !== null)
          throw new Error(
            `the private pcscd exited (${started.exitCode ?? started.signalCode}) before it listened`,
          );
        if (performance.now() > deadline) {
          await stop('SIGKILL');
          throw new Error(
            `the private pcscd did not listen on ${socket} and vpcd on ${ports.join(', ')} in ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
