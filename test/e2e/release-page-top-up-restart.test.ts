import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { type RestartableCarrel, restartableCarrel, simulatedDeskConfig } from '../helpers/carrel-daemon.js';
import { writeConfigFile } from '../helpers/config-file.js';
import { waitForDevice } from '../helpers/desk.js';
import { logInAtRelease } from '../helpers/release-page.js';

/**
 * A patron topping up at the release station when Carrel dies (SIGKILL) after a coin went in and
 * before the top-up ended, and is started again as systemd does: the coin is on the balance once,
 * and the station says so, and that the patron must log in again to print (the
 * station's login lived in the daemon's memory). It said '0.50 EUR was added to your balance' over
 * 'Balance: 0.00 EUR' and the patron's documents, as if still logged in. The stations beside it, one
 * waiting for the next patron and one showing a patron her jobs, say they are reconnecting while
 * Carrel is away (they said nothing until pressed), and come back by themselves.
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'a top-up at the release station across a SIGKILL',
  () => {
    let carrel: RestartableCarrel | undefined;
    let api: string;
    let cashControl: string;
    let browser: Browser;
    let page: Page | undefined;
    /** Stations beside it: one waiting for the next patron, one where a patron is looking at her jobs. */
    const others: Page[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      // Carrel first listens on a port the system gives it (one found free beforehand may be taken
      // by another test's process first) and comes back on that one after the restart, where the
      // page dials it again; the coin acceptor's control API is read from what each start prints.
      carrel = restartableCarrel(
        'carrel-release-restart-',
        (dir) =>
          writeConfigFile(
            dir,
            'carrel.json',
            simulatedDeskConfig(dir, {
              devices: ['ils', 'receipt-1', 'public-bw', 'coins-1', 'notes-1'],
              simulators: ['ils-sim', 'printer-sim', 'print-server', 'cash-sim'],
            }),
          ),
        { samePort: true },
      );
      await start();
      api = carrel.api;
      for (const id of ['ils', 'coins-1', 'notes-1']) await waitForDevice(api, id, 'online', 20_000);
      browser = await launchChromium();
    }, 60_000);

    /** Starts Carrel on the configuration, and reads where its coin acceptor's control API is now. */
    async function start(): Promise<void> {
      const started = await carrel!.start();
      cashControl = started.simulators.get('cash-sim')!;
    }

    afterAll(async () => {
      await page?.close();
      for (const other of others) await other.close();
      await browser?.close();
      await carrel?.close();
      expect(pageErrors).toEqual([]);
    });

    const coin = async (value: number) =>
      (
        (await (
          await fetch(`${cashControl}/api/coins`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ value }),
          })
        ).json()) as { accepted: boolean }
      ).accepted;

    it('credits the coin once, says so, and asks the patron to log in again', async () => {
      page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const station = page;
      await station.goto(`${api}/release#cash=coins-1,notes-1`);
      await logInAtRelease(station, '21000001', '1234');
      await station.getByRole('button', { name: 'Top up', exact: true }).click();
      await station.getByRole('button', { name: '2.00 EUR' }).click();
      await station.getByText('Insert 2.00 EUR in coins or notes.').waitFor({ timeout: 10_000 });
      expect(await coin(50)).toBe(true);
      await expect
        .poll(() => station.locator('#topup-paid').textContent(), { timeout: 10_000 })
        .toBe('0.50 EUR');
      // Two stations beside it: one waiting for the next patron, one showing a patron her jobs.
      const waiting = await browser.newPage();
      const reading = await browser.newPage();
      for (const other of [waiting, reading]) {
        others.push(other);
        other.on('pageerror', (error) => pageErrors.push(error.message));
      }
      await waiting.goto(`${api}/release`);
      await reading.goto(`${api}/release`);
      await logInAtRelease(reading, '21000002', '2222');
      const reconnecting = (other: Page) => other.getByRole('alert').filter({ hasText: 'Reconnecting…' });

      await carrel!.kill();
      // The stations said nothing until a patron pressed something: they say so within seconds.
      for (const other of [waiting, reading])
        await expect.poll(() => reconnecting(other).isVisible(), { timeout: 10_000 }).toBe(true);
      expect(await reconnecting(waiting).textContent()).toBe(
        'Reconnecting… This station has lost its link to the print service. Please wait a moment; if it does not come back, ask staff.',
      );
      await start();
      // Back by themselves: the words go, and the patron whose login Carrel lost is asked to log in again.
      for (const other of [waiting, reading])
        await expect.poll(() => reconnecting(other).isVisible(), { timeout: 15_000 }).toBe(false);
      await expect
        .poll(() => reading.locator('#alert').textContent(), { timeout: 10_000 })
        .toBe('You were logged out. Log in again to print.');
      expect(await reading.locator('#screen-login').isVisible()).toBe(true);
      expect(await reading.locator('#who').textContent()).toBe('');
      expect(await waiting.locator('#alert').isVisible()).toBe(false);

      await expect
        .poll(() => station.locator('#alert').textContent(), { timeout: 30_000 })
        .toBe('0.50 EUR was added to your balance. You were logged out meanwhile: log in again to print.');
      await station.locator('#screen-login').waitFor({ state: 'visible' });
      expect(await station.locator('#screen-jobs').isHidden()).toBe(true);
      expect(await station.locator('#who').textContent()).toBe('');
      const account = (await (
        await fetch(`${api}/api/v1/print/accounts/find`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ patron: '21000001' }),
        })
      ).json()) as { statement: { balanceMinor: number; entries: Array<{ kind: string }> } };
      expect(account.statement.balanceMinor).toBe(50);
      expect(account.statement.entries.filter((entry) => entry.kind === 'deposit')).toHaveLength(1);
      // The acceptors were let go at the start: they take nothing for anyone.
      await waitForDevice(api, 'coins-1', 'online', 20_000);
      expect(await coin(50)).toBe(false);
    }, 90_000);
  },
);
