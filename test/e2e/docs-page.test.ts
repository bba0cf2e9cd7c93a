import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const MONITOR = 'monitor-token-0123456789abcdef';

interface OpenApiDocument {
  paths: Record<string, Record<string, { tags: string[]; operationId: string; summary: string }>>;
}

/**
 * The API page developers and IT staff open on a desk (`/docs`), in Debian's Chromium against
 * the simulated desk with tokens required: Swagger UI served by the desk itself renders the
 * OpenAPI document Carrel generates, and "Try it out" calls the desk with the token given
 * to "Authorize".
 */
describe.skipIf(skip !== undefined)('the API documentation in Chromium', () => {
  let testDesk: TestDesk;
  let browser: Browser;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const offSite: string[] = [];

  beforeAll(async () => {
    // Chromium starts while the desk starts and its printer comes online.
    const launching = launchChromium();
    launching.catch(() => {}); // its failure is reported below, once the desk's is
    try {
      testDesk = await startTestDesk((config) =>
        withTokens(config, [{ name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] }]),
      );
      await waitForDevice(testDesk.api, 'receipt-1', 'online', 10_000, MONITOR);
    } finally {
      // Launched whatever the desk did, so that afterAll closes it.
      const launched = await launching.catch(() => undefined);
      if (launched) browser = launched;
    }
    browser = await launching; // a Chromium that did not start fails the block with its reason
  }, 60_000);

  afterEach(async () => {
    await page?.close();
    page = undefined;
    // No CSP violation, no script error, nothing fetched from anywhere but the desk.
    expect(pageErrors.splice(0)).toEqual([]);
    expect(offSite.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await testDesk?.stop();
  });

  async function openDocs(): Promise<Page> {
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // A try-it-out answered 401 is logged by Chromium as a failed resource: that is the test's point.
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        pageErrors.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(testDesk.api) && !request.url().startsWith('data:'))
        offSite.push(request.url());
    });
    await page.goto(`${testDesk.api}/docs`);
    return page;
  }

  async function tryListDevices(docs: Page): Promise<{ status: string; body: string }> {
    const operation = docs.locator('#operations-devices-listDevices');
    const summary = operation.locator('button.opblock-summary-control');
    if ((await summary.getAttribute('aria-expanded')) !== 'true') await summary.click();
    const tryOut = operation.locator('button.try-out__btn');
    if ((await tryOut.textContent())?.includes('Try it out')) await tryOut.click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => operation.locator('.loading-container').count()).toBe(0);
    return {
      status: ((await status.textContent()) ?? '').trim(),
      body:
        (await operation
          .locator('.live-responses-table .response-col_description pre')
          .first()
          .textContent()) ?? '',
    };
  }

  it('renders the API documentation from the generated OpenAPI document: every operation tag, every operation', async () => {
    const document = (await (await fetch(`${testDesk.api}/docs/openapi.json`)).json()) as OpenApiDocument;
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    const tags = [...new Set(operations.flatMap((operation) => operation.tags))];
    expect(tags).toEqual(expect.arrayContaining(['devices', 'printers', 'rfid', 'gates', 'sessions']));

    const docs = await openDocs();
    await expect
      .poll(() => docs.locator('.opblock-tag-section').count(), { timeout: 15_000 })
      .toBe(tags.length);
    for (const tag of tags) expect(await docs.locator(`h3.opblock-tag[data-tag="${tag}"]`).count()).toBe(1);
    expect(await docs.locator('.opblock').count()).toBe(operations.length);
    const receipts = docs.locator('#operations-printers-printReceipt');
    expect(await receipts.locator('.opblock-summary-path').textContent()).toContain(
      '/api/v1/printers/{id}/receipts',
    );
    expect(await receipts.locator('.opblock-summary-description').textContent()).toContain('Queue a receipt');
    // The shared schemas resolve: the device list's example shows a device's fields, not a bare "string".
    const list = docs.locator('#operations-devices-listDevices');
    await list.locator('button.opblock-summary-control').click();
    const example = list.locator('.responses-table tr[data-code="200"] .example').first();
    await expect.poll(() => example.count()).toBe(1);
    expect(await example.textContent()).toMatch(/"device":[\s\S]*"status":[\s\S]*"detail":/);
    mkdirSync(OUTPUT, { recursive: true });
    await docs.screenshot({ path: join(OUTPUT, 'api-docs.png') });
  }, 60_000);

  it('answers a try-it-out without a token 401, and with a monitor token given to Authorize lists the desk’s devices', async () => {
    const docs = await openDocs();
    await expect
      .poll(() => docs.locator('#operations-devices-listDevices').count(), { timeout: 15_000 })
      .toBe(1);

    const refused = await tryListDevices(docs);
    expect(refused.status).toBe('401');
    expect(refused.body).toContain('"code": "unauthorized"');

    await docs.locator('.auth-wrapper button.authorize').click();
    const dialog = docs.locator('.modal-ux');
    await dialog.locator('input').first().fill(MONITOR);
    await dialog.locator('button.authorize').click();
    await dialog.locator('button.btn-done').click();
    await expect.poll(() => dialog.count()).toBe(0);

    const listed = await tryListDevices(docs);
    expect(listed.status).toBe('200');
    const devices = (JSON.parse(listed.body) as { devices: Array<{ device: string }> }).devices.map(
      (device) => device.device,
    );
    const desk = defaultDeskConfig().devices.map((device) => device.id);
    expect(devices.sort()).toEqual(desk.sort());
    expect(devices).toEqual(expect.arrayContaining(['ils', 'receipt-1', 'pad-1']));
    // The token went in the header only, never in the address a proxy or a history keeps.
    expect(docs.url()).not.toContain(MONITOR);

    mkdirSync(OUTPUT, { recursive: true });
    await docs.locator('#operations-devices-listDevices').scrollIntoViewIfNeeded();
    await docs.screenshot({ path: join(OUTPUT, 'api-docs-try-it-out.png'), fullPage: false });
  }, 60_000);
});
