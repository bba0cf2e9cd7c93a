import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { type CarrelDaemon, startCarrelDaemon, stopDaemon } from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';

const OLD_TOKEN = 'print-desk-token-before';
const NEW_TOKEN = 'print-desk-token-after';

/**
 * The print desk page in Chromium while the Carrel under it is restarted (systemd, an update), and
 * then restarted by IT with the desk's staff token changed: staff must see in words that the page is
 * not live while Carrel is away, the account as it is now once it is back (not as it was), and —
 * with its token no longer taken — that they must open the page again with its current link, not a
 * page that keeps showing an old balance and answers each press with "send a valid bearer token".
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the print desk page when Carrel restarts or stops taking its token',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let configPath: string;
    let config: Record<string, unknown> & { http: { port: number }; auth: unknown };
    let daemon: CarrelDaemon | undefined;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'carrel-print-staff-link-'));
      const base = defaultDeskConfig();
      const keep = new Set(['ils', 'receipt-1', 'public-bw']);
      config = {
        ...base,
        http: { ...base.http, port: 0 },
        mqtt: { mode: 'off' },
        storage: { path: join(dir, 'carrel.db') },
        auth: { tokens: [{ name: 'print-desk', token: OLD_TOKEN, scopes: ['staff'] }] },
        devices: base.devices.filter((device) => keep.has(device.id)),
        simulators: base.simulators.filter((simulator) =>
          ['ils-sim', 'printer-sim', 'print-server'].includes(simulator.id),
        ),
      };
      configPath = join(dir, 'carrel.json');
      writeFileSync(configPath, JSON.stringify(config));
      daemon = await startCarrelDaemon(configPath);
      // Back on the same port after each restart, where the open page dials it again.
      config.http.port = Number(new URL(daemon.api).port);
      writeFileSync(configPath, JSON.stringify(config));
      await waitForDevice(daemon.api, 'ils', 'online', 20_000, OLD_TOKEN);
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      if (daemon) await stopDaemon(daemon.child);
      rmSync(dir, { recursive: true, force: true });
    });

    const topUp = async (token: string, amountMinor: number) => {
      const response = await fetch(`${daemon!.api}/api/v1/print/accounts/deposit`, {
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
    /** What the page says of its link to Carrel, and what it says of the last press. */
    const link = () => page.locator('#link');
    const alert = () => page.locator('#alert');

    it('says it is reconnecting while Carrel is away, shows the account as it is now once back, and asks to open the page again when its token is no longer taken', async () => {
      page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${daemon!.api}/print-staff#token=${OLD_TOKEN}`);
      await page.getByLabel('Library card').fill('21000001');
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 10_000 }).toBe('0.00 EUR');

      // Carrel stops (a restart): the page says so, in words, rather than showing the account as live.
      await stopDaemon(daemon!.child);
      await expect
        .poll(async () => ((await link().isVisible()) ? await link().textContent() : ''), {
          timeout: 15_000,
        })
        .toMatch(/Not connected to Carrel.*trying again/);

      // Back (the same token): the words go, and the balance is as it is now — topped up elsewhere meanwhile.
      daemon = await startCarrelDaemon(configPath);
      await topUp(OLD_TOKEN, 300);
      await expect.poll(() => page.locator('#balance').textContent(), { timeout: 30_000 }).toBe('3.00 EUR');
      await expect.poll(() => link().isVisible(), { timeout: 10_000 }).toBe(false);

      // IT changes the desk's token and restarts Carrel: the page's token is no longer taken.
      await stopDaemon(daemon.child);
      config.auth = { tokens: [{ name: 'print-desk', token: NEW_TOKEN, scopes: ['staff'] }] };
      writeFileSync(configPath, JSON.stringify(config));
      daemon = await startCarrelDaemon(configPath);
      await topUp(NEW_TOKEN, 200);
      const signInAgain =
        /no longer takes this page’s access token.*open the print desk again with its current link/;
      await expect.poll(() => link().textContent(), { timeout: 30_000 }).toMatch(signInAgain);
      // The account it can no longer read is not shown as if it were current.
      expect(await page.locator('#account').isVisible()).toBe(false);
      // A press says the same, not the API's words to developers.
      await page.getByRole('button', { name: 'Find' }).click();
      await expect.poll(() => alert().textContent(), { timeout: 10_000 }).toMatch(signInAgain);
      expect(await alert().textContent()).not.toContain('bearer');
      expect(pageErrors).toEqual([]);
    });
  },
);
