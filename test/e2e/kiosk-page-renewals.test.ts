import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { heading, itemText, kioskInChromium, logIn } from '../helpers/kiosk-page.js';
import { untilNotFalse } from '../helpers/until.js';

const skip = chromiumSkipReason();

/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;
/** "Renewed — due 12 Dec 2026" */
const RENEWED = /^Renewed — due \d{1,2} [A-Z][a-z]{2} \d{4}$/;
/** Twelve loans of the sample library none of which anyone has reserved, nor a rental (its renewal asks a fee). */
const TWELVE = ['04', '05', '06', '07', '11', '14', '15', '20', '26', '27', '29', '30'].map(
  (n) => `310000${n}`,
);

/**
 * "Renew my loans" on the kiosk page in Chromium, as Zoë Åström (21000001) presses it at the
 * simulated desk, its ILS simulator over TCP; what the library holds is read from the simulator.
 * A short request timeout: a renewal the library system leaves unanswered fails in seconds.
 */
describe.skipIf(skip !== undefined)('renewing her loans at the kiosk', () => {
  const fixture = kioskInChromium({
    lent: ['31000005'],
    ils: (link) => ({ ...link, requestTimeoutMs: 1_500, heartbeatSeconds: 5 }),
    afterEach: () => fixture.ils().setFaults({}),
  });
  const { ils, clearPad, placeTag } = fixture;

  /** Her loans (Zoë's, or `patron`'s) at the simulated library are these, each due in a week and never renewed. */
  function lend(items: readonly string[], patron = '21000001'): void {
    const library = ils().state;
    for (const loan of library.loansOf(patron)) library.setLoan(library.item(loan.item)!, undefined);
    const due = new Date(Date.now() + 7 * 86_400_000);
    for (const item of items)
      library.setLoan(library.item(item)!, {
        patron,
        item,
        checkedOutAt: new Date(),
        due,
        renewals: 0,
      });
  }
  const renewalsOf = (item: string) => ils().state.item(item)?.loan?.renewals;

  async function loggedIn(): Promise<Page> {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    return kiosk;
  }

  const renewalRows = (kiosk: Page) => kiosk.locator('#renewals > li');
  const renewalText = (kiosk: Page, item: string) => async () => {
    const row = kiosk.locator(`#renewals > li[data-renewal="${item}"] .item-state`);
    return (await row.count()) === 1 ? ((await row.textContent()) ?? '') : '';
  };
  const status = (kiosk: Page) => () => kiosk.locator('#renew-status').textContent();

  it('renews the loans she had, each shown as it comes back, and not the item she has just borrowed', async () => {
    lend(['31000001', '31000002']); // Pippi Långstrump, Les Misérables
    const kiosk = await loggedIn();
    placeTag('31000005'); // Dune
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toMatch(DUE);

    ils().setFaults({ latencyMs: 700 });
    // What the screen shows the patron, every time its status changes, recorded by the page itself:
    // on a busy machine both renewals can come back between two looks from the test.
    await kiosk.evaluate(`
      window.seen = [];
      const status = document.getElementById('renew-status');
      new MutationObserver(() =>
        window.seen.push({
          status: status.textContent,
          rows: document.querySelectorAll('#renewals > li').length,
          finishDisabled: document.getElementById('finish').disabled,
        }),
      ).observe(status, { childList: true, characterData: true, subtree: true });
    `);
    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    await expect.poll(status(kiosk), { timeout: 10_000 }).toBe('2 of 2 loans renewed.');
    // The screen said how far along it was, one loan shown, and Finish waited until her loans were done.
    const seen =
      await kiosk.evaluate<{ status: string; rows: number; finishDisabled: boolean }[]>('window.seen');
    const halfWay = seen.findIndex((shown) => shown.status === 'Renewing your loans: 1 of 2 done…');
    expect(halfWay, JSON.stringify(seen)).toBeGreaterThanOrEqual(0);
    expect(seen[halfWay]).toEqual({
      status: 'Renewing your loans: 1 of 2 done…',
      rows: 1,
      finishDisabled: true,
    });
    expect(seen.findLastIndex((shown) => shown.status === '2 of 2 loans renewed.')).toBeGreaterThan(halfWay);
    expect(await kiosk.getByRole('button', { name: 'Finish' }).isDisabled()).toBe(false);
    ils().setFaults({});
    expect(await renewalText(kiosk, '31000001')()).toMatch(RENEWED);
    expect(await renewalText(kiosk, '31000002')()).toMatch(RENEWED);
    expect(await renewalRows(kiosk).count()).toBe(2);
    // Dune, borrowed a minute ago: its renewals untouched (Renew All had spent one).
    expect(renewalsOf('31000005')).toBe(0);
    expect(renewalsOf('31000001')).toBe(1);

    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
    await expect.poll(() => receipt.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await receipt.locator('.receipt-lines > li strong').allTextContents()).toEqual([
      'Dune',
      'Pippi Långstrump (renewed)',
      'Les Misérables (renewed)',
    ]);
    // Her two earlier loans are counted as renewed, not as checked out.
    expect(await receipt.locator('.receipt-total').allTextContents()).toEqual([
      'Items checked out: 1',
      'Items renewed: 2',
    ]);
  }, 40_000);

  it('says which loans were renewed when the library system stops answering half-way, and renews the rest when she presses again', async () => {
    lend(TWELVE);
    const kiosk = await loggedIn();
    ils().setFaults({ latencyMs: 200 });
    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    // Five or more renewed at the library system (read there, in this process: a renewal every
    // 200 ms leaves a second and more before the last), it stops answering — the last of them
    // carried out, its answer not sent: four or more answered.
    await untilNotFalse(() => TWELVE.filter((item) => renewalsOf(item) === 1).length >= 5, 15_000);
    ils().setFaults({ hang: true });
    expect(await status(kiosk)()).toMatch(/^Renewing your loans: \d+ of 12 done…$/);
    await expect
      .poll(status(kiosk), { timeout: 15_000 })
      .toMatch(
        /^\d+ of 12 loans renewed\. The library system stopped answering: the loans shown as renewed are renewed\./,
      );
    ils().setFaults({});

    const texts = await Promise.all(TWELVE.map((item) => renewalText(kiosk, item)()));
    const renewed = TWELVE.filter((_, i) => RENEWED.test(texts[i]!));
    const unsure = TWELVE.filter((_, i) => texts[i]!.startsWith('Not sure it was renewed'));
    const notYet = TWELVE.filter(
      (_, i) => texts[i] === 'Not renewed yet — the library system is not answering',
    );
    expect(renewed.length).toBeGreaterThanOrEqual(4);
    expect(unsure).toHaveLength(1);
    expect(renewed.length + unsure.length + notYet.length).toBe(12);
    expect(await kiosk.locator(`#renewals > li[data-renewal="${unsure[0]}"] .item-note`).textContent()).toBe(
      'Please ask staff to check it.',
    );
    for (const item of renewed) expect(renewalsOf(item)).toBe(1);
    for (const item of notYet) expect(renewalsOf(item)).toBe(0);
    const unsureRenewals = renewalsOf(unsure[0]!);

    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    await expect
      .poll(status(kiosk), { timeout: 15_000 })
      .toBe(`${notYet.length} of ${notYet.length} loans renewed.`);
    for (const item of [...renewed, ...notYet]) {
      expect(await renewalText(kiosk, item)()).toMatch(RENEWED);
      expect(renewalsOf(item)).toBe(1);
    }
    // The one whose answer was lost is not sent again: staff look it up.
    expect(await renewalText(kiosk, unsure[0]!)()).toContain('Not sure it was renewed');
    expect(renewalsOf(unsure[0]!)).toBe(unsureRenewals);
    // Pressed once more: nothing is sent, and she is told so rather than seeing nothing happen.
    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    await expect
      .poll(status(kiosk), { timeout: 10_000 })
      .toBe('There is nothing more to renew: your loans are listed below.');
    expect(renewalsOf(unsure[0]!)).toBe(unsureRenewals);
    for (const item of [...renewed, ...notYet]) expect(renewalsOf(item)).toBe(1);
  }, 60_000);

  it('tells a patron whose card is blocked once, in the library system’s words, rather than refusing each loan', async () => {
    lend(['31000001', '31000002', '31000004'], '21000005'); // Grzegorz Brzęczyszczykiewicz, blocked
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    await kiosk.getByLabel('Library card number').fill('21000005');
    await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('5555');
    await kiosk.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Grzegorz Brzęczyszczykiewicz');

    await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
    await expect
      .poll(() => kiosk.locator('#session-error').textContent(), { timeout: 10_000 })
      .toBe('Card blocked, please see staff');
    expect(await renewalRows(kiosk).count()).toBe(0);
    expect(await kiosk.locator('#renew-status').isHidden()).toBe(true);
    expect(await kiosk.getByRole('button', { name: 'Renew my loans' }).isDisabled()).toBe(false);
    expect(await kiosk.getByRole('button', { name: 'Finish' }).isDisabled()).toBe(false);
    for (const item of ['31000001', '31000002', '31000004']) expect(renewalsOf(item)).toBe(0);
    lend([], '21000005');
  }, 40_000);
});
