import { describe, it } from 'vitest';
import { chromiumSkipReason, sharedChromium } from '../helpers/browser.js';
import { heading, itemText, logIn } from '../helpers/kiosk-page.js';
import { DUE, loggedIn, openKiosk, patronDesk } from './kiosk-patron-rig.js';

const skip = chromiumSkipReason();

/**
 * The kiosk page in Chromium as a patron uses it, against the simulated desk, while the library
 * system is slow or stops answering: as she borrows, and as she logs in and finishes. The blocks
 * run side by side, each on a desk of its own, their tests one after the other; one Chromium for both.
 */
describe.skipIf(skip !== undefined)('the kiosk page, its ILS slow', { concurrent: true }, () => {
  const shared = sharedChromium();

  /** A slow library system while her items are checked out. */
  describe('as she borrows', () => {
    const fixture = patronDesk(shared);
    const { pad, ils, placeTag } = fixture;

    it.sequential('keeps the session of a patron who waits while a slow library system checks out her pile', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
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

    it.sequential('drops from the screen an item the patron took off the pad before it was checked out', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
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
  });

  /** A library system slow as she logs in, or slow or gone when she finishes. */
  describe('as she logs in and finishes', () => {
    const fixture = patronDesk(shared);
    const { ils, placeTag, clearPad } = fixture;

    it.sequential('says it is checking her card while a slow library system answers the log in', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk(fixture, expect);
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

    it.sequential('gives her the receipt and the pad to the next patron within seconds when the library system stops answering as she finishes', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
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

    it.sequential('says it is finishing while the library system is still checking out her last items', async ({
      expect,
    }) => {
      const kiosk = await loggedIn(fixture, expect);
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
});
