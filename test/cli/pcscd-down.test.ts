/**
 * A desk with a PC/SC card reader whose pcscd is not running (not installed, stopped, or its
 * socket elsewhere): `carrel start` from the built command (dist/, `npm run build` first) still
 * serves its API, the reader is offline saying pcscd does not answer, and the rest of the desk
 * works. (The PC/SC binding's context constructor waits for pcscd in a loop on the calling
 * thread: asked with no pcscd, it would hold the whole daemon.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { freePort } from '../helpers/free-port.js';
import { until } from '../helpers/until.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

describe('a card reader whose pcscd is not running', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-pcscd-down-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the daemon serving: the reader is offline saying why, the kiosk scanner online', async () => {
    const desk = structuredClone(defaultDeskConfig()) as unknown as Record<string, unknown> & {
      devices: Array<Record<string, unknown>>;
    };
    const port = await freePort();
    desk.http = { host: '127.0.0.1', port };
    desk.mqtt = { mode: 'embedded', host: '127.0.0.1', port: await freePort() };
    desk.storage = { path: join(dir, 'state', 'carrel.db') };
    desk.devices.push({ id: 'reader-9', kind: 'scanner', driver: 'pcsc', card: { reader: 'ACR122U' } });
    const file = join(dir, 'desk.json');
    writeFileSync(file, JSON.stringify(desk));
    let carrel: ChildProcess | undefined;
    try {
      carrel = spawn(process.execPath, [CLI, 'start', '--config', file, '--log-level', 'silent'], {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, CARREL_CONFIG: '', PCSCLITE_CSOCK_NAME: join(dir, 'no-pcscd', 'pcscd.comm') },
      });
      const device = (id: string) =>
        fetch(`http://127.0.0.1:${port}/api/v1/devices/${id}`, { signal: AbortSignal.timeout(1000) })
          .then((response) => response.json() as Promise<{ status: string; reason: string | null }>)
          .catch(() => undefined);
      const reader = await until(
        async () => {
          const state = await device('reader-9');
          return state?.reason?.includes('pcscd') ? state : undefined;
        },
        20_000,
        'the reader never said pcscd does not answer (is the daemon held?)',
        100,
      );
      expect(reader).toMatchObject({
        status: 'offline',
        reason: expect.stringContaining('pcscd does not answer'),
      });
      await until(async () => ((await device('scanner-1'))?.status === 'online' ? true : undefined), 15_000);
    } finally {
      // A held daemon does not answer SIGTERM.
      carrel?.kill('SIGKILL');
      if (carrel && carrel.exitCode === null && carrel.signalCode === null)
        await new Promise((resolve) => carrel!.once('exit', resolve));
    }
  }, 40_000);
});
