import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { logInAtRelease } from '../helpers/release-page.js';

/**
 * A patron at the release station whose document the print server would not give the desk (CUPS's
 * default policy for CUPS-Get-Document): the job is listed, cannot be printed, and the patron is told
 * so in words they can act on — ask at the desk — not the print server's address or IPP status words,
 * nor what IT is to change on the print server.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the release station when the print server refuses a document',
  () => {
    const chromium = deskInChromium(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      { ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000) },
    );
    const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

    it('tells the patron the document cannot be printed here and to ask at the desk', async () => {
      server().setFaults({ refuseDocuments: true });
      try {
        const jobId = await server().submit({ user: '21000006', title: 'Tax return', pages: 2 });
        const station = await chromium.openPage('/release');
        await logInAtRelease(station, '21000006', '6666');
        const job = station.locator(`[data-job="public-bw/${jobId}"]`);
        const problem = job.locator('.problem');
        // Listed while its pages are counted, then the print server's refusal.
        await expect
          .poll(() => problem.textContent(), { timeout: 10_000 })
          .toBe(
            'The print server would not let this station count its pages, so it cannot be printed here. Ask at the desk.',
          );
        expect(await job.getByRole('button', { name: 'Print' }).isDisabled()).toBe(true);
        const screen = (await station.locator('#screen-jobs').textContent()) ?? '';
        expect(screen).not.toMatch(/ipp:|127\.0\.0\.1|client-error|CUPS|login/i);
      } finally {
        server().setFaults({ refuseDocuments: false });
      }
    });

    it('prints the job once IT lets the desk read documents again: the patron is not stuck until it expires', async () => {
      const patron = '21000001';
      const api = chromium.testDesk.api;
      const topUp = await callApi(api, 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron,
        amountMinor: 100,
        currency: 'EUR',
        source: 'cash-desk',
      });
      expect(topUp.status).toBe(201);
      server().setFaults({ refuseDocuments: true });
      try {
        const jobId = await server().submit({ user: patron, title: 'Visa form', pages: 2 });
        const station = await chromium.openPage('/release');
        await logInAtRelease(station, patron, '1234');
        const job = station.locator(`[data-job="public-bw/${jobId}"]`);
        const print = job.getByRole('button', { name: 'Print' });
        await expect
          .poll(() => job.locator('.problem').textContent(), { timeout: 10_000 })
          .toMatch(/^The print server would not let this station count its pages/);
        expect(await print.isDisabled()).toBe(true);
        // IT lets the desk's user read held jobs' documents while the patron waits at the station.
        server().setFaults({ refuseDocuments: false });
        // It stayed refused until the job expired: the desk never asked for the document again.
        await expect.poll(() => print.isEnabled(), { timeout: 15_000 }).toBe(true);
        expect(await job.locator('.cost').textContent()).toMatch(/0[.,]20/);
        const listed = (await callApi(api, 'GET', '/api/v1/print/jobs')).json.jobs.find(
          (j: { jobId: number }) => j.jobId === jobId,
        );
        expect(listed).toMatchObject({ pages: 2, problem: null });
        await print.click();
        await expect.poll(() => server().job(jobId)?.state, { timeout: 10_000 }).not.toBe('pending-held');
        const { statement } = (await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron })).json;
        expect(statement.balanceMinor).toBe(80);
      } finally {
        server().setFaults({ refuseDocuments: false });
      }
    });
  },
);
