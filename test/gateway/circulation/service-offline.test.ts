import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { IlsError } from '../../../src/devices/ils/index.js';
import {
  CirculationRefusal,
  type CirculationTransaction,
  IlsCirculation,
  OFFLINE_SCREEN_MESSAGE,
} from '../../../src/gateway/circulation/index.js';
import type { OfflineIntake } from '../../../src/gateway/contracts/offline.js';
import { OfflineError, type OfflineTransactionInput } from '../../../src/gateway/offline/index.js';

/** The service's offline path over a stand-in client and a fake journal. */
function fakeIls(overrides: Record<string, unknown>): IlsClient {
  return { config: { timeZone: 'UTC' }, ...overrides } as unknown as IlsClient;
}

function fakeJournal(refuse?: OfflineError): OfflineIntake & { taken: OfflineTransactionInput[] } {
  const taken: OfflineTransactionInput[] = [];
  return {
    taken,
    accept(tx) {
      if (refuse) throw refuse;
      taken.push(tx);
      return { id: `tx-${taken.length}`, sequence: taken.length };
    },
  };
}

const failing = (error: Error) => async () => {
  throw error;
};

function serviceWith(ils: () => IlsClient, offline: OfflineIntake, seen: CirculationTransaction[] = []) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0));
  return new IlsCirculation({ ils, offline, clock, onTransaction: (t) => seen.push(t) });
}

describe('IlsCirculation offline', () => {
  it.each([
    ['ils_offline', new IlsError('ils_offline', 'not connected')],
    ['ils_connection_lost', new IlsError('ils_connection_lost', 'dropped', { requestSent: true })],
    ['ils_timeout', new IlsError('ils_timeout', 'no answer', { requestSent: true })],
  ])(
    'journals a checkout the ILS cannot be reached for (%s) and answers it offline',
    async (_code, error) => {
      const journal = fakeJournal();
      const seen: CirculationTransaction[] = [];
      const service = serviceWith(() => fakeIls({ checkout: failing(error) }), journal, seen);
      const answer = await service.checkout(
        { patron: 'P1', pin: '1234', item: 'I1' },
        { terminal: 'kiosk-1' },
      );
      expect(answer).toEqual({
        ok: true,
        offline: true,
        transaction: { id: 'tx-1', sequence: 1 },
        item: { id: 'I1' },
        dueDate: null,
        screenMessages: [OFFLINE_SCREEN_MESSAGE],
      });
      expect(journal.taken).toEqual([
        { kind: 'checkout', patron: 'P1', item: 'I1', terminal: 'kiosk-1', at: Date.UTC(2026, 10, 23, 10) },
      ]);
      expect(JSON.stringify(journal.taken)).not.toContain('1234');
      expect(seen).toEqual([{ kind: 'checkout', terminal: 'kiosk-1', outcome: 'ok', offline: true }]);
    },
  );

  it('journals a checkin when the ILS link is not running at all', async () => {
    const journal = fakeJournal();
    const service = serviceWith(() => {
      throw new CarrelError('unavailable', 'the ILS link is not running');
    }, journal);
    const answer = await service.checkin({ item: 'I2' });
    expect(answer).toMatchObject({ ok: true, offline: true, item: { id: 'I2' }, dueDate: null });
    expect(journal.taken).toEqual([
      { kind: 'checkin', item: 'I2', terminal: 'desk', at: expect.any(Number) },
    ]);
  });

  it('answers offline false when the ILS did it', async () => {
    const journal = fakeJournal();
    const service = serviceWith(
      () =>
        fakeIls({
          checkin: async () => ({
            message: {
              type: 'checkinResponse',
              ok: true,
              resensitize: true,
              magneticMedia: 'unknown',
              alert: false,
              transactionDate: '20261123    100000',
              institutionId: 'LIB',
              itemIdentifier: 'I2',
              permanentLocation: 'MAIN',
              titleIdentifier: 'Dune',
            },
          }),
        }),
      journal,
    );
    expect(await service.checkin({ item: 'I2' })).toMatchObject({
      ok: true,
      offline: false,
      item: { id: 'I2' },
    });
    expect(journal.taken).toEqual([]);
  });

  it.each([
    ['offline_not_allowed', new OfflineError('offline_not_allowed', 'offline checkouts are not allowed')],
    ['offline_limit_reached', new OfflineError('offline_limit_reached', 'the most allowed')],
  ])('refuses with %s when the policy does not take it, and counts the refusal', async (code, refusal) => {
    const seen: CirculationTransaction[] = [];
    const service = serviceWith(
      () => fakeIls({ checkout: failing(new IlsError('ils_offline', 'not connected')) }),
      fakeJournal(refusal),
      seen,
    );
    await expect(service.checkout({ patron: 'P1', item: 'I1' })).rejects.toMatchObject({ code });
    expect(seen).toEqual([{ kind: 'checkout', terminal: 'desk', outcome: 'refused', reason: code }]);
  });

  it('does not journal what the ILS refused, nor failures that are not about reaching it', async () => {
    const journal = fakeJournal();
    const refusing = serviceWith(
      () =>
        fakeIls({
          checkout: failing(new CirculationRefusal('item_on_hold_for_another', ['On hold'], 'checkout')),
        }),
      journal,
    );
    await expect(refusing.checkout({ patron: 'P1', item: 'I1' })).rejects.toBeInstanceOf(CirculationRefusal);
    const badRequest = serviceWith(
      () => fakeIls({ checkout: failing(new IlsError('ils_bad_request', 'a | in a value')) }),
      journal,
    );
    await expect(badRequest.checkout({ patron: 'P1', item: 'I1' })).rejects.toMatchObject({
      code: 'ils_bad_request',
    });
    expect(journal.taken).toEqual([]);
  });

  it('keeps the ILS error when the journal itself fails', async () => {
    const service = serviceWith(() => fakeIls({ checkin: failing(new IlsError('ils_offline', 'down')) }), {
      accept() {
        throw new CarrelError('unavailable', 'offline mode is not running');
      },
    });
    await expect(service.checkin({ item: 'I1' })).rejects.toMatchObject({ code: 'ils_offline' });
  });

  it('keeps the ILS error when no journal is given', async () => {
    const service = new IlsCirculation({
      ils: () => fakeIls({ checkin: failing(new IlsError('ils_offline', 'down')) }),
    });
    await expect(service.checkin({ item: 'I1' })).rejects.toMatchObject({ code: 'ils_offline' });
  });
});

