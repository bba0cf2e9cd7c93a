import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { heading, itemText, kioskInChromium, logIn, spokenAtFocus } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;
/** Items of the sample library the tests lend, given back after each test. */
const LENT = ['31000005', '31000006'];

/**
 * The kiosk page in Chromium, a patron (Zoë Åström, 21000001) borrowing at the simulated desk whose
 * SIP2 link to the ILS simulator (over TCP) loses an answer: the library system may have lent the
 * item, and only Carrel, asking it first, can tell. A short request timeout: a lost look-up (tried
 * twice) fails in three seconds, not twenty; a link that lost one is asked again within five.
 */
describe.skipIf(skip !== undefined)('the kiosk page with an item whose answer was lost', () => {
  const fixture = kioskInChromium({
    lent: LENT,
    ils: (link) => ({ ...link, requestTimeoutMs: 1_500, heartbeatSeconds: 5 }),
    afterEach: () => fixture.ils().setFaults({}),
  });
  const { ils, placeTag, clearPad } = fixture;

  async function loggedIn(): Promise<Page> {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    return kiosk;
  }

  const tryAgain = (kiosk: Page, item: string) =>
    kiosk.locator(`[data-item="${item}"]`).getByRole('button', { name: 'Try again' });
  /** Who has the item at the simulated library, and how often it was renewed. */
  const loanOf = (item: string) => {
    const loan = ils().state.item(item)?.loan;
    return loan === undefined ? undefined : { patron: loan.patron, renewals: loan.renewals };
  };

  it('offers Try again for an item the library system lent as its answer was lost, and finds it lent, once', async () => {
    const kiosk = await loggedIn();
    // The library system lends Dune; its answer is lost with the link, which comes back at once, and
    // so is the look-up with which the SIP2 client would have settled it.
    ils().setFaults({
      loseAnswers: { type: 'checkout', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    placeTag('31000005');
    await expect
      .poll(itemText(kiosk, '31000005'), { timeout: 15_000 })
      .toContain('Not sure it was checked out');
    expect(loanOf('31000005')).toEqual({ patron: '21000001', renewals: 0 });
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    // It said 'please ask staff' with no button: she queued at the desk for an item the kiosk could settle.
    await expect.poll(() => tryAgain(kiosk, '31000005').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await itemText(kiosk, '31000005')()).not.toContain('ask staff');
    await tryAgain(kiosk, '31000005').click();
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toMatch(DUE);
    // Found lent to her: not checked out a second time (an ILS that renews on checkout would renew it).
    expect(loanOf('31000005')).toEqual({ patron: '21000001', renewals: 0 });
    expect(await kiosk.locator('#session-error').isVisible()).toBe(false);
  }, 60_000);

  it('waits for the library system to come back before offering Try again, and does the item then', async () => {
    const kiosk = await loggedIn();
    // The link drops as Dune's checkout reaches the library system, which does nothing, and stays down.
    ils().setFaults({ dropAfterMessages: 0 });
    placeTag('31000005'); // Dune
    await expect
      .poll(itemText(kiosk, '31000005'), { timeout: 10_000 })
      .toContain('Not sure it was checked out');
    await waitForDevice(fixture.desk.api, 'ils', 'offline', 15_000);
    await expect
      .poll(itemText(kiosk, '31000005'), { timeout: 10_000 })
      .toContain('the library system is not answering');
    expect(await tryAgain(kiosk, '31000005').count()).toBe(0);
    // The link is down now: Beloved's checkout never leaves Carrel, and may simply be tried again.
    placeTag('31000006'); // Beloved
    await expect
      .poll(itemText(kiosk, '31000006'), { timeout: 10_000 })
      .toContain('Not checked out — the library system is not answering');
    // Dune's barcode typed meanwhile: Carrel cannot ask whether it was lent, so it sends her to staff.
    await kiosk.getByLabel('Item without a tag? Scan or type its barcode').fill('31000005');
    await kiosk.getByRole('button', { name: 'Add item' }).click();
    await expect
      .poll(() => kiosk.locator('#session-error').textContent(), { timeout: 10_000 })
      .toBe(
        'The library system is not answering, so we cannot tell whether that item went through. Please ask staff.',
      );
    expect(await itemText(kiosk, '31000005')()).toContain('Not sure it was checked out — please ask staff');
    // Back: Dune can be tried again (it stayed 'please ask staff', no button, for good).
    ils().setFaults({});
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    await expect.poll(() => tryAgain(kiosk, '31000005').isVisible(), { timeout: 10_000 }).toBe(true);
    await tryAgain(kiosk, '31000005').click();
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toMatch(DUE);
    expect(loanOf('31000005')).toEqual({ patron: '21000001', renewals: 0 });
    await tryAgain(kiosk, '31000006').click();
    await expect.poll(itemText(kiosk, '31000006'), { timeout: 10_000 }).toMatch(DUE);
  }, 60_000);

  it('tells her, as she finishes with an item it could not settle, to show it to staff', async () => {
    const kiosk = await loggedIn();
    // The link drops as Dune's checkout reaches the library system, and stays down.
    ils().setFaults({ dropAfterMessages: 0 });
    placeTag('31000005'); // Dune
    await expect
      .poll(itemText(kiosk, '31000005'), { timeout: 10_000 })
      .toContain('Not sure it was checked out');
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    // Nothing said that Dune, lying on the pad, might not be hers: she took it, its tag secured.
    const unsure =
      'We could not confirm that item 31000005 was checked out. Please show it to staff before you leave.';
    await expect.poll(() => kiosk.locator('#screen-finish').innerText()).toContain(unsure);
    await kiosk.getByRole('button', { name: 'No receipt' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
    expect(await kiosk.locator('#thanks-message').textContent()).toBe(`Enjoy your visit. ${unsure}`);
  }, 60_000);

  it('tells a patron returning items the library system could not take, as she finishes, to hand them to staff', async () => {
    await clearPad();
    await waitForDevice(fixture.desk.api, 'ils', 'online', 15_000);
    for (const item of LENT) {
      const lent = await fetch(`${fixture.desk.api}/api/v1/checkouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron: '21000001', pin: '1234', item }),
      });
      expect(lent.status).toBe(200);
    }
    const kiosk = await fixture.openScreen();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Return items' }).click();
    await expect.poll(heading(kiosk)).toBe('Return your items');
    // The link drops as Dune's return reaches the library system, and stays down: Beloved's never leaves.
    ils().setFaults({ dropAfterMessages: 0 });
    placeTag('31000005'); // Dune
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toContain('Not sure it was returned');
    await waitForDevice(fixture.desk.api, 'ils', 'offline', 15_000);
    placeTag('31000006'); // Beloved
    await expect
      .poll(itemText(kiosk, '31000006'), { timeout: 10_000 })
      .toContain('Not returned — the library system is not answering');
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    // It said nothing: she left both on the pad believing them returned, still on loan to her.
    const toStaff =
      'We could not confirm that item 31000005 was returned. Please hand it to staff. Item 31000006 was not returned. Please hand it to staff.';
    await expect.poll(() => kiosk.locator('#finish-unsettled').textContent()).toBe(toStaff);
    // Where the focus lands (Print a receipt) a screen reader read nothing of it: its live region was hidden until then.
    expect((await spokenAtFocus(kiosk)).description).toContain(toStaff);
    await kiosk.getByRole('button', { name: 'No receipt' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
    expect(await kiosk.locator('#thanks-message').textContent()).toBe(`Enjoy your visit. ${toStaff}`);
    expect(loanOf('31000006')).toEqual({ patron: '21000001', renewals: 0 });
  }, 60_000);

  it('sends her to staff when the library system answers but cannot say whether the item went through', async () => {
    const kiosk = await loggedIn();
    ils().setFaults({
      loseAnswers: { type: 'checkout', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    placeTag('31000005');
    await expect.poll(() => tryAgain(kiosk, '31000005').isVisible(), { timeout: 15_000 }).toBe(true);
    // Online, but no look-up of the item is answered: Carrel must not lend it again blind.
    ils().setFaults({ ignoreRequests: { type: 'itemInformation', times: 1000 } });
    await tryAgain(kiosk, '31000005').click();
    await expect
      .poll(() => kiosk.locator('#session-error').textContent(), { timeout: 15_000 })
      .toBe(
        'The library system is not answering, so we cannot tell whether that item went through. Please ask staff.',
      );
    await expect
      .poll(itemText(kiosk, '31000005'))
      .toContain('Not sure it was checked out — please ask staff');
    expect(await tryAgain(kiosk, '31000005').count()).toBe(0);
    expect(loanOf('31000005')).toEqual({ patron: '21000001', renewals: 0 });
  }, 60_000);
});
