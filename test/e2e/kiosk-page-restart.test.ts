import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { type RestartableCarrel, restartableCarrel, simulatedDeskConfig } from '../helpers/carrel-daemon.js';
import { writeConfigFile } from '../helpers/config-file.js';
import { waitForDevice } from '../helpers/desk.js';
import { logIn, showFees } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/**
 * The kiosk page in Chromium while the Carrel under it dies (SIGKILL: a crash, the OOM killer, a
 * power cut of the desk PC) and is started again, as systemd does: a session lives in the daemon's
 * memory only, so the page must tell the patron it is over, what is theirs, and start again; a
 * payment is journaled, and the page must show how Carrel settled it at its start.
 */
describe.skipIf(skip !== undefined)(
  'the kiosk page when Carrel is killed and started again mid-session',
  () => {
    let carrel: RestartableCarrel | undefined;
    let api: string;
    let padControl: string;
    let cashControl: string;
    let browser: Browser;
    let page: Page | undefined;
    /** A second kiosk, on selfcheck-1. */
    let beside: Page | undefined;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      // The ILS, the receipt printer, the kiosk's pad (no scanner: the page is told so) and its coin
      // and note acceptors. Carrel first listens on a port the system gives it (one found free
      // beforehand may be taken by another test's process first) and comes back on that one after
      // each restart, where the page dials it again; the simulators' control APIs are read from
      // what each start prints.
      // A second self-check pad, selfcheck-1, empty: a patron there has checked nothing out yet.
      carrel = restartableCarrel(
        'carrel-kiosk-restart-',
        (dir) => {
          const config = simulatedDeskConfig(dir, {
            devices: ['ils', 'receipt-1', 'pad-1', 'selfcheck-1', 'coins-1', 'notes-1'],
            simulators: ['ils-sim', 'printer-sim', 'pad-sim', 'selfcheck-sim', 'cash-sim'],
          });
          return writeConfigFile(dir, 'carrel.json', {
            ...config,
            printAccounts: undefined,
            simulators: config.simulators.map((simulator) =>
              simulator.id === 'selfcheck-sim' ? { ...simulator, tags: [] } : simulator,
            ),
          });
        },
        { samePort: true },
      );
      await start();
      api = carrel.api;
      await waitForDevice(api, 'pad-1', 'online', 20_000);
      await waitForDevice(api, 'selfcheck-1', 'online', 20_000);
      await waitForDevice(api, 'ils', 'online', 20_000);
      browser = await launchChromium();
    }, 60_000);

    /** Starts Carrel on the configuration, and reads where its simulators' control APIs are now. */
    async function start(): Promise<void> {
      const started = await carrel!.start();
      padControl = started.simulators.get('pad-sim')!;
      cashControl = started.simulators.get('cash-sim')!;
    }

    afterAll(async () => {
      await page?.close();
      await beside?.close();
      await browser?.close();
      await carrel?.close();
      expect(pageErrors).toEqual([]);
    });

    /**
     * Polls `read` until it gives `expected`, running the page's clock 5 s on before each look that
     * does not: the page dials Carrel again after 0.5, 1, 2 and 4 s, then every 5 s, and says it is
     * reconnecting from its fifth try — seconds the test used to wait out, about 12 of each restart.
     * Every try is still a real WebSocket, refused while the daemon is down, taken once it is up.
     */
    async function onPageClock<T>(kiosk: Page, read: () => Promise<T>, expected: T): Promise<void> {
      await expect
        .poll(
          async () => {
            const now = await read();
            if (now !== expected) await kiosk.clock.fastForward(5000);
            return now;
          },
          { timeout: 20_000 },
        )
        .toBe(expected);
    }

    async function clearPad(): Promise<void> {
      const { tags } = (await (await fetch(`${padControl}/api/tags`)).json()) as {
        tags: Array<{ uid: string; onPad: boolean }>;
      };
      for (const tag of tags.filter((t) => t.onPad))
        await fetch(`${padControl}/api/tags/${tag.uid}`, { method: 'DELETE' });
      await expect
        .poll(
          async () =>
            ((await (await fetch(`${api}/api/v1/rfid/pad-1/tags`)).json()) as { tags: unknown[] }).tags
              .length,
          { timeout: 10_000 },
        )
        .toBe(0);
    }

    async function placeTag(primaryItemId: string): Promise<void> {
      const memory = encodeIso28560Part3({ primaryItemId, ownerLibrary: 'SE-RPL' });
      const response = await fetch(`${padControl}/api/tags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e }),
      });
      expect(response.status).toBe(201);
    }

    it('says the session ended, what the patron checked out, and starts again', async () => {
      await clearPad();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const kiosk = page;
      await kiosk.clock.install();
      await kiosk.goto(`${api}/kiosk?pad=pad-1&printer=receipt-1&scanner=`);
      await logIn(kiosk);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await placeTag('31000005'); // Dune
      const dune = kiosk.getByRole('listitem').and(kiosk.locator('[data-item="31000005"]'));
      await expect.poll(() => dune.textContent(), { timeout: 10_000 }).toMatch(/Checked out — due/);
      // On the kiosk beside it another patron has logged in and checked nothing out yet.
      beside = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      beside.on('pageerror', (error) => pageErrors.push(error.message));
      const empty = beside;
      await empty.clock.install();
      await empty.goto(`${api}/kiosk?pad=selfcheck-1&printer=receipt-1&scanner=`);
      await empty.getByRole('button', { name: 'Borrow items' }).click();
      await empty.getByLabel('Library card number').fill('21000002');
      await empty.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('2222');
      await empty.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => empty.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 })
        .toMatch(/^Hello, /);

      await carrel!.kill();
      // Down for a while (systemd's restart delay, a slow start): the page keeps trying and says so.
      await onPageClock(kiosk, () => kiosk.getByRole('alert').filter({ hasText: 'Reconnecting' }).count(), 1);
      await start();

      await onPageClock(kiosk, () => kiosk.getByRole('heading', { level: 1 }).textContent(), 'Session ended');
      expect(await kiosk.locator('#thanks-message').textContent()).toContain(
        '1 item checked out: it is yours to take.',
      );
      expect(await kiosk.getByRole('alert').filter({ hasText: 'Reconnecting' }).count()).toBe(0);
      // The patron beside her was told '0 items checked out: they are yours to take.'
      await onPageClock(empty, () => empty.getByRole('heading', { level: 1 }).textContent(), 'Session ended');
      expect(await empty.locator('#thanks-message').textContent()).toBe(
        'The self-check was restarted, so your session has ended. Nothing was checked out in this session.',
      );
      // And the kiosk serves the next patron: the pad is free again.
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
    }, 90_000);

    it('shows the payment as Carrel settled it at its start: what was paid, what is still to pay', async () => {
      await page?.close();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const kiosk = page;
      await waitForDevice(api, 'coins-1', 'online', 20_000);
      await kiosk.clock.install();
      await kiosk.goto(`${api}/kiosk?pad=pad-1&printer=receipt-1&scanner=`);
      await showFees(kiosk, '21000006', '6666');
      await kiosk.getByRole('button', { name: 'Pay with coins and notes' }).click();
      const insert = kiosk.getByRole('region', { name: 'Insert coins or notes' });
      await expect.poll(() => insert.textContent(), { timeout: 10_000 }).toContain('Still to pay: 1.25 EUR');
      const coin = await fetch(`${cashControl}/api/coins`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: 100 }),
      });
      expect(((await coin.json()) as { accepted: boolean }).accepted).toBe(true);
      await expect.poll(() => insert.textContent(), { timeout: 10_000 }).toContain('Still to pay: 0.25 EUR');

      await carrel!.kill();
      await onPageClock(
        kiosk,
        async () => (await insert.textContent())?.includes('Reconnecting to the payment'),
        true,
      );
      await start();

      // Carrel took the payment up at its start and settled what was inserted.
      const done = kiosk.getByRole('region', { name: 'Thank you' });
      await onPageClock(kiosk, () => done.isVisible(), true);
      await expect.poll(() => done.textContent()).toContain('You paid 1.00 EUR.');
      expect(await done.textContent()).toContain('Still to pay: 0.25 EUR');
    }, 90_000);
  },
);
