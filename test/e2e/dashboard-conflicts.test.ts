import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { OfflineJournal, offlinePolicySchema } from '../../src/gateway/offline/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { withTokens } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const skip = chromiumSkipReason();
const STAFF = 'staff-token-0123456789abcdef';

/**
 * The offline journal's conflicts box on the dashboard, as desk staff settle it, in Chromium against
 * the simulated desk: a conflict is written into the desk's journal by a second connection to its
 * database, as the replay leaves one.
 */
describe.skipIf(skip !== undefined)('the dashboard’s offline conflicts, in Chromium', () => {
  const chromium = deskInChromium((config) =>
    withTokens(config, [{ name: 'desk-staff', token: STAFF, scopes: ['staff', 'monitor'] }]),
  );

  // Each test starts from a journal without conflicts: what one left is discarded after it.
  afterEach(async () => {
    const api = `${chromium.testDesk.api}/api/v1`;
    const { json } = await callApi(api, 'GET', '/offline/transactions?state=conflict', undefined, {
      token: STAFF,
    });
    for (const { id } of json.transactions as Array<{ id: string }>)
      await callApi(
        api,
        'POST',
        `/offline/transactions/${id}/resolve`,
        { action: 'discard' },
        { token: STAFF },
      );
  });

  /** A checkout the ILS refused at replay, lent to another patron: its transaction. */
  function conflictOf(item: string) {
    const db = openDatabase(chromium.testDesk.databasePath);
    try {
      const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
      const tx = journal.accept({
        kind: 'checkout',
        patron: '21000003',
        item,
        terminal: 'desk-1',
        at: Date.now(),
      });
      journal.beginReplay(tx.id);
      journal.markConflict(tx.id, 'item_checked_out_to_another');
      return tx;
    } finally {
      db.close();
    }
  }

  /** The dashboard as staff open it, its clock one the test moves on (the desk is read every 15 s). */
  async function openDashboard(): Promise<Page> {
    const page = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    await page.clock.install();
    await page.goto(`${chromium.testDesk.api}/dashboard#token=${STAFF}`);
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    return page;
  }

  it('shows a conflict come after the last was discarded without the words of that discard', async () => {
    const first = conflictOf('31000001');
    const page = await openDashboard();
    const box = page.locator('#conflicts-box');
    const item = (id: string) => page.locator(`#conflicts li[data-transaction="${id}"]`);
    await expect.poll(() => item(first.id).count()).toBe(1);
    await item(first.id).getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => box.isHidden()).toBe(true);
    // Hidden with nothing left in it: not the discarded conflict, its buttons off, nor "Discarding…".
    expect(await page.locator('#conflicts li').count()).toBe(0);
    expect(await box.textContent()).not.toContain('Discarding');

    const second = conflictOf('31000002');
    await page.clock.fastForward(15_000);
    await expect.poll(() => box.isVisible()).toBe(true);
    expect(await page.locator('#conflicts li').count()).toBe(1);
    expect(await item(second.id).locator('.outcome').textContent()).toBe('');
    expect(await box.textContent()).not.toContain('Discarding');
    for (const label of ['Send again', 'Discard'])
      expect(await item(second.id).getByRole('button', { name: label }).isEnabled()).toBe(true);
  });

  it('keeps the keyboard on the conflicts as the desk is read again and as each is settled, and says what became of it', async () => {
    const first = conflictOf('31000003');
    const second = conflictOf('31000004');
    const page = await openDashboard();
    const item = (id: string) => page.locator(`#conflicts li[data-transaction="${id}"]`);
    await expect.poll(() => page.locator('#conflicts li').count()).toBe(2);
    /** What has the keyboard's focus: a button's accessible name, else the element's id ('' on the page's body). */
    const focused = () =>
      page.locator('body').evaluate((body) => {
        const element = body.ownerDocument.activeElement;
        return element?.getAttribute('aria-label') ?? element?.id ?? '';
      });
    const label = async (id: string, action: string) =>
      `${action}: ${await item(id).locator('.what').textContent()}`;

    // A keyboard's user on the first conflict's Discard, reading the ILS, while the desk is read again (every 15 s).
    await item(first.id).getByRole('button', { name: 'Discard' }).focus();
    // The read is over, its conflicts drawn, once the payments to check are asked for: they are read after them.
    const read = page.waitForRequest((request) => request.url().includes('/payments/to-check'));
    await page.clock.fastForward(15_000);
    await read;
    expect(await focused()).toBe(await label(first.id, 'Discard'));

    // Discarded from the keyboard: the keyboard moves on to the next conflict's Discard, and the page says what was done.
    const firstWhat = await item(first.id).locator('.what').textContent();
    await page.keyboard.press('Enter');
    await expect.poll(() => item(first.id).count()).toBe(0);
    await expect.poll(() => page.locator('#conflicts-said').textContent()).toBe(`Discarded: ${firstWhat}.`);
    expect(await page.locator('#conflicts-said').getAttribute('role')).toBe('status');
    expect(await focused()).toBe(await label(second.id, 'Discard'));

    // The last one sent again: the box goes, the keyboard is on the desk's figures' heading, not lost.
    const secondWhat = await item(second.id).locator('.what').textContent();
    await item(second.id).getByRole('button', { name: 'Send again' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#conflicts-box').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#conflicts-said').textContent()).toBe(`Sent again: ${secondWhat}.`);
    expect(await page.locator('#conflicts-said').isVisible()).toBe(true);
    expect(await focused()).toBe('desk-title');
  });
});
