import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../simulators/ils/server.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { kohaTransferAt, withIlsAt } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { SAMPLE_FIXTURE } from '../simulators/ils/paths.js';

const skip = chromiumSkipReason();
const PATRON = '21000010'; // 20.00 in credit at the sample library

/**
 * The print desk page moves a patron's credit out of the ILS, in Debian's Chromium against a desk
 * whose ILS simulator is also the Koha REST API of `printAccounts.ilsTransfer`: staff find the
 * patron, move part of the credit and see the new balance, then ask for more than is left and are
 * told so in a sentence.
 */
describe.skipIf(skip !== undefined)('the print desk transfers ILS credit in Chromium', () => {
  let ils: IlsSimulator;
  // Registered before the desk's hooks: the simulator is up before the desk starts and stops after it.
  beforeAll(async () => {
    ils = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
  });
  afterAll(async () => {
    await ils?.close();
  });

  const chromium = deskInChromium(
    (config) => ({
      ...withIlsAt(config, ils.port),
      printAccounts: {
        ...config.printAccounts,
        ilsTransfer: kohaTransferAt(ils.controlUrl!),
      },
    }),
    // Chromium logs every answer of 4xx as a failed resource; the 402 is the answer asked for.
    { consoleError: (text) => !/status of 402/.test(text) },
  );

  it('moves 5.00 of the patron’s ILS credit, then says when the credit is less than asked', async () => {
    const desk = await chromium.openPage('/print-staff');
    await desk.locator('#patron').fill(PATRON);
    await desk.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => desk.locator('#balance').textContent()).toMatch(/0[.,]00/);
    // No transfer yet: the form, and no empty list under it.
    expect(await desk.locator('#transfer-list').isVisible()).toBe(false);

    await desk.locator('#transfer-amount').fill('5.00');
    await desk.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 15_000 })
      .toMatch(/^Moved 5\.00 EUR from the patron's credit .*: the print balance is 5\.00 EUR\.$/);
    await expect.poll(() => desk.locator('#balance').textContent()).toMatch(/5[.,]00/);
    expect(ils.state.patrons.get(PATRON)?.accountDebits).toHaveLength(1);
    const rows = desk.locator('#transfers tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toMatch(/5[.,]00.*In the print account/);

    await desk.locator('#transfer-amount').fill('15.01');
    await desk.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 15_000 })
      .toBe("The patron's credit in the library system is less than that.");
    expect(await desk.locator('#balance').textContent()).toMatch(/5[.,]00/);
    expect(ils.state.patrons.get(PATRON)?.accountDebits).toHaveLength(1);
  });

  it('sends the same transfer again when the ILS lost its answer, and the credit moves once', async () => {
    const desk = await chromium.openPage('/print-staff');
    await desk.locator('#patron').fill(PATRON);
    await desk.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => desk.locator('#balance').textContent()).toMatch(/5[.,]00/);
    const debits = () => ils.state.patrons.get(PATRON)?.accountDebits.length;
    const before = debits();
    // The ILS adds the debit, closes the connection instead of answering, and is then down.
    ils.setFaults({ rest: { loseDebitAnswers: 1, downAfterLostAnswer: true } });
    await desk.locator('#transfer-amount').fill('2.00');
    await desk.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 15_000 })
      .toMatch(/^The library system has not confirmed the transfer yet\./);
    expect(debits()).toBe(before! + 1);
    // The account shows the transfer as waiting, the newest first.
    const newest = desk.locator('#transfers tr').first();
    await desk.getByRole('button', { name: 'Find' }).click();
    await expect
      .poll(() => newest.textContent())
      .toMatch(/2[.,]00.*Waiting for the library system to confirm/);
    ils.setFaults({});
    await desk.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect
      .poll(() => desk.locator('#alert').textContent(), { timeout: 15_000 })
      .toMatch(/^Moved 2\.00 EUR .*: the print balance is 7\.00 EUR\.$/);
    expect(debits()).toBe(before! + 1);
    await expect.poll(() => newest.textContent()).toMatch(/2[.,]00.*In the print account/);
    expect(await desk.locator('#transfers tr').count()).toBe(2);
  });

  it('keeps its Content-Security-Policy: no inline script, and Chromium refuses none of the page', async () => {
    const desk = await chromium.openPage('/print-staff');
    const response = await fetch(`${chromium.testDesk.api}/print-staff`);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).not.toContain('unsafe-inline');
    const inline = await desk.locator('script:not([src])').count();
    expect(inline).toBe(0);
    // A refused script or style would be a console error, which fails the test (desk-in-chromium).
    await desk.locator('#transfer').waitFor({ state: 'attached' });
  });
});
