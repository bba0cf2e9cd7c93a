import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, type ExpectStatic, expect, it } from 'vitest';
import { cashSimulators } from '../../simulators/cash/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { silentLogger } from '../../src/core/logger.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';
import { logIn, showFees, spokenAtFocus } from '../helpers/kiosk-page.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/**
 * A session left alone ends after this long: the shortest the config allows, as the tests need
 * only some limit they can wait out, not the default's 120 s.
 */
const INACTIVITY_SECONDS = 10;
/**
 * A screen that lost its connection keeps its session this long from another (30 s by default): a
 * second, so the test of a crashed kiosk waits out a grace, and not for long.
 */
const SCREEN_GRACE_SECONDS = 1;
/** The kiosk page's query: the desk pad and receipt printer (and the kiosk scanner, by default). */
const KIOSK = 'pad=pad-1&printer=receipt-1';
/** "Checked out — due 12 Dec 2026" */
const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;

/**
 * Takes every tag off the pad (the desk starts with two of the simulator's sample tags on it),
 * and waits until the desk at `api` has seen them go (`expect`, the running test's): the pad reports a tag gone only after a few
 * inventory rounds without it, and a session opened before then takes the items still listed
 * as lying on the pad (as it should: a patron's pile is placed before logging in).
 */
async function clearPadAt(expect: ExpectStatic, api: string, pad: string, control: string): Promise<void> {
  const { tags } = (await (await fetch(`${control}/api/tags`)).json()) as {
    tags: Array<{ uid: string; onPad: boolean }>;
  };
  for (const tag of tags.filter((t) => t.onPad)) {
    expect((await fetch(`${control}/api/tags/${tag.uid}`, { method: 'DELETE' })).status).toBe(200);
  }
  await expect
    .poll(
      async () =>
        ((await (await fetch(`${api}/api/v1/rfid/${pad}/tags`)).json()) as { tags: unknown[] }).tags.length,
      { timeout: 10_000 },
    )
    .toBe(0);
}

/**
 * The demo kiosk page in Debian's Chromium against the simulated desk: the pad
 * simulator's control API places tags, and the test reads what a patron would
 * read on the screen.
 */
/** The page's opening of a session: POST /api/v1/sessions (with ?screen=…). */
const OPENING = (url: URL) => url.pathname === '/api/v1/sessions';

/**
 * Openings the kiosk sends, each body kept; the first is handled by `first` (its answer lost), the
 * rest go to the desk. `kiosk.unroute(OPENING)` ends it.
 */
async function losingFirstOpening(
  kiosk: Page,
  first: (route: Route) => Promise<void>,
): Promise<Array<{ requestId?: string }>> {
  const opened: Array<{ requestId?: string }> = [];
  await kiosk.route(OPENING, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    opened.push(route.request().postDataJSON());
    return opened.length === 1 ? first(route) : route.continue();
  });
  return opened;
}

