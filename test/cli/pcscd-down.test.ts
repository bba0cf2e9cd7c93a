/**
 * A desk with a PC/SC card reader whose pcscd is not running (not installed, stopped, or its
 * socket elsewhere): `carrel start` from the built command (dist/, `npm run build` first) still
 * serves its API, the reader is offline saying pcscd does not answer, and the rest of the desk
 * works. (The PC/SC binding's context constructor waits for pcscd in a loop on the calling
 * thread: asked with no pcscd, it would hold the whole daemon.)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { killDaemon, startCarrelDaemon } from '../helpers/carrel-daemon.js';
import { until } from '../helpers/until.js';

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
    // Any free port, as the daemon announces it: no port picked here that another test may take
    // first (a daemon that could not listen never answered, and the test said it was held).
    desk.http = { host: '127.0.0.1', port: 0 };
    desk.mqtt = { mode: 'off' };
    desk.storage = { path: join(dir, 'state', 'carrel.db') };
    desk.devices.push({ id: 'reader-9', kind: 'scanner', driver: 'pcsc', card: { reader: 'ACR122U' } });
    const file = join(dir, 'desk.json');
    writeFileSync(file, JSON.stringify(desk));
    let carrel: ChildProcess | undefined;
    try {
      // A daemon held by the PC/SC binding would not get as far as announcing its API.
      const daemon = await startCarrelDaemon(
        file,
        { CARREL_CONFIG: '', PCSCLITE_CSOCK_NAME: join(dir, 'no-pcscd', 'pcscd.comm') },
        20_000,
      );
      carrel = daemon.child;
      const device = (id: string) =>
        fetch(`${daemon.api}/api/v1/devices/${id}`, { signal: AbortSignal.timeout(1000) })
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
      if (carrel) await killDaemon(carrel);
    }
  }, 40_000);
});
