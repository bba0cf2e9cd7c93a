import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A library card's issue names its patron and the card's number for staff ("my new card never
 * worked"), and a fee payment its patron's barcode and name — for `patronDataDays` (90 by default
 * for both), not for ever: a desk started after that has forgotten them, in the API and in the
 * database file, and still counts the issue and the money.
 */
const DAY_MS = 86_400_000;
const PATRON = '21000002';
/** The fixture's patron with a €5 fee (F-1002), who pays it at the kiosk. */
const PAYER = '21000003';

let desk: Desk | undefined;
let stateDir: string | undefined;
afterEach(async () => {
  await desk?.stop();
  desk = undefined;
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

async function startDesk(dir: string, clock: Clock): Promise<string> {
  const base = defaultDeskConfig();
  desk = await createDesk({
    config: {
      ...base,
      http: { ...base.http, port: 0 },
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      storage: { ...base.storage, path: join(dir, 'carrel.db') },
    },
    logger: silentLogger(),
    version: 'test',
    clock,
  });
  await desk.start();
  const api = desk.urls().api!.replace(/\/api\/v1$/, '');
  await waitForDevice(api, 'cards-1', 'online', 15_000);
  await waitForDevice(api, 'coins-1', 'online', 15_000);
  return api;
}

/** The database and its log, as bytes: what a disk image of the desk machine would show. */
function databaseBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((name) => name.startsWith('carrel.db'))
      .map((name) => readFileSync(join(dir, name))),
  );
}

describe('card issues and payments forget the patron', () => {
  it('keep patron, card number and payer for staff, and forget them once patronDataDays have passed', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'carrel-card-retention-'));
    let api = await startDesk(stateDir, systemClock);
    const issued = (await (
      await fetch(`${api}/api/v1/cards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron: PATRON, number: 'patron' }),
      })
    ).json()) as { result: string; issueId: string };
    expect(issued.result).toBe('issued');
    const listed = async () =>
      ((await (await fetch(`${api}/api/v1/cards`)).json()) as { issues: Array<Record<string, unknown>> })
        .issues;
    expect((await listed())[0]).toMatchObject({
      issueId: issued.issueId,
      patron: PATRON,
      cardNumber: PATRON,
    });
    const statsBefore = await (await fetch(`${api}/api/v1/cards/stats?days=400`)).json();

    const opened = (await (
      await fetch(`${api}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          patron: PAYER,
          pin: '3333',
          purpose: { kind: 'fees', fees: ['F-1002'] },
          amountDueMinor: 500,
        }),
      })
    ).json()) as { id: string };
    const cash = desk!.simulators.handle(cashSimulators, 'cash-sim')!;
    for (const coin of [200, 200, 100]) expect(cash.insertCoin(coin)).toMatchObject({ accepted: true });
    const payment = async () =>
      (await (await fetch(`${api}/api/v1/payments/${opened.id}`)).json()) as {
        state: string;
        patron: { name: string };
        lines: Array<{ state: string; paidMinor: number }>;
      };
    const paid = await until(async () => {
      const now = await payment();
      return now.state === 'completed' ? now : undefined;
    }, 15_000);
    expect(paid.lines).toEqual([expect.objectContaining({ state: 'posted', paidMinor: 500 })]);
    expect(paid.patron.name).not.toBe('');
    await desk!.stop();
    desk = undefined;
    expect(databaseBytes(stateDir).includes(PATRON)).toBe(true);
    expect(databaseBytes(stateDir).includes(PAYER)).toBe(true);

    // 89 days on: still there.
    const later = (days: number): Clock => ({ ...systemClock, now: () => Date.now() + days * DAY_MS });
    api = await startDesk(stateDir, later(89));
    expect((await listed())[0]).toMatchObject({ patron: PATRON, cardNumber: PATRON });
    expect((await payment()).patron.name).toBe(paid.patron.name);
    await desk!.stop();
    desk = undefined;

    // 91 days on: forgotten at start — in the API, and in the file and its log.
    api = await startDesk(stateDir, later(91));
    expect((await listed())[0]).toMatchObject({
      issueId: issued.issueId,
      result: 'issued',
      patron: '',
      cardNumber: '',
      rfidUid: null,
    });
    expect(await payment()).toMatchObject({
      state: 'completed',
      patron: { name: '' },
      lines: [expect.objectContaining({ state: 'posted', paidMinor: 500 })],
    });
    await desk!.stop();
    desk = undefined;
    expect(databaseBytes(stateDir).includes(PATRON)).toBe(false);
    expect(databaseBytes(stateDir).includes(PAYER)).toBe(false);

    // The statistics count it as before.
    api = await startDesk(stateDir, systemClock);
    expect(await (await fetch(`${api}/api/v1/cards/stats?days=400`)).json()).toEqual(statsBefore);
  });
});
