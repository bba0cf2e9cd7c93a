/**
 * The fleet page the morning after: a desk switched off last night leaves its retained state
 * (its last will, offline) and its totals of that day on the broker. Central IT's page must not
 * count yesterday's alarms and visitors as today's, nor its last days as this week's, while the
 * offline transactions it still has waiting are still waiting. Real Mosquitto, the real
 * `carrel fleet` command, Debian's Chromium; the desks' retained messages as a desk publishes them.
 */
import type { ChildProcess } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';
import { addDays, startFleetView, stopFleetView, TODAY, totals } from './fleet-days.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet page's days tests: ${skip}`);

const YESTERDAY = addDays(TODAY, -1);

describe.skipIf(skip !== undefined)('the fleet page, with a desk switched off yesterday', () => {
  let broker: MosquittoBroker;
  let view: ChildProcess;
  let browser: Browser;
  let page: Page;
  let desk: MqttClient;

  beforeAll(async () => {
    broker = await startMosquitto();
    desk = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const retain = { qos: 1, retain: true } as const;
    // main/desk-1 is open today; main/desk-2 was switched off last night, its last will said offline.
    await desk.publishAsync(
      'carrel/main/desk-1/state',
      JSON.stringify({ status: 'online', since: new Date().toISOString() }),
      retain,
    );
    await desk.publishAsync('carrel/main/desk-1/totals', totals(TODAY, 3, 40, 1, 10), retain);
    await desk.publishAsync('carrel/main/desk-2/state', JSON.stringify({ status: 'offline' }), retain);
    await desk.publishAsync('carrel/main/desk-2/totals', totals(YESTERDAY, 7, 300, 2, 50), retain);

    const started = await startFleetView(broker.url);
    view = started.view;
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(started.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopFleetView(view);
    await desk?.endAsync(true);
    await broker?.stop();
  });

  const text = (selector: string) => page.locator(selector).textContent();
  const card = (name: string) => page.locator(`li.desk[data-desk="${name}"]`);

  it('counts only today’s alarms and visitors as today’s, and every transaction still waiting', async () => {
    await expect.poll(() => page.locator('li.desk').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => text('#total-alarms')).toBe('3');
    expect(await text('#total-visitors')).toBe('40');
    expect(await text('#total-offline')).toBe('3');
    expect(await card('main/desk-1').locator('.counts').textContent()).toBe(
      '3 alarms · 40 visitors · 1 offline waiting',
    );
    // Yesterday's numbers are said as yesterday's, with its backlog as of now.
    const counts = await card('main/desk-2').locator('.counts').textContent();
    expect(counts).toMatch(/^on .+: 7 alarms · 300 visitors; now 2 offline waiting$/);
    expect(counts).not.toMatch(/^7 alarms/);
  });

  it('compares the desks over today and the last days by their dates, not by their last entries', async () => {
    const transactions = (deskName: string) =>
      page
        .locator(`#compare tbody tr[data-desk="${deskName}"] td[data-measure="transactions"]`)
        .textContent();
    await page.selectOption('#compare-span', '1');
    expect(await transactions('main/desk-1')).toBe('10');
    expect(await transactions('main/desk-2')).toBe('0');
    await page.selectOption('#compare-span', '7');
    expect(await transactions('main/desk-1')).toBe('70');
    expect(await transactions('main/desk-2')).toBe('300'); // six days up to yesterday, none today
  });

  it('with every desk offline, still counts a desk that stopped today: its numbers are today’s', async () => {
    await desk.publishAsync('carrel/main/desk-1/state', JSON.stringify({ status: 'offline' }), {
      qos: 1,
      retain: true,
    });
    await expect.poll(() => text('#total-desks')).toBe('0 of 2');
    expect(await text('#total-alarms')).toBe('3');
    expect(await text('#total-visitors')).toBe('40');
  });
});
