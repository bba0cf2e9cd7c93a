import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { slowPrinting, waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { jammedPrintJobs } from '../helpers/jammed-print-job.js';
import { countedAtDesk } from '../helpers/print-desk.js';
import { logInAtRelease, printAsContactIsLost, printOffered } from '../helpers/release-page.js';

const PATRON = '21000001';
const PIN = '1234';

/**
 * The printer jams part-way through a patron's 10-page job (1.00 EUR); she asks at the desk, and
 * staff refund the pages that did not come out, which cancels the rest of the job at the print
 * server. Back at the release station, her list of what was charged says what became of the job in
 * her words: how many pages came out, what was refunded, and that the rest is not coming (or came
 * out anyway, not charged) — not "printing", "ask at the desk" (she has), or "not printed" of a job
 * whose first pages she holds.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the release station, for a job whose rest the desk refunded and cancelled',
  () => {
    const chromium = deskInChromium(slowPrinting, {
      ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
      // A station that lost contact as Print was pressed: its requests fail, which the browser logs.
      consoleError: (text) => !/net::ERR_FAILED/.test(text),
    });
    const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    const jams = jammedPrintJobs({ api: () => chromium.testDesk.api, server, patron: PATRON, pin: PIN });

    /** The release station opened and the patron logged in: her line in "Charged" for `title`. */
    async function chargedLine(title: string): Promise<{ station: Page; line: () => Promise<string> }> {
      const station = await chromium.openPage('/release');
      await logInAtRelease(station, PATRON, PIN);
      const item = station.locator('#charged li', { hasText: `${title}:` });
      await item.waitFor({ timeout: 10_000 });
      return { station, line: async () => (await item.textContent()) ?? '' };
    }

    /**
     * Print pressed at the station for a 10-page job `title` as the station loses contact: the desk
     * releases it, the answer is lost, and the printer jams once three or more pages are out. The
     * release, the pages out, the Print button, and the station's contact to give back.
     */
    async function jamWithAnswerLost(title: string) {
      await jams.deposit();
      const jobId = await server().submit({ user: PATRON, title, pages: 10 });
      await countedAtDesk(chromium.testDesk.api, [jobId]);
      const station = await chromium.openPage('/release');
      await logInAtRelease(station, PATRON, PIN);
      const print = await printOffered(station, jobId);
      const contact = await printAsContactIsLost(station, print);
      const printed = await jams.jam(jobId);
      const { releases } = (
        await callApi(chromium.testDesk.api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON })
      ).json as { releases: Array<{ id: string; jobId: number }> };
      const releaseId = releases.find((r) => r.jobId === jobId)!.id;
      await jams.heardStopped(releaseId);
      return { station, print, contact, releaseId, printed };
    }

    it('answers Print pressed again, its first answer lost, with the printer stopped, not "is printing"', async () => {
      try {
        const { station, print, contact, printed } = await jamWithAnswerLost('Abstract');
        await contact.back();
        await print.click();
        // It said '“Abstract” is printing: 1.00 EUR charged.' of a job the printer had stopped.
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
          .toBe(
            `“Abstract” was sent, but the printer stopped after ${printed} of 10 pages: please ask at the desk. 1.00 EUR charged.`,
          );
      } finally {
        server().setFaults({ stopped: false, stallCancel: false });
      }
    });

    it('answers Print pressed again, its first answer lost, after the desk refunded the rest: what came out, what was refunded, the rest being stopped', async () => {
      try {
        const { station, print, contact, releaseId, printed } = await jamWithAnswerLost('Appendix');
        // The print server holds the Cancel-Job: the rest is still being cancelled.
        server().setFaults({ stallCancel: true });
        await jams.refundUnprinted(releaseId, printed);
        await contact.back();
        await print.click();
        // It said '“Appendix” is printing: 1.00 EUR charged.' to a patron the desk had refunded.
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
          .toBe(
            `“Appendix” was stopped after ${printed} of 10 pages, and ${((10 - printed) / 10).toFixed(2)} EUR refunded at the desk: the other ${10 - printed} pages are being stopped at the printer, so do not wait for them (any that still come out are not charged).`,
          );
        expect(await station.locator('#alert').getAttribute('class')).not.toMatch(/\bok\b/);
      } finally {
        server().setFaults({ stopped: false, stallCancel: false });
      }
    });

    it('says how many pages came out, what was refunded, and that the rest is being cancelled, then that it does not come out', async () => {
      try {
        const { releaseId, printed } = await jams.releaseAndJam('Dissertation');
        // The print server holds the Cancel-Job: the rest is still being cancelled.
        server().setFaults({ stallCancel: true });
        await jams.refundUnprinted(releaseId, printed);
        const refunded = `${((10 - printed) / 10).toFixed(2)} EUR`;
        const { line } = await chargedLine('Dissertation');
        // It read 'the printer stopped after 3 of 10 pages: please ask at the desk', to a patron who had.
        expect(await line()).toBe(
          `Dissertation: 10 pages, 1.00 EUR charged — stopped after ${printed} of 10 pages, and ${refunded} refunded at the desk: the other ${10 - printed} pages are being stopped at the printer, so do not wait for them (any that still come out are not charged)`,
        );
        // The print server takes the Cancel-Job: the station follows the job until it ends, untouched.
        server().setFaults({ stallCancel: false });
        await jams.settledAtDesk(releaseId);
        await expect
          .poll(line, { timeout: 10_000 })
          .toBe(
            `Dissertation: 10 pages, 1.00 EUR charged — stopped after ${printed} of 10 pages, and ${refunded} refunded at the desk: the other ${10 - printed} pages will not come out (to have them, print the document again)`,
          );
      } finally {
        server().setFaults({ stopped: false, stallCancel: false });
      }
    });

    it('says the pages that came out after the refund, before the printer could be stopped, were not charged', async () => {
      try {
        // Two more pages come out before the print server takes the Cancel-Job.
        const some = await jams.releaseAndJam('Poster');
        await jams.refundAsPagesComeOut(
          some.releaseId,
          some.jobId,
          some.printed,
          (job) => job.impressionsCompleted >= some.printed + 2,
        );
        const out = (await jams.settledAtDesk(some.releaseId)).printedImpressions!;
        server().setFaults({ stopped: false });
        // The printer prints the rest before the print server takes the Cancel-Job.
        const all = await jams.releaseAndJam('Handout');
        await jams.refundAsPagesComeOut(
          all.releaseId,
          all.jobId,
          all.printed,
          (job) => job.state === 'completed',
        );
        await jams.settledAtDesk(all.releaseId);

        const poster = await chargedLine('Poster');
        // It read 'printed 5 of 10 pages, 0.70 EUR refunded': nothing of why 5 pages cost 0.30 EUR.
        expect(await poster.line()).toBe(
          `Poster: 10 pages, 1.00 EUR charged — stopped after ${out} of 10 pages, and ${((10 - some.printed) / 10).toFixed(2)} EUR refunded at the desk after ${some.printed}: the ${out - some.printed} pages that came out after the refund were not charged, and the other ${10 - out} pages will not come out (to have them, print the document again)`,
        );
        const handout = poster.station.locator('#charged li', { hasText: 'Handout:' });
        // It read 'printed, 0.70 EUR refunded'.
        expect(await handout.textContent()).toBe(
          `Handout: 10 pages, 1.00 EUR charged — printed, and ${((10 - all.printed) / 10).toFixed(2)} EUR refunded at the desk after ${all.printed} of 10 pages: the other ${10 - all.printed} pages came out before the printer could be stopped, and were not charged`,
        );
      } finally {
        server().setFaults({ stopped: false, stallCancel: false });
      }
    });

    it('reads a job refunded in full while its rest is being cancelled as stopped part-way, not "not printed", and follows it to its end', async () => {
      try {
        const { releaseId, printed } = await jams.releaseAndJam('Minutes');
        server().setFaults({ stallCancel: true });
        await jams.heardStopped(releaseId);
        const full = await callApi(chromium.testDesk.api, 'POST', '/api/v1/print/releases/refund', {
          requestId: randomUUID(),
          releaseId,
          reason: 'the printer is jammed',
        });
        expect(full.json).toMatchObject({ state: 'refunded', refundedMinor: 100 });
        const { line } = await chargedLine('Minutes');
        // It read 'not printed, 1.00 EUR refunded' of a job whose first pages the patron held, and
        // was not followed any more.
        expect(await line()).toBe(
          `Minutes: 10 pages, 1.00 EUR charged — stopped after ${printed} of 10 pages, and 1.00 EUR refunded at the desk: the other ${10 - printed} pages are being stopped at the printer, so do not wait for them (any that still come out are not charged)`,
        );
        server().setFaults({ stallCancel: false });
        await jams.settledAtDesk(releaseId);
        await expect
          .poll(line, { timeout: 10_000 })
          .toBe(
            `Minutes: 10 pages, 1.00 EUR charged — stopped after ${printed} of 10 pages, and 1.00 EUR refunded at the desk: the other ${10 - printed} pages will not come out (to have them, print the document again)`,
          );
      } finally {
        server().setFaults({ stopped: false, stallCancel: false });
      }
    });
  },
);
