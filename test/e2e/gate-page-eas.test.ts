import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { type CarrelConfig, configSchema } from '../../src/app/config.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/**
 * The simulated desk with a second exit watched by an ordinary RFID reader (a simulated pad at the
 * doorway) that alarms on the tag's EAS bit, as a library with NXP EAS tags sets it up, and its gate
 * page in Chromium: what desk staff read of why an alarm went off.
 */
describe.skipIf(skip !== undefined)('the gate alarm page of a gate that alarms on the EAS bit', () => {
  // The reader at the doorway: a simulated FEIG pad of the test's own, reached over TCP.
  let door: RfidPadSimulator;
  beforeAll(async () => {
    door = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0, tags: [] });
  });
  afterAll(() => door?.close());
  // Through the config's schema, as carrel start reads a file: the gate's defaults filled in.
  const withDoorway = (config: CarrelConfig): CarrelConfig =>
    configSchema.parse({
      ...config,
      devices: [
        ...config.devices,
        {
          id: 'door-1',
          kind: 'gate',
          name: 'Garden door',
          driver: 'reader',
          protocol: 'feig',
          transport: { type: 'tcp', host: '127.0.0.1', port: door.tcpPort },
          checkEas: true,
          alarm: { method: 'eas' },
        },
      ],
    });
  const chromium = deskInChromium(withDoorway, {
    ready: (testDesk) => waitForDevice(testDesk.api, 'door-1', 'online', 15_000),
    consoleError: (text) => /Content.Security.Policy|error/i.test(text),
  });

  it('says in plain words that the tag was still secured, not "EAS bit set"', async () => {
    const page = await chromium.openPage('/gates', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    door.place({ item: { id: '31000006' }, eas: true });
    const row = page.locator('#open [data-alarm]').filter({ hasText: '31000006' });
    await row.waitFor({ timeout: 5000 });
    const meta = (await row.locator('.meta').textContent()) ?? '';
    expect(meta).toContain('Garden door');
    expect(meta).not.toContain('EAS');
    expect(meta).toContain('tag still secured (not checked out)');
  });
});
