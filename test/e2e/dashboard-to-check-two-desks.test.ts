import { networkInterfaces } from 'node:os';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { withTokens } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import {
  coinsAndIlsOnline,
  failedFeePayment as failedFeePaymentAt,
  tokenCaller,
} from '../helpers/fee-payment-to-check.js';

const STAFF = 'staff-token-two-desks-0123456789';
const KIOSK = 'kiosk-token-two-desks-0123456789';

/** This machine's first address on a network, as the library's other PCs would reach the desk. */
function networkAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

/**
 * A fee payment whose fate at the library system is unknown, on two dashboards at once: the desk
 * PC's own (loopback) and one IT or a colleague opened from another PC of the library over plain
 * http — not a secure context, where the browser has no crypto.randomUUID. Each records the check
 * it is pressed for; the second to press is told in words that it was recorded already.
 */
describe.skipIf(chromiumSkipReason() !== undefined || networkAddress() === undefined)(
  'a payment to check on two dashboards at once',
  { timeout: 90_000 },
  () => {
    const chromium = deskInChromium(
      (config) => ({
        ...withTokens(config, [
          { name: 'desk-staff', token: STAFF, scopes: ['staff', 'monitor'] },
          { name: 'kiosk-1', token: KIOSK, scopes: ['kiosk'] },
        ]),
        http: { ...config.http, host: '0.0.0.0' },
      }),
      {
        ready: (testDesk) => coinsAndIlsOnline(testDesk.api, STAFF),
        // Chromium logs the refused second check (409) as a failed resource: it is the answer expected.
        consoleError: (text) => !/status of 409/.test(text),
      },
    );

    const call = tokenCaller(() => chromium.testDesk.api);

    /** Björn pays his €5 fee in coins while the simulated ILS never takes the Fee Paid: the payment's id. */
    const failedFeePayment = async (): Promise<string> =>
      (await failedFeePaymentAt(chromium.testDesk, KIOSK)).id;

    it('records the check from a PC on the library network, and tells the other dashboard in words that it was recorded already', async () => {
      const id = await failedFeePayment();
      const port = new URL(chromium.testDesk.api).port;
      // The colleague's PC: http://<the desk's address>, not a secure context.
      const remote: Page = await chromium.browser.newPage({ viewport: { width: 1366, height: 768 } });
      const remoteErrors: string[] = [];
      remote.on('pageerror', (error) => remoteErrors.push(error.message));
      await remote.goto(`http://${networkAddress()}:${port}/dashboard#token=${STAFF}`);
      expect(await remote.evaluate('[isSecureContext, typeof crypto.randomUUID]')).toEqual([
        false,
        'undefined',
      ]);
      const desk = await chromium.openPage(`/dashboard#token=${STAFF}`, {
        viewport: { width: 1366, height: 768 },
      });

      const onRemote = remote.locator(`#to-check li[data-payment="${id}"]`);
      const onDesk = desk.locator(`#to-check li[data-payment="${id}"]`);
      await expect.poll(() => onRemote.count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(() => onDesk.count(), { timeout: 15_000 }).toBe(1);

      // Each payment's buttons and note say which payment they are for, to a screen reader too.
      await expect
        .poll(() =>
          remote.getByRole('button', { name: `Recorded by hand: payment ${id}`, exact: true }).count(),
        )
        .toBe(1);
      expect(await remote.getByRole('textbox', { name: `Note (optional) on payment ${id}` }).count()).toBe(1);
      await remote
        .getByRole('button', { name: `The library system has it: payment ${id}`, exact: true })
        .click();
      await expect.poll(() => onRemote.count(), { timeout: 10_000 }).toBe(0);
      expect((await call(STAFF, 'GET', `/payments/${id}`)).json.check).toMatchObject({
        outcome: 'already-recorded',
        by: 'desk-staff',
      });
      expect(remoteErrors).toEqual([]);

      // The desk PC still shows it (its list is read every 15 s): pressed there, it says so in words.
      expect(await onDesk.count()).toBe(1);
      await onDesk.getByRole('button', { name: 'Recorded by hand' }).click();
      // It leaves the list, and what happened stays said beside it: who recorded what, and that nothing changed.
      const said = desk.getByRole('status').filter({ hasText: `Payment ${id}` });
      await expect
        .poll(() => said.textContent(), { timeout: 10_000 })
        .toMatch(
          /^Payment \S+ was already checked at another desk or page \(the library system had it, by desk-staff at .+\): nothing was changed, and it has left the list\.$/,
        );
      await expect.poll(() => onDesk.count(), { timeout: 10_000 }).toBe(0);
      expect(await said.isVisible()).toBe(true);
      expect((await call(STAFF, 'GET', `/payments/${id}`)).json.check.outcome).toBe('already-recorded');
      await remote.close();
    });
  },
);
