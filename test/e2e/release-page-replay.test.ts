import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { countedAtDesk } from '../helpers/print-desk.js';
import { logInAtRelease, printAsContactIsLost, printOffered } from '../helpers/release-page.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

/**
 * A release station that lost contact as it pressed Print: the desk charged and released the job,
 * the answer never came back, and the station's list could not be read again. Print pressed again
 * once it is back is the same request, answered with the release as it is now — which may have
 * printed by then, or been stopped by the printer and refunded. The station says which, from the
 * release's own state, not 'is printing' for every answer. Real IPP to the print server simulator,
 * SIP2 to the ILS simulator, the page in Chromium.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the release station, answered a release sent again',
  () => {
    const chromium = deskInChromium(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      {
        ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
        // The station's lost contact is its requests failing, which the browser logs.
        consoleError: (text) => !/net::ERR_FAILED|status of (402|404|409|422|503)/.test(text),
      },
    );
    const api = () => chromium.testDesk.api;
    const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const PATRON = '21000002';

    /** The patron's balance and releases as the print desk reads them. */
    async function account() {
      const { json } = await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron: PATRON });
      return {
        balanceMinor: json.statement.balanceMinor as number,
        entries: (json.statement.entries as unknown[]).length,
        releases: json.releases as Array<{ jobId: number; state: string; refundedMinor: number }>,
      };
    }

    async function printWithAnswerLost(title: string, faults: { abortNextAfter: number | undefined }) {
      const job = await server().submit({ user: PATRON, title, pages: 2 });
      await countedAtDesk(api(), [job]);
      const station = await chromium.openPage('/release');
      await logInAtRelease(station, PATRON, '2222');
      const print = await printOffered(station, job);
      const before = await account();
      server().setFaults(faults);
      const contact = await printAsContactIsLost(station, print);
      return { job, station, print, before, contact };
    }

    it('says a job the printer stopped was not printed and its charge refunded, not that it is printing', async () => {
      expect(
        (
          await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
            requestId: randomUUID(),
            patron: PATRON,
            amountMinor: 100,
            currency: 'EUR',
            source: 'cash-desk',
          })
        ).status,
      ).toBe(201);
      // The printer stops the job before its first page.
      const { job, station, print, before, contact } = await printWithAnswerLost('Minutes', {
        abortNextAfter: 0,
      });
      // Charged, released, stopped by the printer and refunded while the station was away.
      await until(
        async () => (await account()).releases.find((r) => r.jobId === job && r.state === 'refunded'),
        15_000,
        'the stopped job was never refunded',
      );
      const settled = await account();
      expect(settled.balanceMinor).toBe(before.balanceMinor);

      await contact.back();
      await print.click();
      // It said '“Minutes” is printing: 0.20 EUR charged.'
      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe(
          '“Minutes” was not printed: it was stopped at the printer before any page was printed. The 0.20 EUR charged was refunded.',
        );
      expect(await station.locator('#alert').getAttribute('class')).not.toMatch(/\bok\b/);
      await expect
        .poll(() => station.locator('#balance').textContent(), { timeout: 10_000 })
        .toBe('1.00 EUR');
      // Sent again, nothing moved: the balance and the entries as they were once it was refunded.
      expect(await account()).toEqual(settled);
    }, 60_000);

    it('says a job that printed meanwhile was printed, charged once', async () => {
      // Whatever an earlier test left to the printer, this job prints.
      const { job, station, print, before, contact } = await printWithAnswerLost('Agenda', {
        abortNextAfter: undefined,
      });
      await until(
        async () => (await account()).releases.find((r) => r.jobId === job && r.state === 'completed'),
        15_000,
        'the job never completed',
      );
      const settled = await account();
      expect(settled.balanceMinor).toBe(before.balanceMinor - 20);

      await contact.back();
      await print.click();
      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe('“Agenda” was printed: 0.20 EUR charged.');
      await expect
        .poll(() => station.locator('#balance').textContent(), { timeout: 10_000 })
        .toBe('0.80 EUR');
      expect(await account()).toEqual(settled);
    }, 60_000);
    it('on a link cut as Print is pressed, says it lost contact instead of holding Print, and prints once when pressed again', async () => {
      // The station reaches Carrel through a proxy that stalls as a cut network does: nothing
      // answers and nothing is closed (the answer lost above was a failed request, said at once).
      const proxy = await StallingProxy.start(Number(new URL(api()).port));
      const station = await chromium.browser.newPage();
      const errors: string[] = [];
      station.on('pageerror', (error) => errors.push(error.message));
      try {
        const job = await server().submit({ user: PATRON, title: 'Leaflet', pages: 2 });
        // The page's own timers, its 15 s deadline among them, run on a clock the test can move on.
        await station.clock.install();
        await station.goto(`http://127.0.0.1:${proxy.port}/release`);
        await logInAtRelease(station, PATRON, '2222');
        const print = station.locator(`[data-job="public-bw/${job}"]`).getByRole('button', { name: 'Print' });
        await until(
          async () => (await print.isEnabled().catch(() => false)) || undefined,
          20_000,
          'Print was never offered',
        );
        const before = await account();

        proxy.stall();
        const sent = station.waitForRequest((request) =>
          request.url().endsWith('/api/v1/print/station/release'),
        );
        await print.click();
        await sent;
        // Print stayed pressed, every Print disabled and nothing said, for as long as TCP kept
        // trying: the page's clock is moved past its deadline (the link stays stalled meanwhile).
        await station.clock.fastForward(16_000);
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 30_000 })
          .toMatch(
            /“Leaflet”: the station lost contact, so it is not known whether it was sent\. Press Print again: it is never charged twice\./,
          );
        await expect.poll(() => print.isEnabled(), { timeout: 5_000 }).toBe(true);

        proxy.resume();
        await print.click();
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 15_000 })
          .toMatch(/^“Leaflet” (is printing|was printed): 0\.20 EUR charged\.$/);
        await until(
          async () => (await account()).releases.find((r) => r.jobId === job && r.state === 'completed'),
          15_000,
          'the job never completed',
        );
        const after = await account();
        // Charged once, whether the first press reached the desk or not.
        expect(after.balanceMinor).toBe(before.balanceMinor - 20);
        expect(after.releases.filter((r) => r.jobId === job)).toHaveLength(1);
        expect(errors).toEqual([]);
      } finally {
        await station.close();
        await proxy.close();
      }
    }, 90_000);
  },
);
