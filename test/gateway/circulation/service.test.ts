import { afterEach, describe, expect, it } from 'vitest';
import { CarrelError } from '../../../src/core/errors.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { IlsError } from '../../../src/devices/ils/index.js';
import {
  CirculationRefusal,
  type CirculationTransaction,
  IlsCirculation,
} from '../../../src/gateway/circulation/index.js';
import { PATRON_STATUS_FLAGS, type PatronStatus } from '../../../src/protocols/sip2/index.js';
import { clientFor } from '../../devices/ils/helpers.js';
import { DATE, ScriptedServer, withDefaults } from '../../devices/ils/scripted-server.js';

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

describe('IlsCirculation over TCP: a due date written without a zone', () => {
  let server: ScriptedServer | undefined;
  let client: IlsClient | undefined;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  it.each([
    ['2026-01-05 23:59:00', '2026-01-06T05:59:00.000Z'],
    ['2026-01-05T23:59:00', '2026-01-06T05:59:00.000Z'],
    ['2026-01-05 23:59', '2026-01-06T05:59:00.000Z'],
    // A zone written with it is the ILS's own word.
    ['2026-01-05T23:59:00Z', '2026-01-05T23:59:00.000Z'],
  ])(
    'reads AH %j (Koha’s formatted due date) in the ILS device’s timeZone, not the desk machine’s',
    async (written, instant) => {
      server = await ScriptedServer.start(
        withDefaults((request, reply) => {
          if (request.type !== 'checkout') return;
          reply.send({
            type: 'checkoutResponse',
            ok: true,
            renewalOk: false,
            magneticMedia: 'unknown',
            desensitize: true,
            transactionDate: DATE,
            institutionId: 'INST',
            patronIdentifier: request.patronIdentifier,
            itemIdentifier: request.itemIdentifier,
            titleIdentifier: 'Dune',
            dueDate: written,
          });
        }),
      );
      // The library is in Chicago, whatever zone the desk's machine runs in (a container's UTC, say).
      client = clientFor(server.port, { timeZone: 'America/Chicago' });
      await client.connect();
      const ils = client;
      const circulation = new IlsCirculation({ ils: () => ils });
      const answer = await circulation.checkout({ patron: '21000001', item: '31000005' });
      expect(answer.item).toMatchObject({ dueDate: { date: instant, text: written } });
    },
  );
});
