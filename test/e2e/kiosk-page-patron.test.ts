import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { heading, itemText, kioskInChromium, logIn, showFees } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/**
 * A session left alone ends after this long: the shortest the config allows, as the tests need
 * only some limit they can wait out, not the default's 120 s.
 */
const INACTIVITY_SECONDS = 10;
/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;
/** Items of the sample library the tests lend, given back after each test. */
const LENT = ['31000005', '31000006', '31000012', '31000026'];

/**
 * The kiosk page in Chromium as a patron uses it, against the simulated desk: an ILS that is
 * slow, a patron who changes their mind about an item, one who walks away half-way.
 */
describe.skipIf(skip !== undefined)('the kiosk page as patrons use it', () => {
  const fixture = kioskInChromium({
    lent: LENT,
    inactivitySeconds: INACTIVITY_SECONDS,
    afterEach: () => fixture.ils().setFaults({}),
  });
  const { pad, ils, placeTag, clearPad } = fixture;

  /** The kiosk at its start; with `clock`, its timers on Chromium's clock (as the real one until moved on). */
  async function openKiosk(options: { clock?: boolean } = {}): Promise<Page> {
    const page = await fixture.openScreen(options.clock ? (page) => page.clock.install() : undefined);
    await expect.poll(heading(page)).toBe('Welcome');
    return page;
  }

  it('keeps the session of a patron who waits while a slow library system checks out her pile', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    // The library system takes 4 s an answer: three items take 12 s, longer than the 10 s a
    // session may sit idle. The patron stands there watching them go through one by one.
    ils().setFaults({ latencyMs: 4_000 });
    for (const item of ['31000005', '31000006', '31000026']) placeTag(item);
    for (const item of ['31000005', '31000006', '31000026'])
      await expect.poll(itemText(kiosk, item), { timeout: 20_000 }).toMatch(DUE);
    ils().setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await heading(kiosk)()).toBe('Hello, Zoë Åström');
    // She still has her session to finish with a receipt.
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
    await expect.poll(() => receipt.isVisible()).toBe(true);
    expect(await receipt.textContent()).toContain('Sofies verden');
  }, 40_000);

  it('drops from the screen an item the patron took off the pad before it was checked out', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    ils().setFaults({ latencyMs: 3_000 });
    placeTag('31000005'); // Dune: with the library system now
    await expect.poll(itemText(kiosk, '31000005')).toContain('Checking out');
    const beloved = placeTag('31000006'); // Beloved: waits behind Dune…
    await expect.poll(itemText(kiosk, '31000006')).toContain('Checking out');
    pad().remove(beloved); // …and she changes her mind
    await expect.poll(itemText(kiosk, '31000005'), { timeout: 10_000 }).toMatch(DUE);
    ils().setFaults({});
    const { sessions } = (await (await fetch(`${fixture.desk.api}/api/v1/sessions`)).json()) as {
      sessions: Array<{ state: string; items: Array<{ item: string }> }>;
    };
    expect(sessions.find((s) => s.state === 'open')?.items.map((i) => i.item)).toEqual(['31000005']);
    // Not "Checking out…" for good: it is not hers, and the screen no longer lists it.
    await expect.poll(itemText(kiosk, '31000006')).toBe('');
    expect(await kiosk.locator('#items li').count()).toBe(1);
  }, 30_000);

  it('starts again when a patron walks away while logging in, or from her fees: nothing of hers stays for the next person', async () => {
    const kiosk = await openKiosk();
    await kiosk.clock.install();
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    const card = kiosk.getByLabel('Library card number');
    await card.fill('21000001');
    // A touch (her PIN half typed) keeps the screen hers…
    await kiosk.clock.fastForward(45_000);
    await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('12');
    await kiosk.clock.fastForward(45_000);
    expect(await heading(kiosk)()).toBe('Log in');
    // …then she walks away: the next person found her card number typed, for good.
    await kiosk.clock.fastForward(61_000);
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    expect(await card.inputValue()).toBe('');

    await kiosk.getByRole('button', { name: 'Cancel' }).first().click();
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await showFees(kiosk, '21000003', '3333');
    await expect.poll(heading(kiosk)).toBe('Your fees');
    expect(await kiosk.locator('#pay-fees li').count()).toBeGreaterThan(0);
    await kiosk.clock.fastForward(61_000);
    await expect.poll(heading(kiosk), { timeout: 5_000 }).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Pay fees' }).click();
    expect(await kiosk.getByLabel('Your card number').inputValue()).toBe('');
    expect(await kiosk.locator('#pay-fees li').count()).toBe(0);
  });

  it("says a session she walked away from has ended, and no longer asks 'Are you still there?' over it", async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    const stillHere = kiosk.getByRole('button', { name: 'I am still here' });
    await expect.poll(() => stillHere.isVisible(), { timeout: INACTIVITY_SECONDS * 1000 }).toBe(true);
    await expect.poll(heading(kiosk), { timeout: INACTIVITY_SECONDS * 1000 }).toBe('Session ended');
    // It went on asking 'Are you still there? Your session ends soon.' until the start screen came back.
    expect(await kiosk.getByRole('alert').isVisible()).toBe(false);
    expect(await stillHere.isVisible()).toBe(false);
  }, 30_000);

  it('tells a patron who walked away from returning items that her session ended, in words about returns', async () => {
    await clearPad();
    const borrowed = await fetch(`${fixture.desk.api}/api/v1/checkouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patron: '21000001', pin: '1234', item: '31000005' }),
    });
    expect(borrowed.status).toBe(200);
    const kiosk = await openKiosk();
    await kiosk.getByRole('button', { name: 'Return items' }).click();
    await expect.poll(heading(kiosk)).toBe('Return your items');
    placeTag('31000005'); // Dune
    await expect.poll(itemText(kiosk, '31000005')).toContain('Returned');
    await expect.poll(heading(kiosk), { timeout: INACTIVITY_SECONDS * 1000 + 5_000 }).toBe('Session ended');
    // It said 'Items already checked out are yours to take.' to someone who came to give them back.
    expect(await kiosk.locator('#thanks-message').textContent()).toBe(
      'Your session ended because nothing happened for a while. Items shown as returned are returned. To return more, start again.',
    );
  }, 30_000);

  it("tells a patron who answers 'I am still here' as her session is ending that it has ended, in words", async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    // The library system is slow to hear the session end: Carrel is ending it for a few seconds.
    ils().setFaults({ latencyMs: 6_000 });
    const stillHere = kiosk.getByRole('button', { name: 'I am still here' });
    await expect.poll(() => stillHere.isVisible(), { timeout: INACTIVITY_SECONDS * 1000 }).toBe(true);
    await expect
      .poll(() => kiosk.getByRole('timer').textContent(), { timeout: INACTIVITY_SECONDS * 1000 })
      .toBe('Session ends in 0:00 if idle');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await stillHere.click();
    const error = kiosk.locator('#session-error');
    await expect.poll(() => error.isVisible()).toBe(true);
    // It said 'session "3f2a…" has ended'.
    expect(await error.textContent()).toBe(
      'Your session has ended. Items already checked out are yours to take.',
    );
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Session ended');
  }, 40_000);

  it('tells a parent with two library cards on the pad to leave only one there, in words', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    placeTag('21000009', { typeOfUsage: 'patron-card' });
    placeTag('21000001', { typeOfUsage: 'patron-card' });
    await expect.poll(heading(kiosk)).toBe('Library card found');
    await kiosk.getByRole('region', { name: 'Library card found' }).getByLabel('PIN').fill('9999');
    await kiosk.getByRole('button', { name: 'Continue' }).click();
    const error = kiosk.locator('#card-error');
    await expect.poll(() => error.isVisible()).toBe(true);
    // It said 'more than one patron card is on pad "pad-1"'.
    expect(await error.textContent()).toBe(
      'There is more than one library card on the pad. Leave only the card of the person borrowing, then try again.',
    );
  });

  it("asks 'Are you still there?' of a patron who stops at 'Would you like a receipt?', and keeps her session when she answers", async () => {
    await clearPad();
    const kiosk = await openKiosk({ clock: true });
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await expect.poll(heading(kiosk)).toBe('Would you like a receipt?');
    const stillHere = kiosk.getByRole('button', { name: 'I am still here' });
    // The page warns half-way through the 10 s, by its own countdown: moved on to there, while
    // Carrel, on its own clock, keeps the session open for the rest of its 10 s.
    await kiosk.clock.fastForward((INACTIVITY_SECONDS * 1000) / 2);
    await expect.poll(() => stillHere.isVisible(), { timeout: INACTIVITY_SECONDS * 1000 }).toBe(true);
    await stillHere.click();
    await expect.poll(() => stillHere.isVisible()).toBe(false);
    expect(await heading(kiosk)()).toBe('Would you like a receipt?');
    await kiosk.getByRole('button', { name: 'No receipt' }).click();
    await expect.poll(heading(kiosk)).toBe('Thank you');
  }, 30_000);

  it('says it is checking her card while a slow library system answers the log in', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    // Two seconds an answer: the status is there at once after the press, and stays the whole while.
    ils().setFaults({ latencyMs: 2_000 });
    await logIn(kiosk);
    // Nothing on the screen said the press was taken: patrons pressed again, and again.
    const status = kiosk.getByRole('status').filter({ hasText: 'Checking your card' });
    await expect.poll(() => status.isVisible()).toBe(true);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    ils().setFaults({});
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await kiosk.getByRole('button', { name: 'No receipt' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
    await kiosk.getByRole('button', { name: 'Done' }).click();
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    expect(await status.isVisible()).toBe(false);
  }, 30_000);

  it('gives her the receipt and the pad to the next patron within seconds when the library system stops answering as she finishes', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    placeTag('31000005'); // Dune
    await expect.poll(itemText(kiosk, '31000005')).toMatch(DUE);
    // Her items are done; the library system hangs before Carrel tells it her session ended.
    ils().setFaults({ hang: true });
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    const pressed = Date.now();
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
    // She waited 'Finishing…' 21 s (the end-session's timeout, twice), and the pad was held meanwhile.
    await expect.poll(() => receipt.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(Date.now() - pressed).toBeLessThan(8_000);
    expect(await receipt.textContent()).toContain('Dune');
    expect(await fixture.openSessions()).toBe(0);
  }, 40_000);

  it("writes a patron's fines and an item's fee as the rest of the kiosk writes money: '1.50 EUR'", async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await kiosk.getByRole('button', { name: 'Borrow items' }).click();
    await kiosk.getByLabel('Library card number').fill('21000006'); // Ana Núñez, a late return fee of 1.25
    await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('6666');
    await kiosk.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Ana Núñez');
    // They read '€1.25' and '€1.50' (the browser's Intl), where her fees screen reads '1.25 EUR'.
    expect(await kiosk.locator('#patron-notes').textContent()).toContain('You have fines of 1.25 EUR.');
    await kiosk.getByLabel('Item without a tag? Scan or type its barcode').fill('31000012'); // Casablanca
    await kiosk.getByRole('button', { name: 'Add item' }).click();
    await expect.poll(itemText(kiosk, '31000012')).toContain('A fee of 1.50 EUR applies to this item');
    await kiosk.getByRole('button', { name: 'Accept the fee of 1.50 EUR' }).click();
    await expect.poll(itemText(kiosk, '31000012')).toContain('A fee of 1.50 EUR was charged.');
  });

  it('says it is finishing while the library system is still checking out her last items', async () => {
    await clearPad();
    const kiosk = await openKiosk();
    await logIn(kiosk);
    await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
    // Two seconds an answer: Beloved is done ~4 s after it was placed, the end of the session 2 s
    // later, seconds after the two presses below that show the status.
    ils().setFaults({ latencyMs: 2_000 });
    placeTag('31000005'); // Dune
    placeTag('31000006'); // Beloved
    await expect.poll(itemText(kiosk, '31000006')).toContain('Checking out');
    await kiosk.getByRole('button', { name: 'Finish' }).click();
    await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
    // Carrel ends the session once both are done: seconds with nothing on the screen.
    const status = kiosk.getByRole('status').filter({ hasText: 'Finishing' });
    await expect.poll(() => status.isVisible()).toBe(true);
    expect(await status.textContent()).toBe('Finishing… your last items are being checked out.');
    const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
    await expect.poll(() => receipt.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await receipt.textContent()).toContain('Dune');
    expect(await receipt.textContent()).toContain('Beloved');
  }, 30_000);
});
