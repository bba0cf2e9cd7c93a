/**
 * A fleet as libraries deploy it, on real Mosquitto with the example files of
 * packaging/mosquitto (docs/fleet.md): the main library's two desks on the central broker, the
 * north branch's desk on its own broker bridged to central, every desk its own user that may
 * publish under its own base only; and central IT's `carrel fleet` page in Debian's Chromium,
 * built from the retained state alone, showing a desk offline once it dies.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_USERS, type FleetRig, type FleetUser, startFleetRig } from '../../bench/fleet-rig.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { mosquittoSkipReason } from '../helpers/mosquitto.js';

const skip = mosquittoSkipReason() ?? chromiumSkipReason();
if (skip) console.warn(`skipping the fleet tests: ${skip}`);

const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
/** Small, so a frozen desk is declared dead quickly; the broker allows 1.5 times this. */
const KEEPALIVE_SECONDS = 3;

describe.skipIf(skip !== undefined)('a Carrel fleet on Mosquitto, with a branch bridge', () => {
  let rig: FleetRig;
  let view: { url: string };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    rig = await startFleetRig({
      keepaliveSeconds: KEEPALIVE_SECONDS,
      history: { 'main/desk-1': 12, 'main/desk-2': 7, 'north/desk-1': 3 },
    });
    view = await rig.startFleetView();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.endAsync(true).catch(() => {});
    await browser?.close();
    await rig?.stop();
  });

  async function connectAs(user: FleetUser, url: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      username: user,
      password: FLEET_USERS[user],
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  }

  /** Every message `client` receives on `filter` from now on, with its retain flag. */
  async function collect(client: MqttClient, filter: string) {
    const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
    client.on('message', (topic, payload, packet) =>
      seen.push({ topic, payload: String(payload), retain: packet.retain }),
    );
    await client.subscribeAsync(filter, { qos: 1 });
    return seen;
  }

  it('hands central IT every desk’s retained state, the branch desk’s through the bridge', async () => {
    const viewer = await connectAs('fleet-view', rig.central.url);
    const seen = await collect(viewer, 'carrel/+/+/state');
    const desks = () =>
      seen
        .filter((m) => m.retain && JSON.parse(m.payload).status === 'online')
        .map((m) => m.topic)
        .sort();
    await expect
      .poll(desks, { timeout: 10_000 })
      .toEqual(['carrel/main/desk-1/state', 'carrel/main/desk-2/state', 'carrel/north/desk-1/state']);
    const devices = await collect(viewer, 'carrel/north/desk-1/devices/+/state');
    await expect
      .poll(() =>
        devices
          .filter((m) => m.retain)
          .map((m) => JSON.parse(m.payload).device)
          .sort(),
      )
      .toEqual(['exit-1', 'receipt-1']);
  });

  const card = (desk: string) => page.locator(`li.desk[data-desk="${desk}"]`);

  it('lists every desk on the fleet page with its devices, its problems and the totals', async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(view.url);
    await expect.poll(() => page.locator('#link').textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    for (const desk of ['main/desk-1', 'main/desk-2', 'north/desk-1']) {
      await expect.poll(() => card(desk).getAttribute('data-status'), { timeout: 10_000 }).toBe('online');
      await expect
        .poll(() =>
          card(desk)
            .locator('tbody tr')
            .evaluateAll((rows) => rows.map((r) => r.dataset.device)),
        )
        .toEqual(expect.arrayContaining(['exit-1', 'receipt-1']));
    }
    // What each device is, in words, as the desk's dashboard says it: not the API's 'receipt-printer'.
    const kind = (id: string) =>
      card('main/desk-1').locator(`tbody tr[data-device="${id}"] td`).nth(1).textContent();
    expect(await kind('exit-1')).toBe('security gate');
    expect(await kind('receipt-1')).toBe('receipt printer');
    // main/desk-2's second printer answers no one: a problem, with why.
    await expect
      .poll(() => card('main/desk-2').locator('.problems li').allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/^receipt-2: offline/)]);
    await expect.poll(() => page.locator('#total-desks').textContent()).toBe('3 of 3');
    await expect
      .poll(() => page.locator('li.desk .problems li').allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/^receipt-2: offline/)]);
    await expect.poll(() => page.locator('#total-problems').textContent()).toBe('1');
    await expect.poll(() => page.locator('#total-offline').textContent()).toBe('0');
    // The desks compared over the last 7 days, from each desk's own statistics (yesterday's checkouts).
    const transactions = (row: string) =>
      page.locator(`#compare ${row} td[data-measure="transactions"]`).textContent();
    await expect.poll(() => transactions('tr[data-desk="main/desk-1"]'), { timeout: 10_000 }).toBe('12');
    expect(await transactions('tr[data-desk="main/desk-2"]')).toBe('7');
    expect(await transactions('tr[data-desk="north/desk-1"]')).toBe('3');
    expect(await transactions('tfoot tr')).toBe('22');
    // Today alone: nothing yet.
    await page.locator('#compare-span').selectOption('1');
    expect(await transactions('tfoot tr')).toBe('0');
    await page.locator('#compare-span').selectOption('7');
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'fleet-three-desks.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows a desk offline within the keep-alive once its process is killed (its last will, through the bridge)', async () => {
    const desk = rig.desk('north', 'desk-1');
    const killedAt = Date.now();
    desk.child.kill('SIGKILL');
    await expect
      .poll(() => card('north/desk-1').getAttribute('data-status'), {
        timeout: KEEPALIVE_SECONDS * 1500,
        interval: 50,
      })
      .toBe('offline');
    expect(Date.now() - killedAt).toBeLessThan(KEEPALIVE_SECONDS * 1500);
    await expect.poll(() => page.locator('#total-desks').textContent()).toBe('2 of 3');
    // The others are untouched, and the dead desk's devices stay listed as it last reported them.
    expect(await card('main/desk-1').getAttribute('data-status')).toBe('online');
    expect(await card('north/desk-1').locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(OUTPUT, 'fleet-desk-killed.png'), fullPage: true });
  });

  it('shows a frozen desk offline once the broker’s keep-alive runs out (a pulled cable sends nothing)', async () => {
    const desk = rig.desk('main', 'desk-2');
    const frozenAt = Date.now();
    // Stopped, not killed: its socket stays open, so only the keep-alive can tell it is gone.
    desk.child.kill('SIGSTOP');
    await expect
      .poll(() => card('main/desk-2').getAttribute('data-status'), {
        // Mosquitto 2.0 looks at keep-alives every 5 s, in whole seconds.
        timeout: KEEPALIVE_SECONDS * 1500 + 10_000,
        interval: 100,
      })
      .toBe('offline');
    // Not at once, as a killed desk is: the broker waited 1.5 keep-alives from the desk's last
    // packet, which came at most one keep-alive before it froze (its ping, or something it sent).
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(KEEPALIVE_SECONDS * 500);
    await page.screenshot({ path: join(OUTPUT, 'fleet-desks-down.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('refuses a desk publishing under another desk’s base, on the central and on the branch broker', async () => {
    // The two desks stopped above lend their users: a second client with a living desk's user
    // would take over that desk's session (use_username_as_clientid) and fire its last will.
    const auditor = await connectAs('fleet-view', rig.central.url);
    const seen = await collect(auditor, 'carrel/+/+/#');
    const forged = JSON.stringify({ status: 'offline', since: 'forged by another desk' });
    // MQTT 5: the broker answers the PUBLISH "not authorized" (0x87) and drops it.
    const refusal = (client: MqttClient, topic: string) =>
      client.publishAsync(topic, forged, { qos: 1, retain: true }).then(
        () => 'accepted',
        (error: { code?: number }) => error.code,
      );
    const mainDesk = await connectAs('main-desk-2', rig.central.url);
    expect(await refusal(mainDesk, 'carrel/main/desk-1/state')).toBe(135);
    expect(await refusal(mainDesk, 'carrel/north/desk-1/state')).toBe(135);
    const northDesk = await connectAs('north-desk-1', rig.branch.url);
    expect(await refusal(northDesk, 'carrel/main/desk-1/state')).toBe(135);

    // A message each desk may publish, after the forged ones on the same connections: once these
    // have arrived (the branch one through the bridge), the forged ones would have too.
    const marker = (desk: string) => `carrel/${desk}/devices/marker/state`;
    await mainDesk.publishAsync(marker('main/desk-2'), '{}', { qos: 1 });
    await northDesk.publishAsync(marker('north/desk-1'), '{}', { qos: 1 });
    await expect
      .poll(() => seen.filter((m) => m.topic.endsWith('/devices/marker/state')).length, { timeout: 10_000 })
      .toBe(2);
    expect(seen.filter((m) => m.payload === forged)).toEqual([]);

    // A viewer connecting now finds main/desk-1 as it said itself, and the page shows it online.
    const late = await connectAs('fleet-view', rig.central.url);
    const retained = await collect(late, 'carrel/main/desk-1/state');
    await expect.poll(() => retained.length, { timeout: 10_000 }).toBe(1);
    expect(JSON.parse(retained[0]!.payload)).toMatchObject({ status: 'online' });
    expect(await card('main/desk-1').getAttribute('data-status')).toBe('online');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
