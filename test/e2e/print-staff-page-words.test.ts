import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';
import { heldAtStation, openPrintDesk, releaseAtStation, stationLogin } from '../helpers/print-desk.js';
import { until } from '../helpers/until.js';

const PATRON = '21000002';
const PIN = '2222';

interface Release {
  id: string;
  jobId: number;
  jobName: string;
  state: string;
  outcome: string | null;
}

/**
 * What the print desk and an API client read of a release that went wrong, and of a refusal: the
 * words of what happened and what to do, money in the currency — the print server's address and
 * IPP's status words in Carrel's log only (with no patron in it).
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the print desk and the API say what happened in words',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
    );
    const api = () => desk.testDesk.api;
    const server = () => desk.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

    async function deposit(amountMinor: number): Promise<void> {
      const answer = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor,
        currency: 'EUR',
        source: 'cash-desk',
      });
      expect(answer.status).toBe(201);
    }

    /** A job of the patron's, held with its pages counted. */
    const heldJob = async (title: string, pages = 1): Promise<number> =>
      (await heldAtStation(api(), server(), PIN, { user: PATRON, title, pages })).jobId;

    const release = async (jobId: number) =>
      releaseAtStation(api(), await stationLogin(api(), PATRON, PIN), jobId);

    const releases = async () =>
      (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON })).json
        .releases as Release[];

    /** The print desk's row of a release: its State and Outcome cells. */
    async function deskRow(jobName: string): Promise<{ state: string; outcome: string }> {
      const page = desk.page;
      await openPrintDesk(page, api(), PATRON);
      const row = page.locator('#releases tr', { hasText: jobName });
      await row.waitFor({ timeout: 10_000 });
      const cells = await row.locator('td').allTextContents();
      return { state: cells[5] ?? '', outcome: cells[6] ?? '' };
    }

    it('a job the print server would not release: the desk reads what happened and that it was refunded; the IPP detail is in the log, without the patron', async () => {
      await deposit(100);
      const jobId = await heldJob('Invoice');
      // Someone deletes it at the print server just before Carrel's Release-Job reaches it.
      const model = server().model;
      const send = model.release.bind(model);
      model.release = (id) => {
        if (id === jobId) model.cancel(id);
        return send(id);
      };
      let refused: Awaited<ReturnType<typeof release>>;
      try {
        refused = await release(jobId);
      } finally {
        model.release = send;
      }
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('print_release_refused');
      // It said 'the print server did not release the job; the charge was refunded
      // (ipp://127.0.0.1:…/printers/public-bw: client-error-not-possible (job 9 is not held))'.
      expect(refused.json.detail).not.toMatch(/ipp:|client-error|not-possible|job \d/);
      expect(refused.json.detail).toMatch(/refunded/);

      const [first] = (await releases()).filter((r) => r.jobId === jobId);
      expect(first?.outcome).not.toMatch(/ipp:|client-error|not-possible|job \d/);
      const row = await deskRow('Invoice');
      expect(row.outcome).toBe(
        'Not printed: the job was deleted at the print server before it could be printed; the charge was refunded.',
      );
      expect(row.state).toBe('Not printed, refunded');
      // The account's entries: what each was in words ('deposit', 'charge', 'refund'), the refund's reason as the outcome.
      const entries = await desk.page
        .locator('#entries tr')
        .evaluateAll((rows) =>
          rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
      expect(entries.map((cells) => cells[1])).toEqual(['Refund', 'Printing', 'Top-up']);
      expect(entries[0]?.[4]).toBe(row.outcome);
      expect(await desk.page.locator('body').textContent()).not.toMatch(/ipp:|client-error/);

      // The technical detail is in the log, for whoever looks after the desk — and no patron.
      const line = desk.log.split('\n').find((l) => l.includes('client-error-not-possible'));
      expect(line).toBeDefined();
      expect(line).toContain('public-bw');
      expect(line).not.toContain(PATRON);
      expect(line).not.toContain('Invoice');
    });

    it('a printed job: the desk reads Printed; a refund of more than is left is said in money over the API', async () => {
      await deposit(100);
      const jobId = await heldJob('Timetable');
      expect((await release(jobId)).status).toBe(200);
      const printed = await until(
        async () => (await releases()).find((r) => r.jobId === jobId && r.state === 'completed'),
        15_000,
        'the job never completed',
        100,
      );
      const row = await deskRow('Timetable');
      // It said 'completed' (and 'charged', 'released', 'refunded' — the journal's codes).
      expect(row.state).toBe('Printed');
      expect(row.outcome).toBe('Printed.');

      const tooMuch = await callApi(api(), 'POST', '/api/v1/print/releases/refund', {
        requestId: randomUUID(),
        releaseId: printed.id,
        amountMinor: 1000,
        reason: 'test',
      });
      expect(tooMuch.status).toBe(422);
      expect(tooMuch.json.code).toBe('refund_exceeds_charge');
      // It said 'at most 10 minor units of this job can still be refunded'.
      expect(tooMuch.json.detail).toBe(
        'at most 0.10 EUR of this job can still be refunded (10.00 EUR was asked): nothing was refunded',
      );
      const nothing = await callApi(api(), 'POST', '/api/v1/print/releases/refund', {
        requestId: randomUUID(),
        releaseId: printed.id,
        amountMinor: 0,
        reason: 'test',
      });
      expect(nothing.status).toBe(422);
      expect(nothing.json.code).toBe('amount_invalid');
      // It said 'a refund is a whole number of minor units, at least 1'.
      expect(nothing.json.detail).toBe(
        "amountMinor must be a whole number of the currency's smallest unit (for EUR, 150 is 1.50 EUR), more than 0; 0 was sent: nothing was refunded",
      );
    });

    it('a release the balance does not cover, and a job no longer waiting, are refused in words and money', async () => {
      const { balanceMinor } = (
        await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON })
      ).json.statement;
      const jobId = await heldJob('Poster', 40);
      const poor = await release(jobId);
      expect(poor.status).toBe(402);
      // It said 'the balance (180 minor units) does not cover 400'.
      expect(poor.json.detail).toBe(
        `the balance (${(balanceMinor / 100).toFixed(2)} EUR) does not cover the 4.00 EUR this costs: nothing was charged`,
      );
      // Deleted at the print server: once the desk has seen it go, Print is answered 404.
      server().model.cancel(jobId);
      const gone = await until(
        async () => {
          const answer = await release(jobId);
          return answer.status === 402 ? undefined : answer;
        },
        10_000,
        'the job deleted at the print server was still offered',
        100,
      );
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('print_job_not_found');
      // It said 'no held job 3 of this patron on public-bw'.
      expect(gone.json.detail).toBe(
        'this job is not waiting to be printed (it was printed already, or deleted at the print server): nothing was charged',
      );
    });

    it('a top-up larger than the desk takes is refused in money at the desk, not in the API’s minor units', async () => {
      const page = desk.page;
      await openPrintDesk(page, api(), PATRON);
      const before = await page.locator('#balance').textContent();
      await page.locator('#amount').fill('20000');
      await page.getByRole('button', { name: 'Top up (cash)' }).click();
      // It read "amountMinor must be a whole number of the currency's smallest unit (for EUR, 150 is
      // 1.50 EUR), more than 0 and at most 1000000 (10000.00 EUR); 2000000 was sent: nothing was done".
      await expect
        .poll(() => page.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe('20000.00 EUR is more than one top-up may be: nothing was topped up.');
      expect(await page.locator('#balance').textContent()).toBe(before);
    });

    it('a top-up at a desk without staff logins says it was made at this desk, not by “loopback”', async () => {
      const page = desk.page;
      await openPrintDesk(page, api(), '21000009');
      await page.locator('#amount').fill('3.00');
      await page.getByRole('button', { name: 'Top up (cash)' }).click();
      const topUp = page.locator('#entries tr', { hasText: 'Top-up' });
      await topUp.waitFor({ timeout: 10_000 });
      // The Staff column read 'loopback', Carrel's name for a caller on this machine without a token.
      expect((await topUp.locator('td').allTextContents())[5]).toBe('at this desk');
      expect(await page.locator('#entries').textContent()).not.toContain('loopback');
    });
  },
);
