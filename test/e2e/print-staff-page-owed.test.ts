import { describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { coinsAndIlsOnline, owedFeePayment } from '../helpers/fee-payment-to-check.js';
import { deskZone as deskTimeZone, zoneOnAnotherDay } from '../helpers/time-zones.js';

/**
 * Money a kiosk payment owes a patron, at the print desk where staff hand patrons' money over: a
 * fee paid meanwhile at the desk is refused by the library system (its simulator over SIP2), and
 * the coins the patron put in for it (the ccTalk acceptor simulator over TCP) are owed back.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the print desk lists money owed to patrons', () => {
  const chromium = deskInChromium((config) => config, {
    ready: (testDesk) => coinsAndIlsOnline(testDesk.api),
  });
  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    callApi(`${chromium.testDesk.api}/api/v1`, method, path, body);

  it('says how much is owed to whom, why and what to do, and Paid out records it', async () => {
    const desk = await chromium.openPage('/print-staff');
    const section = desk.getByRole('region', { name: 'Money owed to patrons' });
    // Nothing owed: nothing said.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await section.isVisible()).toBe(false);

    const id = await owedFeePayment(chromium.testDesk);

    // It was listed on the device dashboard only; the print desk said nothing of it.
    const item = section.locator(`li[data-payment="${id}"]`);
    await item.waitFor({ timeout: 10_000 });
    const text = await item.innerText();
    expect(text).toContain('5.00 EUR owed to Björn Müller');
    expect(text).toContain(
      '5.00 EUR was paid for the fee “Lost card”, which the library system did not take (it may have been paid elsewhere meanwhile).',
    );
    expect(text).toContain('Hand 5.00 EUR back to the patron from the cash box, then press Paid out.');
    // The same list as the device dashboard's (/common/owed.js): the payment's id as its receipt prints it.
    expect(await item.locator('.said').textContent()).toMatch(
      new RegExp(`^A payment of fees, .+ \\(payment ${id} on its receipt\\)\\.$`),
    );
    expect(await section.locator('.owed-intro').textContent()).toContain('Each says why');
    expect(text).not.toContain('21000003');

    // The same list at a print desk PC in a zone on another day than the desk's (a laptop left on
    // its home zone): the payment is dated and timed as the desk's clock read it.
    const deskZone = deskTimeZone();
    const pcZone = zoneOnAnotherDay();
    const ended = new Date((await call('GET', `/payments/${id}`)).json.endedAt as string);
    const context = await chromium.browser.newContext({ timezoneId: pcZone, locale: 'en-US' });
    try {
      const away = await context.newPage();
      await away.goto(`${chromium.testDesk.api}/print-staff`);
      const atDesk = `${ended.toLocaleDateString('en-US', { timeZone: deskZone })} ${ended.toLocaleTimeString('en-US', { timeZone: deskZone })}`;
      await expect
        .poll(() => away.locator(`li[data-payment="${id}"] .said`).textContent(), { timeout: 10_000 })
        .toBe(`A payment of fees, ${atDesk} (payment ${id} on its receipt).`);
    } finally {
      await context.close();
    }

    await item.getByRole('button', { name: 'Paid out' }).click();
    await expect.poll(() => section.isVisible(), { timeout: 10_000 }).toBe(false);
    expect((await call('GET', `/payments/${id}`)).json.overpayment).toMatchObject({
      owedToPatronMinor: 500,
      paidOutMinor: 500,
    });
    expect((await call('GET', '/payments/owed')).json.payments).toEqual([]);
  });
});
