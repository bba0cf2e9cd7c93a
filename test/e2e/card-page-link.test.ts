import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { type CarrelDaemon, startCarrelDaemon, stopDaemon } from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';

const OLD_TOKEN = 'card-desk-token-before';
const NEW_TOKEN = 'card-desk-token-after';

/**
 * The card page in Chromium while the Carrel under it is restarted, then restarted by IT with the
 * desk's staff token changed. Staff read the printer's line before they press Print: while Carrel is
 * away it must not go on saying the printer is online, and once the page's token is no longer taken
 * the page must say to open it again with its current link, not "send a valid bearer token".
 */
describe.skipIf(chromiumSkipReason() !== undefined)(
  'the card page when Carrel restarts or stops taking its token',
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
      dir = mkdtempSync(join(tmpdir(), 'carrel-card-page-link-'));
      const base = defaultDeskConfig();
      const keep = new Set(['ils', 'receipt-1', 'cards-1', 'card-pad']);
      config = {
        ...base,
        http: { ...base.http, port: 0 },
        mqtt: { mode: 'off' },
        storage: { path: join(dir, 'carrel.db') },
        auth: { tokens: [{ name: 'card-desk', token: OLD_TOKEN, scopes: ['staff'] }] },
        devices: base.devices.filter((device) => keep.has(device.id)),
        simulators: base.simulators.filter((simulator) =>
          ['ils-sim', 'printer-sim', 'card-printer-sim', 'card-pad-sim'].includes(simulator.id),
        ),
      };
      configPath = join(dir, 'carrel.json');
      writeFileSync(configPath, JSON.stringify(config));
      daemon = await startCarrelDaemon(configPath);
      // Back on the same port after each restart, where the open page dials it again.
      config.http.port = Number(new URL(daemon.api).port);
      writeFileSync(configPath, JSON.stringify(config));
      await waitForDevice(daemon.api, 'cards-1', 'online', 20_000, OLD_TOKEN);
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      if (daemon) await stopDaemon(daemon.child);
      rmSync(dir, { recursive: true, force: true });
    });

    const printerLine = () =>
      page
        .getByRole('status')
        .filter({ hasText: /cards-1|Carrel/ })
        .first();

    it('says it is not connected while Carrel is away, the printer’s state once back, and to open the page again when its token is no longer taken', async () => {
      page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${daemon!.api}/cards#token=${OLD_TOKEN}`);
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toBe('cards-1: online');

      // Carrel stops (a restart): the printer's line no longer says "online".
      await stopDaemon(daemon!.child);
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
        .toMatch(/^Not connected to Carrel — trying again/);
      expect(await printerLine().isVisible()).toBe(true);

      // Back: the printer as it is now.
      daemon = await startCarrelDaemon(configPath);
      await expect
        .poll(() => page.locator('#printer').textContent(), { timeout: 30_000 })
        .toBe('cards-1: online');

      // IT changes the desk's token and restarts Carrel.
      await stopDaemon(daemon.child);
      config.auth = { tokens: [{ name: 'card-desk', token: NEW_TOKEN, scopes: ['staff'] }] };
      writeFileSync(configPath, JSON.stringify(config));
      daemon = await startCarrelDaemon(configPath);
      const signInAgain =
        /no longer takes this page’s access token.*open the card page again with its current link/;
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 30_000 })
        .toMatch(signInAgain);
      expect(await page.locator('#printer').textContent()).not.toBe('cards-1: online');
      // A press says the same, not the API's words to developers.
      await page.getByLabel('Patron barcode').fill('21000001');
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#problem').textContent(), { timeout: 10_000 })
        .toMatch(signInAgain);
      expect(await page.locator('#problem').textContent()).not.toContain('bearer');
      expect(pageErrors).toEqual([]);
    });
  },
);
