import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, type ExpectStatic, it } from 'vitest';
import { chromiumSkipReason, sharedChromium } from '../helpers/browser.js';
import { heading, itemText, type KioskInChromium, kioskInChromium, logIn } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;
const IN_USE = 'This self-check is in use';

/** Resolves at `time` (Date.now()'s), at once if it is past. */
const until = (time: number) => new Promise((resolve) => setTimeout(resolve, time - Date.now()));

/**
 * The grace a screen whose connection dropped keeps its session (short here; 30 s by default): long
 * enough for another page to load and say the self-check is in use before the patron's screen is
 * back (its clock moved on to its next reconnect, which may be 5 s off: back within 1.2 s of the
 * blip on a machine loaded 6 times over its cores).
 */
const GRACE_S = 6;

/**
 * Routes the page's session socket through `live` while `cut()` is false (cut: the network gone),
 * the page's timers on Chromium's clock, which runs as the real one until a test moves it on.
 */
const blippable = (live: WebSocketRoute[], cut: () => boolean) => async (page: Page) => {
  await page.clock.install();
  await page.routeWebSocket(/\/api\/v1\/sessions\/[^/]+\/events/, (socket) => {
    if (cut()) return void socket.close();
    live.push(socket);
    socket.connectToServer();
  });
};

/** A cleared pad and a screen on it (`before` it loads) with the patron logged in, greeted by name. */
async function patronLoggedIn(
  kiosk: KioskInChromium,
  expect: ExpectStatic,
  before?: (page: Page) => Promise<unknown>,
): Promise<Page> {
  await kiosk.clearPad();
  const screen = await kiosk.openScreen(before);
  await expect.poll(heading(screen)).toBe('Welcome');
  await logIn(screen);
  await expect.poll(heading(screen)).toBe('Hello, Zoë Åström');
  return screen;
}

/** The page's next reconnect, at most 5 s off (500 ms doubling), now. */
const RECONNECT_MS = 5000;
/** The page told the session is in use asks again this often. */
const ASK_AGAIN_MS = 3000;

/**
 * The two blocks below run side by side, each on a desk of its own (the second's grace is its
 * own), their tests one after the other; one Chromium for both, each screen a context of its own.
 */
