import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { fastPrinting, waitForDevice } from '../helpers/desk.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';
import { heldAtStation, openPrintDesk, releaseAtStation } from '../helpers/print-desk.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';
const PIN = '1234';

interface Release {
  id: string;
  jobName: string;
  state: string;
  amountMinor: number;
  refundedMinor: number;
}

/**
 * The print desk's Amount field is one for top-ups and refunds. An amount typed for one refund
 * (the pages of a jammed job not printed) stayed in it after the refund, and the next Refund
 * pressed — meant in full, on another job — refunded that amount again. Chromium against the
 * simulated desk, over HTTP, IPP and SIP2.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'an amount typed for one refund at the print desk',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage(fastPrinting, {
      ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
    });
    const api = () => desk.testDesk.api;
    const server = () => desk.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const releases = async () =>
      (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON })).json
        .releases as Release[];

    async function printed(title: string): Promise<void> {
      const { jobId, session } = await heldAtStation(api(), server(), PIN, { user: PATRON, title, pages: 2 });
      expect((await releaseAtStation(api(), session, jobId)).status).toBe(200);
      await until(
        async () =>
          (await releases()).some((r) => r.jobName === title && r.state === 'completed') ? true : undefined,
        15_000,
        'the job never completed',
      );
    }

    it('is not refunded again by the next Refund pressed: that one refunds what is left, as the page says', async () => {
      const deposit = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor: 500,
        currency: 'EUR',
      });
      expect(deposit.status).toBe(201);
      await printed('Alpha');
      await printed('Beta');

      const page = desk.page;
      await openPrintDesk(page, api(), PATRON);
      const row = (name: string) => page.locator('#releases tr', { hasText: name });
      await row('Beta').waitFor({ timeout: 10_000 });
      // A screen reader's list of buttons tells the releases' Refund apart: each names its job and time.
      for (const name of ['Alpha', 'Beta'])
        expect(await page.getByRole('button', { name: new RegExp(`^Refund: ${name}, `) }).count()).toBe(1);

      await page.locator('#amount').fill('0.10');
      await row('Alpha').getByRole('button', { name: 'Refund' }).click();
      await until(
        async () =>
          (await releases()).find((r) => r.jobName === 'Alpha')?.refundedMinor === 10 ? true : undefined,
        10_000,
        'Alpha was never refunded 0.10',
      );
      // Beta refunded in full: nothing typed. It was refunded 0.10, the amount typed for Alpha.
      await row('Beta').getByRole('button', { name: 'Refund' }).click();
      const beta = await until(
        async () => (await releases()).find((r) => r.jobName === 'Beta' && r.refundedMinor > 0),
        10_000,
        'Beta was never refunded',
      );
      expect(beta).toMatchObject({ amountMinor: 20, refundedMinor: 20 });
    });

    it('keeps the keyboard on the Refund staff tabbed to as the list is drawn again, and on the list once it is refunded', async () => {
      const deposit = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        amountMinor: 100,
        currency: 'EUR',
      });
      expect(deposit.status).toBe(201);
      await printed('Gamma');
      await printed('Delta');
      const page = desk.page;
      await page.goto(`${api()}/print-staff`);
      await page.locator('#patron').fill(PATRON);
      await page.keyboard.press('Enter');
      const row = (name: string) => page.locator('#releases tr', { hasText: name });
      await row('Delta').waitFor({ timeout: 10_000 });
      /** The accessible name of what has the keyboard's focus ('' on the page's body). */
      const focused = () =>
        page.locator('body').evaluate((body) => {
          const element = body.ownerDocument.activeElement;
          return element === body || !element
            ? ''
            : (element.getAttribute('aria-label') ?? element.textContent ?? '');
        });
      // With the keyboard alone: Tab on to Gamma's Refund.
      for (let presses = 0; presses < 40 && !(await focused()).startsWith('Refund: Gamma'); presses++)
        await page.keyboard.press('Tab');
      expect(await focused()).toMatch(/^Refund: Gamma, /);

      // Delta is refunded at another desk PC meanwhile: the list is drawn again with it.
      const delta = (await releases()).find((r) => r.jobName === 'Delta')!;
      const refunded = await callApi(api(), 'POST', '/api/v1/print/releases/refund', {
        requestId: randomUUID(),
        releaseId: delta.id,
        amountMinor: 10,
        reason: 'refunded at the other desk',
      });
      expect(refunded.status).toBe(200);
      await expect.poll(() => row('Delta').textContent(), { timeout: 15_000 }).toContain('0.20 EUR0.10 EUR');
      // The focus fell to the page's body with the button it was on: Enter did nothing, and the
      // next Tab started from the top.
      expect(await focused()).toMatch(/^Refund: Gamma, /);

      await page.keyboard.press('Enter');
      await until(
        async () =>
          (await releases()).find((r) => r.jobName === 'Gamma')?.refundedMinor === 20 ? true : undefined,
        10_000,
        'Gamma was never refunded',
      );
      // Refunded in full, its Refund can no longer be pressed: the focus is on the list's heading.
      await expect.poll(focused, { timeout: 10_000 }).toBe('Released jobs');
      // The next Tab goes on to the list's first Refund that can be pressed (a moment after a
      // refund, every money button waits).
      await expect.poll(() => row('Delta').getByRole('button').isEnabled()).toBe(true);
      await page.keyboard.press('Tab');
      expect(await focused()).toMatch(/^Refund: Delta, /);
    });
  },
);
