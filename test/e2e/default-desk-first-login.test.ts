import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { type SimulatedDeskProcess, startSimulatedDesk } from '../helpers/carrel-cli.js';
import { waitForDevice } from '../helpers/desk.js';
import { logIn } from '../helpers/kiosk-page.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/**
 * A library trying Carrel for the first time: `npm start` with no configuration (the built CLI,
 * as the script runs it, on free ports and a fresh state folder), the demo kiosk page on each of the
 * desk's RFID pads in Chromium, and the sample patron logging in. What lies on a pad at the start
 * is the demo's pile of books: every one the library system knows and lends, none refused before
 * the patron did anything.
 */
describe.skipIf(skip !== undefined)("the simulated desk's first login at its kiosk page", () => {
  let desk: SimulatedDeskProcess | undefined;
  let api: string;
  let browser: Browser;

  beforeAll(async () => {
    desk = await startSimulatedDesk('carrel-first-login-');
    api = desk.api;
    await waitForDevice(api, 'ils', 'online', 15_000);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await desk?.stop();
  });

  it('checks out every item lying on each pad at login, and refuses none', async () => {
    const { devices } = (await (await fetch(`${api}/api/v1/devices`)).json()) as {
      devices: Array<{ device: string; kind: string }>;
    };
    // Every pad a patron lends at; the card printer's encoding pad holds a blank card for the next
    // library card, no books (card-chip-encoding.test.ts).
    const pads = devices
      .filter((device) => device.kind === 'rfid-reader' && device.device !== 'card-pad')
      .map((device) => device.device);
    expect(pads.length).toBeGreaterThan(0);
    for (const pad of pads) {
      await waitForDevice(api, pad, 'online', 15_000);
      // What the pad holds as the desk starts (the demo's pile), once the pad has reported it.
      const tagsOnPad = async () =>
        ((await (await fetch(`${api}/api/v1/rfid/${pad}/tags`)).json()) as { tags: unknown[] }).tags.length;
      await expect.poll(tagsOnPad, { timeout: 10_000 }).toBeGreaterThan(0);
      const onPad = await tagsOnPad();

      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await page.goto(`${api}/kiosk?pad=${pad}`);
        await logIn(page);
        await expect
          .poll(() => page.getByRole('heading', { level: 1 }).textContent())
          .toBe('Hello, Zoë Åström');
        const rows = page.locator('[data-item]');
        await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(onPad);
        await expect
          .poll(async () => (await rows.allTextContents()).filter((text) => !/Checked out/.test(text)), {
            timeout: 10_000,
          })
          .toEqual([]);
        expect(await page.getByText(/Refused/).count(), `refusals at ${pad}`).toBe(0);
      } finally {
        await page.close();
        const { sessions } = (await (await fetch(`${api}/api/v1/sessions`)).json()) as {
          sessions: Array<{ id: string; state: string }>;
        };
        for (const session of sessions.filter((s) => s.state === 'open'))
          await fetch(`${api}/api/v1/sessions/${session.id}`, { method: 'DELETE' });
      }
    }
  }, 90_000);
});
