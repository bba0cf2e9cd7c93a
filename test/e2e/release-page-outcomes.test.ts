import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { samplePdf } from '../../simulators/print-server/sample-document.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { countedAtDesk, releaseAtStation, stationLogin } from '../helpers/print-desk.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { until } from '../helpers/until.js';

interface ListedJob {
  jobId: number;
  pages: number | null;
  problem: { code: string; message: string } | null;
}

/**
 * What a patron at the release station is told of each job they print when not everything goes
 * well: the balance runs out halfway through Print all, a job is deleted at the print server
 * meanwhile, the printer stops halfway, two stations print the same job, the printer is unplugged.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the release station says what became of each job',
  () => {
    const chromium = deskInChromium(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      {
        ready: (testDesk) => waitForDevice(testDesk.api, 'public-bw', 'online', 15_000),
        // Refusals are answered 402/404/409/503: the browser logs each as a failed load.
        consoleError: (text) => !/status of (402|404|409|422|503)/.test(text),
      },
    );
    const api = () => chromium.testDesk.api;
    const server = () => chromium.testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

    async function deposit(patron: string, amountMinor: number): Promise<void> {
      const answer = await callApi(api(), 'POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron,
        amountMinor,
        currency: 'EUR',
        source: 'cash-desk',
      });
      expect(answer.status).toBe(201);
    }

    /** The held jobs as the print desk lists them, once `ready` holds for them (a job deleted meanwhile gone). */
    async function heldJobs(ready: (jobs: ListedJob[]) => boolean): Promise<ListedJob[]> {
      return until(
        async () => {
          const jobs = (await callApi(api(), 'GET', '/api/v1/print/jobs')).json.jobs as ListedJob[];
          return ready(jobs) ? jobs : undefined;
        },
        20_000,
        'the print desk never listed the jobs as expected',
        50,
      );
    }

    async function logIn(patron: string, pin: string): Promise<Page> {
      const station = await chromium.openPage('/release');
      await logInAtRelease(station, patron, pin);
      return station;
    }

    const releasesOf = async (patron: string) =>
      (
        (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron })).json.releases as Array<{
          jobId: number;
          amountMinor: number;
          refundedMinor: number;
          state: string;
        }>
      ).filter(Boolean);

    it('Print all lists every job: what it was charged, which were not printed and why, and the refund of one the printer stopped', async () => {
      const patron = '21000003';
      await deposit(patron, 50);
      const a = await server().submit({ user: patron, title: 'Essay', pages: 2 });
      const b = await server().submit({ user: patron, title: 'Thesis', pages: 30 });
      const c = await server().submit({ user: patron, title: 'Form', pages: 1 });
      const d = await server().submit({ user: patron, title: 'Boarding pass', pages: 1 });
      await countedAtDesk(api(), [a, b, c, d]);
      const station = await logIn(patron, '3333');
      await station.locator(`[data-job="public-bw/${d}"]`).waitFor({ timeout: 10_000 });
      // Deleted at the print server while the patron looks at the list.
      server().model.cancel(d);
      await heldJobs((jobs) => !jobs.some((j) => j.jobId === d));
      // The printer stops after the first page of the first job.
      server().setFaults({ abortNextAfter: 1 });
      await station.getByRole('button', { name: 'Print all' }).click();

      const alert = station.locator('#alert');
      await expect.poll(() => alert.locator('li').count(), { timeout: 15_000 }).toBe(4);
      const text = (await alert.textContent()) ?? '';
      // It said only what became of the last job ('no held job 5 of this patron on public-bw').
      expect(text).toContain('2 of 4 documents were sent to the printer; 2 were not.');
      expect(text).toMatch(/“Essay” is printing: 0\.20 EUR charged\./);
      // The balance after Essay, not before it.
      expect(text).toMatch(
        /“Thesis” was not printed: it costs 3\.00 EUR and your balance is 0\.30 EUR\. Top up/,
      );
      expect(text).toMatch(/“Form” is printing: 0\.10 EUR charged\./);
      expect(text).toMatch(
        /“Boarding pass” is no longer waiting to be printed: .*Nothing was charged for it here\./,
      );
      expect(text).not.toMatch(/public-bw|job \d/);

      // Essay stopped after one of its two pages: the patron sees the page refunded without a touch.
      await expect
        .poll(() => station.locator('#charged').textContent(), { timeout: 15_000 })
        .toMatch(/Essay: 2 pages, 0\.20 EUR charged — printed 1 of 2 pages, 0\.10 EUR refunded/);
      await expect
        .poll(() => station.locator('#balance').textContent(), { timeout: 10_000 })
        .toMatch(/0\.30 EUR/);
      const releases = await releasesOf(patron);
      expect(releases.map((r) => r.jobId).sort()).toEqual([a, c].sort());
      expect(server().job(b)?.state).toBe('pending-held');
    });

    it('a double press on Print prints and charges once, and the second station to press Print is told it was printed, not charged again', async () => {
      const patron = '21000009';
      await deposit(patron, 100);
      const job = await server().submit({ user: patron, title: 'Tickets', pages: 1 });
      await countedAtDesk(api(), [job]);
      const first = await logIn(patron, '9999');
      const second = await logIn(patron, '9999');
      const print = (station: Page) =>
        station.locator(`[data-job="public-bw/${job}"]`).getByRole('button', { name: 'Print' });
      await print(second).waitFor({ timeout: 10_000 });

      // Two presses a patron's finger makes: the second after the first was answered.
      await print(first).click();
      await first.locator('#alert').getByText('“Tickets” is printing').waitFor({ timeout: 10_000 });
      await print(first)
        .click({ timeout: 300, force: true })
        .catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await first.locator('#alert').textContent()).toMatch(
        /^“Tickets” is printing: 0\.10 EUR charged\.$/,
      );

      // The other station still shows the job.
      await print(second).click();
      await expect
        .poll(() => second.locator('#alert').textContent(), { timeout: 10_000 })
        .toMatch(
          /^“Tickets” (is no longer waiting to be printed: it was printed from another station, or deleted from the print server\. Nothing was charged for it here|was already sent to the printer from another station\. It was not charged again)\.$/,
        );
      const releases = await releasesOf(patron);
      expect(releases).toHaveLength(1);
      await expect
        .poll(() => second.locator('#balance').textContent(), { timeout: 10_000 })
        .toMatch(/0\.90 EUR/);
    });

    it('a file cut short is said in the words of whoever printed it, at the station, at the desk and over the API', async () => {
      const patron = '21000002';
      const truncated = samplePdf({ pages: 3, title: 'Scan' }).subarray(0, 300);
      const job = await server().submit({
        user: patron,
        title: 'Scan',
        pdfBase64: truncated.toString('base64'),
      });
      const [listed] = await countedAtDesk(api(), [job]);
      const words =
        'the file could not be read (it may be damaged, or only part of it arrived): print it again from the program it was made in';
      // It said 'the pages cannot be counted: Invalid PDF structure.' (pdf.js's words).
      expect(listed?.problem).toEqual({ code: 'document_unreadable', message: words });

      const station = await logIn(patron, '2222');
      const row = station.locator(`[data-job="public-bw/${job}"]`);
      await expect
        .poll(() => row.locator('.problem').textContent(), { timeout: 10_000 })
        .toBe(`${words.charAt(0).toUpperCase()}${words.slice(1)}`);
      expect(await row.getByRole('button', { name: 'Print' }).isDisabled()).toBe(true);

      const refused = await releaseAtStation(api(), await stationLogin(api(), patron, '2222'), job);
      expect(refused.status).toBe(422);
      expect(refused.json).toMatchObject({ code: 'document_unreadable', detail: words });

      const desk = await chromium.openPage('/print-staff');
      await desk.locator('#patron').fill(patron);
      await desk.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => desk.locator('#held').textContent(), { timeout: 10_000 }).toContain(words);
      for (const page of [station, desk])
        expect(await page.locator('body').textContent()).not.toMatch(/Invalid PDF/i);
    });

    it('a job deleted at the print server as Print is pressed is said in words, its charge refunded', async () => {
      const patron = '21000002';
      await deposit(patron, 100);
      const job = await server().submit({ user: patron, title: 'Invoice', pages: 1 });
      await countedAtDesk(api(), [job]);
      const station = await logIn(patron, '2222');
      const row = station.locator(`[data-job="public-bw/${job}"]`);
      await row.waitFor({ timeout: 10_000 });
      // Someone deletes it at the print server just before Carrel's Release-Job reaches it.
      const model = server().model;
      const release = model.release.bind(model);
      model.release = (id) => {
        if (id === job) model.cancel(id);
        return release(id);
      };
      try {
        await row.getByRole('button', { name: 'Print' }).click();
        // It said 'the print server did not release the job; the charge was refunded
        // (ipp://127.0.0.1:…/printers/public-bw: client-error-not-possible (job 9 is not held))'.
        await expect
          .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
          .toMatch(
            /^“Invoice” was not printed: the print server no longer had it waiting \(it may have been deleted\)\. The 0\.10 EUR charged was refunded\.$/,
          );
        await expect
          .poll(() => station.locator('#charged').textContent(), { timeout: 10_000 })
          .toMatch(/Invoice: 1 page, 0\.10 EUR charged — not printed, 0\.10 EUR refunded/);
        expect(await station.locator('#balance').textContent()).toMatch(/1\.00 EUR/);
      } finally {
        model.release = release;
      }
    });

    it('a job the print server refuses to release but still holds is said to be still waiting, not deleted, and prints when pressed again', async () => {
      const patron = '21000002';
      await deposit(patron, 100);
      const job = await server().submit({ user: patron, title: 'Letter', pages: 1 });
      await countedAtDesk(api(), [job]);
      const station = await logIn(patron, '2222');
      const row = station.locator(`[data-job="public-bw/${job}"]`);
      await row.waitFor({ timeout: 10_000 });
      const balanceBefore = await station.locator('#balance').textContent();
      // The print server answers the next Release-Job client-error-not-possible and keeps the job held.
      const fault = await fetch(`${server().url}/api/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refuseNextRelease: true }),
      });
      expect(fault.status).toBe(200);
      await row.getByRole('button', { name: 'Print' }).click();
      // It said 'was not printed: the print server no longer had it waiting (it may have been
      // deleted)' of a job still there, waiting to be printed.
      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe(
          '“Letter” could not be printed just now: the print server would not send it to the printer. It is still waiting, and the 0.10 EUR charged was refunded. Press Print to try again, or ask at the desk.',
        );
      expect(
        server()
          .model.list('public-bw', 'all')
          .find((j) => j.id === job)?.state,
      ).toBe('pending-held');
      await expect
        .poll(() => station.locator('#charged').textContent(), { timeout: 10_000 })
        .toMatch(/Letter: 1 page, 0\.10 EUR charged — not printed, 0\.10 EUR refunded/);
      expect(await station.locator('#balance').textContent()).toBe(balanceBefore);
      // Still listed, and Print prints it.
      await expect.poll(() => row.getByRole('button', { name: 'Print' }).isDisabled()).toBe(false);
      await row.getByRole('button', { name: 'Print' }).click();
      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe('“Letter” is printing: 0.10 EUR charged.');
    });

    it("the station tells a job still waiting from a deleted one by the API's jobStillWaiting, whatever the words of its detail", async () => {
      const patron = '21000002';
      await deposit(patron, 100);
      const held = await server().submit({ user: patron, title: 'Permit', pages: 1 });
      const deleted = await server().submit({ user: patron, title: 'Receipt', pages: 1 });
      await countedAtDesk(api(), [held, deleted]);
      const station = await logIn(patron, '2222');
      // The refusals' details as another Carrel might word them (a new wording, another language):
      // the page read 'still waiting' in the detail to tell the two apart.
      const reworded: string[] = [];
      await station.route('**/api/v1/print/station/release', async (route) => {
        const answer = await route.fetch();
        const body = await answer.json();
        if (body.code === 'print_release_refused') {
          reworded.push(body.detail);
          body.detail = 'Der Druckserver hat den Auftrag nicht freigegeben; der Betrag wurde erstattet';
        }
        await route.fulfill({ response: answer, json: body });
      });
      const model = server().model;
      const release = model.release.bind(model);
      model.release = (id) => {
        if (id === deleted) model.cancel(id);
        return release(id);
      };
      try {
        for (const [job, title, words] of [
          [
            held,
            'Permit',
            '“Permit” could not be printed just now: the print server would not send it to the printer. It is still waiting, and the 0.10 EUR charged was refunded. Press Print to try again, or ask at the desk.',
          ],
          [
            deleted,
            'Receipt',
            '“Receipt” was not printed: the print server no longer had it waiting (it may have been deleted). The 0.10 EUR charged was refunded.',
          ],
        ] as const) {
          const row = station.locator(`[data-job="public-bw/${job}"]`);
          await expect.poll(() => row.getByRole('button', { name: 'Print' }).isEnabled()).toBe(true);
          if (job === held) {
            const fault = await fetch(`${server().url}/api/faults`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ refuseNextRelease: true }),
            });
            expect(fault.status).toBe(200);
          }
          await row.getByRole('button', { name: 'Print' }).click();
          await expect
            .poll(() => station.locator('#alert').textContent(), { timeout: 10_000, message: title })
            .toBe(words);
        }
      } finally {
        model.release = release;
      }
      expect(reworded).toHaveLength(2);
      expect(server().job(held)?.state).toBe('pending-held');
      server().model.cancel(held);
    });

    it('a job still being counted when the patron logged in gets its price and Print by itself', async () => {
      const patron = '21000010';
      // The print server hands the document over late: it is still being counted while the
      // patron logs in, however fast this machine counts. The delay holds it, not its size: a
      // document of a dozen pages, not 20,000 (7 MB made, sent and counted, seconds of it).
      server().setFaults({ documentDelayMs: 5_000 });
      const job = await server().submit({ user: patron, title: 'Atlas', pages: 12 });
      let row: ReturnType<Page['locator']>;
      try {
        const station = await logIn(patron, '1010');
        row = station.locator(`[data-job="public-bw/${job}"]`);
        await row.waitFor({ timeout: 10_000 });
        expect(await row.locator('.problem').textContent()).toBe(
          'Its pages are still being counted. Wait a moment, then press Print again.',
        );
        expect(await row.getByRole('button', { name: 'Print' }).isDisabled()).toBe(true);
      } finally {
        server().setFaults({ documentDelayMs: 0 });
      }
      // It stayed so until the patron logged out and in again.
      await expect.poll(() => row.locator('.cost').textContent(), { timeout: 15_000 }).toMatch(/^1\.20 EUR$/);
      expect(await row.locator('.problem').textContent()).toBe('');
      expect(await row.getByRole('button', { name: 'Print' }).isDisabled()).toBe(false);
      server().model.cancel(job);
    });

    it('Done pressed while Print all is sending leaves nothing of the patron on the screen', async () => {
      const patron = '21000003';
      await deposit(patron, 100);
      const titles = ['Lab results', 'Court letter', 'Bank statement'];
      const ids: number[] = [];
      for (const title of titles) ids.push(await server().submit({ user: patron, title, pages: 1 }));
      await countedAtDesk(api(), ids);
      const station = await logIn(patron, '3333');
      await station.locator(`[data-job="public-bw/${ids[2]}"]`).waitFor({ timeout: 10_000 });
      await station.getByRole('button', { name: 'Print all' }).click();
      await station.getByRole('button', { name: 'Done' }).click();
      await station.locator('#screen-login').waitFor({ state: 'visible', timeout: 5_000 });
      // Let every release still on its way come back.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // The answers that came back after Done were shown to the next person at the login screen.
      const shown = (await station.locator('body').textContent()) ?? '';
      for (const title of titles) expect(shown).not.toContain(title);
      // What was sent before Done is charged once; what was not stays waiting, not charged.
      const charged = (await releasesOf(patron)).filter((r) => ids.includes(r.jobId)).map((r) => r.jobId);
      expect(new Set(charged).size).toBe(charged.length);
      for (const id of ids.filter((id) => !charged.includes(id)))
        expect(server().job(id)?.state).toBe('pending-held');
      for (const id of ids) server().model.cancel(id);
    });

    it('a printed job whose charge the desk gave back in full reads printed and refunded, not "not printed"', async () => {
      const patron = '21000006';
      await deposit(patron, 100);
      const job = await server().submit({ user: patron, title: 'Smudged map', pages: 1 });
      await countedAtDesk(api(), [job]);
      const station = await logIn(patron, '6666');
      await station.locator(`[data-job="public-bw/${job}"]`).getByRole('button', { name: 'Print' }).click();
      await expect
        .poll(async () => (await releasesOf(patron)).find((r) => r.jobId === job)?.state, { timeout: 15_000 })
        .toBe('completed');
      const release = (
        (await callApi(api(), 'POST', '/api/v1/print/accounts/find', { patron })).json.releases as Array<{
          id: string;
          jobId: number;
        }>
      ).find((r) => r.jobId === job)!;
      // The print came out smudged: the desk gives the 0.10 EUR back.
      const refund = await callApi(api(), 'POST', '/api/v1/print/releases/refund', {
        requestId: randomUUID(),
        releaseId: release.id,
        reason: 'smudged',
      });
      expect(refund.status).toBe(200);
      await station.getByRole('button', { name: 'Done' }).click();
      const again = await logIn(patron, '6666');
      // It read 'Smudged map: 1 page, 0.10 EUR charged — not printed, 0.10 EUR refunded'.
      await expect
        .poll(() => again.locator('#charged').textContent(), { timeout: 10_000 })
        .toMatch(/Smudged map: 1 page, 0\.10 EUR charged — printed, 0\.10 EUR refunded/);
      expect(await again.locator('#balance').textContent()).toBe('1.00 EUR');
    });

    it('the printer unplugged: the patron is told it cannot be reached and that nothing was charged (last: the print server stays stopped)', async () => {
      const patron = '21000001';
      const job = await server().submit({ user: patron, title: 'Letter', pages: 1 });
      await countedAtDesk(api(), [job]);
      const station = await logIn(patron, '1234');
      const row = station.locator(`[data-job="public-bw/${job}"]`);
      await row.waitFor({ timeout: 10_000 });
      const before = await station.locator('#balance').textContent();
      await server().close();
      await waitForDevice(api(), 'public-bw', 'offline', 15_000);

      await row.getByRole('button', { name: 'Print' }).click();
      // It said 'the print server of queue "public-bw" cannot be reached'.
      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe(
          '“Letter” was not printed, and nothing was charged: the printer cannot be reached just now. Try again in a few minutes, or ask at the desk.',
        );
      await expect
        .poll(() => row.locator('.problem').textContent(), { timeout: 10_000 })
        .toBe('The printer cannot be reached just now. Try again in a few minutes, or ask at the desk.');
      expect(await row.getByRole('button', { name: 'Print' }).isDisabled()).toBe(true);
      // Print all, with nothing it could print, took the press and did nothing.
      expect(await station.getByRole('button', { name: 'Print all' }).isDisabled()).toBe(true);
      expect(await station.locator('#balance').textContent()).toBe(before);
      expect(await releasesOf(patron)).toEqual([]);
    });
  },
);
