import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import { type TestDesk, waitForDevice, withTokens } from './desk.js';
import { type LoggedDeskPage, loggedDeskPage } from './logged-desk-page.js';

/** The staff token of the card desk page's desk. */
export const CARD_STAFF = 'staff-token-0123456789abcdef';

/**
 * The card desk page as staff use it, in Debian's Chromium: the simulated desk with a staff token,
 * ready once its card printer `cards-1` is online. `configure` changes the desk further (a card
 * printer's own templates…); `ready` replaces the wait for `cards-1` online (given the staff token).
 * Registers the hooks of the `describe` it is called in.
 */
export function cardDeskPage(
  configure: (config: CarrelConfig) => CarrelConfig = (c) => c,
  options: { ready?: (testDesk: TestDesk, token: string) => Promise<void> } = {},
): LoggedDeskPage {
  return loggedDeskPage(
    (config) => configure(withTokens(config, [{ name: 'desk-staff', token: CARD_STAFF, scopes: ['staff'] }])),
    {
      viewport: { width: 1280, height: 900 },
      ready: (testDesk) =>
        options.ready
          ? options.ready(testDesk, CARD_STAFF)
          : waitForDevice(testDesk.api, 'cards-1', 'online', 15_000, CARD_STAFF),
    },
  );
}

/**
 * On the card page at `url`, once its printer line says `cards-1` is online: the patron's barcode
 * filled in and the card previewed, as staff do before Print card.
 */
export async function previewCardFor(page: Page, url: string, patron: string): Promise<void> {
  await page.goto(url);
  await expect
    .poll(() => page.locator('#printer').textContent(), { timeout: 15_000 })
    .toBe('cards-1: online');
  await page.getByLabel('Patron barcode').fill(patron);
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect
    .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
    .toBe('Preview ready.');
}