describe('IlsCirculation behind the offline backlog', () => {
  it('asks the backlog about the request’s item and patron before the ILS, and journals behind it when the ILS stops', async () => {
    const journal = fakeJournal();
    const asked: unknown[] = [];
    let sent = false;
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0));
    const service = new IlsCirculation({
      ils: () =>
        fakeIls({
          checkout: async () => {
            sent = true;
            throw new Error('must not be sent');
          },
        }),
      offline: journal,
      ordering: {
        settle: async (keys) => {
          asked.push(keys);
          return 'unreachable';
        },
      },
      clock,
    });
    const answer = await service.checkout({ patron: 'P1', item: 'I1' });
    expect(asked).toEqual([{ items: ['I1'], patron: 'P1' }]);
    // Not sent online (it would overtake the backlog): journaled after it.
    expect(sent).toBe(false);
    expect(answer).toMatchObject({ ok: true, offline: true });
    expect(journal.taken).toMatchObject([{ kind: 'checkout', patron: 'P1', item: 'I1' }]);
  });

  it.each([
    ['checkin', (s: IlsCirculation) => s.checkin({ item: 'I9' }), { items: ['I9'] }],
    ['item', (s: IlsCirculation) => s.item('I9'), { items: ['I9'] }],
    ['renewAll', (s: IlsCirculation) => s.renewAll({ patron: 'P9' }), { items: [], patron: 'P9' }],
    ['renew', (s: IlsCirculation) => s.renew({ patron: 'P9', item: 'I9' }), { items: ['I9'], patron: 'P9' }],
  ])('orders %s behind the backlog of what it names', async (_name, act, keys) => {
    const asked: unknown[] = [];
    const service = new IlsCirculation({
      ils: () => fakeIls({}),
      ordering: {
        settle: async (k) => {
          asked.push(k);
          throw new Error('stop here');
        },
      },
    });
    await expect(act(service)).rejects.toThrow('stop here');
    expect(asked).toEqual([keys]);
  });
});
