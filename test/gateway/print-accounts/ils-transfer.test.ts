/**
 * Transfers of a patron's ILS credit into the print account, through the print
 * accounts service, against the ILS simulator's Koha-shaped REST API over real
 * HTTP: journaled, debited once, deposited once with source ils-transfer;
 * idempotent by request id; bad input and a failing ILS give clear codes and
 * deposit nothing; a lost answer is settled by looking the debit up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { type Clock, ManualClock, systemClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { KohaRestAccounts } from '../../../src/devices/ils/koha-accounts.js';
import { kohaRestAccountsSchema } from '../../../src/devices/ils/koha-accounts-config.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { until } from '../../helpers/until.js';
import { SAMPLE_FIXTURE } from '../../simulators/ils/paths.js';

const PATRON = '21000010'; // 20.00 in credit
const CREDIT = 2000;

let dir: string;
let db: Database;
let simulator: IlsSimulator;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-ils-transfer-'));
  db = openDatabase(join(dir, 'carrel.db'));
  simulator = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
});

afterEach(async () => {
  await simulator.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function accounts(
  options: { configured?: boolean; timeoutMs?: number; settleAfterMs?: number; clock?: Clock } = {},
) {
  const ils = new KohaRestAccounts(
    kohaRestAccountsSchema.parse({
      kind: 'koha-rest',
      url: simulator.controlUrl,
      clientId: 'carrel-desk',
      clientSecret: 'carrel-desk-secret',
      timeoutMs: options.timeoutMs ?? 2000,
    }),
    { exponent: 2, clock: systemClock },
  );
  return new PrintAccounts({
    config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
    database: () => db,
    queues: () => [],
    clock: options.clock ?? systemClock,
    logger: silentLogger(),
    ...(options.configured === false
      ? {}
      : { ilsTransfer: { accounts: ils, settleAfterMs: options.settleAfterMs ?? 300_000 } }),
  });
}

const ilsPatron = () => simulator.state.patrons.get(PATRON)!;
const transferDeposits = (service: PrintAccounts, patron = PATRON) =>
  service.statement(patron).entries.filter((e) => e.source === 'ils-transfer');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CarrelError) return error.code;
    throw error;
  }
  throw new Error('expected a CarrelError');
}

describe('transfers from the ILS', () => {
  it('debits the ILS once and deposits once, and a retry answers the first transfer', async () => {
    const service = accounts();
    const first = await service.transferFromIls({
      requestId: 'transfer-0001',
      patron: PATRON,
      amountMinor: 500,
      staff: 'desk-1',
    });
    expect(first).toMatchObject({ amountMinor: 500, currency: 'EUR', balanceMinor: 500, repeated: false });
    const again = await service.transferFromIls({
      requestId: 'transfer-0001',
      patron: PATRON,
      amountMinor: 500,
    });
    expect(again).toEqual({ ...first, repeated: true });
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(ilsPatron().creditCents).toBe(CREDIT - 500);
    const deposits = transferDeposits(service);
    expect(deposits).toHaveLength(1);
    expect(deposits[0]).toMatchObject({ id: first.entryId, amountMinor: 500, staff: 'desk-1' });
    expect(service.invariantViolations()).toEqual([]);
  });

  it('the same request twice at once debits once', async () => {
    const service = accounts();
    const request = { requestId: 'transfer-0002', patron: PATRON, amountMinor: 300 };
    const [a, b] = await Promise.all([service.transferFromIls(request), service.transferFromIls(request)]);
    expect(a.entryId).toBe(b.entryId);
    expect([a.repeated, b.repeated].sort()).toEqual([false, true]);
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(transferDeposits(service)).toHaveLength(1);
  });

  it('two transfers for one patron at once: the second sees the credit the first took', async () => {
    const service = accounts();
    const results = await Promise.allSettled([
      service.transferFromIls({ requestId: 'transfer-both-1', patron: PATRON, amountMinor: 1500 }),
      service.transferFromIls({ requestId: 'transfer-both-2', patron: PATRON, amountMinor: 1500 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as CarrelError).code).toBe('ils_credit_insufficient');
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(ilsPatron().creditCents).toBe(CREDIT - 1500);
    expect(ilsPatron().fees).toHaveLength(0); // nothing owed: no debit went past the credit
    expect(transferDeposits(service)).toHaveLength(1);
  });

  it('a request id used for another transfer is refused', async () => {
    const service = accounts();
    await service.transferFromIls({ requestId: 'transfer-0003', patron: PATRON, amountMinor: 100 });
    expect(
      await codeOf(service.transferFromIls({ requestId: 'transfer-0003', patron: PATRON, amountMinor: 200 })),
    ).toBe('request_id_conflict');
    expect(ilsPatron().accountDebits).toHaveLength(1);
  });

  it('bad input: unknown patron, more than the credit, absurd amounts, another currency — nothing moves', async () => {
    const service = accounts();
    const transfer = (patron: string, amountMinor: number, currency?: string) =>
      codeOf(
        service.transferFromIls({
          requestId: `transfer-bad-${patron}-${amountMinor}`,
          patron,
          amountMinor,
          ...(currency ? { currency } : {}),
        }),
      );
    expect(await transfer('29999999', 100)).toBe('ils_patron_not_found');
    expect(await transfer(PATRON, CREDIT + 1)).toBe('ils_credit_insufficient');
    expect(await transfer('21000003', 100)).toBe('ils_credit_insufficient'); // owes, no credit
    expect(await transfer(PATRON, 0)).toBe('amount_invalid');
    expect(await transfer(PATRON, -5)).toBe('amount_invalid');
    expect(await transfer(PATRON, 2_000_000)).toBe('amount_invalid');
    expect(await transfer(PATRON, 1.5)).toBe('amount_invalid');
    expect(await transfer(PATRON, 100, 'USD')).toBe('print_account_currency_mismatch');
    expect(await codeOf(service.transferFromIls({ requestId: 'x', patron: PATRON, amountMinor: 1 }))).toBe(
      'request_id_invalid',
    );
    expect(ilsPatron().accountDebits).toHaveLength(0);
    expect(ilsPatron().creditCents).toBe(CREDIT);
    expect(transferDeposits(service)).toHaveLength(0);
    expect(service.invariantViolations()).toEqual([]);
  });

  it('ILS down or refusing: a clear code, nothing deposited, and the ILS untouched', async () => {
    const service = accounts({ timeoutMs: 300 });
    simulator.setFaults({ rest: { unreachable: true } });
    expect(
      await codeOf(service.transferFromIls({ requestId: 'transfer-down', patron: PATRON, amountMinor: 100 })),
    ).toBe('ils_account_unreachable');
    simulator.setFaults({ rest: { refuse: 403 } });
    expect(
      await codeOf(service.transferFromIls({ requestId: 'transfer-403', patron: PATRON, amountMinor: 100 })),
    ).toBe('ils_account_refused');
    simulator.setFaults({});
    expect(ilsPatron().accountDebits).toHaveLength(0);
    expect(transferDeposits(service)).toHaveLength(0);
    // Nothing was journaled for them: the same ids work once the ILS is back.
    expect(
      await service.transferFromIls({ requestId: 'transfer-down', patron: PATRON, amountMinor: 100 }),
    ).toMatchObject({ repeated: false });
  });

  it('not configured: ils_transfer_unavailable', async () => {
    const service = accounts({ configured: false });
    expect(
      await codeOf(service.transferFromIls({ requestId: 'transfer-0004', patron: PATRON, amountMinor: 100 })),
    ).toBe('ils_transfer_unavailable');
  });

  it('a debit whose answer was lost is looked up and deposited, once', async () => {
    const service = accounts();
    simulator.setFaults({ rest: { loseDebitAnswers: 1 } });
    const result = await service.transferFromIls({
      requestId: 'transfer-lost',
      patron: PATRON,
      amountMinor: 400,
    });
    expect(result).toMatchObject({ amountMinor: 400, balanceMinor: 400 });
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(transferDeposits(service)).toHaveLength(1);
  });

  it('the ILS gone right after the debit: pending, then deposited when it answers again', async () => {
    const service = accounts({ timeoutMs: 300 });
    simulator.setFaults({ rest: { loseDebitAnswers: 1, downAfterLostAnswer: true } });
    const request = { requestId: 'transfer-wait', patron: PATRON, amountMinor: 250 };
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_transfer_pending');
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(transferDeposits(service)).toHaveLength(0);
    // A retry while the ILS is still down: still pending, nothing sent again.
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_transfer_pending');
    simulator.setFaults({});
    await service.settleIlsTransfers();
    expect(transferDeposits(service)).toHaveLength(1);
    expect(await service.transferFromIls(request)).toMatchObject({ repeated: true, balanceMinor: 250 });
    expect(ilsPatron().accountDebits).toHaveLength(1);
    expect(service.invariantViolations()).toEqual([]);
  });

  it('a debit lost on its way: failed with its reason once the ILS says it has none, never sent again', async () => {
    const request = { requestId: 'transfer-gone', patron: PATRON, amountMinor: 150 };
    // Young rows wait: a debit still on its way may land.
    const patient = accounts();
    simulator.setFaults({ rest: { dropDebits: 1 } });
    expect(await codeOf(patient.transferFromIls(request))).toBe('ils_transfer_pending');
    // Old enough (settleAfterMs 0 here): the ILS has no debit, so nothing moved and the row fails.
    const service = accounts({ settleAfterMs: 0 });
    await service.settleIlsTransfers();
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_debit_not_found');
    expect(ilsPatron().accountDebits).toHaveLength(0);
    expect(ilsPatron().creditCents).toBe(CREDIT);
    expect(transferDeposits(service)).toHaveLength(0);
    expect(service.invariantViolations()).toEqual([]);
  });

  it('waits five minutes passed for a debit on its way before failing it, whatever NTP does to the wall clock', async () => {
    const clock = new ManualClock(Date.now());
    const service = accounts({ clock });
    const request = { requestId: 'transfer-step', patron: PATRON, amountMinor: 150 };
    simulator.setFaults({ rest: { dropDebits: 1 } });
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_transfer_pending');
    // The desk's clock stepped an hour forward a few seconds later: the debit may still land.
    clock.stepWallClock(3_600_000);
    await clock.advance(5_000);
    await service.settleIlsTransfers();
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_transfer_pending');
    // Stepped two hours back: five minutes after the transfer, the ILS having none, it fails.
    clock.stepWallClock(-2 * 3_600_000);
    await clock.advance(295_000);
    await service.settleIlsTransfers();
    expect(await codeOf(service.transferFromIls(request))).toBe('ils_debit_not_found');
    expect(ilsPatron().creditCents).toBe(CREDIT);
    expect(transferDeposits(service)).toHaveLength(0);
  });
});

describe('pending transfers followed at a running desk', () => {
  it('wakes nothing while none is pending; one left pending is settled by the round, which then stops', async () => {
    const clock = new ManualClock(Date.now());
    const service = accounts({ clock, timeoutMs: 300 });
    await service.start();
    try {
      // Nothing pending: no round, however long the desk idles.
      await clock.advance(10 * 60_000);
      expect(clock.pending()).not.toContain('print-ils-transfer-settle');
      simulator.setFaults({ rest: { loseDebitAnswers: 1, downAfterLostAnswer: true } });
      const request = { requestId: 'transfer-followed', patron: PATRON, amountMinor: 250 };
      expect(await codeOf(service.transferFromIls(request))).toBe('ils_transfer_pending');
      expect(clock.pending()).toContain('print-ils-transfer-settle');
      // The ILS answers again: the next round (a minute) deposits it, nobody asking, and stops.
      simulator.setFaults({});
      await clock.advance(60_000);
      await until(() => (transferDeposits(service).length === 1 ? true : undefined), 5_000);
      await until(() => (!clock.pending().includes('print-ils-transfer-settle') ? true : undefined), 5_000);
      expect(ilsPatron().accountDebits).toHaveLength(1);
    } finally {
      await service.stop();
    }
  });
});

describe('the list of transfers staff look into', () => {
  it("lists a patron's transfers newest first, and the pending ones of every patron, with what happened", async () => {
    const service = accounts({ timeoutMs: 300 });
    const done = await service.transferFromIls({
      requestId: 'transfer-list-1',
      patron: PATRON,
      amountMinor: 300,
      staff: 'desk-1',
    });
    simulator.setFaults({ rest: { dropDebits: 1 } });
    expect(
      await codeOf(
        service.transferFromIls({ requestId: 'transfer-list-2', patron: PATRON, amountMinor: 200 }),
      ),
    ).toBe('ils_transfer_pending');
    simulator.setFaults({});

    const mine = service.ilsTransfers({ patron: PATRON });
    expect(mine.map((t) => [t.requestId, t.state])).toEqual([
      ['transfer-list-2', 'pending'],
      ['transfer-list-1', 'deposited'],
    ]);
    expect(mine[1]).toMatchObject({
      transferId: done.transferId,
      patron: PATRON,
      amountMinor: 300,
      currency: 'EUR',
      entryId: done.entryId,
      ilsDebitId: done.ilsDebitId,
      failure: null,
      staff: 'desk-1',
    });
    expect(Date.parse(mine[1]!.createdAt)).toBeGreaterThan(0);
    expect(service.ilsTransfers({ patron: '21000001' })).toEqual([]);
    expect(service.ilsTransfers({ state: 'pending' }).map((t) => t.requestId)).toEqual(['transfer-list-2']);
    expect(service.ilsTransfers({ limit: 1 }).map((t) => t.requestId)).toEqual(['transfer-list-2']);

    // Once the ILS says it never took the debit, the row is failed with its reason.
    await accounts({ settleAfterMs: 0 }).settleIlsTransfers();
    const [failed] = service.ilsTransfers({ state: 'failed' });
    expect(failed).toMatchObject({
      requestId: 'transfer-list-2',
      entryId: null,
      failure: { code: 'ils_debit_not_found' },
    });
  });
});
