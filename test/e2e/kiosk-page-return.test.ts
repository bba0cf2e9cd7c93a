import type { WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumSkipReason } from '../helpers/browser.js';
import { heading, kioskInChromium } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();

/**
 * The kiosk page in Chromium at the simulated desk, a patron returning items: what it says of her
 * session is about returning, not borrowing.
 */
describe.skipIf(skip !== undefined)('the kiosk page in a return session', () => {
  const fixture = kioskInChromium({ lent: ['31000005'] });

  it('says, when her return session has ended as she scans an item, that what shows as returned is returned', async () => {
    await fixture.clearPad();
    const kiosk = await fixture.openScreen(async (page) => {
      // The session's live feed keeps back that it ended (as when the news is on its way when she
      // presses): the page learns it from the refusal of what she asked.
      await page.routeWebSocket(/\/api\/v1\/sessions\/[^/]+\/events/, (route: WebSocketRoute) => {
        const server = route.connectToServer();
        server.onMessage((message) => {
          const { event, data } = JSON.parse(String(message)) as { event: string; data?: { state?: string } };
          if (event === 'ended' || data?.state === 'ended') return;
          route.send(message);
        });
        server.onClose(() => {});
      });
    });
    await expect.poll(heading(kiosk)).toBe('Welcome');
    await kiosk.getByRole('button', { name: 'Return items' }).click();
    await expect.poll(heading(kiosk)).toBe('Return your items');
    const { sessions } = (await (await fetch(`${fixture.desk.api}/api/v1/sessions`)).json()) as {
      sessions: Array<{ id: string; state: string }>;
    };
    const open = sessions.filter((s) => s.state === 'open');
    expect(open).toHaveLength(1);
    const ended = await fetch(`${fixture.desk.api}/api/v1/sessions/${open[0]!.id}`, { method: 'DELETE' });
    expect(ended.ok).toBe(true);
    await kiosk.getByLabel('Item without a tag? Scan or type its barcode').fill('31000005');
    await kiosk.getByRole('button', { name: 'Add item' }).click();
    // It said 'Items already checked out are yours to take.' to a patron who borrowed nothing.
    await expect
      .poll(() => kiosk.locator('#session-error').textContent(), { timeout: 10_000 })
      .toBe('Your session has ended. Items shown as returned are returned. To return more, start again.');
  }, 30_000);
});
