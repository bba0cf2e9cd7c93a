import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, type ExpectStatic, expect } from 'vitest';
import type { SimulatorHandleOf } from '../../simulators/common/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import type { IlsDeviceConfig } from '../../src/gateway/families/ils/index.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { launchChromium } from './browser.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from './desk.js';

/** On the kiosk page's start screen: borrow items as the sample patron Zoë Åström (card 21000001, PIN 1234). */
export async function logIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Borrow items' }).click();
  await page.getByLabel('Library card number').fill('21000001');
  await page.getByRole('region', { name: 'Log in' }).getByLabel('PIN').fill('1234');
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** On the kiosk page's start screen: "Pay fees", as the patron with this card and PIN, up to their list of fees. */
export async function showFees(page: Page, card: string, pin: string): Promise<void> {
  await page.getByRole('button', { name: 'Pay fees' }).click();
  await page.getByLabel('Your card number').fill(card);
  await page.getByRole('region', { name: 'Pay fees' }).getByLabel('PIN').fill(pin);
  await page.getByRole('button', { name: 'Show my fees' }).click();
}

/**
 * The kiosk page in Chromium against a simulated desk of its own (MQTT off), for one `describe`
 * block: the desk and the browser start before its tests and stop after them. After each test its
 * pages are closed, a session it left open is cancelled (it would hold the pad for the next test),
 * the items it lent (`lent`) are checked in again, and the test fails if a page threw.
 */
export function kioskInChromium(options: {
  /** Items of the sample library the tests lend, given back after each test. */
  lent: readonly string[];
  /** `sessions.inactivityTimeoutSeconds`, when a test needs it short. */
  inactivitySeconds?: number;
  /** `sessions.screenGraceSeconds`, when a test needs it short. */
  screenGraceSeconds?: number;
  /** The desk's ILS link changed (a short request timeout, when a test waits out lost requests). */
  ils?: (ils: IlsDeviceConfig) => IlsDeviceConfig;
  /** The desk's config changed further (a receipt printer's code page). */
  config?: (config: CarrelConfig) => CarrelConfig;
  /** Run after each test, before the pages close (a fault put back). */
  afterEach?: (desk: TestDesk) => void;
  /**
   * The file's Chromium, launched by the caller (read once its `beforeAll` has run), when more than
   * one block shares it; without it the block launches and closes its own.
   */
  browser?: () => Browser;
}): KioskInChromium {
  let desk: TestDesk | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const api = () => fixture.desk.api;
  /**
   * The running test's expect: a block may run beside another (an outer concurrent describe), and
   * a poll of the global expect is refused once the other block's test has ended.
   */
  let check: ExpectStatic = expect;

  beforeEach((context) => {
    check = context.expect;
  });

  beforeAll(async () => {
    desk = await startTestDesk((config) =>
      (options.config ?? ((changed) => changed))({
        ...withIls(config, options.ils ?? ((ils) => ils)),
        mqtt: { mode: 'off' },
        sessions: {
          ...config.sessions,
          ...(options.inactivitySeconds === undefined
            ? {}
            : { inactivityTimeoutSeconds: options.inactivitySeconds }),
          ...(options.screenGraceSeconds === undefined
            ? {}
            : { screenGraceSeconds: options.screenGraceSeconds }),
        },
      }),
    );
    await waitForDevice(desk.api, 'pad-1', 'online');
    browser = options.browser ? options.browser() : await launchChromium();
  }, 60_000);

  afterEach(async () => {
    if (desk) options.afterEach?.(desk);
    for (const context of contexts.splice(0)) await context.close();
    const { sessions } = (await (await fetch(`${api()}/api/v1/sessions`)).json()) as {
      sessions: Array<{ id: string; state: string }>;
    };
    for (const session of sessions.filter((s) => s.state === 'open'))
      await fetch(`${api()}/api/v1/sessions/${session.id}`, { method: 'DELETE' });
    for (const item of options.lent)
      await fetch(`${api()}/api/v1/checkins`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item }),
      });
    check(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    if (!options.browser) await browser?.close();
    await desk?.stop();
  });

  const kioskIn = async (page: Page, before?: (page: Page) => Promise<unknown>) => {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await before?.(page);
    await page.goto(`${api()}/kiosk?pad=pad-1&printer=receipt-1`);
    return page;
  };

  const fixture: KioskInChromium = {
    get desk() {
      if (!desk) throw new Error('the desk has not started');
      return desk;
    },
    pad: () => fixture.desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!,
    ils: () => fixture.desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!,
    async openScreen(before) {
      if (!browser) throw new Error('Chromium has not started');
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      contexts.push(context);
      return kioskIn(await context.newPage(), before);
    },
    async openTab(beside, before) {
      return kioskIn(await beside.context().newPage(), before);
    },
    async clearPad() {
      for (const tag of fixture.pad().tags()) fixture.pad().remove(String(tag.uid));
      await check
        .poll(
          async () =>
            ((await (await fetch(`${api()}/api/v1/rfid/pad-1/tags`)).json()) as { tags: unknown[] }).tags
              .length,
          { timeout: 10_000 },
        )
        .toBe(0);
    },
    placeTag(primaryItemId, extra = {}) {
      const memory = encodeIso28560Part3({ primaryItemId, ownerLibrary: 'SE-RPL', ...extra });
      return String(fixture.pad().place({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e }).uid);
    },
    async openSessions() {
      const { sessions } = (await (await fetch(`${api()}/api/v1/sessions`)).json()) as {
        sessions: Array<{ state: string }>;
      };
      return sessions.filter((s) => s.state === 'open').length;
    },
  };
  return fixture;
}

