import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { printQueueSchema } from '../../src/gateway/families/print-queue/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from './desk.js';

const run = promisify(execFile);
const NEEDED = ['/usr/sbin/cupsd', '/usr/sbin/ippeveprinter', '/usr/sbin/lpadmin', '/usr/bin/lp'];

/**
 * Whether the real-CUPS tests can run here. Without cupsd and ippeveprinter they
 * are skipped on a developer's machine; in CI (CI set) a missing CUPS fails
 * them: `startCups` throws instead.
 */
export function cupsSkipReason(): string | undefined {
  if (NEEDED.every((path) => existsSync(path))) return undefined;
  if (process.env.CI) return undefined;
  return 'cupsd, ippeveprinter or lp not found (apt-get install cups cups-client cups-ipp-utils); CUPS tests skipped';
}

export interface Cups {
  /** The held queue's URL: ipp://127.0.0.1:<port>/printers/public-bw. */
  queueUrl: string;
  server: string;
  /** Submits a document as a library PC would (`lp`), as `user`; resolves with the CUPS job id. */
  submit(
    file: string,
    user: string,
    options?: { title?: string; copies?: number; sides?: string },
  ): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A private cupsd and ippeveprinter (scripts/test-cups), each on a free loopback port. `ownerDocuments`:
 * CUPS-Get-Document only for the job's owner and the system group, as CUPS's default policy has it.
 */
export async function startCups(options: { ownerDocuments?: boolean } = {}): Promise<Cups> {
  const missing = NEEDED.filter((path) => !existsSync(path));
  if (missing.length > 0)
    throw new Error(`CUPS tests need ${missing.join(', ')} (scripts/install-test-deps)`);
  const dir = await mkdtemp(join(tmpdir(), 'carrel-cups-'));
  const { stdout } = await run(
    'bash',
    ['scripts/test-cups', dir, ...(options.ownerDocuments ? ['owner-documents'] : [])],
    { timeout: 30_000 },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  const queueUrl = /CUPS=(\S+)/.exec(line)?.[1];
  const pids = (/PIDS="([^"]*)"/.exec(line)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
  if (!queueUrl) throw new Error(`scripts/test-cups did not start: ${stdout}`);
  const server = new URL(queueUrl.replace(/^ipp:/, 'http:')).host;
  return {
    queueUrl,
    server,
    async submit(file, user, options = {}) {
      const args = ['-h', server, '-d', 'public-bw', '-U', user, '-t', options.title ?? 'Document'];
      if (options.copies) args.push('-n', String(options.copies));
      if (options.sides) args.push('-o', `sides=${options.sides}`);
      const out = await run('lp', [...args, file], { timeout: 10_000 });
      const id = /request id is public-bw-(\d+)/.exec(out.stdout)?.[1];
      if (!id) throw new Error(`lp said: ${out.stdout} ${out.stderr}`);
      return Number(id);
    },
    async stop() {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
      }
      // Each is gone, or 5 s have passed, before its folder is removed.
      const deadline = performance.now() + 5000;
      while (pids.some(alive) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The simulated desk with a print queue `cups-bw` on `cups`'s held queue, followed every 200 ms
 * (`more`: its other settings); resolves once the queue is online.
 */
export async function deskWithCupsQueue(cups: Cups, more: Record<string, unknown> = {}): Promise<TestDesk> {
  const testDesk = await startTestDesk((config) => ({
    ...config,
    devices: [
      ...config.devices,
      printQueueSchema.parse({
        id: 'cups-bw',
        kind: 'print-queue',
        transport: { type: 'ipp', url: cups.queueUrl },
        pollIntervalMs: 200,
        ...more,
      }),
    ],
  }));
  try {
    await waitForDevice(testDesk.api, 'cups-bw', 'online', 20_000);
  } catch (error) {
    await testDesk.stop();
    throw error;
  }
  return testDesk;
}
