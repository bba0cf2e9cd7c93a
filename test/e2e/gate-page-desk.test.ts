import mqtt from 'mqtt';
import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/**
 * The gate alarm page as desk staff meet it on the simulated desk as it starts — no API tokens
 * (the desk serves this machine only), no alarm yet — in Chromium, people walking through the
 * simulated gate.
 */
describe.skipIf(skip !== undefined)('the gate alarm page on a desk without tokens', () => {
  const chromium = deskInChromium((config) => config, {
    ready: (testDesk) => waitForDevice(testDesk.api, 'exit-1', 'online', 15_000),
    consoleError: (text) => /Content.Security.Policy|error/i.test(text),
  });
  const gateSim = () => chromium.testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

  async function openPage(): Promise<Page> {
    const page = await chromium.openPage('/gates', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    return page;
  }

  it('shows no "Acknowledged" heading over an empty list before anything was acknowledged', async () => {
    const page = await openPage();
    await expect.poll(() => page.getByText('No alarms waiting.').isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Acknowledged' }).isVisible()).toBe(false);

    gateSim().walk({ direction: 'out', items: ['31000004'] });
    const row = page
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000004' });
    await row.waitFor({ timeout: 2000 });
    // An alarm waiting is not an acknowledged one: still no heading over nothing.
    expect(await page.getByRole('heading', { name: 'Acknowledged' }).isVisible()).toBe(false);
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    const heading = page.getByRole('heading', { name: 'Acknowledged' });
    await expect.poll(() => heading.isVisible()).toBe(true);
    expect(await page.getByRole('list', { name: 'Acknowledged' }).getByRole('listitem').count()).toBe(1);
    // Opened again, the page shows the heading over the alarm acknowledged before.
    const again = await openPage();
    await expect
      .poll(() => again.getByRole('list', { name: 'Acknowledged' }).getByRole('listitem').count())
      .toBe(1);
    expect(await again.getByRole('heading', { name: 'Acknowledged' }).isVisible()).toBe(true);
  });

  it('says an alarm was acknowledged at this desk, not by "loopback"', async () => {
    const page = await openPage();
    gateSim().walk({ direction: 'out', items: ['31000006'] });
    const waiting = page
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000006' });
    await waiting.waitFor({ timeout: 2000 });
    await waiting.getByRole('button', { name: 'Acknowledge' }).click();
    const done = page
      .getByRole('list', { name: 'Acknowledged' })
      .getByRole('listitem')
      .filter({ hasText: '31000006' });
    await done.waitFor({ timeout: 2000 });
    const text = (await done.locator('.meta').textContent()) ?? '';
    expect(text).toMatch(/acknowledged at this desk at \d{2}:\d{2}:\d{2}/);
    expect(text).not.toContain('loopback');
  });
  it('says an alarm acknowledged over MQTT was acknowledged at this desk, not by the client id', async () => {
    const page = await openPage();
    gateSim().walk({ direction: 'out', items: ['31000007'] });
    const waiting = page
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000007' });
    await waiting.waitFor({ timeout: 2000 });
    const id = await waiting.getAttribute('data-alarm');
    expect(id).toBeTruthy();
    // A gate panel or a desk PC's tray app acknowledging over the desk's embedded broker.
    const clientId = 'gate-panel-7f3a';
    const base = 'carrel/library/desk-1';
    const client = await mqtt.connectAsync(chromium.testDesk.desk.urls().mqtt!, {
      clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      const answered = new Promise<{ status: string; data: { acknowledged: { by: string } } }>((resolve) =>
        client.on('message', (_topic, payload) => resolve(JSON.parse(String(payload)))),
      );
      await client.subscribeAsync(`${base}/clients/${clientId}/response/gates.acknowledge`);
      await client.publishAsync(
        `${base}/clients/${clientId}/request/gates.acknowledge`,
        JSON.stringify({ transaction: 'ack-1', data: { alarm: id } }),
      );
      const answer = await answered;
      expect(answer.status).toBe('ok');
      expect(answer.data.acknowledged.by).toBe('at this desk');
    } finally {
      await client.endAsync();
    }
    // What the history keeps, and what the page (and one opened later) says.
    const { alarms } = (await (
      await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?limit=50`)
    ).json()) as {
      alarms: Array<{ id: string; acknowledged: { by: string } | null }>;
    };
    expect(alarms.find((alarm) => alarm.id === id)?.acknowledged?.by).toBe('at this desk');
    for (const shown of [page, await openPage()]) {
      const done = shown
        .getByRole('list', { name: 'Acknowledged' })
        .getByRole('listitem')
        .filter({ hasText: '31000007' });
      await done.waitFor({ timeout: 2000 });
      const text = (await done.locator('.meta').textContent()) ?? '';
      expect(text).toMatch(/acknowledged at this desk at \d{2}:\d{2}:\d{2}/);
      expect(text).not.toContain(clientId);
    }
  });

  /** An alarm's row as staff read it: its title line, and the line beneath (gate, item, call number, status, why). */
  async function rowWords(page: Page, item: string): Promise<{ title: string; meta: string }> {
    const row = page.locator('[data-alarm]').filter({ hasText: item });
    return {
      title: (await row.locator('.title').textContent()) ?? '',
      meta: (await row.locator('.meta').textContent()) ?? '',
    };
  }

  it('says the same of an alarm after the page is reloaded as it said live: "Not in the catalogue", the call number, the status', async () => {
    const page = await openPage();
    // An item the library system does not know (a tag from elsewhere), and one it knows.
    gateSim().walk({ direction: 'out', items: ['39000777'] });
    gateSim().walk({ direction: 'out', items: ['31000010'] });
    const unknown = page.locator('#open [data-alarm]').filter({ hasText: '39000777' });
    const known = page.locator('#open [data-alarm]').filter({ hasText: '31000010' });
    await expect
      .poll(() => unknown.locator('.title').textContent(), { timeout: 5000 })
      .toBe('Not in the catalogue');
    await expect.poll(() => known.locator('.title').textContent(), { timeout: 5000 }).toBe('Norwegian Wood');
    const live = { unknown: await rowWords(page, '39000777'), known: await rowWords(page, '31000010') };
    expect(live.known.meta).toContain('on the shelf');

    await page.reload();
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    await expect.poll(() => page.locator('[data-alarm]').filter({ hasText: '39000777' }).count()).toBe(1);
    expect(await rowWords(page, '39000777')).toEqual(live.unknown);
    expect(await rowWords(page, '31000010')).toEqual(live.known);
    // A page opened later (another desk PC, the next shift) says the same, and does not change its
    // mind once the time the desk may take to look a title up is over.
    const later = await chromium.openPage('/healthz');
    await later.clock.install();
    await later.goto(`${chromium.testDesk.api}/gates`);
    await expect.poll(() => later.locator('#link').textContent()).toBe('Live');
    await expect.poll(() => later.locator('[data-alarm]').filter({ hasText: '39000777' }).count()).toBe(1);
    await later.clock.runFor(120_000);
    expect(await rowWords(later, '39000777')).toEqual(live.unknown);
    expect(await rowWords(later, '31000010')).toEqual(live.known);
  });
  it('shows where an item belongs as its location, not in place of a call number the library system did not send, live and after a reload', async () => {
    const page = await openPage();
    // Kind of Blue: the library system gives its permanent location (AQ EAST) and no call number.
    gateSim().walk({ direction: 'out', items: ['31000014'] });
    const row = page.locator('#open [data-alarm]').filter({ hasText: '31000014' });
    await expect.poll(() => row.locator('.title').textContent(), { timeout: 5000 }).toBe('Kind of Blue');
    const live = await rowWords(page, '31000014');
    const parts = live.meta.split(' · ');
    expect(parts).toContain('location EAST');
    expect(parts).not.toContain('EAST');
    await page.reload();
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    await expect.poll(() => page.locator('[data-alarm]').filter({ hasText: '31000014' }).count()).toBe(1);
    expect(await rowWords(page, '31000014')).toEqual(live);
  });
  it('says an acknowledgement did not go through while Carrel cannot be reached, and stops saying so once it can', async () => {
    // The page watched for errors would fail on the requests this test makes fail on purpose.
    const page = await chromium.openPage('/healthz', { quiet: true });
    // The desk PC's network drops for a while (a Wi-Fi blip, Carrel restarting): the event
    // WebSocket is closed and no call reaches Carrel, then both go through again.
    let blip = false;
    let live: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      if (blip) return void socket.close();
      live = socket;
      socket.connectToServer();
    });
    await page.route(/\/api\/v1\//, (route) =>
      blip ? route.abort('internetdisconnected') : route.continue(),
    );
    await page.goto(`${chromium.testDesk.api}/gates`);
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    gateSim().walk({ direction: 'out', items: ['31000005'] });
    const waiting = page
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000005' });
    await waiting.waitFor({ timeout: 2000 });

    blip = true;
    await live!.close();
    await expect.poll(() => page.locator('#link').textContent()).toBe('Reconnecting…');
    await waiting.getByRole('button', { name: 'Acknowledge' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('Not acknowledged: Carrel cannot be reached. Press Acknowledge again once the page says Live.');
    expect(await waiting.count()).toBe(1);

    blip = false;
    await expect.poll(() => page.locator('#link').textContent(), { timeout: 10_000 }).toBe('Live');
    // Live again: nothing left saying Carrel cannot be reached, and the alarm is still waiting.
    await expect.poll(() => page.getByRole('alert').isVisible()).toBe(false);
    await waiting.getByRole('button', { name: 'Acknowledge' }).click();
    await page
      .getByRole('list', { name: 'Acknowledged' })
      .getByRole('listitem')
      .filter({ hasText: '31000005' })
      .waitFor({ timeout: 2000 });
  });
  it('fits a phone held upright: no row wider than the screen, Acknowledge on screen', async () => {
    const page = await chromium.openPage('/gates', { viewport: { width: 390, height: 844 } });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    gateSim().walk({ direction: 'out', items: ['31000001'] });
    const row = page
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000001' });
    await expect.poll(() => row.locator('.title').textContent(), { timeout: 5000 }).toBe('Pippi Långstrump');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const button = await row.getByRole('button', { name: 'Acknowledge' }).boundingBox();
    expect(button).not.toBeNull();
    expect(button!.x).toBeGreaterThanOrEqual(0);
    expect(button!.x + button!.width).toBeLessThanOrEqual(390);
  });

  it('says Live only once it has read the alarms waiting, never "No alarms waiting." over one it has not read yet', async () => {
    const api = chromium.testDesk.api;
    gateSim().walk({ direction: 'out', items: ['31000012'] });
    await expect
      .poll(async () => {
        const { alarms } = (await (await fetch(`${api}/api/v1/gates/alarms?open=true&limit=500`)).json()) as {
          alarms: Array<{ item: string | null }>;
        };
        return alarms.some((alarm) => alarm.item === '31000012');
      })
      .toBe(true);
    // A loaded desk PC (or Carrel): the alarm history takes a second to come. What the page says
    // meanwhile is what staff glancing at it believe: a second into its first request, and as it
    // asks for each part of the history after that.
    const page = await chromium.openPage('/healthz');
    const whileReading: Array<{ link: string | null; empty: boolean }> = [];
    await page.route(/\/api\/v1\/gates\/alarms/, async (route) => {
      if (whileReading.length === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      whileReading.push({
        link: await page.locator('#link').textContent(),
        empty: await page.getByText('No alarms waiting.').isVisible(),
      });
      await route.continue();
    });
    await page.goto(`${api}/gates`);
    await expect.poll(() => page.locator('#link').textContent(), { timeout: 10_000 }).toBe('Live');
    // Live: the alarm waiting is on the list, not still on its way.
    expect(await page.locator('#open [data-alarm]').filter({ hasText: '31000012' }).count()).toBe(1);
    expect(whileReading.length).toBeGreaterThanOrEqual(1);
    for (const seen of whileReading) expect(seen).toEqual({ link: 'Connecting…', empty: false });
  });

  it('keeps the keyboard on the alarms: after Acknowledge the next waiting alarm, and on its button while its title comes', async () => {
    const ils = chromium.testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const page = await openPage();
    const waiting = page.getByRole('list', { name: 'Alarms' }).getByRole('listitem');
    /** What has the keyboard: its tag, and the item of its alarm (or its text). */
    const focused = () =>
      page.evaluate<string>(`(() => {
        const active = document.activeElement;
        const item = active?.closest('[data-alarm]')?.textContent?.match(/3\\d{7}/)?.[0];
        return active?.tagName + ' ' + (item ?? active?.textContent);
      })()`);
    // Whatever earlier tests left waiting is acknowledged first, by mouse.
    for (let left = await waiting.count(); left > 0; left = await waiting.count()) {
      await waiting.first().getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => waiting.count()).toBe(left - 1);
    }
    gateSim().walk({ direction: 'out', items: ['31000021'] });
    await waiting.filter({ hasText: '31000021' }).waitFor({ timeout: 2000 });
    // The library system is slow: the next alarm's title comes 1.5 s after it.
    ils.setFaults({ latencyMs: 1500 });
    try {
      gateSim().walk({ direction: 'out', items: ['31000022'] });
      const newest = waiting.filter({ hasText: '31000022' });
      await newest.waitFor({ timeout: 2000 });
      expect(await newest.locator('.title').textContent()).toBe('…');
      await newest.getByRole('button', { name: 'Acknowledge' }).focus();
      await expect.poll(() => newest.locator('.title').textContent(), { timeout: 5000 }).toBe('Ulysses');
      expect(await focused()).toBe('BUTTON 31000022');
    } finally {
      ils.setFaults({});
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => waiting.count()).toBe(1);
    await expect.poll(focused).toBe('BUTTON 31000021');
    await page.keyboard.press('Enter');
    await expect.poll(() => waiting.count()).toBe(0);
    // None left waiting: the keyboard is on the Alarms heading, over 'No alarms waiting.'
    await expect.poll(focused).toBe('H1 Alarms');
  });
});
