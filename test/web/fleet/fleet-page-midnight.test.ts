/**
 * The fleet page over midnight with every desk switched off for the night: no desk publishes
 * anything, so no snapshot comes, and the page must move to the new day on its own — at midnight,
 * and when a PC asleep over midnight shows it again — on the fleet server's clock, not on IT's PC,
 * which may be a day off. Real Mosquitto, the real `carrel fleet` command, Debian's Chromium with
 * its clock run by the test; the desks' retained messages as a desk publishes them.
 */
import type { ChildProcess } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';
import { addDays, startFleetView, stopFleetView, TIME_ZONE, TODAY, totals } from './fleet-days.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
const TOMORROW = addDays(TODAY, 1);
if (skip) console.warn(`skipping the fleet page's midnight tests: ${skip}`);

/** `hh:mm:ss` on `day` in Berlin, as epoch ms (Berlin is UTC+1 or +2: the offset is found, not assumed). */
function berlin(day: string, time: string): number {
  const guess = Date.parse(`${day}T${time}Z`);
  const shown = new Date(guess).toLocaleString('sv-SE', { timeZone: TIME_ZONE }).replace(' ', 'T');
  return guess - (Date.parse(`${shown}Z`) - guess);
}

describe.skipIf(skip !== undefined)('the fleet page, every desk switched off this evening', () => {
  let broker: MosquittoBroker;
  let view: ChildProcess;
  let browser: Browser;
  let desks: MqttClient;
  let url: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    desks = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const retain = { qos: 1, retain: true } as const;
    // Both desks closed this evening: their last wills said offline, their totals are today's.
    await desks.publishAsync('carrel/main/desk-1/state', JSON.stringify({ status: 'offline' }), retain);
    await desks.publishAsync('carrel/main/desk-1/totals', totals(TODAY, 3, 40, 1, 10), retain);
    await desks.publishAsync('carrel/main/desk-2/state', JSON.stringify({ status: 'offline' }), retain);
    await desks.publishAsync('carrel/main/desk-2/totals', totals(TODAY, 7, 300, 2, 50), retain);

    const started = await startFleetView(broker.url);
    view = started.view;
    url = started.url;
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  afterAll(async () => {
    await browser?.close();
    await stopFleetView(view);
    await desks?.endAsync(true);
    await broker?.stop();
  });

  /**
   * The page on IT's PC in Berlin, its clock standing at `time` until the test runs it on. The
   * fleet server's clock is this machine's: the page counts on from its answer, so the server's
   * time on the page is about `Date.now()` when the page is open, however far off `time` is.
   */
  async function openAt(time: number): Promise<Page> {
    const context = await browser.newContext({ timezoneId: TIME_ZONE });
    const page = await context.newPage();
    pages.push(page);
    await page.clock.install({ time: time - 1000 });
    await page.clock.pauseAt(time);
    await page.goto(url);
    await expect.poll(() => page.locator('li.desk').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => page.locator('#total-alarms').textContent()).toBe('10');
    return page;
  }

  async function saysItIsANewDay(page: Page): Promise<void> {
    const text = (selector: string) => page.locator(selector).textContent();
    await expect.poll(() => text('#total-alarms')).toBe('0');
    expect(await text('#total-visitors')).toBe('0');
    // What the journals still hold is still waiting, whatever day it was counted.
    expect(await text('#total-offline')).toBe('3');
    expect(await page.locator('li.desk[data-desk="main/desk-1"] .counts').textContent()).toMatch(
      /^on .+: 3 alarms · 40 visitors; now 1 offline waiting$/,
    );
    await page.selectOption('#compare-span', '1');
    expect(
      await page
        .locator('#compare tbody tr[data-desk="main/desk-2"] td[data-measure="transactions"]')
        .textContent(),
    ).toBe('0');
  }

  it('at the server’s midnight, says the desks’ figures are yesterday’s, with no message from any desk', async () => {
    // IT's PC is five hours off the server: its own midnight is not the day's end.
    const page = await openAt(Date.now() + 5 * 3600_000);
    const opened = Date.now();
    expect(await page.locator('li.desk[data-desk="main/desk-1"] .counts').textContent()).toBe(
      '3 alarms · 40 visitors · 1 offline waiting',
    );
    // The page's clocks run on to half a minute before the server's midnight (its answer's `Date`
    // is to the second, this machine a little on since: within a few seconds), then past it.
    await page.clock.runFor(berlin(TODAY, '23:59:30') - opened);
    expect(await page.locator('#total-alarms').textContent()).toBe('10');
    await page.clock.runFor(40_000);
    await saysItIsANewDay(page);
  });

  it('woken the next morning on a PC that slept over midnight, asks the server its time at once and says the figures are yesterday’s', async () => {
    const page = await openAt(berlin(TODAY, '18:00:00'));
    const opened = Date.now();
    // The PC slept until the server's 07:30 tomorrow: its wall clock ran on, its performance.now()
    // stood still and its timers did not run. The server, asked now, answers with its time then.
    const slept = berlin(TOMORROW, '07:30:00') - opened;
    const asked: string[] = [];
    await page.route('**/fleet/api/desks', async (route) => {
      asked.push(route.request().url());
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), date: new Date(opened + slept).toUTCString() },
      });
    });
    await page.clock.setSystemTime(berlin(TODAY, '18:00:00') + slept);
    // Then the screen is shown again.
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await saysItIsANewDay(page);
    expect(asked).toHaveLength(1);
  });

  it('on a PC whose clock is most of a day ahead, shows the desks’ figures as today’s, and keeps them past its midnight', async () => {
    // Its own day is tomorrow (but in the server's first hour); the server's, and the desks' totals, today.
    const page = await openAt(Date.now() + 23 * 3600_000);
    const opened = Date.now();
    expect(await page.locator('li.desk[data-desk="main/desk-1"] .counts').textContent()).toBe(
      '3 alarms · 40 visitors · 1 offline waiting',
    );
    expect(await page.locator('#total-visitors').textContent()).toBe('340');
    // The PC's midnight comes at the server's 23:00: not the day's end.
    await page.clock.runFor(berlin(TODAY, '23:00:30') - opened);
    expect(await page.locator('#total-alarms').textContent()).toBe('10');
    expect(await page.locator('#total-visitors').textContent()).toBe('340');
  });

  it('speaks of one alarm and one visitor in the singular', async () => {
    // A third desk, last: the figures above are the first two desks'.
    await desks.publishAsync('carrel/main/desk-3/state', JSON.stringify({ status: 'offline' }), {
      qos: 1,
      retain: true,
    });
    await desks.publishAsync('carrel/main/desk-3/totals', totals(TODAY, 1, 1, 0, 0), {
      qos: 1,
      retain: true,
    });
    const context = await browser.newContext({ timezoneId: TIME_ZONE });
    const page = await context.newPage();
    pages.push(page);
    await page.goto(url);
    const counts = page.locator('li.desk[data-desk="main/desk-3"] .counts');
    await counts.waitFor({ timeout: 10_000 });
    expect(await counts.textContent()).toBe('1 alarm · 1 visitor · 0 offline waiting');
  });
});