export interface KioskInChromium {
  readonly desk: TestDesk;
  pad(): PadSimulator;
  ils(): IlsSimulator;
  /**
   * A kiosk screen of its own (a new browser context: its own tab, its own sessionStorage), at its
   * start; `before` is done to the page before it loads the kiosk (an init script).
   */
  openScreen(before?: (page: Page) => Promise<unknown>): Promise<Page>;
  /**
   * The kiosk in another tab of `beside`'s browser (its context: the tabs hear each other on a
   * BroadcastChannel; its sessionStorage is the tab's own), at its start; `before` as above.
   */
  openTab(beside: Page, before?: (page: Page) => Promise<unknown>): Promise<Page>;
  /** Takes every tag off the simulated pad and waits until the desk has seen them go. */
  clearPad(): Promise<void>;
  /** Places an item's tag (or a library card) on the simulated pad; returns its UID. */
  placeTag(primaryItemId: string, extra?: { typeOfUsage?: 'patron-card' }): string;
  /** How many sessions are open at the desk. */
  openSessions(): Promise<number>;
}

type PadSimulator = SimulatorHandleOf<typeof rfidPadSimulators>;
type IlsSimulator = SimulatorHandleOf<typeof ilsSimulators>;

/** The page's main heading, for `expect.poll`. */
export const heading = (page: Page) => () => page.getByRole('heading', { level: 1 }).textContent();

/** The text of an item's row in the page's list ('' while it has none), for `expect.poll`. */
export const itemText = (page: Page, barcode: string) => async () => {
  const row = page.getByRole('listitem').and(page.locator(`[data-item="${barcode}"]`));
  return (await row.count()) === 1 ? ((await row.textContent()) ?? '') : '';
};

/**
 * What a screen reader says of the element with the keyboard's focus, from Chromium's
 * accessibility tree (over the DevTools protocol): its role, its name and its description.
 */
export async function spokenAtFocus(
  page: Page,
): Promise<{ role: string; name: string; description: string }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const focused = await cdp.send('Runtime.evaluate', { expression: 'document.activeElement' });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', {
      objectId: focused.result.objectId!,
      fetchRelatives: false,
    });
    const node = nodes[0];
    return {
      role: String(node?.role?.value ?? ''),
      name: String(node?.name?.value ?? ''),
      description: String(node?.description?.value ?? ''),
    };
  } finally {
    await cdp.detach();
  }
}
