import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printerSimulators } from '../../simulators/printer/family.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { createDesk, type Desk } from '../../src/app/desk.js';
import { silentLogger } from '../../src/core/logger.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/** The pages people look at, in a real browser: the printer simulator's receipts (the API docs: docs-page.test.ts). */
describe.skipIf(skip !== undefined)('pages in Chromium', () => {
  let desk: Desk;
  let browser: Browser;
  let api: string;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'carrel-pages-'));
    const base = defaultDeskConfig();
    desk = await createDesk({
      config: {
        ...base,
        http: { ...base.http, port: 0 },
        mqtt: { mode: 'off' },
        storage: { ...base.storage, path: join(stateDir, 'carrel.db') },
      },
      logger: silentLogger(),
      version: 'test',
    });
    await desk.start();
    api = desk.urls().api!.replace(/\/api\/v1$/, '');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await desk?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('shows a printed receipt on the simulator page, and its buttons change the printer', async () => {
    const response = await fetch(`${api}/api/v1/printers/receipt-1/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'test-page', data: { library: { name: 'Browser Branch' } } }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${api}/api/v1/printers/receipt-1/jobs/${id}`)).json()) as { state: string })
            .state,
      )
      .toBe('printed');

    const sim = desk.simulators.handle(printerSimulators, 'printer-sim')!;
    const page = await browser.newPage();
    await page.goto(sim.httpUrl);
    const receipt = page.locator('figure svg').first();
    await expect.poll(() => receipt.count()).toBe(1);
    expect(await page.locator('figure figcaption').first().textContent()).toContain('#');
    expect(await receipt.evaluate((svg) => svg.textContent)).toContain('Browser Branch');
    const box = await receipt.boundingBox();
    expect(box?.width).toBeGreaterThan(100);

    await page.getByRole('button', { name: /Paper out: no/ }).click();
    await expect.poll(() => sim.condition().paperOut).toBe(true);
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${api}/api/v1/devices/receipt-1`)).json()) as { reason: string }).reason,
      )
      .toBe('paper out');
    await page.close();
    sim.setCondition({ paperOut: false });
  });
});
