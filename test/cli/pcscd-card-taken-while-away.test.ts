/**
 * A patron's card lying on the desk's card reader when the reader went away (its USB cable
 * pulled, pcscd restarted by a package upgrade or a crash), taken off by its patron while the
 * reader was away: once the reader is back with no card on it, that card presented again — the
 * same patron coming back — is a new presentation and is identified. `carrel start` from the
 * built command (dist/, `npm run build` first), with a pcscd of the test's own
 * (test/helpers/private-pcscd.ts): the machine's is never stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentCard, type VirtualCard } from '../../simulators/scanner/virtual-card.js';
import { type PrivatePcscd, privatePcscdSkipReason, startPrivatePcscd } from '../helpers/private-pcscd.js';
import { until } from '../helpers/until.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');
const skip = privatePcscdSkipReason();
if (skip) console.warn(`skipping the card-taken-while-away test: ${skip}`);

interface DeviceState {
  status: string;
  reconnects: number;
  detail: { cardPresent?: boolean; reads?: number; rejected?: number };
}

const UID = Uint8Array.of(0x04, 0xa2, 0x24, 0x96);

describe.skipIf(skip !== undefined)('a card taken off the reader while the reader was away', () => {
  let dir: string;
  let pcscd: PrivatePcscd | undefined;
  let carrel: ChildProcess | undefined;
  let card: VirtualCard | undefined;
  let log = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-pcscd-away-'));
  });
  afterAll(async () => {
    await card?.remove();
    if (carrel && carrel.exitCode === null && carrel.signalCode === null) {
      const exited = new Promise((resolve) => carrel!.once('exit', resolve));
      carrel.kill('SIGKILL');
      await exited;
    }
    await pcscd?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('presented again once the reader is back, it is identified', async () => {
    pcscd = await startPrivatePcscd();
    const desk = {
      version: 2,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { mode: 'off' },
      storage: { path: join(dir, 'state', 'carrel.db') },
      devices: [{ id: 'reader-1', kind: 'scanner', driver: 'pcsc', card: { reader: 'Virtual PCD 00 00' } }],
    };
    const file = join(dir, 'desk.json');
    writeFileSync(file, JSON.stringify(desk));
    carrel = spawn(process.execPath, [CLI, 'start', '--config', file, '--log-level', 'info'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CARREL_CONFIG: '', PCSCLITE_CSOCK_NAME: pcscd.socket },
    });
    carrel.stdout!.on('data', (chunk) => {
      log += String(chunk);
    });
    carrel.stderr!.on('data', (chunk) => {
      log += String(chunk);
    });
    const api = () => /API\s+(http:\/\/127\.0\.0\.1:\d+\/api\/v1)/.exec(log)?.[1];
    let last: DeviceState | undefined;
    const readerWhen = (test: (state: DeviceState) => boolean, what: string) =>
      until(
        async () => {
          const at = api();
          const state = at
            ? await fetch(`${at}/devices/reader-1`, { signal: AbortSignal.timeout(1000) })
                .then((response) => response.json() as Promise<DeviceState>)
                .catch(() => undefined)
            : undefined;
          last = state ?? last;
          return state && test(state) ? state : undefined;
        },
        20_000,
        what,
        50,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (reader: ${JSON.stringify(last)}; ${log.slice(-800)})`);
      });
    await readerWhen((s) => s.status === 'online', 'the reader never came online');

    card = await presentCard({ uid: UID, port: pcscd.vpcdPort });
    await readerWhen((s) => s.detail.reads === 1 && s.detail.cardPresent === true, 'the card was not read');
    // The reader goes away with the card on it; the patron takes the card and leaves.
    await pcscd.stop('SIGKILL');
    await readerWhen((s) => s.status === 'offline', 'the reader never went offline');
    await card.remove();
    card = undefined;
    await pcscd.start();
    await readerWhen(
      (s) => s.status === 'online' && s.reconnects === 1 && s.detail.cardPresent === false,
      'the reader did not come back empty',
    );
    // The reader lies empty a while, as a desk does between patrons: past the first seconds
    // after its return, in which a card left lying on it still shows up (vpcd's polls are a
    // second apart) and is not identified again.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    // The same patron comes back and presents the card.
    card = await presentCard({ uid: UID, port: pcscd.vpcdPort });
    const again = await readerWhen(
      (s) => s.detail.cardPresent === true && (s.detail.reads ?? 0) >= 2,
      'the card presented again after the reader came back was never identified',
    );
    expect(again.detail).toMatchObject({ reads: 2, rejected: 0 });
    expect(log).not.toMatch(/04A22496/i);
  }, 70_000);
});
