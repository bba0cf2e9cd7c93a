/**
 * A patron's card lying on the desk's card reader when the reader went away (its USB cable
 * pulled, pcscd restarted by a package upgrade or a crash), taken off by its patron while the
 * reader was away: once the reader is back with no card on it, that card presented again — the
 * same patron coming back — is a new presentation and is identified. `carrel start` from the
 * built command (dist/, `npm run build` first), with a pcscd of the test's own
 * (test/helpers/private-pcscd.ts): the machine's is never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentCard, type VirtualCard } from '../../simulators/scanner/virtual-card.js';
import { type CarrelOnPcscd, startCarrelOnPcscd } from '../helpers/carrel-on-pcscd.js';
import { type PrivatePcscd, privatePcscdSkipReason, startPrivatePcscd } from '../helpers/private-pcscd.js';

const skip = privatePcscdSkipReason();
if (skip) console.warn(`skipping the card-taken-while-away test: ${skip}`);

const UID = Uint8Array.of(0x04, 0xa2, 0x24, 0x96);

describe.skipIf(skip !== undefined)('a card taken off the reader while the reader was away', () => {
  let dir: string;
  let pcscd: PrivatePcscd | undefined;
  let carrel: CarrelOnPcscd | undefined;
  let card: VirtualCard | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-pcscd-away-'));
  });
  afterAll(async () => {
    await card?.remove();
    await carrel?.stop();
    await pcscd?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('presented again once the reader is back, it is identified', async () => {
    pcscd = await startPrivatePcscd();
    carrel = startCarrelOnPcscd({
      dir,
      pcscd,
      desk: {
        version: 2,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'off' },
        storage: { path: join(dir, 'state', 'carrel.db') },
        devices: [{ id: 'reader-1', kind: 'scanner', driver: 'pcsc', card: { reader: 'Virtual PCD 00 00' } }],
      },
    });
    const { readerWhen } = carrel;
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
    expect(carrel.log()).not.toMatch(/04A22496/i);
  }, 70_000);
});