describe.skipIf(skip !== undefined)('kiosk screens on one pad', { concurrent: true }, () => {
  /** The file's Chromium, once started. */
  const shared = sharedChromium();

  /**
   * Two kiosk screens on one pad (a second tab, or staff opening the kiosk address to check
   * something): the screen the patron logged in on keeps her session; another one says the pad is
   * in use and leaves it alone, unless it is told on purpose to take the session over.
   */
  describe('two kiosk screens on the same pad', () => {
    const kiosk = kioskInChromium({ lent: ['31000005', '31000006'], browser: shared });
    const { placeTag, openScreen, openSessions } = kiosk;

    it.sequential("a second screen says the pad is in use, shows nothing of the patron's, and closing it ends nothing", async ({
      expect,
    }) => {
      const patronScreen = await patronLoggedIn(kiosk, expect);
      placeTag('31000005'); // Dune
      await expect.poll(itemText(patronScreen, '31000005')).toMatch(DUE);

      const second = await openScreen();
      await expect.poll(heading(second)).toBe(IN_USE);
      expect(await second.locator('body').innerText()).not.toContain('Zoë');
      expect(await second.locator('body').innerText()).not.toContain('Dune');
      // Closed (or sent elsewhere): the page goes, the patron's session stays.
      await second.goto('about:blank');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await openSessions()).toBe(1);
      expect(await heading(patronScreen)()).toBe('Hello, Zoë Åström');
      placeTag('31000006'); // Beloved
      await expect.poll(itemText(patronScreen, '31000006')).toMatch(DUE);

      // Another screen opened meanwhile goes back to its start screen when the patron finishes.
      const third = await openScreen();
      await expect.poll(heading(third)).toBe(IN_USE);
      await patronScreen.getByRole('button', { name: 'Finish' }).click();
      await patronScreen.getByRole('button', { name: 'No receipt' }).click();
      await expect.poll(heading(patronScreen)).toBe('Thank you');
      await expect.poll(heading(third)).toBe('Welcome');
    });

    it.sequential('takes the session over only when asked: the first screen says where it went and lets it be', async ({
      expect,
    }) => {
      const first = await patronLoggedIn(kiosk, expect);
      placeTag('31000005'); // Dune
      await expect.poll(itemText(first, '31000005')).toMatch(DUE);

      const second = await openScreen();
      await expect.poll(heading(second)).toBe(IN_USE);
      await second.getByRole('button', { name: 'Move the session to this screen' }).click();
      await expect.poll(heading(second)).toBe('Hello, Zoë Åström');
      expect(await itemText(second, '31000005')()).toMatch(DUE);
      await expect.poll(heading(first)).toBe(IN_USE);
      expect(await first.locator('body').innerText()).not.toContain('Zoë');

      // The first screen closed now ends nothing: the session is the second screen's.
      await first.goto('about:blank');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await openSessions()).toBe(1);
      placeTag('31000006'); // Beloved
      await expect.poll(itemText(second, '31000006')).toMatch(DUE);
      await second.getByRole('button', { name: 'Finish' }).click();
      await second.getByRole('button', { name: 'No receipt' }).click();
      await expect.poll(heading(second)).toBe('Thank you');
    });

    it.sequential("a duplicated tab (its original's screen id copied) says the pad is in use, and takes nothing", async ({
      expect,
    }) => {
      const original = await patronLoggedIn(kiosk, expect);
      const id = await original.evaluate<string | null>("sessionStorage.getItem('carrel.kiosk.screen')");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      // Chromium's "Duplicate" copies the tab's sessionStorage.
      const copy = await openScreen((page) =>
        page.addInitScript({
          content: `if (location.protocol === 'http:') sessionStorage.setItem('carrel.kiosk.screen', ${JSON.stringify(id)});`,
        }),
      );
      await expect.poll(heading(copy)).toBe(IN_USE);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await heading(original)()).toBe('Hello, Zoë Åström');
      placeTag('31000005'); // Dune
      await expect.poll(itemText(original, '31000005')).toMatch(DUE);
      // The copy is a screen of its own now: closing it ends nothing.
      await copy.goto('about:blank');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await openSessions()).toBe(1);
    });
  });

  /**
   * The screen a patron is using loses its connection to Carrel for a moment (a network blip) while
   * another page on the same pad loads (staff checking something, a second tab): the patron's screen
   * reconnects and must still have her session.
   */
  describe('a screen whose connection dropped for a moment', () => {
    const kiosk = kioskInChromium({
      lent: ['31000005', '31000006'],
      screenGraceSeconds: GRACE_S,
      browser: shared,
    });
    const { placeTag, openScreen, openTab, openSessions } = kiosk;

    it.sequential('keeps its session from a duplicate of its tab loading meanwhile (its screen id copied): the copy says the self-check is in use and becomes a screen of its own', async ({
      expect,
    }) => {
      let cut = false;
      const live: WebSocketRoute[] = [];
      const patronScreen = await patronLoggedIn(
        kiosk,
        expect,
        blippable(live, () => cut),
      );
      placeTag('31000005'); // Dune
      await expect.poll(itemText(patronScreen, '31000005')).toMatch(DUE);
      const id = await patronScreen.evaluate<string | null>("sessionStorage.getItem('carrel.kiosk.screen')");
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      // The blip, and meanwhile the tab is duplicated (Chromium's "Duplicate" copies its sessionStorage).
      cut = true;
      for (const socket of live.splice(0)) await socket.close();
      const copy = await openTab(patronScreen, (page) =>
        page.addInitScript({
          content: `if (location.protocol === 'http:') sessionStorage.setItem('carrel.kiosk.screen', ${JSON.stringify(id)});`,
        }),
      );
      await expect.poll(heading(copy)).toBe(IN_USE);
      expect(await copy.locator('body').innerText()).not.toContain('Zoë');
      expect(await copy.evaluate("sessionStorage.getItem('carrel.kiosk.screen')")).not.toBe(id);

      // Back: the patron's screen reconnects and goes on with her session; the copy leaves it alone.
      cut = false;
      await patronScreen.clock.fastForward(RECONNECT_MS);
      await expect.poll(() => live.length, { timeout: 10_000 }).toBeGreaterThan(0);
      placeTag('31000006'); // Beloved
      await expect.poll(itemText(patronScreen, '31000006')).toMatch(DUE);
      expect(await heading(patronScreen)()).toBe('Hello, Zoë Åström');
      expect(await heading(copy)()).toBe(IN_USE);

      // The patron's tab reloaded beside its copy is still the same screen, and lets the session go as
      // a reload always did; the copy, told the session ended, is back at its start.
      await patronScreen.reload();
      await expect.poll(heading(patronScreen)).toBe('Welcome');
      expect(await patronScreen.evaluate("sessionStorage.getItem('carrel.kiosk.screen')")).toBe(id);
      await expect.poll(openSessions).toBe(0);
      await expect.poll(heading(copy)).toBe('Welcome');
    });

    it.sequential('a tab whose page crashed and is reloaded is the same screen: it shows its session at once, without waiting out the grace', async ({
      expect,
    }) => {
      const patronScreen = await patronLoggedIn(kiosk, expect);
      placeTag('31000005'); // Dune
      await expect.poll(itemText(patronScreen, '31000005')).toMatch(DUE);
      // Another kiosk tab of the same browser is live meanwhile: it holds an id of its own, and says nothing.
      const other = await openTab(patronScreen);
      await expect.poll(heading(other)).toBe(IN_USE);

      // The renderer dies (no pagehide: the session stays open), and the tab is reloaded ("Reload").
      const cdp = await patronScreen.context().newCDPSession(patronScreen);
      const crash = patronScreen.waitForEvent('crash');
      cdp.send('Page.crash').catch(() => {});
      await crash;
      const started = performance.now();
      // Playwright gives up on a crashed page; the tab itself is reloaded and read over CDP.
      await cdp.send('Page.reload');
      const shown = async () => {
        const { result } = await cdp.send('Runtime.evaluate', {
          expression: `[...document.querySelectorAll('.screen:not([hidden]) h1')].map((h) => h.textContent).join()`,
          returnByValue: true,
        });
        return result.value as string;
      };
      await expect.poll(shown, { timeout: 10_000 }).toBe('Hello, Zoë Åström');
      expect(performance.now() - started).toBeLessThan(GRACE_S * 1000);
      expect(await heading(other)()).toBe(IN_USE);
    });

    it.sequential('keeps its session: a page loading meanwhile says the self-check is in use, and takes it up only when that screen stays away past the grace', async ({
      expect,
    }) => {
      // The patron's screen's session socket goes through here: cut (the network gone), then let through.
      let cut = false;
      const live: WebSocketRoute[] = [];
      const patronScreen = await patronLoggedIn(
        kiosk,
        expect,
        blippable(live, () => cut),
      );
      placeTag('31000005'); // Dune
      await expect.poll(itemText(patronScreen, '31000005')).toMatch(DUE);

      // The blip: the patron's screen loses its socket and cannot reconnect for now.
      cut = true;
      const blip = Date.now();
      for (const socket of live.splice(0)) await socket.close();
      const second = await openScreen((page) => page.clock.install());
      await expect.poll(heading(second)).toBe(IN_USE);
      expect(await second.locator('body').innerText()).not.toContain('Zoë');
      // Back: the patron's screen reconnects (within 5 s) and goes on with her session.
      cut = false;
      await patronScreen.clock.fastForward(RECONNECT_MS);
      await expect.poll(() => live.length, { timeout: 10_000 }).toBeGreaterThan(0);
      placeTag('31000006'); // Beloved
      await expect.poll(itemText(patronScreen, '31000006')).toMatch(DUE);
      // Past the grace, the second page, asking again, still leaves it alone: its screen came back.
      await until(blip + GRACE_S * 1000 + 500);
      await second.clock.fastForward(ASK_AGAIN_MS);
      await new Promise((resolve) => setTimeout(resolve, 500)); // its asking answered
      expect(await heading(second)()).toBe(IN_USE);
      expect(await heading(patronScreen)()).toBe('Hello, Zoë Åström');

      // Gone for good this time (the kiosk's browser crashed, its network died): a page loading now
      // says in use at first, and shows the session once the grace is over.
      cut = true;
      const gone = Date.now();
      for (const socket of live.splice(0)) await socket.close();
      const third = await openScreen((page) => page.clock.install());
      await expect.poll(heading(third)).toBe(IN_USE);
      // Once the grace is over, the page's clock is moved on to its next asking.
      await until(gone + GRACE_S * 1000 + 500);
      await third.clock.fastForward(ASK_AGAIN_MS);
      await expect.poll(heading(third), { timeout: (GRACE_S + 10) * 1000 }).toBe('Hello, Zoë Åström');
      expect(await itemText(third, '31000005')()).toMatch(DUE);
      expect(await itemText(third, '31000006')()).toMatch(DUE);
      expect(await heading(second)()).toBe(IN_USE);
    }, 90_000);
  });
});
