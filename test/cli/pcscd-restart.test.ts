/**
 * pcscd stopped under a running desk (a package upgrade restarts it, it crashes, a USB reader's
 * glitch takes it down) and started again, with the reader's other slots and a second reader
 * attached as desks have them (an ACR1252's PICC and SAM slots): `carrel start` from the built
 * command (dist/, `npm run build` first) keeps serving, the reader is offline saying pcscd does
 * not answer, comes back by itself, and reads the next card. The test's pcscd is its own
 * (test/helpers/private-pcscd.ts): the machine's is never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentCard, type VirtualCard } from '../../simulators/scanner/virtual-card.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { type CarrelOnPcscd, type ReaderState, startCarrelOnPcscd } from '../helpers/carrel-on-pcscd.js';
import { type PrivatePcscd, privatePcscdSkipReason, startPrivatePcscd } from '../helpers/private-pcscd.js';
import { until } from '../helpers/until.js';

const skip = privatePcscdSkipReason();
if (skip) console.warn(`skipping the pcscd restart test: ${skip}`);

describe.skipIf(skip !== undefined)('a card reader whose pcscd stops and starts again', () => {
  let dir: string;
  let pcscd: PrivatePcscd | undefined;
  let carrel: CarrelOnPcscd | undefined;
  let card: VirtualCard | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-pcscd-restart-'));
  });
  afterAll(async () => {
    await card?.remove();
    await carrel?.stop();
    await pcscd?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the desk keeps serving, the reader says pcscd is gone, comes back and reads the next card', async () => {
    pcscd = await startPrivatePcscd();
    const desk = structuredClone(defaultDeskConfig()) as unknown as Record<string, unknown> & {
      devices: Array<Record<string, unknown>>;
    };
    // Ports the system gives Carrel as it listens (a port found free beforehand may be taken by
    // another test's process before Carrel binds it: EADDRINUSE, once in CI); the API's is read
    // from what `carrel start` prints.
    desk.http = { host: '127.0.0.1', port: 0 };
    desk.mqtt = { mode: 'embedded', host: '127.0.0.1', port: 0 };
    desk.storage = { path: join(dir, 'state', 'carrel.db') };
    desk.devices.push({
      id: 'reader-1',
      kind: 'scanner',
      driver: 'pcsc',
      card: { reader: 'Virtual PCD 00 00' },
    });
    carrel = startCarrelOnPcscd({ dir, desk, pcscd });
    const { readerWhen, api } = carrel;
    const exitCode = () => carrel!.process.exitCode;
    await readerWhen((s) => s.status === 'online', 'the reader never came online');

    // pcscd killed (a crash; a restart is the same to its clients) with a card on the reader,
    // the card taken off while it is away; four times, as which of the binding's waits hears of
    // it first differs each time.
    for (let round = 1; round <= 4; round++) {
      card = await presentCard({ uid: Uint8Array.of(0x04, 0xa2, 0x24, 0x90 + round), port: pcscd.vpcdPort });
      await readerWhen(
        (s) => s.detail.reads === round && s.detail.cardPresent === true,
        `card ${round} was not read`,
      );
      await pcscd.stop('SIGKILL');
      const away = await readerWhen(
        (s) => s.status === 'offline' && (s.reason ?? '').includes('pcscd does not answer'),
        `the reader never said pcscd does not answer (round ${round})`,
      );
      expect(exitCode()).toBeNull();
      expect(carrel.process.signalCode).toBeNull();
      expect(away.detail.cardPresent).not.toBe(true);
      await card.remove();
      card = undefined;
      await pcscd.start();
      const back = await readerWhen(
        (s) => s.status === 'online' && s.reconnects === round,
        `the reader did not come back (round ${round})`,
      );
      expect(back.detail).toMatchObject({ cardPresent: false, reads: round });
    }
    // A card left lying on the reader while pcscd restarts is the same card: not identified
    // again (a kiosk would log its patron in for whoever comes next). Put down anew, it is.
    const LEFT = Uint8Array.of(0x04, 0xa2, 0x24, 0x95);
    card = await presentCard({ uid: LEFT, port: pcscd.vpcdPort });
    await readerWhen((s) => s.detail.reads === 5 && s.detail.cardPresent === true, 'card 5 was not read');
    await pcscd.stop('SIGKILL');
    await readerWhen((s) => s.status === 'offline', 'the reader never went offline (card left on it)');
    await card.remove();
    await pcscd.start();
    // Still in the reader's field: the reader powers it again.
    card = await presentCard({ uid: LEFT, port: pcscd.vpcdPort });
    const leftOn = card;
    await until(
      () => (leftOn.commands.includes('FFCA000000') ? true : undefined),
      20_000,
      'the card left on the reader was not read when it came back',
    );
    // Its UID was read; an identification would follow within milliseconds: give it a second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const seen = await readerWhen((s) => s.status === 'online', 'the reader did not come back');
    expect(seen.detail).toMatchObject({ cardPresent: true, reads: 5, rejected: 0 });
    await card.remove();
    card = undefined;
    await readerWhen((s) => s.detail.cardPresent === false, 'the card left on it was not seen taken off');
    card = await presentCard({ uid: LEFT, port: pcscd.vpcdPort });
    const again = await readerWhen(
      (s) => s.detail.cardPresent === true && (s.detail.reads ?? 0) >= 6,
      'the card put down anew was not read',
    );
    expect(again.detail).toMatchObject({ reads: 6, rejected: 0 });

    expect(exitCode()).toBeNull();
    const kiosk = (await (await fetch(`${api()}/devices/scanner-1`)).json()) as ReaderState;
    expect(kiosk.status).toBe('online');

    const log = carrel.log();
    const lines = log.split('\n').filter((line) => line.includes('"reader-1"'));
    // Said when it went and when it came back, not once per retry.
    expect(lines.length).toBeLessThan(20);
    expect(log).not.toMatch(/04A2249[1-5]/i);
    expect(log).not.toContain('uncaught');
  }, 90_000);
});
