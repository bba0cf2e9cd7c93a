import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const ADMIN = 'admin-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';

function withTokens(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    auth: {
      tokens: [
        { name: 'it-admin', token: ADMIN, scopes: ['admin', 'monitor'] },
        { name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] },
      ],
    },
  };
}

/**
 * The device dashboard IT staff open on a desk, in Debian's Chromium against the simulated
 * desk: what it shows is read as a person reads it, and a simulator is switched off and on
 * under it.
 */
describe.skipIf(skip !== undefined)('the device dashboard in Chromium', () => {
  const chromium = deskInChromium(withTokens);
  const printerSim = () => chromium.testDesk.desk.simulators.handle(printerSimulators, 'printer-sim')!;

  async function openPage(token: string): Promise<Page> {
    const page = await chromium.openPage(`/dashboard#token=${token}`, {
      viewport: { width: 1280, height: 1000 },
    });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    return page;
  }

  const card = (desk: Page, id: string) => desk.locator(`li.device[data-device="${id}"]`);

  it('lists every device of the desk with its status and its family’s live detail', async () => {
    const desk = await openPage(MONITOR);
    for (const id of ['ils', 'receipt-1', 'pad-1', 'selfcheck-1', 'exit-1'])
      await expect.poll(() => card(desk, id).count()).toBe(1);
    await expect.poll(() => card(desk, 'receipt-1').getAttribute('data-status')).toBe('online');
    await expect.poll(() => card(desk, 'receipt-1').locator('dd[data-key="paper"]').textContent()).toBe('ok');
    // The desk pad holds the two ISO 28560 reference tags: its tag count is the count now, not at connect.
    await expect.poll(() => card(desk, 'pad-1').locator('dd[data-key="tags"]').textContent()).toBe('2');
    await expect.poll(() => card(desk, 'ils').locator('dd[data-key="connections"]').count()).toBe(1);
    await expect.poll(() => desk.locator('#offline-pending').textContent()).toBe('0');
    await expect.poll(() => desk.locator('#sessions-open').textContent()).toBe('0');
    expect(await desk.locator('#token').count()).toBe(0);
    // The token left the address bar.
    expect(desk.url()).not.toContain(MONITOR);
  });

  it('shows a simulator switched off as offline within 2 s, and back online when it is switched on', async () => {
    const desk = await openPage(MONITOR);
    const printer = card(desk, 'receipt-1');
    await expect.poll(() => printer.getAttribute('data-status')).toBe('online');

    const offAt = performance.now();
    await printerSim().powerOff();
    await expect
      .poll(() => printer.getAttribute('data-status'), { timeout: 2000, interval: 50 })
      .toBe('offline');
    const offMs = performance.now() - offAt;
    expect(offMs).toBeLessThan(2000);
    expect(await printer.locator('.reason').textContent()).toMatch(/^Why: /);
    mkdirSync(OUTPUT, { recursive: true });
    await desk.screenshot({ path: join(OUTPUT, 'dashboard-printer-offline.png'), fullPage: true });

    await printerSim().powerOn();
    await expect.poll(() => printer.getAttribute('data-status'), { timeout: 10_000 }).toBe('online');
    expect(
      Number(/reconnects (\d+)/.exec((await printer.locator('.since').textContent()) ?? '')?.[1]),
    ).toBeGreaterThan(0);
    await desk.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
  });

  it('lets an admin reconnect a device, print a test page and read a gate counter; a monitor is offered none of them', async () => {
    const admin = await openPage(ADMIN);
    const pad = card(admin, 'pad-1');
    const before = Number(/reconnects (\d+)/.exec((await pad.locator('.since').textContent()) ?? '')?.[1]);
    await pad.getByRole('button', { name: 'Reconnect' }).click();
    await expect.poll(() => pad.locator('.outcome').textContent()).toBe('Reconnected: online');
    await expect
      .poll(async () =>
        Number(/reconnects (\d+)/.exec((await pad.locator('.since').textContent()) ?? '')?.[1]),
      )
      .toBe(before + 1);

    const printed = printerSim().receipts().length;
    await card(admin, 'receipt-1').getByRole('button', { name: 'Test page' }).click();
    await expect
      .poll(() => card(admin, 'receipt-1').locator('.outcome').textContent())
      .toMatch(/^Test page queued/);
    await expect.poll(() => printerSim().receipts().length, { timeout: 10_000 }).toBe(printed + 1);

    // Two people walk in: the counter read from the gate now says so.
    const gate = chromium.testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'in', items: [] });
    gate.walk({ direction: 'in', items: [] });
    const answered = gate.state().commandPort.answered;
    await card(admin, 'exit-1').getByRole('button', { name: 'Read counter' }).click();
    const counters = gate.state().counters;
    await expect
      .poll(() => card(admin, 'exit-1').locator('.outcome').textContent())
      .toBe(`Counter: ${counters.in} in, ${counters.out} out`);
    expect(counters.in).toBeGreaterThanOrEqual(2);
    // Read from the gate's command port, not from what Carrel last heard.
    expect(gate.state().commandPort.answered).toBeGreaterThan(answered);
    await admin.close();

    // A monitor token only looks: no card offers an action.
    const monitor = await openPage(MONITOR);
    await expect.poll(() => monitor.locator('body').getAttribute('data-scope')).toBe('look');
    await expect.poll(() => card(monitor, 'exit-1').count()).toBe(1);
    expect(await monitor.locator('li.device .actions button').count()).toBe(0);
    expect(await admin.isClosed()).toBe(true);
  });

  it('asks for a token when it has none and the desk requires one', async () => {
    const page = await chromium.openPage('/dashboard', { quiet: true });
    await expect.poll(() => page.locator('#problem').textContent()).toMatch(/needs a monitor token/);
  });
});
