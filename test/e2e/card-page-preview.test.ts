import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { cardDeskPage, CARD_STAFF as STAFF } from '../helpers/card-desk-page.js';
import { tempFolders } from '../helpers/temp-folders.js';

const skip = chromiumSkipReason();

/** A folder holding a second template beside the built-in one: the library card with a red band, no back. */
function withStaffCard(folder: string): string {
  writeFileSync(
    join(folder, 'staff-card-front.svg'),
    readFileSync(join(packageRoot(), 'templates', 'cards', 'library-card-front.svg'), 'utf8').replaceAll(
      '#1d5c8f',
      '#a01c1c',
    ),
  );
  return folder;
}

/**
 * The card page in Debian's Chromium: staff approve a card by its preview, so whatever changes the
 * card that would be printed — the template, the card number chosen, the patron, the photo — takes
 * Print (and Reprint) away until the card is previewed again, and a preview made while the form was
 * changed under it does not give Print back.
 */
describe.skipIf(skip !== undefined)('the card page’s Print after a preview', { timeout: 60_000 }, () => {
  const folder = tempFolders('carrel-card-templates-');
  // Made as the desk starts, in its hook: a run that skips or filters this block leaves no folder.
  const desk = cardDeskPage((config) => {
    const templates = withStaffCard(folder());
    return {
      ...config,
      devices: config.devices.map((device) =>
        device.kind === 'card-printer' ? { ...device, templates } : device,
      ),
    };
  });

  const print = () => desk.page.getByRole('button', { name: 'Print card' });
  const reprint = () => desk.page.getByRole('button', { name: 'Reprint (replaces the card)' });

  async function previewed(): Promise<void> {
    await desk.page.getByRole('button', { name: 'Preview' }).click();
    await expect
      .poll(() => desk.page.locator('#progress').textContent(), { timeout: 10_000 })
      .toBe('Preview ready.');
    expect(await print().isEnabled()).toBe(true);
  }

  it('takes Print and Reprint away when the template or the card number changes, until a new preview', async () => {
    const { page } = desk;
    await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => page.locator('#printer').textContent()).toBe('cards-1: online');
    await expect
      .poll(() => page.locator('#template option').allTextContents())
      .toEqual(['library-card', 'staff-card']);
    await page.getByLabel('Patron barcode').fill('21000001');
    await previewed();

    await page.getByLabel('Template').selectOption('staff-card');
    expect(await print().isDisabled()).toBe(true);
    // The page says why Print went off, and shows the old preview faded: it is not this card's.
    expect(await page.locator('#progress').textContent()).toBe(
      'The card was changed since its preview: press Preview to see it before printing.',
    );
    expect(
      await page
        .locator('#front')
        .evaluate((img) => img.ownerDocument.defaultView?.getComputedStyle(img).opacity),
    ).toBe('0.35');
    await previewed();
    expect(
      await page
        .locator('#front')
        .evaluate((img) => img.ownerDocument.defaultView?.getComputedStyle(img).opacity),
    ).toBe('1');
    await page.getByLabel('A new number').check();
    expect(await print().isDisabled()).toBe(true);
    await previewed();
    expect(await page.locator('#next-number').isVisible()).toBe(true);
    // The next free number said beside the preview is not what the card would show now.
    await page.getByLabel("The patron's barcode").check();
    expect(await print().isDisabled()).toBe(true);
    expect(await page.locator('#next-number').isVisible()).toBe(false);
    await previewed();

    // The card printed is the one previewed: the staff card, with the patron's barcode.
    await print().click();
    await expect
      .poll(() => page.locator('#progress').textContent(), { timeout: 15_000 })
      .toMatch(/^Card 21000001 issued/);
    const [issue] = (
      (await (
        await fetch(`${desk.testDesk.api}/api/v1/cards?limit=1`, {
          headers: { authorization: `Bearer ${STAFF}` },
        })
      ).json()) as { issues: Array<{ template: string; cardNumber: string }> }
    ).issues;
    expect(issue).toMatchObject({ template: 'staff-card', cardNumber: '21000001' });

    // Reprint prints the form as it is: another template waits for its preview too.
    expect(await reprint().isEnabled()).toBe(true);
    await page.getByLabel('Template').selectOption('library-card');
    expect(await print().isDisabled()).toBe(true);
    expect(await reprint().isDisabled()).toBe(true);
    await previewed();
    expect(await reprint().isEnabled()).toBe(true);
    expect(desk.pageErrors).toEqual([]);
  });

  it('does not give Print back for a preview the template changed under while it was made', async () => {
    const { page } = desk;
    await page.goto(`${desk.testDesk.api}/cards#token=${STAFF}`);
    await expect.poll(() => page.locator('#template option').count()).toBe(2);
    await page.getByLabel('Patron barcode').fill('21000002');
    // The desk's answers to the preview are held until staff have changed the template.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = 0;
    await page.route('**/api/v1/cards/preview', async (route) => {
      asked += 1;
      await released;
      await route.continue();
    });
    try {
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(() => asked).toBe(1);
      await page.getByLabel('Template').selectOption('staff-card');
      release();
      await expect
        .poll(() => page.locator('#progress').textContent(), { timeout: 10_000 })
        .toBe('The card was changed while its preview was made: press Preview again.');
      expect(await print().isDisabled()).toBe(true);
    } finally {
      release();
      await page.unroute('**/api/v1/cards/preview');
    }
    await previewed();
    expect(desk.pageErrors).toEqual([]);
  });
});
