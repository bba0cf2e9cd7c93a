import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { FAMILIES } from '../../src/app/families.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

/**
 * What each device card on the dashboard says it is, and what last happened to it, read as desk
 * staff read them: in words, not the codes of Carrel's API (receipt-printer, gate.count).
 */
describe.skipIf(chromiumSkipReason() !== undefined)('the dashboard’s devices in words, in Chromium', () => {
  // The gate dials in after the desk starts: its alarms reach the page once it has.
  const chromium = deskInChromium((config) => config, {
    ready: (testDesk) => waitForDevice(testDesk.api, 'exit-1', 'online', 15_000),
  });

  it('names each device’s kind and its last event in words', async () => {
    const page = await chromium.openPage('/dashboard', { viewport: { width: 1280, height: 1000 } });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    const card = (id: string) => page.locator(`li.device[data-device="${id}"]`);
    const kinds = {
      ils: 'library system',
      'receipt-1': 'receipt printer',
      'pad-1': 'RFID reader',
      'exit-1': 'security gate',
      'public-bw': 'print queue',
      'coins-1': 'cash device',
      'cards-1': 'card printer',
      'scanner-1': 'scanner or card reader',
    };
    for (const [id, kind] of Object.entries(kinds))
      await expect.poll(() => card(id).locator('.kind').textContent()).toBe(kind);

    // Someone walks out with an item not lent: the gate alarms, and its card says so.
    chromium.testDesk.desk.simulators
      .handle(gateSimulators, 'gate-sim')!
      .walk({ direction: 'out', items: ['31000021'] });
    await expect
      .poll(() => card('exit-1').locator('.last-event').textContent())
      .toMatch(/^Last event: an alarm(’s item looked up)? at \d{1,2}:\d{2}/);
  });

  it('has words for every kind of device and every event a family of this Carrel declares', async () => {
    const page = await chromium.openPage('/dashboard', { viewport: { width: 1280, height: 1000 } });
    const kinds = FAMILIES.map((family) => family.device.kind);
    const events = FAMILIES.flatMap((family) => [...family.device.events]);
    const unsaid = await page.evaluate(
      `import('/common/device-words.js').then(({ kindWords, eventWords }) => [
        ...${JSON.stringify(kinds)}.filter((kind) => kindWords(kind) === kind),
        ...${JSON.stringify(events)}.filter((type) => eventWords(type) === type),
      ])`,
    );
    expect(events.length).toBeGreaterThan(40);
    expect(unsaid).toEqual([]);
  });
});
