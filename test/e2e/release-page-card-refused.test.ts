import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { logInAtRelease } from '../helpers/release-page.js';

/**
 * The ILS simulator's patrons whose card itself stands in the way (its sample library): reported
 * lost (SIP2's card-reported-lost flag), expired, blocked by staff. Each has money on the print
 * account and a job waiting, and types the right PIN.
 */
const CARDS = [
  {
    patron: '21000007',
    pin: '7777',
    code: 'card_lost',
    words:
      'Not logged in: this card has been reported lost, so it cannot be used to print or pay here. Please see staff at the desk.',
  },
  {
    patron: '21000004',
    pin: '4444',
    code: 'card_expired',
    words:
      'Not logged in: your library card has expired. Please see staff at the desk to renew it, then log in again.',
  },
  {
    patron: '21000005',
    pin: '5555',
    code: 'patron_blocked',
    words:
      'Not logged in: your library account is blocked, so it cannot be used to print just now. Please see staff at the desk.',
  },
] as const;

describe.skipIf(chromiumSkipReason() !== undefined)(
  'a card the library system says is lost, expired or blocked, at the release station',
  () => {
    const chromium = deskInChromium(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      {
        ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
        // A login refused is answered 409: the browser logs it as a failed load.
        consoleError: (text) => !/status of 409/.test(text),
      },
    );
    const api = () => chromium.testDesk.api;
    const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

    const balanceOf = async (patron: string): Promise<number> =>
      (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron })).json.statement.balanceMinor;

    /**
     * Money put on the print account at the desk. A card reported lost, expired or blocked takes no
     * top-up there (409 card_lost, card_expired, patron_blocked): its money was put on while the
     * card was in good standing, so the library system says so until the deposit is made.
     */
    async function deposit(patron: string, amountMinor: number): Promise<void> {
      const record = chromium.testDesk.desk.simulators
        .handle(ilsSimulators, 'ils-sim')!
        .state.patron(patron)!;
      const { expires, blocked } = record;
      const lost = record.flags.cardReportedLost;
      record.flags.cardReportedLost = false;
      record.blocked = false;
      record.expires = new Date(Date.now() + 86_400_000);
      try {
        const answer = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
          requestId: randomUUID(),
          patron,
          amountMinor,
          currency: 'EUR',
          source: 'cash-desk',
        });
        expect(answer.status).toBe(201);
      } finally {
        record.flags.cardReportedLost = lost;
        record.blocked = blocked;
        if (expires === undefined) delete record.expires;
        else record.expires = expires;
      }
    }

    it('logs nobody in over the API: the balance cannot be spent, and the job waits for staff', async () => {
      for (const card of CARDS) {
        await deposit(card.patron, 200);
        const jobId = await server().submit({ user: card.patron, title: 'Boarding pass', pages: 1 });
        const login = await callApi(api(), 'POST', '/api/v1/print/station/login', {
          patron: card.patron,
          pin: card.pin,
        });
        // It answered 200 with a session, and the job could be released on the patron's money.
        expect({ patron: card.patron, status: login.status, code: login.json.code }).toEqual({
          patron: card.patron,
          status: 409,
          code: card.code,
        });
        expect(login.json.reason).toBe(card.code);
        expect(login.json.session).toBeUndefined();
        expect(login.json.detail).toMatch(/nobody was logged in/);
        expect(await balanceOf(card.patron)).toBe(200);
        expect(server().job(jobId)?.state).toBe('pending-held');
        server().model.cancel(jobId);
      }
    });

    it('still logs in a patron held back from borrowing only (fines over the limit, too many overdue items): printing is paid from the print account', async () => {
      for (const [patron, pin] of [
        ['21000003', '3333'],
        ['21000008', '8888'],
      ] as const) {
        const login = await callApi(api(), 'POST', '/api/v1/print/station/login', { patron, pin });
        expect({ patron, status: login.status }).toEqual({ patron, status: 200 });
        await callApi(api(), 'POST', '/api/v1/print/station/logout', { session: login.json.session });
      }
    });

    it("tells the patron at the station what stands in the way and to see staff, and shows none of the card's jobs", async () => {
      for (const card of CARDS) {
        const jobId = await server().submit({ user: card.patron, title: 'Bank statement', pages: 1 });
        const station = await chromium.openPage('/release');
        await station.locator('#card').fill(card.patron);
        await station.locator('#pin').fill(card.pin);
        await station.getByRole('button', { name: 'Show my print jobs' }).click();
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
          .toBe(card.words);
        expect(await station.locator('#screen-jobs').isHidden()).toBe(true);
        expect(await station.locator('body').textContent()).not.toContain('Bank statement');
        expect(await station.locator('#pin').inputValue()).toBe('');
        expect(server().job(jobId)?.state).toBe('pending-held');
        server().model.cancel(jobId);
        await station.close();
      }
      // A card in good standing logs in at the same station as before.
      const station = await chromium.openPage('/release');
      await logInAtRelease(station, '21000009', '9999');
    });
  },
);
