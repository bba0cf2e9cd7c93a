/**
 * The fleet page over midnight with every desk switched off for the night: no desk publishes
 * anything, so no snapshot comes, and the page must move to the new day on its own — at midnight,
 * and when a PC asleep over midnight shows it again. Real Mosquitto, the real `carrel fleet`
 * command, Debian's Chromium with its clock run by the test; the desks' retained messages as a
 * desk publishes them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { CARREL_CLI } from '../../helpers/carrel-cli.js';
import { freePort } from '../../helpers/free-port.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet page's midnight tests: ${skip}`);

/** The fleet view's machine and IT's PC are in this zone; "today" below is their day there. */
const TIME_ZONE = 'Europe/Berlin';
const TODAY = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(Date.now());
const addDays = (day: string, days: number) => {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
};
const TOMORROW = addDays(TODAY, 1);
/** `hh:mm:ss` on `day` in Berlin, as epoch ms (Berlin is UTC+1 or +2: the offset is found, not assumed). */
function berlin(day: string, time: string): number {
  const guess = Date.parse(`${day}T${time}Z`);
  const shown = new Date(guess).toLocaleString('sv-SE', { timeZone: TIME_ZONE }).replace(' ', 'T');
  return guess - (Date.parse(`${shown}Z`) - guess);
}

/** A desk's retained totals for `day`, its recent days ending there with `perDay` transactions each. */
function totals(day: string, alarms: number, visitors: number, pending: number, perDay: number) {
  const days = Array.from({ length: 31 }, (_, i) => addDays(day, i - 30));
  const each = (n: number) => days.map(() => n);
  return JSON.stringify({
    day,
    alarmsToday: alarms,
    visitorsToday: visitors,
    offlinePending: pending,
    offlineConflicts: 0,
    recent: {
      days,
      counts: {
        transactions: each(perDay),
        refusals: each(0),
        visitors: each(0),
        alarms: each(0),
        pages: each(0),
        cards: each(0),
      },
    },
  });
}

function withoutFleetSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CARREL_FLEET_TOKEN: _token, CARREL_FLEET_PASSWORD: _password, ...rest } = env;
  return rest;
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

    const port = await freePort();
    view = spawn(
      process.execPath,
      [CARREL_CLI, 'fleet', '--broker', broker.url, '--http-port', String(port)],
      {
        env: { ...withoutFleetSecrets(process.env), TZ: TIME_ZONE },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let said = '';
    await new Promise<void>((resolve, reject) => {
      view.stderr!.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (/page\s+http:/.test(said)) resolve();
      });
      view.once('exit', (code) => reject(new Error(`carrel fleet exited ${code}: ${said}`)));
    });
    url = `http://127.0.0.1:${port}/fleet`;
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  afterAll(async () => {
    await browser?.close();
    if (view && view.exitCode === null) {
      view.kill('SIGTERM');
      await once(view, 'exit');
    }
    await desks?.endAsync(true);
    await broker?.stop();
  });

  /** The page on IT's PC in Berlin, its clock standing at `time` until the test runs it on. */
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

  it('at midnight, says the desks’ figures are yesterday’s, with no message from any desk', async () => {
    const page = await openAt(berlin(TODAY, '23:59:00'));
    expect(await page.locator('li.desk[data-desk="main/desk-1"] .counts').textContent()).toBe(
      '3 alarms · 40 visitors · 1 offline waiting',
    );
    await page.clock.runFor(30_000);
    expect(await page.locator('#total-alarms').textContent()).toBe('10');
    await page.clock.runFor(32_000);
    await saysItIsANewDay(page);
  });

  it('shown again the next morning on a PC that slept over midnight, says the figures are yesterday’s', async () => {
    const page = await openAt(berlin(TODAY, '18:00:00'));
    // The PC slept: its clock moved on, its timers did not run. Then the screen is shown again.
    await page.clock.setSystemTime(berlin(TOMORROW, '07:30:00'));
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await saysItIsANewDay(page);
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
