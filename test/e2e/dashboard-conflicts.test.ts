import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { OfflineJournal, offlinePolicySchema } from '../../src/gateway/offline/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
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
});
