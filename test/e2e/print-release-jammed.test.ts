/**
 * The printer jams part-way through a released job (the print server stops it: processing-stopped)
 * and the patron comes to the desk with the pages that came out. Staff look the patron up, see how
 * far the printer got, and refund what was not printed; the jammed job is then cancelled at the
 * printer. The patron pays for the pages printed, once: the printer's end refunds nothing more
 * than what the desk has not refunded already. Over HTTP, IPP and SIP2 on the simulated desk, the
 * print desk's page in Chromium.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { slowPrinting, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { jammedPrintJobs } from '../helpers/jammed-print-job.js';
import { openPrintDesk } from '../helpers/print-desk.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const patron = '21000001';

beforeAll(async () => {
  testDesk = await startTestDesk(slowPrinting);
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

/** Polls `probe` every 50 ms for up to 15 s. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  until(probe, 15_000, `timed out waiting for ${what}`, 50);

const { releaseAtDesk, releaseAndJam, heardStopped, refundUnprinted, refundAsPagesComeOut, settledAtDesk } =
  jammedPrintJobs({ api: () => testDesk.api, server, patron, pin: '1234' });

describe('a released job the printer jams on', () => {
  afterEach(() => {
    server().setFaults({ stopped: false, stallCancel: false });
  });

  it.skipIf(chromiumSkipReason() !== undefined)(
    'shows staff how many pages came out before the printer stopped, over the API and on the print desk page',
    async () => {
      const { releaseId, printed } = await releaseAndJam();
      // The desk follows released jobs every 2 s: once it has heard, the release says where it stopped.
      // It said state 'released', printedImpressions null: nothing of how many pages came out.
      const seen = await heardStopped(releaseId);
      expect(seen).toMatchObject({
        state: 'released',
        refundedMinor: 0,
        printer: { state: 'processing-stopped', impressionsCompleted: printed },
      });
      expect(seen.printer?.message).toContain(`stopped after ${printed} of 10 pages`);

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await openPrintDesk(page, testDesk.api, patron);
        const row = page.locator('#releases tr').first();
        await row.waitFor({ timeout: 10_000 });
        const state = (await row.locator('td').allTextContents())[5];
        // It read 'Sent to the printer', as for a job printing well.
        expect(state).toContain(`Sent to the printer — the printer stopped after ${printed} of 10 pages`);

        // The patron back at the release station reads the same, and where to go: it read 'printing'.
        const station = await browser.newPage();
        await station.goto(`${testDesk.api}/release`);
        await logInAtRelease(station, patron, '1234');
        const charged = station.locator('#charged li', { hasText: 'Thesis' }).first();
        await charged.waitFor({ timeout: 10_000 });
        expect(await charged.textContent()).toContain(
          `the printer stopped after ${printed} of 10 pages: please ask at the desk`,
        );
      } finally {
        await browser.close();
      }
    },
  );

  it.skipIf(chromiumSkipReason() !== undefined)(
    'pays nothing out at the print desk while a jammed job may still be refunded, says which and what to do, and pays out all once it is settled',
    async () => {
      const { releaseId, printed } = await releaseAndJam('Poster');
      await heardStopped(releaseId);
      const balance = async () =>
        (await post('/print/accounts/find', { patron })).json.statement.balanceMinor as number;
      const before = await balance();
      const euros = (minor: number) => `${(minor / 100).toFixed(2)} EUR`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await openPrintDesk(page, testDesk.api, patron);
        const payOut = async (minor: number) => {
          await page.getByRole('button', { name: 'Pay out balance' }).click();
          await page.getByRole('button', { name: `Pay out ${euros(minor)}` }).click();
        };
        await payOut(before);
        // It said 'Paid out …', and the pages the patron brought back, refunded at the desk, went to
        // a balance she had been told was 0.
        const alert = page.locator('#alert');
        await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toMatch(/^Nothing was paid out/);
        const words = (await alert.textContent()) ?? '';
        expect(words).toContain(`“Poster” (public-bw, 1.00 EUR charged) is still at the printer`);
        expect(words).toContain(`the printer stopped after ${printed} of 10 pages`);
        expect(words).toContain('refund it first (Released jobs, Refund)');
        expect(await balance()).toBe(before);

        // Staff refund the pages not printed (the rest is cancelled), and the print server ends the job.
        await refundUnprinted(releaseId, printed);
        await settledAtDesk(releaseId);
        const now = before + (10 - printed) * 10;
        expect(await balance()).toBe(now);
        await expect
          .poll(() => page.getByRole('button', { name: 'Pay out balance' }).isEnabled(), { timeout: 5000 })
          .toBe(true);
        await payOut(now);
        await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toBe(`Paid out ${euros(now)}.`);
        expect(await balance()).toBe(0);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('cancels the rest of a jammed job whose pages not printed the desk refunded, so they do not print once the jam is cleared', async () => {
    const balanceBefore = (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;
    const { releaseId, jobId, printed } = await releaseAndJam();
    // Staff refund what the desk page says did not come out.
    const refund = await refundUnprinted(releaseId, printed);
    const notPrinted = (10 - printed) * 10;
    // The jam is cleared and nobody touches the job at the printer's panel.
    server().setFaults({ stopped: false });
    await waitFor('the job to end at the print server', () =>
      ['completed', 'canceled', 'aborted'].includes(server().job(jobId)?.state ?? '') ? true : undefined,
    );
    // It printed all 10 pages once the printer started again: the pages refunded, paid by nobody.
    expect(server().job(jobId)).toMatchObject({ state: 'canceled', impressionsCompleted: printed });
    // The refund's answer says what became of the rest, in words.
    expect(refund.json.printer?.message).toContain('the rest of the job was cancelled');
    const settled = await waitFor('the desk to hear the job ended', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.outcome !== null ? release : undefined;
    });
    expect(settled).toMatchObject({ refundedMinor: notPrinted, printedImpressions: printed });
    // Said to staff in words: the refund cancelled the rest, the pages refunded do not come out later.
    expect(settled.outcome).toContain(`after ${printed} of 10 pages`);
    expect(settled.outcome).toContain('cancelled at the print server');
    const account = (await post('/print/accounts/find', { patron })).json;
    expect(account.statement.balanceMinor).toBe(balanceBefore + 500 - printed * 10);
  });

  it('charges only the pages known printed of a jammed job the print server forgets, and says the rest is not known', async () => {
    const balanceBefore = (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;
    const { releaseId, jobId, printed } = await releaseAndJam();
    await heardStopped(releaseId);
    // The job is purged at the print server (cancel -x): it is no longer listed.
    expect(server().model.forget(jobId)).toBe(true);
    const settled = await waitFor('the desk to hear the job is gone', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.outcome !== null ? release : undefined;
    });
    // It was taken as printed in full: charged 1.00 EUR for the 3 pages that came out.
    expect(settled).toMatchObject({
      state: 'refunded',
      amountMinor: 100,
      refundedMinor: (10 - printed) * 10,
      printedImpressions: printed,
    });
    expect(settled.outcome).toContain(`${printed} of 10 pages`);
    expect(settled.outcome).toContain('not known');
    const account = (await post('/print/accounts/find', { patron })).json;
    expect(account.statement.balanceMinor).toBe(balanceBefore + 500 - printed * 10);
  });

  it('keeps a jammed job refunded at the desk as printed in part when the print server then forgets it', async () => {
    const { releaseId, jobId, printed } = await releaseAndJam();
    await refundUnprinted(releaseId, printed);
    const notPrinted = (10 - printed) * 10;
    expect(server().job(jobId)?.state).toBe('canceled');
    // Purged before the desk heard it cancelled: it read 'printed', all 10 pages taken as out.
    expect(server().model.forget(jobId)).toBe(true);
    const settled = await waitFor('the desk to hear the job is gone', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.outcome !== null ? release : undefined;
    });
    expect(settled).toMatchObject({
      state: 'refunded',
      refundedMinor: notPrinted,
      printedImpressions: printed,
    });
  });

  it('refunds once what the desk refunded for the pages not printed when the printer ends the job', async () => {
    const balanceBefore = (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;
    const { releaseId, jobId, printed } = await releaseAndJam();
    const notPrinted = (10 - printed) * 10;
    const refund = await post('/print/releases/refund', {
      requestId: randomUUID(),
      releaseId,
      amountMinor: notPrinted,
      reason: 'refunded at the desk',
    });
    expect(refund.status).toBe(200);
    expect(refund.json.refundedMinor).toBe(notPrinted);

    // The jammed job is cancelled at the printer's panel; the printer starts again.
    expect(server().model.cancel(jobId, 'system')).toBe(true);
    server().setFaults({ stopped: false });
    const settled = await waitFor('the desk to hear the job ended', async () => {
      const release = await releaseAtDesk(releaseId);
      return release.outcome !== null ? release : undefined;
    });
    // It refunded the pages not printed a second time: the patron paid nothing for the pages printed.
    expect(settled).toMatchObject({
      state: 'refunded',
      amountMinor: 100,
      refundedMinor: notPrinted,
      printedImpressions: printed,
    });
    const account = (await post('/print/accounts/find', { patron })).json;
    const entries = account.statement.entries.filter(
      (e: { releaseId: string | null }) => e.releaseId === releaseId,
    );
    expect(entries.map((e: { kind: string; amountMinor: number }) => [e.kind, e.amountMinor])).toEqual([
      ['refund', notPrinted],
      ['charge', -100],
    ]);
    expect(account.statement.balanceMinor).toBe(balanceBefore + 500 - printed * 10);
  });
  it('says how many pages printed after the refund, before the print server cancelled the rest, and charges nothing for them', async () => {
    const balanceBefore = (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;
    const { releaseId, jobId, printed } = await releaseAndJam();
    const refund = await refundAsPagesComeOut(
      releaseId,
      jobId,
      printed,
      (job) => job.impressionsCompleted >= printed + 2,
    );
    expect(refund.json.refundedMinor).toBe((10 - printed) * 10);
    await waitFor('the job cancelled at the print server', () =>
      server().job(jobId)?.state === 'canceled' ? true : undefined,
    );
    const out = server().job(jobId)!.impressionsCompleted;
    const after = out - printed;
    expect(after).toBeGreaterThanOrEqual(2);
    const settled = await settledAtDesk(releaseId);
    // The desk's refund stands: the pages printed after it are not charged, and the release says so.
    // It said printedImpressions 5 and 'they were not printed later', nothing of the 2 pages.
    expect(settled).toMatchObject({
      state: 'refunded',
      amountMinor: 100,
      refundedMinor: (10 - printed) * 10,
      printedImpressions: out,
      restCancelled: {
        refundedAfter: printed,
        ended: true,
        printedAfterRefund: after,
        chargedAfterRefundMinor: 0,
      },
    });
    expect(settled.restCancelled?.message).toBe(
      `refunded at the desk after ${printed} of 10 pages: ${after} more printed before the print server stopped the job, not charged (the refund stands)`,
    );
    expect(settled.outcome).toContain(`cancelled at the print server after ${out} of 10 pages`);
    expect(settled.outcome).toContain(`the ${after} printed after the refund were not charged`);
    const account = (await post('/print/accounts/find', { patron })).json;
    expect(account.statement.balanceMinor).toBe(balanceBefore + 500 - printed * 10);
  });

  it("answers the station's Print sent again after the desk refunded the rest with what became of the rest, as the desk shows it", async () => {
    const balanceBefore = (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;
    const { releaseId, jobId, printed, session, requestId } = await releaseAndJam('Sent again');
    // The print server holds the Cancel-Job: the rest is still being cancelled.
    server().setFaults({ stallCancel: true });
    await refundUnprinted(releaseId, printed);
    // The station's first answer was lost: it sends the same Print again, with its request id.
    const printAgain = () =>
      post('/print/station/release', { session, requestId, queue: 'public-bw', jobId });
    const again = await printAgain();
    expect(again.status).toBe(200);
    const atDesk = await releaseAtDesk(releaseId);
    // It said state 'released', 0.70 EUR refunded, and nothing of the rest being cancelled.
    expect(again.json.release).toMatchObject({
      id: releaseId,
      state: 'released',
      refundedMinor: (10 - printed) * 10,
      restCancelled: { refundedAfter: printed, ended: false, chargedAfterRefundMinor: 0 },
    });
    expect(again.json.release.restCancelled).toEqual(atDesk.restCancelled);
    expect(again.json.release.printer).toEqual(atDesk.printer);

    // The print server takes the Cancel-Job: sent again, the answer says the rest did not print.
    server().setFaults({ stallCancel: false });
    const settled = await settledAtDesk(releaseId);
    const after = await printAgain();
    expect(after.status).toBe(200);
    expect(after.json.release).toMatchObject({
      state: 'refunded',
      printedImpressions: printed,
      restCancelled: { refundedAfter: printed, ended: true, printedAfterRefund: 0 },
    });
    expect(after.json.release.restCancelled).toEqual(settled.restCancelled);
    // Sent again, nothing charged or refunded twice.
    expect(after.json.balance.balanceMinor).toBe(balanceBefore + 500 - printed * 10);
  });

  it('answers a staff refund sent again with its request id as the first time: that the rest of the job is being cancelled', async () => {
    const { releaseId, printed } = await releaseAndJam('Refund sent again');
    // The print server holds the Cancel-Job: the rest is still being cancelled.
    server().setFaults({ stallCancel: true });
    await heardStopped(releaseId);
    const refund = {
      requestId: randomUUID(),
      releaseId,
      amountMinor: (10 - printed) * 10,
      reason: 'jammed: pages not printed',
    };
    const first = await post('/print/releases/refund', refund);
    expect(first.json.restCancelled).toMatchObject({ refundedAfter: printed, ended: false });
    // Its answer lost, staff press Refund again: the same request.
    const again = await post('/print/releases/refund', refund);
    expect(again.status).toBe(200);
    // It said the refund and nothing of the rest of the job, which the first answer said was being cancelled.
    expect(again.json.restCancelled).toEqual(first.json.restCancelled);
    expect(again.json.printer).toEqual(first.json.printer);
    expect(again.json.refundedMinor).toBe((10 - printed) * 10);
  });

  it.skipIf(chromiumSkipReason() !== undefined)(
    'shows on the print desk what became of the rest the desk refunded, whatever state the release is in',
    async () => {
      // Refunded in part, the rest cancelled: "Printed in part, refunded".
      const cancelled = await releaseAndJam('Cancelled rest');
      await refundUnprinted(cancelled.releaseId, cancelled.printed);
      await settledAtDesk(cancelled.releaseId);
      server().setFaults({ stopped: false });
      // The printer printed the rest before the print server took the Cancel-Job: "Printed, partly refunded".
      const finished = await releaseAndJam('Finished anyway');
      await refundAsPagesComeOut(
        finished.releaseId,
        finished.jobId,
        finished.printed,
        (job) => job.state === 'completed',
      );
      await settledAtDesk(finished.releaseId);
      // Refunded in full while the print server has not taken the Cancel-Job yet: "refunded", not ended.
      server().setFaults({ stallCancel: true });
      const refunded = await releaseAndJam('Refunded in full');
      await heardStopped(refunded.releaseId);
      const full = await post('/print/releases/refund', {
        requestId: randomUUID(),
        releaseId: refunded.releaseId,
        reason: 'the printer is jammed',
      });
      expect(full.json).toMatchObject({ state: 'refunded', refundedMinor: 100 });

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await openPrintDesk(page, testDesk.api, patron);
        const state = async (jobName: string) => {
          const row = page.locator('#releases tr', { hasText: jobName });
          await row.waitFor({ timeout: 10_000 });
          return (await row.locator('td').allTextContents())[5];
        };
        // Each read its state alone ('Printed in part, refunded', 'Printed, partly refunded', 'Not
        // printed, refunded'): nothing of the refund's cancel, shown only while a job was 'released'.
        expect(await state('Cancelled rest')).toBe(
          `Printed in part, refunded — refunded at the desk after ${cancelled.printed} of 10 pages: the rest of the job was cancelled at the print server, so the pages refunded were not printed (to have them, the patron prints them again).`,
        );
        expect(await state('Finished anyway')).toBe(
          `Printed, partly refunded — refunded at the desk after ${finished.printed} of 10 pages, but the printer printed the other ${10 - finished.printed} before the print server could cancel them: not charged (the refund stands).`,
        );
        expect(await state('Refunded in full')).toBe(
          `Printed in part, refunded — refunded at the desk after ${refunded.printed} of 10 pages: the rest of the job is being cancelled at the print server (Carrel asks it again until it is), so the pages refunded do not print when the printer is seen to (to have them, the patron prints them again).`,
        );
      } finally {
        await browser.close();
      }
    },
    // Three jammed jobs, each released, refunded and settled: 14 s in CI's full run.
    45_000,
  );
});