describe.skipIf(skip !== undefined)('the kiosk page', { concurrent: true }, () => {
  /** One Chromium for the file; each page a context of its own. */
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  describe('the kiosk page in Chromium', () => {
    /**
     * The running test's expect: this block's tests run beside the other blocks', and a poll of
     * the global expect is refused once another block's test has ended.
     */
    let check: ExpectStatic = expect;
    beforeEach((context) => {
      check = context.expect;
    });
    let desk: Desk;
    let api: string;
    let padControl: string;
    let stateDir: string;
    /** The pages a test opened, closed after it. */
    const pages: Page[] = [];
    /** Uncaught errors in the page's scripts: none are expected. */
    const pageErrors: string[] = [];

    beforeAll(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'carrel-kiosk-'));
      const base = defaultDeskConfig();
      desk = await createDesk({
        config: {
          ...base,
          http: { ...base.http, port: 0 },
          mqtt: { mode: 'off' },
          storage: { ...base.storage, path: join(stateDir, 'carrel.db') },
          sessions: {
            ...base.sessions,
            inactivityTimeoutSeconds: INACTIVITY_SECONDS,
            screenGraceSeconds: SCREEN_GRACE_SECONDS,
          },
        },
        logger: silentLogger(),
        version: 'test',
      });
      await desk.start();
      api = desk.urls().api!.replace(/\/api\/v1$/, '');
      padControl = desk.simulators.handle(rfidPadSimulators, 'pad-sim')!.httpUrl;
      await waitForDevice(api, 'pad-1', 'online');
    }, 60_000);

    afterEach(async () => {
      for (const page of pages.splice(0)) await page.close();
      const errors = pageErrors.splice(0);
      // A test that failed half-way may leave its session open, holding the pad for the next one.
      const { sessions } = (await (await fetch(`${api}/api/v1/sessions`)).json()) as {
        sessions: Array<{ id: string; state: string }>;
      };
      for (const session of sessions.filter((s) => s.state === 'open')) {
        await fetch(`${api}/api/v1/sessions/${session.id}`, { method: 'DELETE' });
      }
      await clearPad();
      check(errors).toEqual([]);
    });

    afterAll(async () => {
      await desk?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    /** Puts a tag on the simulated pad through its control API; returns the tag's UID. */
    async function placeTag(
      primaryItemId: string,
      extra: { typeOfUsage?: 'patron-card'; set?: { part: number; parts: number } } = {},
    ): Promise<string> {
      const memory = encodeIso28560Part3({ primaryItemId, ownerLibrary: 'SE-RPL', ...extra });
      const response = await fetch(`${padControl}/api/tags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e }),
      });
      check(response.status).toBe(201);
      return ((await response.json()) as { uid: string }).uid;
    }

    /** Takes every tag off a pad of this block's desk (the desk pad unless said) and waits until the desk has seen them go. */
    const clearPad = (pad = 'pad-1', control = padControl) => clearPadAt(check, api, pad, control);

    async function openKiosk(query = KIOSK): Promise<Page> {
      const kiosk = await openKioskPage(query);
      await check.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      return kiosk;
    }

    /** The kiosk page (of the desk pad unless the query says otherwise), whatever screen it starts on. */
    async function openKioskPage(query = KIOSK, options: { clock?: boolean } = {}): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      pages.push(page);
      // The page's timers on Chromium's clock, which runs as the real one until a test moves it on.
      if (options.clock) await page.clock.install();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) pageErrors.push(message.text());
      });
      await page.goto(`${api}/kiosk?${query}`);
      return page;
    }

    /** The text of one item's row in the list of items on the screen (found by its barcode). */
    const itemText = (kiosk: Page, barcode: string) => async () => {
      const row = kiosk.getByRole('listitem').and(kiosk.locator(`[data-item="${barcode}"]`));
      return (await row.count()) === 1 ? ((await row.textContent()) ?? '') : '';
    };

    it.sequential('logs in by card number and PIN, checks out what is placed on the pad, shows a refusal and the receipt', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk();
      await kiosk.getByRole('button', { name: 'Borrow items' }).click();
      await kiosk.getByLabel('Library card number').fill('21000001');
      await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('0000');
      await kiosk.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => kiosk.getByRole('alert').filter({ hasText: 'PIN' }).textContent())
        .toContain('That PIN is not right');

      await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('1234');
      await kiosk.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      expect(await kiosk.locator('#items-empty').textContent()).toBe('Nothing yet.');
      expect(await kiosk.getByRole('timer').textContent()).toMatch(/Session ends in \d:\d\d if idle/);

      await placeTag('31000005'); // Dune
      await placeTag('31000006'); // Beloved
      await expect.poll(itemText(kiosk, '31000005')).toMatch(DUE);
      await expect.poll(itemText(kiosk, '31000006')).toMatch(DUE);
      expect(await itemText(kiosk, '31000005')()).toContain('Dune');
      expect(await itemText(kiosk, '31000006')()).toContain('Beloved');

      await placeTag('31000020'); // Emma, on loan to another patron
      await expect
        .poll(itemText(kiosk, '31000020'))
        .toContain('Refused: Item is checked out to another patron');

      // An item without a tag, by barcode: a rental with a fee to accept first.
      await kiosk.getByLabel('Item without a tag? Scan or type its barcode').fill('31000012');
      await kiosk.getByRole('button', { name: 'Add item' }).click();
      await expect.poll(itemText(kiosk, '31000012')).toContain('A fee of 1.50 EUR applies to this item');
      await kiosk.getByRole('button', { name: /^Accept the fee/ }).click();
      await expect.poll(itemText(kiosk, '31000012')).toMatch(DUE);

      // Renew my loans: her loan from before (the ILS names only its barcode; Carrel looks up its
      // title), not the ones she has just taken.
      await kiosk.getByRole('button', { name: 'Renew my loans' }).click();
      const renewals = kiosk.getByRole('list', { name: 'Renewed loans' });
      await expect.poll(() => renewals.isVisible()).toBe(true);
      const renewal = (text: string) => renewals.getByRole('listitem').filter({ hasText: text });
      await expect.poll(() => renewal('Pippi Långstrump').count()).toBe(1);
      expect(await renewal('Pippi Långstrump').textContent()).toContain('Renewed');
      expect(await renewal('Dune').count()).toBe(0);

      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
      const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
      await expect.poll(() => receipt.isVisible()).toBe(true);
      const text = (await receipt.textContent()) ?? '';
      expect(text).toContain('Checkout receipt');
      expect(text).toContain('Zoë Åström');
      expect(text).toContain('Dune');
      expect(text).toContain('Beloved');
      expect(text).toContain('Casablanca');
      expect(text).not.toContain('Emma');
      expect(text).toMatch(/Due\d{1,2} [A-Z][a-z]{2} \d{4}/);
      expect(await kiosk.getByRole('heading', { level: 1, name: 'Thank you' }).isVisible()).toBe(true);

      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      expect(await kiosk.getByRole('timer').isVisible()).toBe(false);
    });

    it.sequential('asks only for the PIN when the library card lies on the pad, and returns items in return mode', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk();
      await kiosk.getByRole('button', { name: 'Borrow items' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
      const card = await placeTag('21000009', { typeOfUsage: 'patron-card' });
      await expect
        .poll(() => kiosk.getByRole('heading', { name: 'Library card found' }).isVisible())
        .toBe(true);
      await kiosk.getByRole('region', { name: 'Library card found' }).getByLabel('PIN').fill('9999');
      await kiosk.getByRole('button', { name: 'Continue' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Kåre Ødegård');
      // The card itself is not an item.
      expect(await kiosk.locator('#items li').count()).toBe(0);

      await placeTag('31000013', { set: { part: 1, parts: 3 } }); // Learn Swedish, 1 of 3 parts
      await expect.poll(itemText(kiosk, '31000013')).toContain('Place all 3 parts on the pad');
      await placeTag('31000013', { set: { part: 2, parts: 3 } });
      await placeTag('31000013', { set: { part: 3, parts: 3 } });
      await expect.poll(itemText(kiosk, '31000013')).toMatch(DUE);
      expect(await itemText(kiosk, '31000013')()).toContain('Learn Swedish');
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1, name: 'Thank you' }).isVisible())
        .toBe(true);
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await fetch(`${padControl}/api/tags/${card}`, { method: 'DELETE' });
      await clearPad();

      // Return mode: no patron; Dune (checked out above) goes back.
      await kiosk.getByRole('button', { name: 'Return items' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Return your items');
      await placeTag('31000005');
      await expect.poll(itemText(kiosk, '31000005')).toContain('Returned');
      expect(await itemText(kiosk, '31000005')()).toContain('Dune');
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'Show my receipt here' }).click();
      const receipt = kiosk.getByRole('article', { name: 'Your receipt' });
      await expect.poll(() => receipt.textContent()).toContain('Return receipt');
      expect(await receipt.textContent()).toContain('Dune');
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
    });

    it.sequential('logs in by the library card scanned at the kiosk scanner (PIN asked), and checks out an item scanned there', async ({
      expect,
    }) => {
      await clearPad();
      await waitForDevice(api, 'scanner-1', 'online');
      const scanner = desk.simulators.handle(scannerSimulators, 'scanner-sim')!;
      const kiosk = await openKiosk();
      // Straight from the welcome screen: the scanned card goes to the PIN screen.
      await scanner.scan('21000002');
      await expect
        .poll(() => kiosk.getByRole('heading', { name: 'Library card found' }).isVisible())
        .toBe(true);
      // The page never had the card number.
      expect(await kiosk.content()).not.toContain('21000002');
      await kiosk.getByRole('region', { name: 'Library card found' }).getByLabel('PIN').fill('2222');
      await kiosk.getByRole('button', { name: 'Continue' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Émile Côté');

      await scanner.scan('31000007');
      await expect.poll(itemText(kiosk, '31000007')).toMatch(DUE);
      expect(await itemText(kiosk, '31000007')()).toContain('Cien años de soledad');
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1, name: 'Thank you' }).isVisible())
        .toBe(true);
    });

    it.sequential('out of the box, /kiosk uses the self-check pad: its two items are checked out, then returned', async ({
      expect,
    }) => {
      const kiosk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      pages.push(kiosk);
      kiosk.on('pageerror', (error) => pageErrors.push(error.message));
      await kiosk.goto(`${api}/kiosk`);
      await logIn(kiosk);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await expect.poll(itemText(kiosk, '31000004')).toMatch(DUE);
      await expect.poll(itemText(kiosk, '31000005')).toMatch(DUE);
      expect(await itemText(kiosk, '31000004')()).toContain('Middlemarch');
      expect(await itemText(kiosk, '31000005')()).toContain('Dune');
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await kiosk.getByRole('button', { name: 'Done' }).click();

      await kiosk.getByRole('button', { name: 'Return items' }).click();
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Return your items');
      await expect.poll(itemText(kiosk, '31000004')).toContain('Returned');
      await expect.poll(itemText(kiosk, '31000005')).toContain('Returned');
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
    });

    it.sequential('logs in once when the answer to the log in was lost and the patron presses again', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk();
      // The desk opens the session (it holds the pad now); its answer never reaches the kiosk.
      const opened = await losingFirstOpening(kiosk, async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      });
      await logIn(kiosk);
      await expect.poll(() => opened.length).toBe(1);
      await expect.poll(() => kiosk.getByRole('alert').filter({ hasText: 'reach' }).count()).toBe(1);
      await kiosk.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('1234');
      await kiosk.getByRole('button', { name: 'Log in' }).click();
      // The session the first press opened, not "this kiosk is busy with another session".
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await kiosk.unroute(OPENING);
      expect(opened).toHaveLength(2);
      expect(opened[1]!.requestId).toBe(opened[0]!.requestId);
      const open = (await (await fetch(`${api}/api/v1/sessions/summary`)).json()) as { open: number };
      expect(open.open).toBe(1);
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      pageErrors.length = 0; // the lost answer is logged by Chromium as a failed resource
    });

    it.sequential('forgets a log in whose answer was lost once the patron goes back to the start (her card and PIN with it)', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk();
      // The first press never reaches the desk; the kiosk cannot tell and keeps it to ask again.
      const opened = await losingFirstOpening(kiosk, (route) => route.abort('connectionreset'));
      await logIn(kiosk);
      await expect.poll(() => kiosk.getByRole('alert').filter({ hasText: 'reach' }).count()).toBe(1);
      // She gives up: Cancel. What she typed and the request kept for her go with the screen.
      await kiosk.getByRole('region', { name: 'Log in' }).getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      // The next to log in with that card is a new request, not the one kept for the patron who left.
      await logIn(kiosk);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await kiosk.unroute(OPENING);
      expect(opened).toHaveLength(2);
      expect(opened[1]!.requestId).not.toBe(opened[0]!.requestId);
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      pageErrors.length = 0; // the aborted request is logged by Chromium as a failed resource
    });

    it.sequential('after the kiosk browser crashed mid-session, the page that comes back shows the session it left open', async ({
      expect,
    }) => {
      await clearPad();
      const crashed = await openKiosk();
      await logIn(crashed);
      await expect
        .poll(() => crashed.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await placeTag('31000026'); // Sofies verden
      await expect.poll(itemText(crashed, '31000026')).toMatch(DUE);
      // The renderer dies: no pagehide, so the session stays open on the pad, taking what is placed on it.
      const cdp = await crashed.context().newCDPSession(crashed);
      const crash = crashed.waitForEvent('crash');
      const crashedAt = Date.now();
      cdp.send('Page.crash').catch(() => {}); // answered only when the page is gone
      await crash;
      await crashed.close();

      // The kiosk's browser comes back: the patron sees her session, not a start screen over a pad
      // that checks items out to her unseen (and answers the next patron "busy") — once the screen
      // that crashed has stayed away past the grace (it might have been a network blip).
      const kiosk = await openKioskPage(KIOSK, { clock: true });
      // The page, told the session is in use on the screen that crashed, asks again every 3 s (its
      // own timer): once Carrel's grace is over, the page's clock is moved on to its next asking.
      await new Promise((resolve) =>
        setTimeout(resolve, crashedAt + SCREEN_GRACE_SECONDS * 1000 + 200 - Date.now()),
      );
      await kiosk.clock.fastForward(3000);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent(), {
          timeout: SCREEN_GRACE_SECONDS * 1000 + 5_000,
        })
        .toBe('Hello, Zoë Åström');
      expect(await itemText(kiosk, '31000026')()).toMatch(DUE);
      await placeTag('31000030'); // Tintin in Tibet
      await expect.poll(itemText(kiosk, '31000030')).toMatch(DUE);
      expect(await kiosk.getByRole('timer').textContent()).toMatch(/Session ends in \d:\d\d if idle/);
      await kiosk.getByRole('button', { name: 'Finish' }).click();
      await kiosk.getByRole('button', { name: 'No receipt' }).click();
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);

      // A reload lets the session go (pagehide) and starts afresh: the session it ended is not taken up.
      await logIn(kiosk);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await kiosk.reload();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      const { sessions } = (await (await fetch(`${api}/api/v1/sessions`)).json()) as {
        sessions: Array<{ state: string }>;
      };
      expect(sessions.filter((s) => s.state === 'open')).toEqual([]);
      for (const item of ['31000026', '31000030'])
        await fetch(`${api}/api/v1/checkins`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ item }),
        });
      pageErrors.length = 0; // the crashed page's own report
    });

    it.sequential('pays fees: the patron picks fees, inserts a note and coins, sees each credit and the receipt', async ({
      expect,
    }) => {
      await waitForDevice(api, 'coins-1', 'online', 15_000);
      await waitForDevice(api, 'notes-1', 'online', 15_000);
      const cash = desk.simulators.handle(cashSimulators, 'cash-sim')!;
      const kiosk = await openKiosk();
      await showFees(kiosk, '21000003', '3333');
      const fees = kiosk.getByRole('region', { name: 'Your fees' });
      await expect.poll(() => fees.getByRole('checkbox').count()).toBe(2);
      await expect.poll(() => fees.textContent()).toContain('Late return — 7.50 EUR');
      await fees.getByRole('checkbox', { name: /Lost card/ }).uncheck();
      await expect.poll(() => fees.textContent()).toContain('To pay: 7.50 EUR');
      // The desk opens the payment, but its answer never reaches the kiosk: pressing again is
      // answered with that payment (the same request id), not a second one beside it.
      const opened: Array<{ requestId?: string }> = [];
      let firstLost!: () => void;
      const lost = new Promise<void>((resolve) => {
        firstLost = resolve;
      });
      await kiosk.route('**/api/v1/payments', async (route) => {
        opened.push(route.request().postDataJSON());
        if (opened.length > 1) return route.continue();
        await route.fetch();
        await route.abort('connectionreset');
        firstLost();
      });
      const pay = kiosk.getByRole('button', { name: 'Pay with coins and notes' });
      await pay.click();
      // Pressed again once the page has told the patron the first answer was lost: a press while it
      // still waits goes nowhere (on a loaded machine the desk's answer took long enough for that).
      await lost;
      await expect
        .poll(() => kiosk.locator('#pay-fees-error').textContent(), { timeout: 10_000 })
        .not.toBe('');
      await pay.click();
      const insert = kiosk.getByRole('region', { name: 'Insert coins or notes' });
      await expect.poll(() => insert.isVisible(), { timeout: 10_000 }).toBe(true);
      await kiosk.unroute('**/api/v1/payments');
      expect(opened).toHaveLength(2);
      expect(opened[1]!.requestId).toBe(opened[0]!.requestId);
      const collecting = (await (await fetch(`${api}/api/v1/payments`)).json()) as {
        payments: Array<{ state: string }>;
      };
      expect(collecting.payments.filter((payment) => payment.state === 'collecting')).toHaveLength(1);
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 7.50 EUR');
      // A 10 euro note does not fit 7.50: the validator takes at most 5.
      await expect.poll(() => insert.textContent()).toMatch(/Taken now: .*5\.00(?!.*10\.00)/);
      expect(cash.insertNote(500)).toMatchObject({ accepted: true });
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 2.50 EUR');
      await expect.poll(() => insert.textContent()).toContain('5.00 EUR taken');
      expect(cash.insertCoin(200)).toMatchObject({ accepted: true });
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 0.50 EUR');
      expect(cash.insertCoin(50)).toMatchObject({ accepted: true });
      const done = kiosk.getByRole('region', { name: 'Thank you' });
      await expect.poll(() => done.isVisible()).toBe(true);
      await expect.poll(() => done.textContent()).toContain('You paid 7.50 EUR.');
      await expect.poll(() => done.textContent()).toContain('Late return: 7.50 EUR — paid');
      await kiosk.getByRole('button', { name: 'Print a receipt' }).click();
      await expect.poll(() => done.textContent()).toContain('Your receipt is printing.');
    });

    it.sequential('tells the patron an item on the pad cannot be read and is not lent, while it lies there', async ({
      expect,
    }) => {
      await clearPad();
      const kiosk = await openKiosk();
      await logIn(kiosk);
      await expect
        .poll(() => kiosk.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      // A tag in a data model the desk does not read (another library's, a damaged one).
      const response = await fetch(`${padControl}/api/tags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ memoryHex: 'deadbeefcafebabe0123456789abcdef' }),
      });
      const { uid } = (await response.json()) as { uid: string };
      const notice = kiosk.getByRole('status').filter({ hasText: 'cannot be read' });
      await expect
        .poll(() => notice.textContent(), { timeout: 10_000 })
        .toBe(
          'One item on the pad cannot be read, so it is not checked out. Please take it to the staff desk.',
        );
      expect(await kiosk.locator('#items-empty').isVisible()).toBe(true);
      // A Danish library's book (the reference tag V1, owner DK-718500) beside it: the desk lends
      // only the sample library's (sessions.ownerLibraries), and says whose it is.
      const danish = (await (
        await fetch(`${padControl}/api/tags`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ preset: 'V1' }),
        })
      ).json()) as { uid: string };
      await expect
        .poll(() => notice.textContent(), { timeout: 10_000 })
        .toBe(
          'One item on the pad cannot be read, so it is not checked out. One item on the pad belongs to another library, so it is not checked out here. Please take them to the staff desk.',
        );
      expect(await kiosk.locator('#items-empty').isVisible()).toBe(true);
      await fetch(`${padControl}/api/tags/${danish.uid}`, { method: 'DELETE' });
      await fetch(`${padControl}/api/tags/${uid}`, { method: 'DELETE' });
      await expect.poll(() => notice.count(), { timeout: 10_000 }).toBe(0);
    });

    it.sequential('says what is still to pay when the patron pays part of a fee, and what is owed back to them', async ({
      expect,
    }) => {
      await waitForDevice(api, 'coins-1', 'online', 15_000);
      const cash = desk.simulators.handle(cashSimulators, 'cash-sim')!;
      const kiosk = await openKiosk();
      await showFees(kiosk, '21000006', '6666');
      const fees = kiosk.getByRole('region', { name: 'Your fees' });
      await expect.poll(() => fees.textContent()).toContain('To pay: 1.25 EUR');
      await kiosk.getByRole('button', { name: 'Pay with coins and notes' }).click();
      const insert = kiosk.getByRole('region', { name: 'Insert coins or notes' });
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 1.25 EUR');
      expect(cash.insertCoin(100)).toMatchObject({ accepted: true });
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 0.25 EUR');
      await kiosk.getByRole('button', { name: 'Pay what I inserted' }).click();
      const done = kiosk.getByRole('region', { name: 'Thank you' });
      await expect.poll(() => done.isVisible()).toBe(true);
      await expect.poll(() => done.textContent()).toContain('You paid 1.00 EUR.');
      await expect.poll(() => done.textContent()).toContain('Still to pay: 0.25 EUR');
      await expect.poll(() => done.textContent()).toContain('Late return: 1.00 EUR — paid in part');
      // Where the focus lands, a screen reader read nothing of what was paid: its live region was hidden until then.
      expect((await spokenAtFocus(kiosk)).description).toContain(
        'You paid 1.00 EUR. Still to pay: 0.25 EUR.',
      );
      await kiosk.getByRole('button', { name: 'Done' }).click();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);

      // The fee is paid at the desk meanwhile: the ILS refuses the kiosk's payment, and the page says
      // the money is owed back, not just 'thank you'.
      await showFees(kiosk, '21000006', '6666');
      await expect.poll(() => fees.textContent()).toContain('To pay: 0.25 EUR');
      await kiosk.getByRole('button', { name: 'Pay with coins and notes' }).click();
      await expect.poll(() => insert.textContent()).toContain('Still to pay: 0.25 EUR');
      const atDesk = await fetch(`${api}/api/v1/fees/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patron: '21000006', amount: '0.25', feeId: 'F-1003', paymentType: 'cash' }),
      });
      expect(atDesk.status).toBe(200);
      expect(cash.insertCoin(20)).toMatchObject({ accepted: true });
      expect(cash.insertCoin(5)).toMatchObject({ accepted: true });
      await expect.poll(() => done.isVisible()).toBe(true);
      await expect.poll(() => done.textContent()).toContain('Late return: 0.25 EUR — not accepted');
      await expect.poll(() => done.textContent()).toContain('0.25 EUR is owed back to you');
      expect((await spokenAtFocus(kiosk)).description).toContain('0.25 EUR is owed back to you');
    });

    it.sequential('lets the cash devices go when the page is reloaded mid-payment, so the next patron pays for themselves', async ({
      expect,
    }) => {
      await waitForDevice(api, 'coins-1', 'online', 15_000);
      const cash = desk.simulators.handle(cashSimulators, 'cash-sim')!;
      const kiosk = await openKiosk();
      await showFees(kiosk, '21000003', '3333');
      await expect
        .poll(() => kiosk.getByRole('region', { name: 'Your fees' }).textContent())
        .toContain('Lost card');
      await kiosk.getByRole('button', { name: 'Pay with coins and notes' }).click();
      const insert = kiosk.getByRole('region', { name: 'Insert coins or notes' });
      await expect.poll(() => insert.textContent()).toMatch(/Still to pay: \d+\.\d\d EUR/);
      await kiosk.reload();
      await expect.poll(() => kiosk.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      // Not two minutes of the acceptors taking coins for a payment no screen shows.
      await expect
        .poll(
          async () => ((await (await fetch(`${api}/api/v1/payments`)).json()) as { payments: [] }).payments,
          {
            timeout: 5_000,
          },
        )
        .toEqual([]);
      await expect
        .poll(
          async () =>
            ((await (await fetch(`${api}/api/v1/cash-devices/coins-1`)).json()) as { holder: string }).holder,
        )
        .toBeNull();
      expect(cash.insertCoin(200)).toMatchObject({ accepted: false, reason: 'inhibited' });
    });
  });

  /**
   * Two kiosks left alone, on a desk of their own: its 10 s of inactivity are waited out in full
   * while the tests above go on beside it on theirs.
   */
  describe('kiosks left alone', () => {
    /**
     * The running test's expect: this block's tests run beside the other blocks', and a poll of
     * the global expect is refused once another block's test has ended.
     */
    let check: ExpectStatic = expect;
    beforeEach((context) => {
      check = context.expect;
    });
    let desk: TestDesk;
    /** The pages the test opened, closed after it. */
    const pages: Page[] = [];
    /** Uncaught errors in the page's scripts: none are expected. */
    const pageErrors: string[] = [];

    beforeAll(async () => {
      desk = await startTestDesk((config) => ({
        ...config,
        mqtt: { mode: 'off' },
        sessions: { ...config.sessions, inactivityTimeoutSeconds: INACTIVITY_SECONDS },
      }));
      await waitForDevice(desk.api, 'pad-1', 'online');
      await waitForDevice(desk.api, 'selfcheck-1', 'online');
    }, 60_000);

    afterAll(async () => {
      for (const page of pages.splice(0)) await page.close();
      await desk?.stop();
      expect(pageErrors).toEqual([]);
    });

    const clearPad = (pad: string, control: string) => clearPadAt(check, desk.api, pad, control);

    /** The kiosk page on this desk (the desk pad unless the query says otherwise), at its start. */
    async function openKiosk(query = KIOSK): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      pages.push(page);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${desk.api}/kiosk?${query}`);
      await check.poll(() => page.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      return page;
    }

    // Two kiosks left alone side by side, one patron at each, as their inactivity ends are the same
    // 10 s waited out once: one patron walks away, the other answers 'I am still here'.
    it.sequential("tells the patron when the session ended because nothing happened, and keeps it open when the patron answers 'I am still here'", async ({
      expect,
    }) => {
      await clearPad('pad-1', desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!.httpUrl);
      // The self-check pad's own sample items, lent to the patron at its kiosk, would be activity.
      const selfcheck = desk.desk.simulators.handle(rfidPadSimulators, 'selfcheck-sim')!;
      await clearPad('selfcheck-1', selfcheck.httpUrl);
      const left = await openKiosk();
      // Another kiosk: its own pad, and no scanner (the first kiosk's holds scanner-1).
      const answering = await openKiosk('pad=selfcheck-1&printer=receipt-1&scanner=');
      await logIn(left);
      await answering.getByRole('button', { name: 'Borrow items' }).click();
      await answering.getByLabel('Library card number').fill('21000009');
      await answering.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('9999');
      await answering.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => left.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      await expect
        .poll(() => answering.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Kåre Ødegård');
      const loggedIn = Date.now();

      const walkedAway = async () => {
        await expect
          .poll(() => left.getByRole('heading', { level: 1 }).textContent(), {
            timeout: (INACTIVITY_SECONDS + 8) * 1000,
          })
          .toBe('Session ended');
        expect(await left.locator('#thanks-message').textContent()).toContain('nothing happened for a while');
        await left.getByRole('button', { name: 'Done' }).click();
        await expect.poll(() => left.getByRole('heading', { name: 'Welcome' }).isVisible()).toBe(true);
      };
      const stillThere = async () => {
        // Warned half-way through the 10 s; the patron answers.
        const stillHere = answering.getByRole('button', { name: 'I am still here' });
        await expect.poll(() => stillHere.isVisible(), { timeout: INACTIVITY_SECONDS * 1000 }).toBe(true);
        await stillHere.click();
        await expect.poll(() => stillHere.isVisible()).toBe(false);
        // Past the end the session had before she answered, it is still hers.
        await new Promise((resolve) =>
          setTimeout(resolve, loggedIn + (INACTIVITY_SECONDS + 2) * 1000 - Date.now()),
        );
        expect(await answering.getByRole('heading', { level: 1 }).textContent()).toBe('Hello, Kåre Ødegård');
      };
      await Promise.all([walkedAway(), stillThere()]);
      const { sessions } = (await (await fetch(`${desk.api}/api/v1/sessions`)).json()) as {
        sessions: Array<{ state: string; pad: string | null }>;
      };
      expect(sessions.filter((s) => s.state === 'open').map((s) => s.pad)).toEqual(['selfcheck-1']);
    }, 40_000);
  });

  /** With tokens configured, the page itself loads without one and its API calls carry the `#token=` it was given. */
  describe('the kiosk page with a token', () => {
    const TOKEN = 'kiosk-token-for-the-page-0123';
    let desk: TestDesk;
    const pages: Page[] = [];

    beforeAll(async () => {
      desk = await startTestDesk((config) => ({
        ...withTokens(config, [{ name: 'kiosk-1', token: TOKEN, scopes: ['kiosk'] }]),
        mqtt: { mode: 'off' },
      }));
      await until(
        async () => {
          const response = await fetch(`${desk.api}/api/v1/devices/pad-1`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          return ((await response.json()) as { status?: string }).status === 'online' || undefined;
        },
        10_000,
        'pad-1 did not come online',
        20,
      );
    }, 60_000);

    afterAll(async () => {
      for (const page of pages) await page.close();
      await desk?.stop();
    });

    it.sequential('is refused by the API without the token', async ({ expect }) => {
      const page = await browser.newPage();
      pages.push(page);
      await page.goto(`${desk.api}/kiosk`);
      await logIn(page);
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe('This kiosk is not allowed to do that. Please ask staff.');
    });

    it.sequential('keeps the token out of the address bar and uses it for calls and the live pad', async ({
      expect,
    }) => {
      const page = await browser.newPage();
      pages.push(page);
      await page.goto(`${desk.api}/kiosk?pad=pad-1#token=${TOKEN}`);
      await expect.poll(() => page.url()).toBe(`${desk.api}/kiosk?pad=pad-1`);
      await logIn(page);
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Hello, Zoë Åström');
      const pad = desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
      for (const tag of pad.tags()) pad.remove(String(tag.uid));
      const memory = encodeIso28560Part3({ primaryItemId: '31000005', ownerLibrary: 'SE-RPL' });
      pad.place({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e });
      const row = page.getByRole('listitem').filter({ hasText: 'Dune' });
      await expect.poll(() => row.textContent()).toMatch(DUE);
      await page.getByRole('button', { name: 'Finish' }).click();
      await page.getByRole('button', { name: 'No receipt' }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
    });
  });
});
