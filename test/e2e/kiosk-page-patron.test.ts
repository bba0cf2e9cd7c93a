import { describe, it } from 'vitest';
import { chromiumSkipReason, sharedChromium } from '../helpers/browser.js';
import { heading, itemText, showFees, spokenAtFocus } from '../helpers/kiosk-page.js';
import { INACTIVITY_SECONDS, loggedIn, openKiosk, patronDesk } from './kiosk-patron-rig.js';

const skip = chromiumSkipReason();

/**
 * The kiosk page in Chromium as a patron uses it, against the simulated desk: one who walks away
 * half-way, one asked whether she is still there. The blocks run side by side, each on a desk of
 * its own, their tests one after the other; one Chromium for both, each screen a context of its own.
 */
describe.skipIf(skip !== undefined)('the kiosk page as patrons use it', { concurrent: true }, () => {
  const shared = sharedChromium();

  /** Sessions left alone, and screens left half-filled: what the next person finds. */
  describe('a patron who walks away', () => {
    const fixture = patronDesk(shared);
    const { placeTag, clearPad } = fixture;

    it.sequential("says a session she walked away from has ended, and no longer asks 'Are you still there?' over it", async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
      const stillHere = kiosk.getByRole('button', { name: 'I am still here' });
      await expect.poll(() => stillHere.isVisible(), { timeout: INACTIVITY_SECONDS * 1000 }).toBe(true);
      await expect.poll(heading(kiosk), { timeout: INACTIVITY_SECONDS * 1000 }).toBe('Session ended');
      // It went on asking 'Are you still there? Your session ends soon.' until the start screen came back.
      expect(await kiosk.getByRole('alert').isVisible()).toBe(false);
      expect(await stillHere.isVisible()).toBe(false);
    }, 30_000);

    it.sequential('tells a patron who walked away from returning items that her session ended, in words about returns', async ({
      expect,
    }) => {
      await clearPad();
      const borrowed = await fetch(`${fixture.desk.api}/api/v1/checkouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron: '21000001', pin: '1234', item: '31000005' }),
      });
      expect(borrowed.status).toBe(200);
      const kiosk = await openKiosk(fixture, expect);
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

    it.sequential('starts again when a patron walks away while logging in, or from her fees: nothing of hers stays for the next person', async ({
      expect,
    }) => {
      const kiosk = await openKiosk(fixture, expect);
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

    it.sequential('keeps nothing of a patron who walked away from the thank-you screen once it is back at the start, hidden or not', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect, { clock: true });
      const notes = (await kiosk.locator('#patron-notes').innerText()).trim();
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await expect.poll(heading(kiosk)).toBe('Thank you');
      // She walks away: the thank-you screen goes back to the start by itself.
      await kiosk.clock.fastForward(31_000);
      await expect.poll(heading(kiosk)).toBe('Welcome');
      // Everything the page holds, shown or in a screen hidden for the next patron (a screen
      // reader's "show hidden", the DevTools of whoever has the kiosk next, a page dumped to disk).
      const page = await kiosk.evaluate<string>('document.documentElement.textContent');
      expect(page).not.toContain('Åström');
      expect(page).not.toContain('Zoë');
      if (notes) expect(page).not.toContain(notes);
    });
  });

  /** 'Are you still there?', and what the kiosk tells her in words. */
  describe('what the kiosk asks and tells her', () => {
    const fixture = patronDesk(shared);
    const { ils, placeTag, clearPad } = fixture;

    it.sequential("tells a patron who answers 'I am still here' as her session is ending that it has ended, in words", async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
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

    it.sequential("asks 'Are you still there?' of a patron who stops at 'Would you like a receipt?', and keeps her session when she answers", async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect, { clock: true });
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

    it.sequential('tells a patron finishing with the keyboard and a screen reader what became of her receipt, where the focus lands', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
      await kiosk.getByRole('button', { name: 'Finish' }).focus();
      await kiosk.keyboard.press('Enter');
      await expect.poll(heading(kiosk)).toBe('Would you like a receipt?');
      await kiosk.getByRole('button', { name: 'Print a receipt' }).focus();
      await kiosk.keyboard.press('Enter');
      await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Thank you');
      // The focus lands on Done, read out as 'Done, button': the words on the screen, shown in a
      // live region hidden until then, were never read.
      const spoken = await spokenAtFocus(kiosk);
      expect(spoken).toMatchObject({ role: 'button', name: 'Done' });
      expect(spoken.description).toContain('Your receipt is printing. Please take it from the printer.');
      await kiosk.keyboard.press('Enter');
      await expect.poll(heading(kiosk)).toBe('Welcome');
      // Back at the start the focus fell to the page's body, and the first Tab left the page: the
      // start screen's heading has it, and the next Tab goes on to its first choice.
      await expect.poll(async () => (await spokenAtFocus(kiosk)).name).toBe('Welcome');
      await kiosk.keyboard.press('Tab');
      expect(await spokenAtFocus(kiosk)).toMatchObject({ role: 'button', name: 'Borrow items' });
    });

    it.sequential("outlines the Welcome heading the focus lands on for a keyboard's user only, not on a touch screen", async ({
      expect,
    }) => {
      const kiosk = await openKiosk(fixture, expect);
      const welcome = kiosk.getByRole('heading', { name: 'Welcome' });
      /** The focus ring the heading shows, or undefined while it shows none. */
      const ring = () =>
        welcome.evaluate((h1) => {
          const style = h1.ownerDocument.defaultView!.getComputedStyle(h1);
          return h1 === h1.ownerDocument.activeElement &&
            style.outlineStyle !== 'none' &&
            style.outlineWidth !== '0px'
            ? `${style.outlineStyle} ${style.outlineWidth}`
            : undefined;
        });
      const focused = () => welcome.evaluate((h1) => h1 === h1.ownerDocument.activeElement);
      // A touch screen, untouched: the heading has the focus (a keyboard's first Tab reaches Borrow
      // items) and showed a focus ring around 'Welcome' until the first touch.
      expect(await focused()).toBe(true);
      expect(await ring()).toBeUndefined();
      await kiosk.getByRole('button', { name: 'Borrow items' }).click();
      await expect.poll(heading(kiosk)).toBe('Log in');
      await kiosk.getByRole('region', { name: 'Log in' }).getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(heading(kiosk)).toBe('Welcome');
      expect(await focused()).toBe(true);
      expect(await ring()).toBeUndefined();
      // With the keyboard: Tab, Enter, and back to the start with Cancel, where the ring shows the
      // focus on the heading; the next Tab goes on to Borrow items.
      await kiosk.keyboard.press('Tab');
      expect(await spokenAtFocus(kiosk)).toMatchObject({ role: 'button', name: 'Borrow items' });
      await kiosk.keyboard.press('Enter');
      await expect.poll(heading(kiosk)).toBe('Log in');
      await kiosk.getByRole('region', { name: 'Log in' }).getByRole('button', { name: 'Cancel' }).focus();
      await kiosk.keyboard.press('Enter');
      await expect.poll(heading(kiosk)).toBe('Welcome');
      expect(await focused()).toBe(true);
      expect(await ring()).toMatch(/^(solid|auto) /);
      await kiosk.keyboard.press('Tab');
      expect(await spokenAtFocus(kiosk)).toMatchObject({ role: 'button', name: 'Borrow items' });
    });

    it.sequential('tells a parent with two library cards on the pad to leave only one there, in words', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk(fixture, expect);
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

    it.sequential("writes a patron's fines and an item's fee as the rest of the kiosk writes money: '1.50 EUR'", async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk(fixture, expect);
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
  });
});
