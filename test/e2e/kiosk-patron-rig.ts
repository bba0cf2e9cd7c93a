import type { Browser, Page } from 'playwright-core';
import type { ExpectStatic } from 'vitest';
import { heading, type KioskInChromium, kioskInChromium, logIn } from '../helpers/kiosk-page.js';

/**
 * What the kiosk-page-patron files share: each runs its blocks side by side, each block on a desk
 * of its own, its tests one after the other, one Chromium for the file.
 */

/**
 * A session left alone ends after this long: the shortest the config allows, as the tests need
 * only some limit they can wait out, not the default's 120 s.
 */
export const INACTIVITY_SECONDS = 10;
/** "Checked out — due 12 Dec 2026" */
export const DUE = /Checked out — due \d{1,2} [A-Z][a-z]{2} \d{4}/;
/** Items of the sample library the tests lend, given back after each test. */
const LENT = ['31000005', '31000006', '31000012', '31000026'];

/**
 * A desk of its own for the block that calls this, in `browser`: sessions end after 10 s idle,
 * its ILS's faults are put back after each test.
 */
export function patronDesk(browser: () => Browser): KioskInChromium {
  const fixture = kioskInChromium({
    lent: LENT,
    inactivitySeconds: INACTIVITY_SECONDS,
    afterEach: () => fixture.ils().setFaults({}),
    browser,
  });
  return fixture;
}

/** The kiosk at its start; with `clock`, its timers on Chromium's clock (as the real one until moved on). */
export async function openKiosk(
  fixture: KioskInChromium,
  expect: ExpectStatic,
  options: { clock?: boolean } = {},
): Promise<Page> {
  const page = await fixture.openScreen(options.clock ? (page) => page.clock.install() : undefined);
  await expect.poll(heading(page)).toBe('Welcome');
  return page;
}

/** A cleared pad and the kiosk at its start (`clock` as for openKiosk), the patron logged in and greeted by name. */
export async function loggedIn(
  fixture: KioskInChromium,
  expect: ExpectStatic,
  options: { clock?: boolean } = {},
): Promise<Page> {
  await fixture.clearPad();
  const kiosk = await openKiosk(fixture, expect, options);
  await logIn(kiosk);
  await expect.poll(heading(kiosk), { timeout: 10_000 }).toBe('Hello, Zoë Åström');
  return kiosk;
}
