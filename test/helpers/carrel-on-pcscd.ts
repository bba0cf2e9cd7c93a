/**
 * `carrel start` from the built command (dist/, `npm run build` first) with its card reader on a
 * pcscd of the test's own (private-pcscd.ts: the machine's is never stopped), its output kept,
 * and a wait for the reader's health record to show what a test expects — failing with the last
 * record and the end of the log. For the tests of a card reader whose pcscd goes away.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrivatePcscd } from './private-pcscd.js';
import { until } from './until.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

/** A card reader's health record, as much of it as these tests read. */
export interface ReaderState {
  status: string;
  reason: string | null;
  reconnects: number;
  detail: { cardPresent?: boolean; reads?: number; rejected?: number };
}

export interface CarrelOnPcscd {
  readonly process: ChildProcess;
  /** What it has printed so far, stdout and stderr. */
  log(): string;
  /** Its API's base URL, once it has printed it. */
  api(): string | undefined;
  /** Resolves with the reader's record once `test` holds for it, within 20 s. */
  readerWhen(test: (state: ReaderState) => boolean, what: string): Promise<ReaderState>;
  /** SIGKILLs it, if it still runs. */
  stop(): Promise<void>;
}

/**
 * Starts Carrel on `desk` (written to `dir`/desk.json; it runs in `dir`), talking to `pcscd`;
 * `reader` is the id of the desk's card reader.
 */
export function startCarrelOnPcscd(options: {
  dir: string;
  desk: object;
  pcscd: PrivatePcscd;
  reader?: string;
}): CarrelOnPcscd {
  const { dir, pcscd, reader = 'reader-1' } = options;
  const file = join(dir, 'desk.json');
  writeFileSync(file, JSON.stringify(options.desk));
  const child = spawn(process.execPath, [CLI, 'start', '--config', file, '--log-level', 'info'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CARREL_CONFIG: '', PCSCLITE_CSOCK_NAME: pcscd.socket },
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += String(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const api = () => /API\s+(http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(log)?.[1];
  let last: ReaderState | undefined;
  const readerWhen = (test: (state: ReaderState) => boolean, what: string) =>
    until(
      async () => {
        const at = api();
        const state = at
          ? await fetch(`${at}/devices/${reader}`, { signal: AbortSignal.timeout(1000) })
              .then((response) => response.json() as Promise<ReaderState>)
              .catch(() => undefined)
          : undefined;
        last = state ?? last;
        return state && test(state) ? state : undefined;
      },
      20_000,
      what,
      50,
    ).catch((error: Error) => {
      const exited = child.exitCode ?? child.signalCode;
      const fatal = log.split('\n').find((line) => line.includes('"fatal"'));
      throw new Error(
        `${error.message} (carrel ${exited === null ? 'runs' : `exited: ${exited}`}; reader: ${JSON.stringify(last)}; ${fatal ?? log.slice(-800)})`,
      );
    });
  return {
    process: child,
    log: () => log,
    api,
    readerWhen,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
