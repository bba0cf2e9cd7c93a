/**
 * A top-up at the print desk while the library system's SIP2 server hangs (it reads every request
 * and answers none: the ILS simulator's `hang` fault, over TCP). Staff hold the patron's cash: the
 * card check waits `printAccounts.deskCardCheckMs` at most, then the top-up is taken as it is with
 * the ILS offline — never for a card the library system answered in time it does not know (one it
 * answers so only later, or says only later was reported lost, expired or blocked, is logged for staff, by ledger entry). The ILS link's request timeout is
 * long here (20 s), as a slow SIP2 server's may be.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { createLogger } from '../../src/core/logger.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
/** What the desk logs, line by line (JSON). */
const logLines: string[] = [];

beforeAll(async () => {
  // printAccounts.deskCardCheckMs as configured by default: 2 s.
  const destination = new PassThrough();
  destination.setEncoding('utf8');
  let partial = '';
  destination.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    logLines.push(...lines);
  });
  testDesk = await startTestDesk(
    (config) => withIls(config, (ils) => ({ ...ils, requestTimeoutMs: 20_000 })),
    createLogger({ level: 'info', format: 'json', destination }),
  );
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const ils = () => testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

const deposit = (patron: string, amountMinor: number) =>
  call('POST', '/print/accounts/deposit', { requestId: randomUUID(), patron, amountMinor, currency: 'EUR' });

const balanceOf = async (patron: string): Promise<number> =>
  (await call('POST', '/print/accounts/find', { patron })).json.statement.balanceMinor;

describe('a top-up at the print desk while the library system hangs', () => {
  it('still refuses a card the library system answers it does not know, when it answers within the wait', async () => {
    ils().setFaults({ latencyMs: 600 });
    try {
      const refused = await deposit('29999998', 300);
      expect(refused.status).toBe(404);
      expect(refused.json).toMatchObject({ code: 'patron_not_found' });
      expect(await balanceOf('29999998')).toBe(0);
      // A card it knows, answered as slowly, is topped up.
      const taken = await deposit('21000002', 300);
      expect(taken.status).toBe(201);
    } finally {
      ils().setFaults({});
    }
  }, 30_000);

  // The cash is in staff hands and the card could not be asked in time: taken, as with the ILS
  // offline, and traceable by its ledger entry once the late answer says what is wrong with it.
  it.each([
    {
      card: '29999997',
      says: 'it does not know the card',
      msg: 'a top-up at the desk taken while the library system did not answer is for a card it says it does not know: check the number on the card with the patron',
    },
    {
      card: '21000007',
      says: 'the card was reported lost',
      msg: 'a top-up at the desk taken while the library system did not answer is for a card it says was reported lost: check the card with the patron, and refund or move the entry',
    },
    {
      card: '21000004',
      says: 'the card has expired',
      msg: 'a top-up at the desk taken while the library system did not answer is for a card it says has expired: check the card with the patron, and refund or move the entry',
    },
  ])(
    'takes a top-up the ILS answers too late for, and logs the entry for staff once it says $says',
    async ({ card, msg }) => {
      ils().setFaults({ latencyMs: 2600 });
      try {
        const taken = await deposit(card, 200);
        expect(taken.status).toBe(201);
        const line = await until(
          () => logLines.find((text) => text.includes(taken.json.entryId)),
          5000,
          'the late answer was not logged',
        );
        expect(JSON.parse(line)).toMatchObject({ level: 'warn', entry: taken.json.entryId, msg });
        expect(logLines.join('\n')).not.toContain(card);
      } finally {
        ils().setFaults({});
      }
    },
    30_000,
  );

  it('is taken within the configured wait, as with the ILS offline, and the staff page hears the card cannot be asked', async () => {
    const before = await balanceOf('21000003');
    ils().setFaults({ hang: true });
    try {
      const started = performance.now();
      const taken = await deposit('21000003', 400);
      const waited = performance.now() - started;
      // It waited for the ILS link's request timeout, 20 s, with the cash in staff hands.
      expect(taken.status).toBe(201);
      expect(taken.json).toMatchObject({ balanceMinor: before + 400, repeated: false });
      expect(waited).toBeGreaterThanOrEqual(1900);
      expect(waited).toBeLessThan(5000);

      // The staff page's look-up of the card says it cannot be asked now, within the same wait.
      const lookUp = Date.now();
      const card = await call('POST', '/print/accounts/find', { patron: '21000003', card: true });
      expect(card.json.card).toEqual({ known: null, name: null });
      expect(Date.now() - lookUp).toBeLessThan(5000);
    } finally {
      ils().setFaults({});
    }
    expect(await balanceOf('21000003')).toBe(before + 400);
  }, 60_000);
});
