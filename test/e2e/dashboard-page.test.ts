import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { printerSimulators } from '../../simulators/printer/family.js';
import {
  holdUnsettledAfterRestore,
  OfflineJournal,
  type OfflineTransactionInput,
  offlinePolicySchema,
} from '../../src/gateway/offline/index.js';
import { PaymentStore } from '../../src/gateway/payments/store.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { chromiumSkipReason } from '../helpers/browser.js';
import { withTokens } from '../helpers/desk.js';
import { deskInChromium } from '../helpers/desk-in-chromium.js';
import { deskZone as deskTimeZone, zoneOnAnotherDay } from '../helpers/time-zones.js';

const skip = chromiumSkipReason();
if (skip) console.warn(`skipping browser tests: ${skip}`);

const OUTPUT = process.env.CARREL_TEST_OUTPUT ?? join(import.meta.dirname, '..', '..', 'test-output');
const ADMIN = 'admin-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';

/** `input` journaled, sent, and set aside for staff: `reason` (with the ILS's words, `message`). */
function setAside(journal: OfflineJournal, input: OfflineTransactionInput, reason: string, message?: string) {
  const tx = journal.accept(input);
  journal.beginReplay(tx.id);
  journal.markConflict(tx.id, reason, message);
  return tx;
}

/**
 * The device dashboard IT staff open on a desk, in Debian's Chromium against the simulated
 * desk: what it shows is read as a person reads it, and a simulator is switched off and on
 * under it.
 */
