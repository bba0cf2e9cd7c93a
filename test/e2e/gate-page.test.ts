import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { waitForDevice, withTokens } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { deskZone as deskTimeZone, zoneOnAnotherDay } from '../helpers/time-zones.js';
import { until } from '../helpers/until.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

/** Where the page's screenshot goes (test output, not committed). */
const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const STAFF = 'staff-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';
const KIOSK = 'kiosk-token-0123456789abcdef';

/**
 * The desk's gate alarm page in Debian's Chromium against the simulated desk: people walk
 * through the simulated gate (its control API, in process) and the test reads what the staff
 * at the desk would read.
 */
describe.skipIf(skip !== undefined)('the gate alarm page in Chromium', () => {
  const chromium = deskInChromium(
    (config) =>
      withTokens(config, [
        { name: 'desk-staff', token: STAFF, scopes: ['staff'] },
        { name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] },
        { name: 'kiosk-1', token: KIOSK, scopes: ['kiosk'] },
      ]),
    {
      ready: (testDesk) => waitForDevice(testDesk.api, 'exit-1', 'online', 15_000, MONITOR),
      consoleError: (text) => /Content.Security.Policy|error/i.test(text),
    },
  );
  const gateSim = () => chromium.testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

  async function openPage(token: string): Promise<Page> {
    const page = await chromium.openPage(`/gates#token=${token}`, { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    return page;
  }

  it('shows an alarm walked through the gate with its title within a second, with a sound', async () => {
    const desk = await openPage(STAFF);
    await desk.getByRole('button', { name: 'Sound off' }).click();
    await expect.poll(() => desk.getByRole('button', { name: 'Sound on' }).isVisible()).toBe(true);

    const walkedAt = performance.now();
    gateSim().walk({ direction: 'out', items: ['31000004'] });
    const open = desk.getByRole('list', { name: 'Alarms' });
    const row = open.getByRole('listitem').filter({ hasText: 'Middlemarch' });
    await row.waitFor({ timeout: 1000 });
    expect(performance.now() - walkedAt).toBeLessThan(1000);
    const text = await row.textContent();
    expect(text).toContain('31000004');
    expect(text).toContain('Main exit');
    expect(text).toContain('walking out');
    expect(text).toMatch(/\d{2}:\d{2}:\d{2}/);
    expect(Number(await desk.locator('#sound').getAttribute('data-played'))).toBeGreaterThanOrEqual(1);
  });

  it('acknowledges an alarm: it leaves the waiting list, with who acknowledged it', async () => {
    const desk = await openPage(STAFF);
    gateSim().walk({ direction: 'out', items: ['31000006'] });
    const open = desk.getByRole('list', { name: 'Alarms' });
    const row = open.getByRole('listitem').filter({ hasText: 'Beloved' });
    await row.waitFor({ timeout: 2000 });
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    const done = desk.getByRole('list', { name: 'Acknowledged' });
    await done.getByRole('listitem').filter({ hasText: 'Beloved' }).waitFor({ timeout: 2000 });
    expect(await done.getByRole('listitem').filter({ hasText: 'Beloved' }).textContent()).toContain(
      'acknowledged by desk-staff',
    );
    expect(await open.getByRole('listitem').filter({ hasText: 'Beloved' }).count()).toBe(0);
    // The history says so too: acknowledged by the token's holder.
    const history = (await (
      await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?limit=5`, {
        headers: { authorization: `Bearer ${STAFF}` },
      })
    ).json()) as { alarms: Array<{ item: string; acknowledged: { by: string } | null }> };
    expect(history.alarms.find((a) => a.item === '31000006')?.acknowledged?.by).toBe('desk-staff');
  });

  it("shows today's visitors and how many are inside, as the gate counts them", async () => {
    // What the gate counted so far (people walked out with the items above), read before the page opens.
    const readCounter = () =>
      fetch(`${chromium.testDesk.api}/api/v1/gates/exit-1/counters`, {
        headers: { authorization: `Bearer ${STAFF}` },
      });
    await readCounter();
    const desk = await openPage(STAFF);
    const figure = async (id: string) => Number(await desk.locator(id).textContent());
    const before = { in: await figure('#total-in'), out: await figure('#total-out') };
    for (let i = 0; i < 3; i++) gateSim().walk({ direction: 'in', items: [] });
    gateSim().walk({ direction: 'out', items: [] });
    // The desk reads the counter on its interval; asking for it now reads it at once.
    await fetch(`${chromium.testDesk.api}/api/v1/gates/exit-1/counters`, {
      headers: { authorization: `Bearer ${STAFF}` },
    });
    await expect.poll(() => figure('#total-in')).toBe(before.in + 3);
    expect(await figure('#total-out')).toBe(before.out + 1);
    const gate = (await (
      await fetch(`${chromium.testDesk.api}/api/v1/gates`, { headers: { authorization: `Bearer ${STAFF}` } })
    ).json()) as { gates: Array<{ visitors: { occupancy: number } }> };
    expect(await figure('#total-occupancy')).toBe(gate.gates[0]!.visitors.occupancy);
    expect(await desk.locator('[data-gate="exit-1"]').textContent()).toContain(`${before.in + 3} in`);

    mkdirSync(OUTPUT, { recursive: true });
    await desk.screenshot({ path: join(OUTPUT, 'gate-alarm-page.png'), fullPage: true });
  });

  it('shows an alarm acknowledged at the other desk PC as acknowledged here too, within 2 s', async () => {
    const front = await openPage(STAFF);
    const back = await openPage(STAFF);
    gateSim().walk({ direction: 'out', items: ['31000007'] });
    const waiting = (page: Page) =>
      page.getByRole('list', { name: 'Alarms' }).getByRole('listitem').filter({ hasText: '31000007' });
    await waiting(front).waitFor({ timeout: 2000 });
    await waiting(back).waitFor({ timeout: 2000 });
    await waiting(front).getByRole('button', { name: 'Acknowledge' }).click();
    const done = back
      .getByRole('list', { name: 'Acknowledged' })
      .getByRole('listitem')
      .filter({ hasText: '31000007' });
    await done.waitFor({ timeout: 2000 });
    expect(await done.textContent()).toContain('acknowledged by desk-staff');
    expect(await waiting(back).count()).toBe(0);
  });

  it('lists an alarm still waiting however many alarms came after it', async () => {
    const auth = { authorization: `Bearer ${STAFF}` };
    gateSim().walk({ direction: 'out', items: ['39000100'] });
    // A busy afternoon: 60 more alarms, each acknowledged at once.
    gateSim().walk({
      direction: 'out',
      items: Array.from({ length: 60 }, (_, i) => String(39000200 + i)),
    });
    const history = async () =>
      (
        (await (
          await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?open=true&limit=500`, { headers: auth })
        ).json()) as { alarms: Array<{ id: string; item: string | null }> }
      ).alarms;
    await expect.poll(async () => (await history()).length, { timeout: 5000 }).toBeGreaterThanOrEqual(61);
    for (const alarm of await history())
      if (alarm.item !== '39000100')
        await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms/${alarm.id}/ack`, {
          method: 'POST',
          headers: auth,
        });
    // A PC opening the page now (started after lunch, or reloaded) shows the one still waiting.
    const desk = await openPage(STAFF);
    await desk
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '39000100' })
      .waitFor({ timeout: 2000 });
    expect(await desk.locator('#open-empty').isHidden()).toBe(true);
    const row = desk.locator('[data-alarm]').filter({ hasText: '39000100' });
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => desk.locator('#open-empty').isVisible()).toBe(true);
  });

  it('keeps the newest 100 acknowledged alarms and every waiting one on a page left open all week', async () => {
    const auth = { authorization: `Bearer ${STAFF}` };
    type Alarm = { id: string; item: string | null; acknowledged: { by: string } | null };
    const history = async (query: string) =>
      (
        (await (
          await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?${query}`, { headers: auth })
        ).json()) as { alarms: Alarm[] }
      ).alarms;
    const desk = await openPage(STAFF);
    // Monday morning: one alarm nobody acknowledges; then a busy week, 150 alarms acknowledged.
    gateSim().walk({ direction: 'out', items: ['39000900'] });
    const busy = Array.from({ length: 150 }, (_, i) => String(39001000 + i));
    for (let i = 0; i < busy.length; i += 50)
      gateSim().walk({ direction: 'out', items: busy.slice(i, i + 50) });
    await expect
      .poll(async () => (await history('open=true&limit=500')).filter((a) => busy.includes(a.item!)).length, {
        timeout: 10_000,
      })
      .toBe(150);
    for (const alarm of await history('open=true&limit=500'))
      if (busy.includes(alarm.item!))
        await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms/${alarm.id}/ack`, {
          method: 'POST',
          headers: auth,
        });
    const acknowledged = (await history('limit=500')).filter((a) => a.acknowledged !== null);
    const newest = acknowledged.slice(0, 100).map((a) => a.id);
    const shown = async () =>
      (
        await desk
          .locator('#done [data-alarm]')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-alarm')!))
      ).sort();
    // The acknowledged list holds the newest 100, not the week's 150 and what was there before.
    await expect.poll(shown, { timeout: 5000 }).toEqual([...newest].sort());
    // The one still waiting is there whatever came after it.
    await desk.locator('#open [data-alarm]').filter({ hasText: '39000900' }).waitFor({ timeout: 1000 });
    // 'Older alarms' goes on from the oldest shown: the next acknowledged one, none skipped.
    await desk.getByRole('button', { name: 'Older alarms' }).click();
    await desk.locator(`#done [data-alarm="${acknowledged[100]!.id}"]`).waitFor({ timeout: 2000 });
    expect(await shown()).toEqual(expect.arrayContaining(acknowledged.slice(0, 101).map((a) => a.id)));
  }, 60_000);

  it('shows and sounds an alarm raised while the page was reconnecting (a Wi-Fi blip)', async () => {
    const desk = await chromium.openPage('/healthz');
    // The page's event WebSocket goes through here: closed for a while, then let through again.
    let blip = false;
    let live: WebSocketRoute | undefined;
    await desk.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      if (blip) return void socket.close();
      live = socket;
      socket.connectToServer();
    });
    // The page's clock runs as a clock does, and on at once when the test says (its next try).
    await desk.clock.install();
    await desk.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    await desk.getByRole('button', { name: 'Sound off' }).click();
    const played = async () => Number(await desk.locator('#sound').getAttribute('data-played'));

    blip = true;
    await live!.close();
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Reconnecting…');
    gateSim().walk({ direction: 'out', items: ['31000009'] });
    // The alarm is raised at the desk (in its history) while the page is away.
    await expect
      .poll(async () => {
        const history = (await (
          await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?open=true&limit=50`, {
            headers: { authorization: `Bearer ${STAFF}` },
          })
        ).json()) as { alarms: Array<{ item: string | null }> };
        return history.alarms.some((alarm) => alarm.item === '31000009');
      })
      .toBe(true);
    expect(await desk.locator('#link').textContent()).toBe('Reconnecting…');
    const before = await played();
    blip = false;

    // The page tries again 1 s after the cut, then 2, 4… s apart: on its clock, run on while the
    // test waits (each try a real WebSocket).
    await expect
      .poll(
        async () => {
          const link = await desk.locator('#link').textContent();
          if (link !== 'Live') await desk.clock.fastForward(1000);
          return link;
        },
        { timeout: 10_000 },
      )
      .toBe('Live');
    await desk
      .getByRole('list', { name: 'Alarms' })
      .getByRole('listitem')
      .filter({ hasText: '31000009' })
      .waitFor({ timeout: 2000 });
    await expect.poll(played).toBe(before + 1);
  });

  it("says 'Reconnecting…', not Live, when the desk PC's link to Carrel goes silent without closing, and shows what came meanwhile once back", async () => {
    // The desk PC reaches Carrel through a link that can go silent as a pulled cable does: nothing
    // closes, nothing answers.
    const cable = await StallingProxy.start(Number(new URL(chromium.testDesk.api).port));
    try {
      const desk = await chromium.openPage('/gates', { viewport: { width: 1280, height: 900 } });
      await desk.goto(`http://127.0.0.1:${cable.port}/gates#token=${STAFF}`);
      const link = desk.locator('#link');
      await expect.poll(() => link.textContent()).toBe('Live');
      cable.stall();
      // Carrel drops a WebSocket that misses its pings only after 30 to 60 s: until then the page
      // said Live over a gate it no longer heard, and an alarm raised meanwhile never showed.
      await until(
        async () => (await link.textContent()) === 'Reconnecting…' || undefined,
        25_000,
        'the page went on saying Live',
      );
      gateSim().walk({ direction: 'out', items: ['31000023'] });
      cable.resume();
      await until(
        async () => (await link.textContent()) === 'Live' || undefined,
        25_000,
        'the page never came back',
      );
      await desk
        .getByRole('list', { name: 'Alarms' })
        .getByRole('listitem')
        .filter({ hasText: '31000023' })
        .waitFor({ timeout: 10_000 });
    } finally {
      await cable.close();
    }
  }, 90_000);

  it('offers Acknowledge on the staff link only: the monitor link watches, and says why', async () => {
    const staff = await openPage(STAFF);
    const monitor = await openPage(MONITOR);
    gateSim().walk({ direction: 'out', items: ['31000010'] });
    const waitingOn = (page: Page) =>
      page.getByRole('list', { name: 'Alarms' }).getByRole('listitem').filter({ hasText: 'Norwegian Wood' });
    await waitingOn(staff).waitFor({ timeout: 2000 });
    await waitingOn(monitor).waitFor({ timeout: 2000 });
    // The monitor link sees the alarm as it happens, with no button that cannot work, and why.
    expect(await waitingOn(monitor).getByRole('button').count()).toBe(0);
    expect(await monitor.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(
      await monitor
        .getByText(/^Watching only: this page’s link does not let it acknowledge alarms/)
        .isVisible(),
    ).toBe(true);
    expect(await monitor.getByRole('alert').isVisible()).toBe(false);
    // The staff link acknowledges; the monitor page follows.
    expect(await staff.getByText(/^Watching only/).isVisible()).toBe(false);
    await waitingOn(staff).getByRole('button', { name: 'Acknowledge' }).click();
    const done = monitor
      .getByRole('list', { name: 'Acknowledged' })
      .getByRole('listitem')
      .filter({ hasText: 'Norwegian Wood' });
    await done.waitFor({ timeout: 2000 });
    expect(await done.locator('.meta').textContent()).toContain('acknowledged by desk-staff');
    expect(await waitingOn(monitor).count()).toBe(0);
  });

  it('shows the alarms at once while Carrel has not said what the link may do, and Acknowledge only once it has: to staff, never to the monitor', async () => {
    gateSim().walk({ direction: 'out', items: ['31000013'] });
    const waitingOn = (page: Page) =>
      page.getByRole('list', { name: 'Alarms' }).getByRole('listitem').filter({ hasText: '31000013' });
    // Carrel is slow to say what each link may do (a busy desk PC, a slow network): the answer is
    // held until the test lets it go.
    let answer = () => {};
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const open = async (token: string) => {
      const page = await chromium.openPage('/healthz', { viewport: { width: 1280, height: 900 } });
      // Every Acknowledge the page shows, however briefly, is counted: a monitor clicking fast
      // would press it.
      await page.addInitScript(`
        window.seen = { acknowledge: 0 };
        new MutationObserver(() => {
          if (document.querySelector('button.ack')) window.seen.acknowledge++;
        }).observe(document, { childList: true, subtree: true });
      `);
      await page.route(/\/api\/v1\/auth\/caller/, async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(`${chromium.testDesk.api}/gates#token=${token}`);
      return page;
    };
    const acknowledgeShown = (page: Page) => page.evaluate<number>('window.seen.acknowledge');
    try {
      const staff = await open(STAFF);
      const monitor = await open(MONITOR);
      // Neither waits for the answer to show what is waiting.
      for (const page of [staff, monitor]) {
        await expect.poll(() => page.locator('#link').textContent(), { timeout: 5000 }).toBe('Live');
        await expect.poll(() => waitingOn(page).count(), { timeout: 5000 }).toBe(1);
      }
      expect(await acknowledgeShown(monitor)).toBe(0);
      answer();
      // The staff link gets its Acknowledge as soon as Carrel says it may, and it works.
      await waitingOn(staff).getByRole('button', { name: 'Acknowledge' }).click({ timeout: 5000 });
      await staff
        .getByRole('list', { name: 'Acknowledged' })
        .getByRole('listitem')
        .filter({ hasText: '31000013' })
        .waitFor({ timeout: 2000 });
      // The monitor link never had one to press, and says why.
      await expect.poll(() => monitor.getByText(/^Watching only/).isVisible()).toBe(true);
      await monitor
        .getByRole('list', { name: 'Acknowledged' })
        .getByRole('listitem')
        .filter({ hasText: '31000013' })
        .waitFor({ timeout: 2000 });
      expect(await acknowledgeShown(monitor)).toBe(0);
      expect(await monitor.getByRole('alert').isVisible()).toBe(false);
    } finally {
      answer();
    }
  });

  it('takes the buttons away and says why when Carrel refuses the first acknowledgement of a monitor link', async () => {
    // The page could not learn what its link may do (that request lost): it offers Acknowledge,
    // and Carrel's refusal is what tells it.
    const desk = await chromium.browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await desk.route(/\/api\/v1\/auth\/caller/, (route) => route.abort());
      await desk.goto(`${chromium.testDesk.api}/gates#token=${MONITOR}`);
      await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
      gateSim().walk({ direction: 'out', items: ['31000011'] });
      const row = desk
        .getByRole('list', { name: 'Alarms' })
        .getByRole('listitem')
        .filter({ hasText: '31000011' });
      await row.waitFor({ timeout: 2000 });
      await row.getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => desk.getByRole('alert').textContent()).toContain('needs a staff token');
      await expect.poll(() => desk.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
      expect(await desk.getByText(/^Watching only/).isVisible()).toBe(true);
      expect(await row.count()).toBe(1);
    } finally {
      await desk.close();
    }
  });

  it('says which token the alarm history needs when a kiosk token opens the page', async () => {
    const page = await chromium.openPage(`/gates#token=${KIOSK}`, {
      viewport: { width: 1280, height: 900 },
      quiet: true,
    });
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toBe('This page needs a staff or monitor token to read the alarms.');
  });

  it('tells staff whose link carries a token Carrel does not take (changed since) what to do', async () => {
    const page = await chromium.openPage('/gates#token=an-old-token-changed-since-0123', {
      viewport: { width: 1280, height: 900 },
      quiet: true,
    });
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
      .toBe(
        "Carrel did not let this page in: the link it was opened with has no valid access token (it may have been changed). Ask IT for the gate page's current link.",
      );
  });

  it('says the day of an alarm still waiting from an earlier day, on the desk’s clock, whatever the PC’s says', async () => {
    // An item no other test here walks: an alarm another left open would be a second row for it,
    // unless the two walks happened to fall within one repeat window (3 s).
    gateSim().walk({ direction: 'out', items: ['31000015'] });
    const alarmAt = async () => {
      const history = (await (
        await fetch(`${chromium.testDesk.api}/api/v1/gates/alarms?open=true&limit=50`, {
          headers: { authorization: `Bearer ${STAFF}` },
        })
      ).json()) as { alarms: Array<{ item: string | null; time: string }> };
      return history.alarms.find((alarm) => alarm.item === '31000015')?.time;
    };
    await expect.poll(alarmAt).toBeDefined();
    const time = (await alarmAt())!;
    const DAY = 24 * 3600_000;
    // The desk's clock as a page hears it, from each answer's Date header: `deskAhead` on from the
    // desk's own (the test's), as if that much time had passed at the desk.
    let deskAhead = 0;
    const onDeskClock = (page: Page) =>
      page.route(`${chromium.testDesk.api}/api/**`, async (route) => {
        const response = await route.fetch();
        const date = new Date(Date.parse(response.headers().date!) + deskAhead).toUTCString();
        await route.fulfill({ response, headers: { ...response.headers(), date } });
      });
    // Left open over the night on a desk PC whose clock is a day behind (no RTC battery): shown today
    // with its time alone, the next morning with its day.
    const desk = await chromium.openPage('/healthz');
    await onDeskClock(desk);
    await desk.clock.install({ time: Date.now() - DAY - 1000 });
    await desk.clock.pauseAt(Date.now() - DAY);
    await desk.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    const row = desk.locator('#open [data-alarm]').filter({ hasText: '31000015' });
    await row.waitFor({ timeout: 2000 });
    const day = await desk.evaluate(
      (iso) => new Date(iso).toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' }),
      time,
    );
    expect(await row.locator('time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    deskAhead = DAY;
    await desk.clock.fastForward(DAY);
    await desk.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await expect
      .poll(() => row.locator('time').textContent())
      .toMatch(new RegExp(`^${day} \\d\\d:\\d\\d:\\d\\d$`));
    // Opened the next morning on a PC whose clock is a day behind the desk's: the alarm from the
    // history says its day too.
    const morning = await chromium.openPage('/healthz');
    await onDeskClock(morning);
    await morning.clock.install({ time: Date.parse(time) });
    await morning.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
    const waiting = morning.locator('#open [data-alarm]').filter({ hasText: '31000015' });
    await waiting.waitFor({ timeout: 5000 });
    expect(await waiting.locator('time').textContent()).toMatch(new RegExp(`^${day} \\d\\d:\\d\\d:\\d\\d$`));
    // Left open on a PC that slept over the night: its wall clock ran on, its performance.now()
    // stood still, its link to the desk stayed up (no reconnect to hear the desk's time). Woken,
    // it asks the desk at once and says the alarm's day.
    deskAhead = 0;
    const asleep = await chromium.openPage('/healthz');
    await onDeskClock(asleep);
    await asleep.clock.install({ time: Date.now() - 1000 });
    await asleep.clock.pauseAt(Date.now());
    await asleep.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
    await expect.poll(() => asleep.locator('#link').textContent()).toBe('Live');
    const slept = asleep.locator('#open [data-alarm]').filter({ hasText: '31000015' });
    await slept.waitFor({ timeout: 5000 });
    expect(await slept.locator('time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    deskAhead = DAY;
    await asleep.clock.setSystemTime(Date.now() + DAY);
    await asleep.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await expect
      .poll(() => slept.locator('time').textContent(), { timeout: 4000 })
      .toMatch(new RegExp(`^${day} \\d\\d:\\d\\d:\\d\\d$`));
  });

  it('times and dates an alarm in the desk’s time zone on a PC in another', async () => {
    // The desk's zone (this process's) and a PC's whose day is another than the desk's right now.
    const deskZone = deskTimeZone();
    const pcZone = zoneOnAnotherDay();
    const context = await chromium.browser.newContext({ timezoneId: pcZone, locale: 'en-US' });
    try {
      const desk = await context.newPage();
      const scriptErrors: string[] = [];
      desk.on('pageerror', (error) => scriptErrors.push(error.message));
      await desk.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
      await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
      gateSim().walk({ direction: 'out', items: ['31000014'] });
      const row = desk.locator('#open [data-alarm]').filter({ hasText: '31000014' });
      await row.waitFor({ timeout: 5000 });
      const at = (await row.locator('time').getAttribute('datetime'))!;
      // Today at the desk, at the desk's time: no day before it, as on a PC in the desk's own zone.
      const atDesk = new Date(at).toLocaleTimeString('en-US', {
        timeZone: deskZone,
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hour12: false,
      });
      await expect.poll(() => row.locator('time').textContent()).toBe(atDesk);
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('says the title is not known (not that it was not found) once the title lookup is over, when the page missed Carrel saying so', async () => {
    const ils = chromium.testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const { gates } = (await (
      await fetch(`${chromium.testDesk.api}/api/v1/gates`, { headers: { authorization: `Bearer ${STAFF}` } })
    ).json()) as { gates: Array<{ titleLookupMs: number }> };
    const lookupMs = gates[0]!.titleLookupMs;
    const desk = await chromium.openPage('/healthz');
    // Carrel's word that no title is coming is lost on the way (a Wi-Fi blip just then).
    await desk.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      const server = socket.connectToServer();
      server.onMessage((message) => {
        if (!String(message).includes('gate.alarm_not_enriched')) socket.send(message);
      });
    });
    await desk.goto(`${chromium.testDesk.api}/gates#token=${STAFF}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    // Seconds on the page's clock, which stands still here unless the test runs it on.
    await desk.clock.install();
    await desk.clock.pauseAt(Date.now() + 1000);
    ils.setFaults({ hang: true });
    try {
      gateSim().walk({ direction: 'out', items: ['31000008'] });
      const row = desk.locator('#open [data-alarm]').filter({ hasText: '31000008' });
      await row.waitFor({ timeout: 2000 });
      expect(await row.locator('.title').textContent()).toBe('…');
      // The page waits as long as the desk looks for the title (from its ILS link's timeouts), and 5 s more.
      await desk.clock.runFor(lookupMs + 4_000);
      expect(await row.locator('.title').textContent()).toBe('…');
      await desk.clock.runFor(1_000);
      await expect.poll(() => row.locator('.title').textContent()).toBe('Title not known');
      expect(await row.textContent()).toContain('the library system did not say');
    } finally {
      ils.setFaults({});
    }
  });

  it('says when a gate is not connected, so nobody takes a quiet page for a quiet exit', async () => {
    const desk = await openPage(STAFF);
    const line = desk.locator('[data-gate="exit-1"]');
    expect(await line.locator('.trouble').count()).toBe(0);
    gateSim().setFaults({ unplugged: true });
    try {
      await expect
        .poll(() => line.locator('.trouble').textContent(), { timeout: 20_000 })
        .toBe(
          "Main exit is not connected: its alarms cannot reach this page. Check the gate's power and network cable, or call IT.",
        );
      expect(await desk.locator('#link').textContent()).toBe('Live');
    } finally {
      gateSim().setFaults({ unplugged: false });
    }
    await expect.poll(() => line.locator('.trouble').count(), { timeout: 20_000 }).toBe(0);
  }, 45_000);
});
