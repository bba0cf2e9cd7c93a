/**
 * The fleet page the morning after: a desk switched off last night leaves its retained state
 * (its last will, offline) and its totals of that day on the broker. Central IT's page must not
 * count yesterday's alarms and visitors as today's, nor its last days as this week's, while the
 * offline transactions it still has waiting are still waiting. Real Mosquitto, the real
 * `carrel fleet` command, Debian's Chromium; the desks' retained messages as a desk publishes them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from '../../helpers/browser.js';
import { CARREL_CLI } from '../../helpers/carrel-cli.js';
import { freePort } from '../../helpers/free-port.js';
import { type MosquittoBroker, mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet page's days tests: ${skip}`);

/** The fleet view's machine runs in this zone; "today" below is its day there. */
const TIME_ZONE = 'Europe/Berlin';
const dayIn = (time: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(time);
const TODAY = dayIn(Date.now());
const addDays = (day: string, days: number) => {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
};
const YESTERDAY = addDays(TODAY, -1);

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
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/fleet`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (view && view.exitCode === null) {
      view.kill('SIGTERM');
      await once(view, 'exit');
    }
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
