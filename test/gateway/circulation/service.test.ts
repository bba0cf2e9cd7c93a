import { describe, expect, it } from 'vitest';
import { CarrelError } from '../../../src/core/errors.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { IlsError } from '../../../src/devices/ils/index.js';
import {
  CirculationRefusal,
  type CirculationTransaction,
  IlsCirculation,
} from '../../../src/gateway/circulation/index.js';
import { PATRON_STATUS_FLAGS, type PatronStatus } from '../../../src/protocols/sip2/index.js';

/** The service over a stand-in client: how refusals are refined, failures named and outcomes counted. */
function flags(set: Partial<PatronStatus> = {}): PatronStatus {
  const status = {} as PatronStatus;
  for (const flag of PATRON_STATUS_FLAGS) status[flag] = set[flag] ?? false;
  return status;
}

function fakeIls(overrides: Record<string, unknown>): IlsClient {
  return { config: { timeZone: 'UTC' }, ...overrides } as unknown as IlsClient;
}

const refusedCheckout = {
  message: {
    type: 'checkoutResponse',
    ok: false,
    renewalOk: false,
    magneticMedia: 'unknown',
    desensitize: 'unknown',
    transactionDate: '20260301    120000',
    institutionId: 'LIB',
    patronIdentifier: 'P1',
    itemIdentifier: 'I1',
    titleIdentifier: '',
    dueDate: '',
  },
};

describe('IlsCirculation', () => {
  it('asks the patron status when a refusal names no reason, and counts it without patron data', async () => {
    const seen: CirculationTransaction[] = [];
    const service = new IlsCirculation({
      ils: () =>
        fakeIls({
          checkout: async () => refusedCheckout,
          patronStatus: async () => ({
            message: {
              validPatron: true,
              validPatronPassword: true,
              patronStatus: flags({ tooManyItemsCharged: true, chargePrivilegesDenied: true }),
            },
          }),
        }),
      onTransaction: (transaction) => seen.push(transaction),
    });
    const refusal = await service
      .checkout({ patron: 'P1', pin: '1', item: 'I1' }, { terminal: 'kiosk-2' })
      .catch((e) => e);
    expect(refusal).toBeInstanceOf(CirculationRefusal);
    expect(refusal).toMatchObject({ code: 'too_many_items', reason: 'too_many_items', kind: 'checkout' });
    expect(seen).toEqual([
      { kind: 'checkout', terminal: 'kiosk-2', outcome: 'refused', reason: 'too_many_items' },
    ]);
    expect(JSON.stringify(seen)).not.toContain('P1');
  });

  it('keeps the plain refusal when the patron is in good standing', async () => {
    const service = new IlsCirculation({
      ils: () =>
        fakeIls({
          checkout: async () => refusedCheckout,
          patronStatus: async () => ({
            message: { validPatron: true, validPatronPassword: true, patronStatus: flags() },
          }),
        }),
    });
    await expect(service.checkout({ patron: 'P1', item: 'I1' })).rejects.toMatchObject({ reason: 'refused' });
  });

  it('names a link that is not running ils_offline and counts ILS failures by code', async () => {
    const seen: CirculationTransaction[] = [];
    const offline = new IlsCirculation({
      ils: () => {
        throw new CarrelError('unavailable', 'the ILS link is not running');
      },
      onTransaction: (transaction) => seen.push(transaction),
      terminal: 'desk-1',
    });
    await expect(offline.checkin({ item: 'I1' })).rejects.toMatchObject({ code: 'ils_offline' });
    const slow = new IlsCirculation({
      ils: () =>
        fakeIls({
          itemInformation: async () => {
            throw new IlsError('ils_timeout', 'no answer');
          },
        }),
      onTransaction: (transaction) => seen.push(transaction),
    });
    await expect(slow.item('I1')).rejects.toBeInstanceOf(IlsError);
    expect(seen).toEqual([
      { kind: 'checkin', terminal: 'desk-1', outcome: 'failed', reason: 'ils_offline' },
      { kind: 'item', terminal: 'desk', outcome: 'failed', reason: 'ils_timeout' },
    ]);
  });

  it('never lets the statistics hook fail a request', async () => {
    const service = new IlsCirculation({
      ils: () =>
        fakeIls({ endSession: async () => ({ message: { endSession: true, screenMessage: ['Bye'] } }) }),
      onTransaction: () => {
        throw new Error('statistics down');
      },
    });
    await expect(service.endSession({ patron: 'P1' })).resolves.toEqual({
      ended: true,
      screenMessages: ['Bye'],
    });
  });

  describe("a patron's loans, a page at a time", () => {
    const loans = Array.from({ length: 23 }, (_, i) => `I${String(i + 1).padStart(2, '0')}`);
    /** A 64 with the charged items: of the range asked (`honours`), or all of them whatever was asked. */
    const ils = (honours: boolean, asked: Array<[number, number]>, renewalPrivilegesDenied = false) =>
      fakeIls({
        patronInformation: async (_patron: string, options: { range: { start: number; end: number } }) => {
          asked.push([options.range.start, options.range.end]);
          const { start, end } = options.range;
          return {
            message: {
              patronStatus: { renewalPrivilegesDenied },
              ...(renewalPrivilegesDenied ? { screenMessage: ['Renewals suspended'] } : {}),
              validPatron: true,
              validPatronPassword: true,
              chargedItemsCount: loans.length,
              chargedItems: honours ? loans.slice(start - 1, end) : loans,
            },
          };
        },
      });

    it('asks page after page (BP/BQ) until it has every loan, in order', async () => {
      const asked: Array<[number, number]> = [];
      const service = new IlsCirculation({ ils: () => ils(true, asked) });
      expect((await service.patronLoans({ patron: 'P1', pin: '1' })).items).toEqual(loans);
      expect(asked).toEqual([
        [1, 10],
        [11, 20],
        [21, 30],
      ]);
    });

    it('takes the whole list from an ILS that sends it whatever range is asked, once', async () => {
      const asked: Array<[number, number]> = [];
      const service = new IlsCirculation({ ils: () => ils(false, asked) });
      expect((await service.patronLoans({ patron: 'P1', pin: '1' })).items).toEqual(loans);
      expect(asked).toHaveLength(1);
    });

    it('says so at the first page when the patron status denies her renewals, and asks no more', async () => {
      const asked: Array<[number, number]> = [];
      const service = new IlsCirculation({ ils: () => ils(true, asked, true) });
      expect(await service.patronLoans({ patron: 'P1', pin: '1' })).toEqual({
        items: loans.slice(0, 10),
        renewalsDenied: {
          reason: 'renewal_not_allowed',
          screenMessages: ['Renewals suspended'],
        },
      });
      expect(asked).toEqual([[1, 10]]);
    });
  });
});
