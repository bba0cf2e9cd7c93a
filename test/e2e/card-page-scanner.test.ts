import { PassThrough } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/core/logger.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
const STAFF = 'staff-token-0123456789abcdef';
const PATRON = '21000002';

function withTokens(config: CarrelConfig): CarrelConfig {
  return { ...config, auth: { tokens: [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }] } };
}

/**
 * The desk's card page opened as `/cards#scanner=scanner-1` in Debian's Chromium against the
 * simulated desk: the patron's barcode scanned at the desk's scanner fills the patron field (an
 * item's barcode does not), and the preview is made for that patron. The patron's number stays
 * out of the address, the console and Carrel's log.
 */
describe.skipIf(skip !== undefined)(
  'the card desk page takes the patron from the desk scanner',
  { timeout: 60_000 },
  () => {
    let testDesk: TestDesk;
    let browser: Browser;
    let page: Page;
    let log = '';
    const consoleLines: string[] = [];
    const pageErrors: string[] = [];
    const sim = (): ScannerSimulator => testDesk.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;

    beforeAll(async () => {
      const lines = new PassThrough();
      lines.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
      });
      testDesk = await startTestDesk(
        withTokens,
        createLogger({ level: 'debug', format: 'json', destination: lines }),
      );
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (message) => consoleLines.push(message.text()));
      page.on('pageerror', (error) => pageErrors.push(error.message));
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await testDesk?.stop();
    });

    it('a patron barcode scanned at the desk fills the patron field; an item barcode does not', async () => {
      await page.goto(`${testDesk.api}/cards#scanner=scanner-1&token=${STAFF}`);
      await page.locator('body[data-scanner="listening"]').waitFor({ timeout: 10_000 });
      // The scanner comes online with the desk; a scan before that is not read.
      await until(
        async () => {
          await sim().scan(PATRON);
          return (await page.getByLabel('Patron barcode').inputValue()) === PATRON ? true : undefined;
        },
        15_000,
        'the scanned patron never reached the page',
        250,
      );
      await expect.poll(() => page.locator('#progress').textContent()).toBe('Patron card scanned.');

      await sim().scan('31000006');
      await until(async () => {
        const answer = await fetch(`${testDesk.api}/api/v1/scanners/scanner-1/last`, {
          headers: { authorization: `Bearer ${STAFF}` },
        }).then((r) => r.json() as Promise<{ identification: { value: string } | null }>);
        return answer.identification?.value === '31000006' ? true : undefined;
      });
      expect(await page.getByLabel('Patron barcode').inputValue()).toBe(PATRON);

      await page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Preview ready.');

      expect(page.url()).not.toContain(PATRON);
      expect(consoleLines.filter((line) => line.includes(PATRON))).toEqual([]);
      expect(log).not.toContain(PATRON);
      expect(log).toContain('scanner-1');
      expect(pageErrors).toEqual([]);
    });
  },
);
