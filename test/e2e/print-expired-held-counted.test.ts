/**
 * A job past its hold time whose Cancel-Job the print server refused is still held there: IT counts
 * it among the queue's held jobs (on /metrics, as `carrel_print_jobs_held` and, of them, as
 * `carrel_print_jobs_held_expired`; in GET /api/v1/print/queues), and staff read on /print-staff, in
 * words, that it expired and is still held on the print server — not a price and a time long gone.
 * Over IPP to the simulated print server refusing Cancel-Job; the staff page in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';
import { printServer, refuseCancels, shortHoldConfig } from '../helpers/print-expiry.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';

function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe.skipIf(chromiumSkipReason() !== undefined)(
  'a job past its hold time the print server still holds (its Cancel-Job refused)',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage(shortHoldConfig, {
      ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
    });
    const api = () => desk.testDesk.api;

    it('is counted as held (and as expired) for IT, and staff read that it is still held on the print server', async () => {
      const refusal = refuseCancels(desk.testDesk, () => true);
      try {
        const jobId = await printServer(desk.testDesk).submit({ user: PATRON, title: 'Forgotten', pages: 2 });
        await until(
          () => (refusal.refused >= 2 ? true : undefined),
          30_000,
          'timed out waiting for the print server to refuse the cancel twice',
          100,
        );
        expect(printServer(desk.testDesk).job(jobId)?.state).toBe('pending-held');

        // IT: the queue holds one job, and it is an expired one.
        const metrics = async () => (await fetch(`${api()}/metrics`)).text();
        await until(
          async () =>
            sample(await metrics(), 'carrel_print_jobs_held{device="public-bw"}') === 1 ? true : undefined,
          10_000,
          'carrel_print_jobs_held never counted the job still held',
          100,
        );
        const text = await metrics();
        expect(sample(text, 'carrel_print_jobs_held_expired{device="public-bw"}')).toBe(1);
        expect(text).not.toContain(PATRON);
        const { queues } = (await callApi(api(), 'GET', '/api/v1/print/queues')).json;
        const queue = queues.find((q: { queue: string }) => q.queue === 'public-bw');
        expect(queue.heldJobs).toBe(1);
        expect(queue.expiredHeldJobs).toBe(1);

        // Staff: the job's row says it expired and is still on the print server, in words.
        const page = desk.page;
        await page.goto(`${api()}/print-staff`);
        await page.locator('#patron').fill(PATRON);
        await page.getByRole('button', { name: 'Find' }).click();
        const row = page.locator('#held tr', { hasText: 'Forgotten' });
        await row.waitFor({ timeout: 10_000 });
        const words = await row.innerText();
        expect(words).toMatch(/Expired/);
        expect(words).toMatch(/still held on the print server/);
        expect(words).toMatch(/cancel it there/);
        expect(words).toMatch(/not charged/i);

        // Once the print server takes the cancel, nothing is counted any more.
        refusal.restore();
        await until(
          async () =>
            sample(await metrics(), 'carrel_print_jobs_held_expired{device="public-bw"}') === 0
              ? true
              : undefined,
          20_000,
          'the expired job was still counted once cancelled',
          100,
        );
        await until(
          async () =>
            sample(await metrics(), 'carrel_print_jobs_held{device="public-bw"}') === 0 ? true : undefined,
          10_000,
          'the job was still counted as held once cancelled',
          100,
        );
      } finally {
        refusal.restore();
      }
    });
  },
);
