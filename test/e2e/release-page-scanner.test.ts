import { describe, expect, it } from 'vitest';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { withTokens } from '../helpers/desk.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
const KIOSK = 'kiosk-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';
const PATRON = '21000001';

/** Waits (bounded) until the scanner is online, asked with the monitor token. */
async function scannerOnline(api: string): Promise<void> {
  await until(
    async () => {
      const response = await fetch(`${api}/api/v1/devices/scanner-1`, {
        headers: { authorization: `Bearer ${MONITOR}` },
      });
      return ((await response.json()) as { status?: string }).status === 'online' ? true : undefined;
    },
    15_000,
    'scanner-1 did not come online',
    50,
  );
}

/**
 * The release station opened as `/release#scanner=scanner-1` in Debian's Chromium against the
 * simulated desk: the patron's card scanned at the station's scanner stands for the typed card
 * number, the PIN is still asked (the station's policy), and the patron's number goes nowhere a
 * person or a log could read it — not the address, not the console, not Carrel's log.
 */
describe.skipIf(skip !== undefined)(
  'the release station logs in by a scanned card',
  { timeout: 60_000 },
  () => {
    const desk = loggedDeskPage(
      (config) =>
        withTokens(config, [
          { name: 'release-station', token: KIOSK, scopes: ['kiosk'] },
          { name: 'it', token: MONITOR, scopes: ['monitor'] },
        ]),
      { ready: (testDesk) => scannerOnline(testDesk.api) },
    );
    const { consoleLines, pageErrors } = desk;
    const sim = (): ScannerSimulator =>
      desk.testDesk.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;

    async function typePin(pin: string): Promise<void> {
      for (const digit of pin) await desk.page.getByRole('button', { name: digit, exact: true }).click();
      await desk.page.getByRole('button', { name: 'OK' }).click();
    }

    it('a patron card scanned at the station, then the PIN: the patron is logged in; an item barcode is not a patron', async () => {
      await desk.page.goto(`${desk.testDesk.api}/release#scanner=scanner-1&token=${KIOSK}`);
      await desk.page.locator('body[data-scanner="listening"]').waitFor({ timeout: 10_000 });
      expect(await desk.page.locator('#card-scanned').isHidden()).toBe(true);

      await sim().scan('31000006');
      await sim().scan(PATRON);
      await desk.page.locator('#card-scanned').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await desk.page.locator('#card').isHidden()).toBe(true);
      expect(await desk.page.locator('#card').inputValue()).toBe('');

      // A wrong PIN: not logged in, and the scanned card still stands for the number.
      await typePin('9999');
      await expect.poll(() => desk.page.locator('#alert').textContent()).toMatch(/Not logged in/);
      expect(await desk.page.locator('#card-scanned').isVisible()).toBe(true);

      await typePin('1234');
      await desk.page.locator('#screen-jobs').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await desk.page.locator('#who').textContent()).not.toBe('');

      await desk.page.getByRole('button', { name: 'Done' }).click();
      await desk.page.locator('#screen-login').waitFor();
      // The next patron starts from the typed card number: the scan served one login.
      expect(await desk.page.locator('#card').isVisible()).toBe(true);
      expect(await desk.page.locator('#card-scanned').isHidden()).toBe(true);

      expect(desk.page.url()).not.toContain(PATRON);
      expect(consoleLines.filter((line) => line.includes(PATRON))).toEqual([]);
      expect(desk.log).not.toContain(PATRON);
      expect(desk.log).toContain('scanner'); // the log was written to, at debug
      expect(pageErrors).toEqual([]);
    });

    it('a scanner the token may not read, or that is not a scanner, is said on the page', async () => {
      const station = await desk.browser.newPage();
      await station.goto(`${desk.testDesk.api}/release#scanner=receipt-1&token=${KIOSK}`);
      await station.locator('body[data-scanner="refused"]').waitFor({ timeout: 10_000 });
      await expect.poll(() => station.locator('#alert').textContent()).toMatch(/scanner/i);
      // Typing the card number still works beside it.
      expect(await station.locator('#card').isVisible()).toBe(true);
      await station.close();
    });

    it('listens again by itself once a link gone silent without closing is back: a card scanned then logs in', async () => {
      // The station reaches Carrel through a link that can go silent as a pulled cable does.
      const cable = await StallingProxy.start(Number(new URL(desk.testDesk.api).port));
      const station = await desk.browser.newPage();
      try {
        await station.goto(`http://127.0.0.1:${cable.port}/release#scanner=scanner-1&token=${KIOSK}`);
        await station.locator('body[data-scanner="listening"]').waitFor({ timeout: 10_000 });
        cable.stall();
        // It said it was listening for as long as TCP tried, and the scans made meanwhile never came.
        await station.locator('body[data-scanner="reconnecting"]').waitFor({ timeout: 25_000 });
        cable.resume();
        await station.locator('body[data-scanner="listening"]').waitFor({ timeout: 25_000 });
        await sim().scan(PATRON);
        await station.locator('#card-scanned').waitFor({ state: 'visible', timeout: 10_000 });
      } finally {
        await station.close();
        await cable.close();
      }
    }, 90_000);
  },
);
