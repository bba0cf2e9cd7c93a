import { randomUUID } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { restartableStaffDeskInChromium } from '../helpers/restartable-staff-desk.js';
import { until } from '../helpers/until.js';

const OLD_TOKEN = 'print-desk-token-before';
const NEW_TOKEN = 'print-desk-token-after';
const IT_TOKEN = 'it-admin-token-0123456789abcdef';
/** How long the staff pages wait for an answer (web/common/print-api.js DEADLINE_MS). */
const DEADLINE_MS = 15_000;

/**
 * The print desk page in Chromium while the Carrel under it is restarted (systemd, an update), and
 * then restarted by IT with the desk's staff token changed: staff must see in words that the page is
 * not live while Carrel is away, the account as it is now once it is back (not as it was), and —
 * with its token no longer taken — that they must open the page again with its current link, not a
 * page that keeps showing an old balance and answers each press with "send a valid bearer token"
 * — nor words beside the list of money owed to patrons (a payout found made at another desk) left
 * on screen about a list no longer shown. And IT's device dashboard on the same desk while Carrel
 * hangs (its process stopped): said in words within the deadline, its buttons kept, live again by
 * itself.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the print desk page when Carrel restarts or stops taking its token',
  { timeout: 120_000 },
  () => {
    const staff = restartableStaffDeskInChromium({
      folderPrefix: 'carrel-print-staff-link-',
      tokenName: 'print-desk',
      token: OLD_TOKEN,
      devices: ['ils', 'receipt-1', 'public-bw', 'coins-1'],
      simulators: ['ils-sim', 'printer-sim', 'print-server', 'cash-sim'],
      waitFor: 'ils',
      otherTokens: [{ name: 'it-admin', token: IT_TOKEN, scopes: ['admin'] }],
    });
    const { pageErrors } = staff;
    let page: Page;

    const topUp = async (token: string, amountMinor: number) => {
      const response = await fetch(`${staff.desk().daemon.api}/api/v1/print/accounts/deposit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          requestId: randomUUID(),
          patron: '21000001',
          amountMinor,
          currency: 'EUR',
          source: 'cash-desk',
        }),
      });
      expect(response.status).toBeLessThan(300);
    };
    const send = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const response = await fetch(`${staff.desk().daemon.api}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${OLD_TOKEN}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
      return { status: response.status, json: (await response.json()) as any };
    };
    /**
     * Björn's €5 fee paid at a kiosk in coins (the ccTalk acceptor simulator, through its control
     * API) after it was paid at the desk meanwhile: €5 owed back to him. The payment's id.
     */
    const owedPayment = async (): Promise<string> => {
      const opened = await send('POST', '/payments', {
        patron: '21000003',
        pin: '3333',
        purpose: { kind: 'fees', fees: ['F-1002'] },
        amountDueMinor: 500,
      });
      expect(opened.status).toBe(201);
      const elsewhere = await send('POST', '/fees/payments', {
        patron: '21000003',
        amount: '5.00',
        feeId: 'F-1002',
        paymentType: 'cash',
      });
      expect(elsewhere.json).toMatchObject({ accepted: true });
      const cash = staff.desk().daemon.simulators.get('cash-sim')!;
      for (const value of [200, 200, 100]) {
        const coin = await fetch(`${cash}/api/coins`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value }),
        });
        expect(((await coin.json()) as { accepted: boolean }).accepted).toBe(true);
      }
      const id = opened.json.id as string;
      await until(
        async () => ((await send('GET', `/payments/${id}`)).json.state === 'completed' ? true : undefined),
        15_000,
        'the kiosk payment never ended',
      );
      return id;
    };
    /** What the page says of its link to Carrel, and what it says of the last press. */
    const link = () => page.locator('#link');
    const alert = () => page.locator('#alert');

    it('says it is reconnecting while Carrel is away, shows the account as it is now once back, and asks to open the page again when its token is no longer taken', async () => {
      page = await staff.openPage(`/print-staff#token=${OLD_TOKEN}`);
      await page.getByLabel('Library card').fill('21000001');
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 10_000 }).toBe('0.00 EUR');

      // Carrel stops (a restart): the page says so, in words, rather than showing the account as live.
      await staff.desk().stop();
      await expect
        .poll(async () => ((await link().isVisible()) ? await link().textContent() : ''), {
          timeout: 15_000,
        })
        .toMatch(/Not connected to Carrel.*trying again/);

      // Back (the same token): the words go, and the balance is as it is now — topped up elsewhere meanwhile.
      await staff.desk().start();
      await topUp(OLD_TOKEN, 300);
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 30_000 }).toBe('3.00 EUR');
      await expect.poll(() => link().isVisible(), { timeout: 10_000 }).toBe(false);

      // Money owed to a patron, paid out at another desk while this page's list was not read again
      // (it is every 5 s): Paid out pressed here says so beside the list.
      const id = await owedPayment();
      const paidOut = page.getByRole('button', { name: `Paid out: 5.00 EUR to Björn Müller, payment ${id}` });
      await paidOut.waitFor({ timeout: 15_000 });
      const owedList = '**/api/v1/payments/owed';
      await page.route(owedList, (route) => route.abort());
      expect(
        (await send('POST', `/payments/${id}/payouts`, { amountMinor: 500, requestId: randomUUID() })).status,
      ).toBeLessThan(300);
      await paidOut.click();
      const said = page.locator('.owed-said');
      await expect
        .poll(() => said.textContent(), { timeout: 10_000 })
        .toMatch(/was already paid out at another desk or page.*nothing was changed/);
      await page.unroute(owedList);

      // IT changes the desk's token and restarts Carrel: the page's token is no longer taken.
      await staff.desk().stop();
      staff.desk().changeToken(NEW_TOKEN);
      await staff.desk().start();
      await topUp(NEW_TOKEN, 200);
      const signInAgain =
        /no longer takes this page’s access token.*open the print desk again with its current link/;
      await expect.poll(() => link().textContent(), { timeout: 30_000 }).toMatch(signInAgain);
      // The account it can no longer read is not shown as if it were current, nor what was said
      // beside the list of money owed, which is no longer shown either.
      expect(await page.locator('#account').isVisible()).toBe(false);
      expect(await page.locator('#owed-section').isVisible()).toBe(false);
      expect(await said.isVisible()).toBe(false);
      // A press says the same, not the API's words to developers.
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => alert().textContent(), { timeout: 10_000 }).toMatch(signInAgain);
      expect(await alert().textContent()).not.toContain('bearer');
      expect(pageErrors).toEqual([]);
    });

    it('says on the dashboard that a hung Carrel is not answering, keeps its buttons usable, and is live again by itself', async () => {
      // Opened on /healthz first: the dashboard's clock runs as a clock does, and on at once when the test says.
      const dashboard = await staff.openPage('/healthz');
      await dashboard.clock.install();
      await dashboard.goto(`${staff.desk().daemon.api}/dashboard#token=${IT_TOKEN}`);
      const live = dashboard.locator('#link');
      await expect.poll(() => live.textContent(), { timeout: 10_000 }).toBe('Live');
      const printer = dashboard.locator('li.device[data-device="receipt-1"]');
      const testPage = printer.getByRole('button', { name: 'Test page' });
      await testPage.waitFor({ timeout: 10_000 });
      await expect.poll(() => dashboard.locator('#sessions-open').textContent()).toMatch(/^\d+$/);
      // The reads of the desk's figures under way at once, at most.
      let reading = 0;
      let mostAtOnce = 0;
      const isRead = (request: { url(): string }) => request.url().includes('/api/v1/offline/summary');
      dashboard.on('request', (request) => {
        if (isRead(request)) mostAtOnce = Math.max(mostAtOnce, ++reading);
      });
      const ended = (request: Request) => {
        if (isRead(request)) reading--;
      };
      dashboard.on('requestfinished', ended);
      dashboard.on('requestfailed', ended);

      // Carrel hangs: its process stopped (its sockets open, nothing answered, its WebSocket silent).
      const daemon = staff.desk().daemon.child;
      daemon.kill('SIGSTOP');
      try {
        // Its next read (every 15 s) waits out the deadline, and the page says so in words. The clock
        // is moved on at each look: on a busy machine the read, and its deadline's timer, may start
        // only after a jump.
        await expect
          .poll(
            async () => {
              await dashboard.clock.fastForward(DEADLINE_MS);
              return live.textContent();
            },
            { timeout: 10_000 },
          )
          .toMatch(/^Carrel is not answering/);
        expect(await dashboard.locator('#devices').getAttribute('class')).toContain('stale');
        await testPage.click();
        await expect.poll(() => printer.locator('.outcome').textContent()).toBe('Test page…');
        // Said in words at the deadline, not a "Test page…" for ever; the button may be pressed again.
        await expect
          .poll(
            async () => {
              await dashboard.clock.fastForward(DEADLINE_MS);
              return printer.locator('.outcome').textContent();
            },
            { timeout: 10_000 },
          )
          .toMatch(/^Test page: the desk did not answer .*Press again\.$/);
        expect(await testPage.isEnabled()).toBe(true);
        await expect.poll(() => live.textContent(), { timeout: 4000 }).toMatch(/^Carrel is not answering/);
        // A minute on, its 15 s reads tick on: each waits out its deadline, none stacked on another.
        for (let tick = 0; tick < 4; tick++) await dashboard.clock.fastForward(DEADLINE_MS);
        // (A read already under way when the daemon stopped may be the only one: none new is then sent.)
        expect(mostAtOnce).toBeLessThanOrEqual(1);
        expect(await live.textContent()).toMatch(/^Carrel is not answering/);
        expect(await dashboard.locator('#devices').getAttribute('class')).toContain('stale');
      } finally {
        daemon.kill('SIGCONT');
      }

      // Carrel answers again: the page is live by itself at its next read.
      await expect
        .poll(
          async () => {
            const text = await live.textContent();
            if (text !== 'Live') await dashboard.clock.fastForward(DEADLINE_MS);
            return text;
          },
          { timeout: 30_000 },
        )
        .toBe('Live');
      expect(await dashboard.locator('#devices').getAttribute('class')).not.toContain('stale');
      expect(mostAtOnce).toBeLessThanOrEqual(1);
      await testPage.click();
      await expect
        .poll(() => printer.locator('.outcome').textContent(), { timeout: 10_000 })
        .toMatch(/^Test page queued/);
      await dashboard.close();
      expect(pageErrors).toEqual([]);
    });
  },
);
