import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

/**
 * What a screen reader hears from the dashboard's live regions (the devices' counts and the link's
 * state, both aria-live): each time what they say changes, and only then — not the same "11 online
 * · 0 degraded · 0 offline" and "Live" again every 10 and 15 s as the page redraws them.
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the dashboard’s live regions, in Chromium', () => {
  // The gate dials in after the desk starts: its alarms reach the page once it has.
  const chromium = deskInChromium((config) => config, {
    ready: (testDesk) => waitForDevice(testDesk.api, 'exit-1', 'online', 15_000),
  });

  it('changes the counts and the link’s words only when what they say changes', async () => {
    const page = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    await page.clock.install();
    await page.goto(`${chromium.testDesk.api}/dashboard`);
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    await expect
      .poll(() => page.locator('#summary').textContent())
      .toMatch(/^\d+ online · 0 degraded · 0 offline$/);
    // Every change to the regions' text from now on, as the accessibility tree is told of it.
    await page.evaluate(`(() => {
      window.liveChanges = [];
      for (const id of ['summary', 'link'])
        new MutationObserver(() => window.liveChanges.push(id + ': ' + document.getElementById(id).textContent))
          .observe(document.getElementById(id), { childList: true, characterData: true, subtree: true });
    })()`);
    const changes = () => page.evaluate<string[]>('window.liveChanges');

    // 30 s of the page's time (three redraws of every card, two reads of the desk's figures), and
    // an alarm at the gate (its card drawn again for each event): nothing they say changed.
    chromium.testDesk.desk.simulators
      .handle(gateSimulators, 'gate-sim')!
      .walk({ direction: 'out', items: ['31000021'] });
    await expect
      .poll(() => page.locator('li.device[data-device="exit-1"] .last-event').textContent())
      .not.toBe('');
    for (let step = 0; step < 3; step++) {
      const read = page.waitForRequest((request) => request.url().includes('/sessions/summary'));
      await page.clock.fastForward(10_000);
      if (step > 0) await read;
    }
    expect(await changes()).toEqual([]);

    // The receipt printer switched off: said once.
    const printer = chromium.testDesk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
    await printer.powerOff();
    try {
      await expect
        .poll(changes, { timeout: 15_000 })
        .toEqual([expect.stringMatching(/^summary: .* [1-9] (degraded|offline)/)]);
    } finally {
      await printer.powerOn();
    }
  });
});
