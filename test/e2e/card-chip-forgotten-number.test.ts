import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

const DAY_MS = 86_400_000;

/**
 * The issue records forget a card's number with its patron `patronDataDays` (90 by default) after
 * the issue. A card printed then and never encoded, found again later (a drawer, the next shift) and
 * laid on the card pad, has no number left to write: its chip is not encoded — refused in words,
 * 409 card_number_forgotten — nothing is written on it and its record stays as it was. A card whose
 * chip was encoded keeps that it was: forgotten, it is still a working card, and its chip is not
 * given up (409 card_chip_encoded), though the chip's UID, which a reader could tell the card by, is
 * gone with the patron.
 */
describe('a card whose number the records have forgotten', () => {
  let testDesk: TestDesk | undefined;
  let stateDir: string | undefined;
  afterEach(async () => {
    await testDesk?.stop();
    testDesk = undefined;
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** The simulated desk on the database in `dir`, on `clock`, its card printer and pad online. */
  async function startDesk(dir: string, clock: Clock): Promise<TestDesk> {
    const desk = await startTestDesk(
      (config) => ({ ...config, storage: { ...config.storage, path: join(dir, 'carrel.db') } }),
      undefined,
      clock,
    );
    await waitForDevice(desk.api, 'cards-1', 'online', 15_000);
    await waitForDevice(desk.api, 'card-pad', 'online', 15_000);
    return desk;
  }

  async function call(desk: TestDesk, method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await fetch(`${desk.api}/api/v1${path}`, {
      method,
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    return { status: response.status, json: (await response.json()) as any };
  }

  it('refuses to encode its chip, in words, writes nothing and keeps its record as it was', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'carrel-card-forgotten-'));
    testDesk = await startDesk(stateDir, systemClock);
    const issued = await call(testDesk, 'POST', '/cards', { patron: '21000002', number: 'allocate' });
    expect(issued.json).toMatchObject({ result: 'issued', rfidUid: null, chipGivenUpAt: null });
    await testDesk.stop();
    testDesk = undefined;

    // 91 days on, the desk started again: the issue's number and patron are forgotten.
    testDesk = await startDesk(stateDir, { ...systemClock, now: () => Date.now() + 91 * DAY_MS });
    const desk = testDesk;
    const forgotten = (await call(desk, 'GET', '/cards?limit=5')).json.issues[0];
    expect(forgotten).toMatchObject({
      issueId: issued.json.issueId,
      result: 'issued',
      cardNumber: '',
      patron: '',
      replacedBy: null,
      rfidUid: null,
      chipGivenUpAt: null,
    });
    // The card, found again, laid alone on the card pad: its chip blank, it could be written.
    const pad = desk.desk.simulators.handle(rfidPadSimulators, 'card-pad-sim')!;
    const uid = String(pad.place({ preset: 'blank' }).uid);
    const padTags = async (): Promise<Array<{ uid: string; item: unknown }>> =>
      (await call(desk, 'GET', '/rfid/card-pad/tags')).json.tags ?? [];
    await expect.poll(async () => (await padTags()).map((tag) => tag.uid), { timeout: 5000 }).toEqual([uid]);

    const refused = await call(desk, 'POST', `/cards/${issued.json.issueId}/rfid`);
    expect(refused).toMatchObject({
      status: 409,
      json: {
        code: 'card_number_forgotten',
        title: 'The card’s number is no longer kept',
        detail:
          'its card number is no longer kept (the issue records forget it 90 days after the issue), so nothing was written: print the patron a new card and encode that one’s chip',
      },
    });
    expect((await call(desk, 'GET', '/cards?limit=5')).json.issues[0]).toEqual(forgotten);
    // The chip as it came: blank, no empty number written on it.
    expect(await padTags()).toEqual([
      expect.objectContaining({ uid, item: expect.objectContaining({ format: 'blank' }) }),
    ]);
  });
  it('keeps that a forgotten card’s chip was encoded, and refuses to give that chip up', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'carrel-card-forgotten-'));
    testDesk = await startDesk(stateDir, systemClock);
    const issued = await call(testDesk, 'POST', '/cards', { patron: '21000002', number: 'allocate' });
    expect(issued.json).toMatchObject({ result: 'issued', rfidUid: null });
    // The card as it came out of the printer, laid alone on the card pad with its blank chip.
    const firstDesk = testDesk;
    await expect
      .poll(async () => ((await call(firstDesk, 'GET', '/rfid/card-pad/tags')).json.tags ?? []).length, {
        timeout: 5000,
      })
      .toBe(1);
    const encoded = await call(testDesk, 'POST', `/cards/${issued.json.issueId}/rfid`);
    expect(encoded).toMatchObject({ status: 200, json: { chipGivenUpAt: null } });
    expect(encoded.json.rfidUid).toMatch(/^[0-9A-F]{16}$/);
    await testDesk.stop();
    testDesk = undefined;

    // 91 days on: the patron, the number and the chip's UID are forgotten; that it was encoded is not.
    testDesk = await startDesk(stateDir, { ...systemClock, now: () => Date.now() + 91 * DAY_MS });
    const desk = testDesk;
    // A working card is not thrown away by a press of Thrown away: refused in words, nothing recorded.
    const refused = await call(desk, 'POST', `/cards/${issued.json.issueId}/chip-given-up`);
    expect(refused).toMatchObject({
      status: 409,
      json: {
        code: 'card_chip_encoded',
        detail:
          'its chip is encoded already, so it was not given up: the card works as it is — if it is spoilt or lost, print a new card (Reprint, which replaces it) and block this one in the ILS',
      },
    });
    const record = (await call(desk, 'GET', '/cards?limit=5')).json.issues[0];
    expect(record).toMatchObject({
      issueId: issued.json.issueId,
      result: 'issued',
      cardNumber: '',
      patron: '',
      rfidUid: null,
      chipEncoded: true,
      chipGivenUpAt: null,
    });
    expect(JSON.stringify(record)).not.toContain(encoded.json.rfidUid);
  });
});
