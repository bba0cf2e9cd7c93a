import { describe, expect, it } from 'vitest';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import type { ScannerSimulator } from '../../simulators/scanner/index.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { withTokens } from '../helpers/desk.js';
import { loggedDeskPage } from '../helpers/logged-desk-page.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
const STAFF = 'staff-token-0123456789abcdef';
const PATRON = '21000002';

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
    const desk = loggedDeskPage(
      (config) => withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff'] }]),
      { viewport: { width: 1280, height: 900 } },
    );
    const { consoleLines, pageErrors } = desk;
    const sim = (): ScannerSimulator =>
      desk.testDesk.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;

    it('a patron barcode scanned at the desk fills the patron field; an item barcode does not', async () => {
      await desk.page.goto(`${desk.testDesk.api}/cards#scanner=scanner-1&token=${STAFF}`);
      await desk.page.locator('body[data-scanner="listening"]').waitFor({ timeout: 10_000 });
      // The scanner comes online with the desk; a scan before that is not read.
      await until(
        async () => {
          await sim().scan(PATRON);
          return (await desk.page.getByLabel('Patron barcode').inputValue()) === PATRON ? true : undefined;
        },
        15_000,
        'the scanned patron never reached the page',
        250,
      );
      await expect.poll(() => desk.page.locator('#progress').textContent()).toBe('Patron card scanned.');

      await sim().scan('31000006');
      await until(async () => {
        const answer = await fetch(`${desk.testDesk.api}/api/v1/scanners/scanner-1/last`, {
          headers: { authorization: `Bearer ${STAFF}` },
        }).then((r) => r.json() as Promise<{ identification: { value: string } | null }>);
        return answer.identification?.value === '31000006' ? true : undefined;
      });
      expect(await desk.page.getByLabel('Patron barcode').inputValue()).toBe(PATRON);

      await desk.page.getByRole('button', { name: 'Preview' }).click();
      await expect
        .poll(() => desk.page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('Preview ready.');

      expect(desk.page.url()).not.toContain(PATRON);
      expect(consoleLines.filter((line) => line.includes(PATRON))).toEqual([]);
      expect(desk.log).not.toContain(PATRON);
      expect(desk.log).toContain('scanner-1');
      expect(pageErrors).toEqual([]);
    });
  },
);
