import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import {
  type Json,
  jsonCaller,
  startTestDesk,
  type TestDesk,
  waitForDevice,
  withIlsAt,
} from '../helpers/desk.js';
import { SipRecorder } from '../helpers/sip-recorder.js';
import { until } from '../helpers/until.js';

/**
 * "Renew my loans" in a self-check session as the library system sees it: the desk's SIP2 link
 * goes through a TCP proxy that writes down every message the desk sends to the sample library's
 * ILS simulator, so a test counts the renewals (29) and title lookups (17) the library system had
 * to answer. What the receipt printer printed is read from the printer simulator.
 */
let ils: IlsSimulator;
let wire: SipRecorder;
let desk: TestDesk;
const call = jsonCaller(() => desk.api);

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  wire = await SipRecorder.start(ils.port);
  desk = await startTestDesk((config) => ({ ...withIlsAt(config, wire.port), mqtt: { mode: 'off' } }));
  await waitForDevice(desk.api, 'ils', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await desk?.stop();
  await wire?.close();
  await ils?.close();
});

afterEach(async () => {
  const { sessions } = (await call('GET', '/api/v1/sessions')).body as { sessions: Json[] };
  for (const session of sessions)
    if (session.state === 'open') await call('DELETE', `/api/v1/sessions/${session.id}`);
});

/** The patron's loans at the simulated library are these, each due in a week and never renewed. */
function lend(patron: string, items: readonly string[]): void {
  const library = ils.state;
  for (const loan of library.loansOf(patron)) library.setLoan(library.item(loan.item)!, undefined);
  const due = new Date(Date.now() + 7 * 86_400_000);
  for (const item of items)
    library.setLoan(library.item(item)!, { patron, item, checkedOutAt: new Date(), due, renewals: 0 });
}

const renewalsOf = (item: string) => ils.state.item(item)?.loan?.renewals;

async function openSession(patron: string, pin: string): Promise<string> {
  const opened = await call('POST', '/api/v1/sessions', { mode: 'checkout', patron, pin });
  expect(opened.status).toBe(201);
  return opened.body.id;
}

describe('renewing her loans, as the library system sees it', () => {
  it.each([
    // Björn Müller owes 12.50 EUR, over the library's 10.00 limit.
    {
      who: 'over the fines limit',
      patron: '21000003',
      pin: '3333',
      reason: 'excessive_fines',
      words: 'Outstanding fines and fees too high',
    },
    {
      who: 'blocked',
      patron: '21000005',
      pin: '5555',
      reason: 'patron_blocked',
      words: 'Card blocked, please see staff',
    },
  ])(
    'a patron whose account may not renew ($who) is told once, in the library system’s words, and none of her loans is asked',
    async ({ patron, pin, reason, words }) => {
      const loans = ['31000004', '31000006', '31000008', '31000009', '31000011'];
      lend(patron, loans);
      const id = await openSession(patron, pin);
      const from = wire.sent.length;

      const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
      expect(renewed.status).toBe(409);
      expect(renewed.body.code).toBe(reason);
      expect(renewed.body.screenMessages).toEqual([words]);
      expect(renewed.body.detail).toBe(words);
      // One look at her account (63), and not a renewal (29) nor a title lookup (17) for each loan.
      expect(wire.count('63', from)).toBe(1);
      expect(wire.count('29', from)).toBe(0);
      expect(wire.count('17', from)).toBe(0);
      for (const item of loans) expect(renewalsOf(item)).toBe(0);
      const session = (await call('GET', `/api/v1/sessions/${id}`)).body;
      expect(session.renewals).toEqual([]);
      expect(session.renewing).toBeUndefined();
      lend(patron, []);
    },
    30_000,
  );

  it("takes a refused loan's title from the library system's refusal, with no title lookup of its own", async () => {
    lend('21000001', ['31000001', '31000002']);
    ils.state.item('31000002')!.loan!.renewals = 2; // as many as the library allows
    const id = await openSession('21000001', '1234');
    const from = wire.sent.length;
    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
    expect(renewed.body.renewals).toMatchObject([
      { item: '31000001', ok: true, title: 'Pippi Långstrump' },
      { item: '31000002', ok: false, title: 'Les Misérables', screenMessages: ['Renewal limit reached'] },
    ]);
    expect(wire.count('29', from)).toBe(2);
    expect(wire.count('17', from)).toBe(0);
  }, 30_000);

  it('counts the loans she renewed as renewed on the printed receipt, and the items she borrowed as checked out', async () => {
    lend('21000001', ['31000001', '31000002']); // Pippi Långstrump, Les Misérables
    const id = await openSession('21000001', '1234');
    expect((await call('POST', `/api/v1/sessions/${id}/items`, { item: '31000005' })).body.state).toBe(
      'checked_out',
    ); // Dune
    const renewed = await call('POST', `/api/v1/sessions/${id}/renewals`, {});
    expect(renewed.body.renewals.map((r: Json) => r.ok)).toEqual([true, true]);

    const printer = desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    const ended = await call('POST', `/api/v1/sessions/${id}/end`, { receipt: 'print' });
    expect(ended.body.receipt.kind).toBe('printed');
    const receipt = await until(
      () => (printer.receipts().length > before ? printer.receipts().at(-1) : undefined),
      10_000,
      'the receipt printed',
    );
    expect(receipt.text).toContain('Dune');
    expect(receipt.text).toContain('Pippi Långstrump (renewed)');
    expect(receipt.text).toMatch(/Items checked out:\s+1\s/);
    expect(receipt.text).toMatch(/Items renewed:\s+2\s/);
    lend('21000001', []);
  }, 30_000);
});
