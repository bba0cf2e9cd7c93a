import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { printerSimulators } from '../../simulators/printer/family.js';
import { chromiumSkipReason, sharedChromium } from '../helpers/browser.js';
import { heading, kioskInChromium } from '../helpers/kiosk-page.js';
import { SAMPLE_FIXTURE } from '../simulators/ils/paths.js';

const skip = chromiumSkipReason();

/**
 * A printed receipt with letters the receipt printer's code page lacks: the sample library with its
 * patron 21000009 named "Zhang Wei (张伟)", on the desk's printer in code page 858 (Western
 * European), asks the kiosk for a printed receipt. The two Chinese characters print as "?" and
 * the receipt job says so (its notice); the kiosk tells him in words, so he can ask staff to write
 * them in, rather than finding "??" in his name at home.
 */
describe.skipIf(skip !== undefined)('the kiosk page when a receipt prints with "?" for letters', () => {
  const shared = sharedChromium();
  const dir = mkdtempSync(join(tmpdir(), 'carrel-receipt-notice-'));
  const library = join(dir, 'library.yaml');
  const sample = readFileSync(SAMPLE_FIXTURE, 'utf8');
  writeFileSync(library, sample.replace('name: Kåre Ødegård', 'name: Zhang Wei (张伟)'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = kioskInChromium({
    lent: [],
    browser: shared,
    config: (config) => ({
      ...config,
      simulators: config.simulators.map((simulator) =>
        simulator.kind === 'ils' ? { ...simulator, fixture: library } : simulator,
      ),
    }),
  });

  it('says after the session that some letters on the receipt could not be printed, in words', async ({
    expect,
  }) => {
    await fixture.clearPad();
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    await kiosk.getByLabel('Library card number').fill('21000009');
    await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('9999');
    await kiosk.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zhang Wei (张伟)');
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await expect.poll(heading(kiosk)).toBe('Would you like a receipt?');
    await kiosk.getByRole('button', { name: 'Print a receipt' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
    // What the printer printed: the letters its code page lacks, as "?".
    const printer = fixture.desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    await expect
      .poll(() => printer.receipts().at(-1)?.text ?? '', { timeout: 10_000 })
      .toContain('Zhang Wei (??)');
    expect(await kiosk.locator('#thanks-message').textContent()).toBe(
      'Your receipt is printing. Please take it from the printer. Some letters on it could not be printed and show as "?": staff at the desk can write them in for you.',
    );
  }, 30_000);
});