describe.skipIf(skip !== undefined)('the device dashboard in Chromium', () => {
  const chromium = deskInChromium(
    (config) =>
      withTokens(
        {
          ...config,
          // The note validator's cash box with a capacity, the coin acceptor's without (the built-in
          // desk gives it 800).
          devices: config.devices.map((device) => {
            if (device.kind !== 'cash-device') return device;
            const { cashBoxCapacity: _capacity, ...withoutCapacity } = device;
            return device.id === 'notes-1' ? { ...device, cashBoxCapacity: 500 } : withoutCapacity;
          }),
        },
        [
          { name: 'it-admin', token: ADMIN, scopes: ['admin', 'monitor'] },
          { name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] },
        ],
      ),
    // A conflict staff may not send again is refused 422, and the page says why in words.
    { consoleError: (text) => !/status of 422/.test(text) },
  );
  const printerSim = () => chromium.testDesk.desk.simulators.handle(printerSimulators, 'printer-sim')!;
  /** The ILS simulator's library: what the ILS's own staff client changes, out of Carrel's sight. */
  const ilsLibrary = () => chromium.testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!.state;

  async function openPage(token: string): Promise<Page> {
    const page = await chromium.openPage(`/dashboard#token=${token}`, {
      viewport: { width: 1280, height: 1000 },
    });
    await expect.poll(() => page.locator('#link').textContent()).toBe('Live');
    return page;
  }

  const card = (desk: Page, id: string) => desk.locator(`li.device[data-device="${id}"]`);

  /**
   * The desk's offline journal through a second connection to its database: what a test writes
   * there in one tick the desk never sees pending. The test closes `db` when it is done.
   */
  function deskJournal() {
    const db = openDatabase(chromium.testDesk.databasePath);
    return { db, journal: new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) }) };
  }

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
    // Read at a glance: the gate's long labels ("Unreadable command replies") wrap, and its values
    // (an address, a link) keep at least two fifths of the card rather than break every few letters.
    await expect.poll(() => card(desk, 'exit-1').locator('dd[data-key="commandLink"]').count()).toBe(1);
    const share = await card(desk, 'exit-1')
      .locator('dl.detail')
      .evaluate((list) => {
        const value = list.querySelector('dd')!.getBoundingClientRect().width;
        return value / list.getBoundingClientRect().width;
      });
    expect(share).toBeGreaterThan(0.4);
  });

  it('names each device’s detail in words, with units, and shows a detail it has no words for as it is', async () => {
    const desk = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    // The printer's states, as the event WebSocket brings them, say one thing more than Carrel's
    // printers do today: a detail this page has no words for.
    await desk.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      const server = socket.connectToServer();
      server.onMessage((text) => {
        const message = JSON.parse(String(text));
        const states =
          message.event === 'snapshot'
            ? message.data.devices
            : message.event === 'device.state'
              ? [message.data]
              : [];
        for (const state of states)
          if (state.device === 'receipt-1') state.detail = { ...state.detail, nearEndSensor: 'clear' };
        socket.send(JSON.stringify(message));
      });
    });
    await desk.goto(`${chromium.testDesk.api}/dashboard#token=${MONITOR}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    const row = (id: string, key: string) => ({
      // The term beside the value (each row is a dt and its dd).
      term: () =>
        card(desk, id)
          .locator(`dd[data-key="${key}"]`)
          .evaluate((value) => value.previousElementSibling?.textContent, undefined, { timeout: 2000 }),
      value: () => card(desk, id).locator(`dd[data-key="${key}"]`).textContent({ timeout: 2000 }),
    });
    for (const id of ['exit-1', 'ils', 'coins-1', 'notes-1', 'cards-1', 'receipt-1'])
      await expect.poll(() => card(desk, id).locator('dd').count()).toBeGreaterThan(3);
    expect(await row('exit-1', 'keepAliveTimeoutMs').term()).toBe('Keep-alive timeout');
    expect(await row('exit-1', 'keepAliveTimeoutMs').value()).toBe('15 s');
    expect(await row('ils', 'roundTripMs').term()).toBe('Round trip');
    expect(await row('ils', 'roundTripMs').value()).toMatch(/^\d+(\.\d+)? ms$/);
    expect(await row('coins-1', 'channels').term()).toBe('Coins it takes');
    expect(await row('coins-1', 'channels').value()).toMatch(/^0\.05 EUR, 0\.10 EUR, 0\.20 EUR/);
    expect(await row('notes-1', 'channels').term()).toBe('Notes it takes');
    expect(await row('coins-1', 'line').term()).toBe('ccTalk line');
    expect(await row('coins-1', 'line').value()).toContain('checksum errors 0');
    expect(await row('coins-1', 'cashBox').value()).toMatch(/^coins 0 · expected 0(\.00)?/);
    expect(await row('coins-1', 'cashBox').value()).not.toContain('holds');
    expect(await row('notes-1', 'cashBox').value()).toMatch(/ · holds 500 · full 0 % · near full no$/);
    expect(await row('cards-1', 'ribbon').value()).toMatch(/^type ymcko · panels left \d+ · low no$/);
    // Each row is in words: no key of Carrel's own in any term or value, but the one it does not know.
    expect(await row('receipt-1', 'nearEndSensor').term()).toBe('nearEndSensor');
    expect(await row('receipt-1', 'nearEndSensor').value()).toBe('clear');
    const terms = await desk.locator('li.device dl.detail dt').allTextContents();
    expect(terms.length).toBeGreaterThan(40);
    expect(terms.filter((term) => /^[a-z]+(?:[A-Z][a-z]*)+$/.test(term))).toEqual(['nearEndSensor']);
    const values = (await desk.locator('li.device dl.detail dd').allTextContents()).join(' | ');
    for (const word of ['valueMinor', 'checksumErrors', 'expectedMinor', 'panelsLeft', 'occupancySince'])
      expect(values).not.toContain(word);
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

  it('greys the devices as last known while it hears nothing from Carrel, and is live again after', async () => {
    // Opened on /healthz first, quiet (Chromium's favicon request there is a 404): the dashboard's
    // own script errors are watched below.
    const desk = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    // The page's event WebSocket goes through here: cut (Carrel gone, the network down), then let through.
    let cut = false;
    let live: WebSocketRoute | undefined;
    await desk.routeWebSocket(/\/api\/v1\/events/, (socket) => {
      if (cut) return void socket.close();
      live = socket;
      socket.connectToServer();
    });
    await desk.clock.install();
    await desk.goto(`${chromium.testDesk.api}/dashboard#token=${MONITOR}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    await expect.poll(() => card(desk, 'receipt-1').getAttribute('data-status')).toBe('online');
    const summary = () => desk.locator('#summary').textContent();
    expect(await summary()).toMatch(/^\d+ online/);

    cut = true;
    await live!.close();
    await expect.poll(summary).toMatch(/^Not live since .+ — last known: \d+ online/);
    expect(await desk.locator('#devices').getAttribute('class')).toContain('stale');
    // The card no longer reads as a green "online": greyed, its status marked as last known.
    const status = card(desk, 'receipt-1').locator('.status');
    expect(
      await status.evaluate(
        (element) => element.ownerDocument.defaultView!.getComputedStyle(element, '::before').content,
      ),
    ).toBe('"last known: "');
    expect(
      await card(desk, 'receipt-1').evaluate(
        (element) => element.ownerDocument.defaultView!.getComputedStyle(element).opacity,
      ),
    ).toBe('0.6');
    expect(await desk.locator('#sessions-open').textContent()).toBe('–');
    mkdirSync(OUTPUT, { recursive: true });
    await desk.screenshot({ path: join(OUTPUT, 'dashboard-not-live.png'), fullPage: true });

    cut = false;
    // The page tries again after 0.5, 1, 2, 4… s, up to 10 s apart: on its clock, run on while the
    // test waits (each try a real WebSocket).
    await expect
      .poll(
        async () => {
          const link = await desk.locator('#link').textContent();
          if (link !== 'Live') await desk.clock.fastForward(10_000);
          return link;
        },
        { timeout: 15_000 },
      )
      .toBe('Live');
    await expect.poll(summary).toMatch(/^\d+ online/);
    expect(await desk.locator('#devices').getAttribute('class')).not.toContain('stale');
    await expect.poll(() => desk.locator('#sessions-open').textContent()).toMatch(/^\d+$/);
    expect(scriptErrors).toEqual([]);
  });

  it('says how long a device has been online on the desk’s clock, on a PC whose clock is ten minutes fast', async () => {
    // Opened on /healthz first, quiet (its favicon is a 404): the dashboard's script errors are watched below.
    const desk = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    // A staff PC without NTP: its wall clock ten minutes ahead of the desk's (the test's, here).
    await desk.clock.install({ time: Date.now() + 10 * 60_000 });
    await desk.goto(`${chromium.testDesk.api}/dashboard#token=${MONITOR}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    const answer = await fetch(`${chromium.testDesk.api}/api/v1/devices/receipt-1`, {
      headers: { authorization: `Bearer ${MONITOR}` },
    });
    const { since } = (await answer.json()) as { since: string };
    const ageOnDesk = () => (Date.now() - Date.parse(since)) / 1000;
    // "online since 03:12:09 (42 s)": the age, as the page words it, in seconds (its lowest and highest).
    const shownAge = async (): Promise<[number, number]> => {
      const text = (await card(desk, 'receipt-1').locator('.since').textContent()) ?? '';
      const age = /\((\d+) (s|min)\)/.exec(text);
      if (!age) return [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
      const n = Number(age[1]);
      return age[2] === 's' ? [n, n] : [n * 60, n * 60 + 59];
    };
    // Drawn again every 10 s: the age shown is at most that (and a second of the Date header) behind.
    await expect
      .poll(
        async () => {
          const before = ageOnDesk();
          const [lowest, highest] = await shownAge();
          return lowest <= ageOnDesk() + 2 && highest >= before - 12;
        },
        { timeout: 5000 },
      )
      .toBe(true);

    // The PC sleeps an hour: its wall clock runs on, its performance.now() stands still. The desk,
    // asked after, answers with its time an hour on. Woken, the page asks the desk at once (not at
    // its next read, 15 s on) and ages the printer's "since" by the hour it slept.
    const hour = 3600_000;
    await desk.route('**/api/v1/**', async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), date: new Date(Date.now() + hour).toUTCString() },
      });
    });
    await desk.clock.setSystemTime(Date.now() + 10 * 60_000 + hour);
    await desk.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await expect
      .poll(() => card(desk, 'receipt-1').locator('.since').textContent(), { timeout: 4000 })
      .toMatch(/\(1 h 0 min\)/);
    await desk.unrouteAll({ behavior: 'ignoreErrors' });
    expect(scriptErrors).toEqual([]);
  });

  it('dates a gate’s counter reading and a device’s “since” that are not from today at the desk', async () => {
    // Opened on /healthz first, quiet (its favicon is a 404): the dashboard's script errors are watched below.
    const desk = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    const scriptErrors: string[] = [];
    desk.on('pageerror', (error) => scriptErrors.push(error.message));
    await desk.clock.install();
    await desk.goto(`${chromium.testDesk.api}/dashboard#token=${ADMIN}`);
    await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
    // Someone walks in and the counter is read: the gate's card says when.
    const gate = chromium.testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    gate.walk({ direction: 'in', items: [] });
    await card(desk, 'exit-1').getByRole('button', { name: 'Read counter' }).click();
    const visitors = card(desk, 'exit-1').locator('dd[data-key="visitors"]');
    const since = card(desk, 'receipt-1').locator('.since');
    await expect.poll(() => visitors.textContent()).toMatch(/read at \d{1,2}:\d\d:\d\d/);
    expect(await since.textContent()).toMatch(/^online since \d{1,2}:\d\d:\d\d/);

    // A day on at the desk (the page left open, the PC asleep overnight): the reading is yesterday's,
    // and says so — "read at 9:15:46 PM" read as a reading taken today.
    const sleepFor = async (ms: number) => {
      await desk.unrouteAll({ behavior: 'ignoreErrors' });
      await desk.route('**/api/v1/**', async (route) => {
        const response = await route.fetch();
        await route.fulfill({
          response,
          headers: { ...response.headers(), date: new Date(Date.now() + ms).toUTCString() },
        });
      });
      await desk.clock.setSystemTime(Date.now() + ms);
      await desk.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    };
    await sleepFor(24 * 3600_000);
    await expect
      .poll(() => visitors.textContent(), { timeout: 4000 })
      .toMatch(/read at yesterday \d{1,2}:\d\d\b/);
    await expect.poll(() => since.textContent()).toMatch(/^online since yesterday \d{1,2}:\d\d\b.* \(1 d\)/);
    // Three days on: its day and month ("4 Dec 9:15 PM", "Dec 4, 9:15 PM" as the browser's language writes it).
    const day = new Date().getDate();
    await sleepFor(3 * 24 * 3600_000);
    const dated = new RegExp(`read at (${day} [A-Z][a-z]+|[A-Z][a-z]+ ${day}),? \\d{1,2}:\\d\\d\\b`);
    await expect.poll(() => visitors.textContent(), { timeout: 4000 }).toMatch(dated);
    await desk.unrouteAll({ behavior: 'ignoreErrors' });
    expect(scriptErrors).toEqual([]);
  });

  it('says a reading’s time and day in the desk’s time zone on a PC in another', async () => {
    // The desk's zone (this process's) and a PC's whose day is another than the desk's right now
    // (IT at a head office many hours away).
    const deskZone = deskTimeZone();
    const pcZone = zoneOnAnotherDay();
    const context = await chromium.browser.newContext({ timezoneId: pcZone, locale: 'en-US' });
    try {
      const desk = await context.newPage();
      const scriptErrors: string[] = [];
      desk.on('pageerror', (error) => scriptErrors.push(error.message));
      await desk.goto(`${chromium.testDesk.api}/dashboard#token=${ADMIN}`);
      await expect.poll(() => desk.locator('#link').textContent()).toBe('Live');
      chromium.testDesk.desk.simulators
        .handle(gateSimulators, 'gate-sim')!
        .walk({ direction: 'in', items: [] });
      await card(desk, 'exit-1').getByRole('button', { name: 'Read counter' }).click();
      await expect.poll(() => card(desk, 'exit-1').locator('.outcome').textContent()).toMatch(/^Counter: /);
      const gate = await fetch(`${chromium.testDesk.api}/api/v1/devices/exit-1`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const read = ((await gate.json()) as { detail: { visitors: { counter: { time: string } } } }).detail
        .visitors.counter.time;
      // Today at the desk, at the desk's time: no day before it, as on a PC in the desk's own zone.
      const atDesk = new Date(read).toLocaleTimeString('en-US', { timeZone: deskZone });
      await expect
        .poll(() => card(desk, 'exit-1').locator('dd[data-key="visitors"]').textContent())
        .toContain(`read at ${atDesk} ·`);
      expect(scriptErrors).toEqual([]);
    } finally {
      await context.close();
    }
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

  it('lists the offline conflicts to a token that may settle them, and sends one again or discards it', async () => {
    // What a desk restored from a backup holds, beside a conflict the replay itself found: written
    // by a second connection to the desk's database, in one tick (the desk never sees them pending).
    const { db, journal } = deskJournal();
    const at = Date.parse('2026-12-04T09:15:00Z');
    const lentToAnother = setAside(
      journal,
      { kind: 'checkout', patron: '21000003', item: '31000001', terminal: 'desk-1', at },
      'item_checked_out_to_another',
    );
    const restored = journal.accept({
      kind: 'checkin',
      item: '31000006',
      terminal: 'desk-1',
      at: at + 60_000,
    });
    // A fee payment and a card block a self-check's relay journaled: neither is about an item.
    const feePaid = journal.accept({
      kind: 'feePaid',
      patron: '21000003',
      fee: {
        id: 'F-1001',
        type: 'overdue',
        amountMinor: 250,
        currency: 'EUR',
        transactionId: 'bk-1',
        paymentType: '02',
      },
      terminal: 'selfcheck-1',
      at: at + 120_000,
    });
    const blocked = journal.accept({
      kind: 'blockPatron',
      patron: '21000003',
      block: { cardRetained: true, message: 'card kept' },
      terminal: 'selfcheck-1',
      at: at + 180_000,
    });
    expect(holdUnsettledAfterRestore(db, new Date('2026-12-04T02:30:00Z'))).toBe(3);
    // A cash payment on the account the replay found changed at the ILS, and a block it could not send.
    const feeChanged = setAside(
      journal,
      {
        kind: 'feePaid',
        patron: '21000003',
        fee: { type: 'other', amountMinor: 500, currency: 'EUR', transactionId: 'bk-2', paymentType: '00' },
        terminal: 'selfcheck-1',
        at: at + 240_000,
      },
      'fee_changed',
    );
    const blockUnsent = setAside(
      journal,
      {
        kind: 'blockPatron',
        patron: '21000003',
        block: { cardRetained: false, message: 'blocked' },
        terminal: 'selfcheck-1',
        at: at + 300_000,
      },
      'block_replay_unsupported',
    );
    // A checkout the ILS could not read (96 past the link's limit) set aside, and the checkin of the
    // same item held behind it.
    const unread = setAside(
      journal,
      { kind: 'checkout', patron: '21000004', item: '31000007', terminal: 'selfcheck-1', at: at + 360_000 },
      'ils_resend_limit',
    );
    const heldBehind = setAside(
      journal,
      { kind: 'checkin', item: '31000007', terminal: 'desk-1', at: at + 420_000 },
      'held_behind_unreadable',
    );
    db.close();

    // A monitor sees how many, not which.
    const monitor = await openPage(MONITOR);
    await expect.poll(() => monitor.locator('#offline-conflict').textContent()).toBe('8');
    // Conflicts wait for staff, not for the ILS: nothing is waiting to be sent.
    expect(await monitor.locator('#offline-pending').textContent()).toBe('0');
    expect(await monitor.locator('#conflicts-box').isHidden()).toBe(true);
    await monitor.close();

    const admin = await openPage(ADMIN);
    const conflict = (id: string) => admin.locator(`#conflicts li[data-transaction="${id}"]`);
    await expect.poll(() => admin.locator('#conflicts li').count()).toBe(8);
    expect(await conflict(lentToAnother.id).locator('.what').textContent()).toMatch(
      /^Checkout of item 31000001, /,
    );
    // A payment says how much and how it was paid: staff settle it with the ILS by hand.
    expect(await conflict(feePaid.id).locator('.what').textContent()).toMatch(
      /^Fee payment of 2\.50 EUR by credit card for fee F-1001, /,
    );
    expect(await conflict(feeChanged.id).locator('.what').textContent()).toMatch(
      /^Fee payment of 5\.00 EUR in cash on the account, /,
    );
    expect(await conflict(blocked.id).locator('.what').textContent()).toMatch(/^Card block, the card kept, /);
    expect(await conflict(blockUnsent.id).locator('.what').textContent()).toMatch(/^Card block, /);
    // Every reason in words, none as the journal's code.
    expect(await conflict(feeChanged.id).locator('.why').textContent()).toBe(
      'the fee changed at the ILS meanwhile: see whether the payment is there',
    );
    expect(await conflict(blockUnsent.id).locator('.why').textContent()).toBe(
      'this desk cannot send a card block to the ILS: block the card there',
    );
    expect(await conflict(lentToAnother.id).locator('.why').textContent()).toBe(
      'the ILS has the item out to another patron',
    );
    expect(await conflict(restored.id).locator('.why').textContent()).toBe(
      'restored from a backup: the ILS may have it already',
    );
    expect(await conflict(unread.id).locator('.why').textContent()).toBe(
      "the ILS could not read it (it kept asking for it again): check the charset and error detection of the desk's ILS account against the ILS's SIP2 settings",
    );
    expect(await conflict(heldBehind.id).locator('.why').textContent()).toBe(
      'it waits for an earlier transaction of the same item or patron that the ILS could not read',
    );
    expect(await conflict(restored.id).locator('.said').textContent()).toContain(
      'restored from a backup of 2026-12-04T02:30:00.000Z',
    );
    // No patron on the page: the item is what staff look up.
    expect(await admin.locator('#conflicts').textContent()).not.toContain('21000003');
    // A screen reader's list of buttons tells each conflict's Send again and Discard apart.
    for (const { id } of [
      lentToAnother,
      feePaid,
      feeChanged,
      blocked,
      blockUnsent,
      restored,
      unread,
      heldBehind,
    ]) {
      const what = await conflict(id).locator('.what').textContent();
      for (const label of ['Send again', 'Discard'])
        expect(await admin.getByRole('button', { name: `${label}: ${what}`, exact: true }).count()).toBe(1);
    }
    mkdirSync(OUTPUT, { recursive: true });
    await admin.screenshot({ path: join(OUTPUT, 'dashboard-offline-conflicts.png'), fullPage: true });

    await conflict(lentToAnother.id).getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => conflict(lentToAnother.id).count()).toBe(0);
    for (const id of [feePaid.id, blocked.id, feeChanged.id, blockUnsent.id, heldBehind.id, unread.id]) {
      await conflict(id).getByRole('button', { name: 'Discard' }).click();
      await expect.poll(() => conflict(id).count()).toBe(0);
    }
    // The loan the restored checkin ends is still at the ILS (asked before it is sent again).
    expect(ilsLibrary().checkout({ patron: '21000001', item: '31000006', branch: 'MAIN' }).ok).toBe(true);
    await conflict(restored.id).getByRole('button', { name: 'Send again' }).click();
    await expect.poll(() => admin.locator('#conflicts-box').isHidden()).toBe(true);
    await expect.poll(() => admin.locator('#offline-conflict').textContent()).toBe('0');
    const states = await Promise.all(
      [lentToAnother.id, restored.id].map(async (id) => {
        const response = await fetch(`${chromium.testDesk.api}/api/v1/offline/transactions`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        const { transactions } = (await response.json()) as {
          transactions: Array<{ id: string; state: string }>;
        };
        return transactions.find((tx) => tx.id === id)?.state;
      }),
    );
    expect(states[0]).toBe('discarded');
    // Sent again: waiting for the replay, or replayed already (the ILS is up).
    expect(['pending', 'replaying', 'done']).toContain(states[1]);
    await admin.close();
  });

  it('tells staff in words why a refused checkout cannot be sent again once its item came back, and keeps it', async () => {
    // A checkout the ILS refused at replay, and its item's checkin, taken after it, replayed since:
    // written by a second connection to the desk's database.
    const { db, journal } = deskJournal();
    const at = Date.parse('2026-12-04T09:15:00Z');
    const refused = setAside(
      journal,
      { kind: 'checkout', patron: '21000003', item: '31000008', terminal: 'desk-1', at },
      'patron_unknown',
      'Unknown patron',
    );
    const back = journal.accept({ kind: 'checkin', item: '31000008', terminal: 'desk-1', at: at + 60_000 });
    journal.beginReplay(back.id);
    journal.markDone(back.id, 'sent');
    db.close();

    const admin = await openPage(ADMIN);
    const conflict = admin.locator(`#conflicts li[data-transaction="${refused.id}"]`);
    await expect.poll(() => conflict.count()).toBe(1);
    await conflict.getByRole('button', { name: 'Send again' }).click();
    // Not "Settled already": what stands in the way, and what to do.
    await expect
      .poll(() => conflict.locator('.outcome').textContent())
      .toMatch(
        new RegExp(`^Failed: Not sent again: the checkin #${back.sequence} of the same item 31000008`),
      );
    expect(await conflict.locator('.outcome').textContent()).toMatch(/discard this one here/);
    expect(await admin.locator('#conflicts').textContent()).not.toContain('21000003');
    // Still a conflict, for staff to discard once they have looked at the ILS.
    await conflict.getByRole('button', { name: 'Discard' }).click();
    // Gone from the list (or the list hidden, when it was the last conflict).
    await expect.poll(() => conflict.isVisible()).toBe(false);
    await admin.close();
  });

  it('asks the ILS where the item is before sending a conflict again, and says in words why not when it was checked out or in there since', async () => {
    // A checkout a self-check took offline, refused at replay; and the same item's checkin, taken
    // later, set aside: written by a second connection to the desk's database.
    const db = openDatabase(chromium.testDesk.databasePath);
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
    const at = Date.parse('2026-12-05T11:00:00Z');
    const refused = journal.accept({
      kind: 'checkout',
      patron: '21000003',
      item: '31000014',
      terminal: 'sc-1',
      at,
    });
    journal.beginReplay(refused.id);
    journal.markConflict(refused.id, 'patron_blocked', 'Patron blocked');
    const returned = journal.accept({
      kind: 'checkin',
      item: '31000014',
      terminal: 'desk-1',
      at: at + 3_600_000,
    });
    journal.beginReplay(returned.id);
    journal.markConflict(returned.id, 'restored_from_backup');
    db.close();
    // Meanwhile, at the ILS's own staff client: the item lent to another patron — nothing the
    // journal knows of.
    expect(ilsLibrary().checkout({ patron: '21000001', item: '31000014', branch: 'MAIN' }).ok).toBe(true);

    const admin = await openPage(ADMIN);
    const conflict = (id: string) => admin.locator(`#conflicts li[data-transaction="${id}"]`);
    await expect.poll(() => conflict(refused.id).count()).toBe(1);
    await conflict(refused.id).getByRole('button', { name: 'Send again' }).click();
    await expect
      .poll(() => conflict(refused.id).locator('.outcome').textContent())
      .toMatch(/^Failed: Not sent again: the library system shows item 31000014 on loan \(due /);
    const lent = (await conflict(refused.id).locator('.outcome').textContent())!;
    expect(lent).toContain("not to this checkout's patron: it was checked out there since");
    expect(lent).toMatch(/then discard this one here\.$/);
    expect(await admin.locator('#conflicts').textContent()).not.toMatch(/21000003|21000001/);
    // Not sent: the ILS still has the other patron's loan, the journal still the conflict.
    expect(ilsLibrary().item('31000014')!.loan?.patron).toBe('21000001');

    // Then the item comes back at its own branch's desk, checked in at the ILS there.
    expect(ilsLibrary().checkin({ item: '31000014', branch: 'EAST' }).ok).toBe(true);
    await conflict(returned.id).getByRole('button', { name: 'Send again' }).click();
    await expect
      .poll(() => conflict(returned.id).locator('.outcome').textContent())
      .toBe(
        'Failed: Not sent again: the library system shows item 31000014 checked in, on the shelf: it was ' +
          'checked in there since. Nothing is left to send: discard this one here.',
      );
    // The dashboard API says the same, with a stable code; both stay conflicts for staff to discard.
    const response = await fetch(
      `${chromium.testDesk.api}/api/v1/offline/transactions/${returned.id}/resolve`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'retry' }),
      },
    );
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      code: 'offline_item_changed',
      detail: expect.stringContaining('checked in, on the shelf'),
    });
    const listed = await fetch(`${chromium.testDesk.api}/api/v1/offline/transactions?state=conflict`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const { transactions } = (await listed.json()) as { transactions: Array<{ id: string }> };
    expect(transactions.map((tx) => tx.id)).toEqual(expect.arrayContaining([refused.id, returned.id]));
    for (const id of [refused.id, returned.id]) {
      await conflict(id).getByRole('button', { name: 'Discard' }).click();
      await expect.poll(() => conflict(id).isVisible()).toBe(false);
    }
    await admin.close();
  });

  it('lists the money payments owe patrons to staff, and records one as paid out', async () => {
    // A payment that ended owing the patron 1.50 (a fee paid meanwhile at another desk), as the
    // payment kiosk leaves it: written by a second connection to the desk's database.
    const db = openDatabase(chromium.testDesk.databasePath);
    const store = new PaymentStore(db);
    const paymentId = randomUUID();
    const ended = Date.parse('2026-12-05T10:20:00Z');
    store.create(
      {
        id: paymentId,
        terminal: 'kiosk-1',
        patron: '21000003',
        patron_name: 'Kåre Ødegård',
        purpose: 'fees',
        currency: 'EUR',
        amount_due_minor: 150,
        state: 'collecting',
        devices: '["coins-1"]',
        started_at: ended - 60_000,
      },
      [
        {
          kind: 'fee',
          feeId: 'F-1002',
          description: 'Lost card',
          dueMinor: 150,
          transactionId: `${paymentId}:0`,
        },
      ],
    );
    store.setLine(paymentId, 0, { paidMinor: 150, state: 'refused' }, ended);
    store.setState(paymentId, 'completed', { at: ended, reason: 'paid' });
    store.setOverpayment(paymentId, 0, 150);
    db.close();

    // A monitor is shown no money and no patron.
    const monitor = await openPage(MONITOR);
    await expect.poll(() => monitor.locator('#offline-conflict').textContent()).toBe('0');
    expect(await monitor.locator('#owed-box').isHidden()).toBe(true);
    await monitor.close();

    // The page's clock runs as a clock does, and on at once when the test says. Opened on /healthz
    // first, quiet (its favicon is a 404): the dashboard's script errors are watched below.
    const admin = await chromium.openPage('/healthz', {
      viewport: { width: 1280, height: 1000 },
      quiet: true,
    });
    const scriptErrors: string[] = [];
    admin.on('pageerror', (error) => scriptErrors.push(error.message));
    await admin.clock.install();
    await admin.goto(`${chromium.testDesk.api}/dashboard#token=${ADMIN}`);
    await expect.poll(() => admin.locator('#link').textContent()).toBe('Live');
    const owing = admin.locator(`#owed li[data-payment="${paymentId}"]`);
    await expect.poll(() => owing.count()).toBe(1);
    // It said '€1.50' (its own format, the browser's locale) where the kiosk and the receipt say '1.50 EUR'.
    expect(await owing.locator('.what').textContent()).toBe('1.50 EUR owed to Kåre Ødegård');
    // It said how much, to whom, and the payment's id and time; not why, nor what to do: the print
    // desk's list said both, in other words (one list now, /common/owed.js, drawn alike on both).
    expect(await owing.locator('.why').textContent()).toBe(
      '1.50 EUR was paid for the fee “Lost card”, which the library system did not take (it may have been paid elsewhere meanwhile).',
    );
    expect(await owing.locator('.said').textContent()).toMatch(
      new RegExp(`^A payment of fees, .+ \\(payment ${paymentId} on its receipt\\)\\.$`),
    );
    expect(await owing.locator('.todo').textContent()).toBe(
      'Hand 1.50 EUR back to the patron from the cash box, then press Paid out.',
    );
    expect(await admin.locator('#owed-box .owed-intro').textContent()).toContain('Each says why');
    expect(await owing.innerText()).not.toContain('21000003');
    // The desk hangs (its answer never comes): the press is not held for ever. After the deadline the
    // other calls have (15 s) it says so, as the print desk's list says it, and may be pressed again.
    await admin.route('**/api/v1/payments/**', () => {});
    await owing.getByRole('button', { name: 'Paid out' }).click();
    await expect.poll(() => owing.locator('.outcome').textContent()).toBe('Recording…');
    await admin.clock.fastForward(15_000);
    await expect
      .poll(() => owing.locator('.outcome').textContent(), { timeout: 4000 })
      .toBe('The desk did not answer: press Paid out again (it is recorded once).');
    expect(await owing.getByRole('button', { name: 'Paid out' }).isEnabled()).toBe(true);
    await admin.unrouteAll({ behavior: 'ignoreErrors' });
    await owing.getByRole('button', { name: 'Paid out' }).click();
    await expect.poll(() => admin.locator('#owed-box').isHidden()).toBe(true);
    const response = await fetch(`${chromium.testDesk.api}/api/v1/payments/${paymentId}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(((await response.json()) as { overpayment: unknown }).overpayment).toEqual({
      toPrintAccountMinor: 0,
      owedToPatronMinor: 150,
      paidOutMinor: 150,
    });
    expect(scriptErrors).toEqual([]);
    await admin.close();
  });

  it('asks for a token when it has none and the desk requires one', async () => {
    const page = await chromium.openPage('/dashboard', { quiet: true });
    await expect.poll(() => page.locator('#problem').textContent()).toMatch(/needs a monitor token/);
  });
});
