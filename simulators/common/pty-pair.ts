import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CarrelError } from '../../src/core/errors.js';

/**
 * Two linked pseudo-terminals made by socat: what is written to one comes out of
 * the other. A simulator opens `devicePath` and plays the device; Carrel (or a
 * test) opens `hostPath` as if it were /dev/ttyUSB0 or /dev/usb/lp0.
 */
export interface PtyPair {
  /** The end Carrel opens, e.g. `<dir>/a` → /dev/pts/3. */
  readonly hostPath: string;
  /** The end the simulated device opens, e.g. `<dir>/b` → /dev/pts/4. */
  readonly devicePath: string;
  /** Stops socat and waits for it to exit. Idempotent. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** Where the two links `a` and `b` are made; a fresh temporary folder when absent (removed on close). */
  dir?: string;
  /** How long socat may take to set up both ptys. */
  startTimeoutMs?: number;
  /** The socat to run; `socat` on the PATH by default. */
  socatPath?: string;
}

/** Thrown when the pair cannot be made: socat missing, or it failed to start. */
export class PtyPairError extends CarrelError {
  constructor(code: 'socat_missing' | 'socat_failed' | 'socat_timeout', message: string) {
    super(code, message);
  }
}

const READY_LINE = /starting data transfer loop/;

export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'carrel-pty-')));
  const hostPath = path.join(dir, 'a');
  const devicePath = path.join(dir, 'b');
  const startTimeoutMs = options.startTimeoutMs ?? 5000;

  const child = spawn(
    options.socatPath ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // A socat that never started (not installed) emits 'error' and no 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const cleanup = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      child.kill('SIGTERM');
    await exited;
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(child, startTimeoutMs);
    await assertLinks([hostPath, devicePath]);
  } catch (error) {
    await cleanup();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    hostPath,
    devicePath,
    close() {
      closing ??= cleanup();
      return closing;
    },
  };
}

function waitUntilReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.stderr?.off('data', onLog);
      child.off('error', onSpawnError);
      child.off('exit', onExit);
      // Keep draining socat's log so a full pipe never blocks it.
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    };
    const onLog = (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (READY_LINE.test(log)) settle();
    };
    const onSpawnError = (error: NodeJS.ErrnoException) => {
      settle(
        error.code === 'ENOENT'
          ? new PtyPairError('socat_missing', "socat is not installed: install Debian's socat")
          : new PtyPairError('socat_failed', `socat could not be started: ${error.message}`),
      );
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const lastLines = log.trim().split('\n').slice(-2).join(' | ');
      settle(new PtyPairError('socat_failed', `socat exited (${signal ?? code}) before ready: ${lastLines}`));
    };
    const timer = setTimeout(
      () => settle(new PtyPairError('socat_timeout', `socat did not set up the ptys within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stderr?.on('data', onLog);
    child.once('error', onSpawnError);
    child.once('exit', onExit);
  });
}

async function assertLinks(paths: string[]): Promise<void> {
  for (const link of paths) {
    const stat = await lstat(link).catch(() => undefined);
    if (!stat?.isSymbolicLink()) throw new PtyPairError('socat_failed', `socat did not create ${link}`);
  }
}
