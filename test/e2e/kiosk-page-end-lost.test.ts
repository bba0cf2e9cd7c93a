import { describe, expect, it } from 'vitest';
import { printerSimulators } from '../../simulators/printer/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { heading, itemText, kioskInChromium, logIn } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;

/**
 * The kiosk page in Chromium, Zoë Åström (21000001) finishing at the simulated desk (the ILS
 * simulator over SIP2, the pad simulator over TCP, the printer simulator): Carrel ends her session
 * and makes her receipt, and the answer never reaches the page (the browser's connection reset
 * after Carrel answered). She presses the same button again.
 */
describe.skipIf(skip !== undefined)('the kiosk page whose finish answer was lost', () => {
  const fixture = kioskInChromium({ lent: ['31000005'] });
  const { clearPad, placeTag } = fixture;

  async function borrowedDune() {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    placeTag('31000005');
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toMatch(DUE);
    // Carrel answers the first ending; the page never hears it.
    await kiosk.route(
      '**/api/v1/sessions/*/end?*',
      async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    return kiosk;
  }

  it('shows her receipt when she presses "Show my receipt here" again', async () => {
    const kiosk = await borrowedDune();
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    await expect
      .poll(() => kiosk.locator('#finish-error').textContent(), { timeout: 10_000 })
      .toContain('cannot reach');
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
    await expect.poll(() => receipt.isVisible(), { timeout: 10_000 }).toBe(true);
    const text = (await receipt.textContent()) ?? '';
    expect(text).toContain('Checkout receipt');
    expect(text).toContain('Dune');
  }, 60_000);

  it('prints her receipt once when she presses "Print a receipt" again', async () => {
    const printer = fixture.desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const before = printer.receipts().length;
    const kiosk = await borrowedDune();
    await kiosk.getByRole('button', { name: 'Print a receipt' }).click();
    await expect
      .poll(() => kiosk.locator('#finish-error').textContent(), { timeout: 10_000 })
      .toContain('cannot reach');
    await kiosk.getByRole('button', { name: 'Print a receipt' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
    expect(await kiosk.locator('#thanks-message').textContent()).toContain('Your receipt is printing');
    await expect.poll(() => printer.receipts().length, { timeout: 10_000 }).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(printer.receipts().length).toBe(before + 1);
  }, 60_000);
});
