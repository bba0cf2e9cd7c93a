import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { IlsError } from '../../../src/devices/ils/index.js';
import { DEFAULT_SECURITY, holdsSecurity } from '../../../src/devices/rfid/index.js';
import { CirculationRefusal } from '../../../src/gateway/circulation/reasons.js';
import type {
  CheckoutAnswer,
  CirculationService,
  PatronLoansResult,
} from '../../../src/gateway/contracts/circulation.js';
import { DeviceRegistry } from '../../../src/gateway/devices/registry.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import type { ReceiptPrinterPort } from '../../../src/gateway/families/receipt-printer/index.js';
import type { RfidReaderPort, RfidTagView } from '../../../src/gateway/families/rfid-reader/index.js';
import type { DeviceEntry } from '../../../src/gateway/family.js';
import { SessionManager, type SessionUpdate, sessionsSchema } from '../../../src/gateway/sessions/index.js';

/**
 * The session rules with the ILS, pad and printer as scripted fakes and time in
 * hand: offline checkouts, what the ILS says about security, renewals, the
 * inactivity timeout and shutdown. The desk-level behaviour over the real
 * simulators is in test/e2e/sessions.test.ts.
 */
const KIOSK = { terminal: 'kiosk-1', staff: false };
const due = { date: '2026-02-01T00:00:00.000Z', text: '20260201    235900' };

interface Script {
  checkout?: (item: string) => Promise<CheckoutAnswer>;
  endSession?: () => Promise<{ ended: boolean; screenMessages: string[] }>;
  loans?: () => Promise<PatronLoansResult>;
}

function rig(script: Script = {}, tags: RfidTagView[] = []) {
  const clock = new ManualClock();
  const bus = new EventBus();
  const calls: string[] = [];
  const secured: Array<{ uid: string; secured: boolean }> = [];
  const circulation = {
    async identifyPatron({ patron }: { patron: string }) {
      calls.push(`identify ${patron}`);
      return {
        patron: {
          id: patron,
          name: 'Ada',
          blocked: true,
          reasons: ['excessive_fines'],
          fines: { total: '12.00', currency: 'EUR', items: [] },
          counts: { loans: 2, overdue: 1, holdsAvailable: 0 },
          screenMessages: ['Please pay your fines'],
        },
      };
    },
    async checkout({ item }: { item: string }) {
      calls.push(`checkout ${item}`);
      if (script.checkout) return script.checkout(item);
      return {
        ok: true,
        offline: false,
        renewal: false,
        item: { id: item, title: `T ${item}`, dueDate: due, desensitize: true },
        screenMessages: [],
        printLines: [],
      };
    },
    async renew({ item }: { item: string }) {
      calls.push(`renew ${item}`);
      if (item === 'NO') throw new CirculationRefusal('renewal_limit', ['Renewal limit reached'], 'renew');
      return {
        ok: true,
        item: { id: item, title: `T ${item}`, dueDate: due },
        screenMessages: [],
        printLines: [],
      };
    },
    async renewAll() {
      calls.push('renewAll');
      return {
        ok: true,
        renewed: ['A'],
        unrenewed: ['B'],
        screenMessages: ['1 not renewed'],
        printLines: [],
      };
    },
    async patronLoans() {
      calls.push('loans');
      if (script.loans) return script.loans();
      return { items: ['A', 'I9', 'NO'] };
    },
    async item(item: string) {
      return { item: { id: item, title: `T ${item}` }, screenMessages: [] };
    },
    async endSession({ patron }: { patron: string }) {
      calls.push(`end ${patron}`);
      if (script.endSession) return script.endSession();
      return { ended: true, screenMessages: [] };
    },
  } as unknown as CirculationService;
  const pad: RfidReaderPort = {
    tags: () => ({ tags, incompleteSets: [] }),
    tagsNow: async () => [...tags],
    // A pad securing by the AFI, as the desk does by default.
    holdsSecurity: (read, secured) => holdsSecurity(DEFAULT_SECURITY, read, secured) ?? null,
    async setSecurity(uid, value) {
      secured.push({ uid, secured: value });
      return { uid, secured: value, status: 'done' };
    },
    program: () => Promise.reject(new CarrelError('unavailable', 'no')),
  };
  const printer = {
    submit: () => {
      throw new Error('no printing here');
    },
  } as unknown as ReceiptPrinterPort;
  const entry = (id: string, kind: string, port: unknown): DeviceEntry => ({
    id,
    kind,
    port,
    state: () => {
      throw new Error('not asked in these tests');
    },
    start: async () => {},
    stop: async () => {},
    reconnect: async () => {},
  });
  const manager = new SessionManager({
    circulation,
    devices: new DeviceRegistry([
      entry('pad-1', 'rfid-reader', pad),
      entry('receipt-1', 'receipt-printer', printer),
      entry('scan-1', 'scanner', {}),
    ]),
    bus,
    clock,
    logger: silentLogger(),
    config: sessionsSchema.parse({ inactivityTimeoutSeconds: 60, maxOpen: 2 }),
    site: 'library',
    desk: 'desk-1',
  });
  return { clock, bus, calls, secured, manager };
}

const itemTag = (uid: string, item: string): RfidTagView => ({
  uid,
  item: { format: '28560-3', byteOrder: 'logical', primaryItemId: item, crc: 'valid', warnings: [] },
  secured: true,
  afi: 7,
  eas: null,
  dsfid: 0x3e,
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SessionManager', () => {
  it('opens for a blocked patron, says why, and keeps the barcode out of the view', async () => {
    const { manager } = rig();
    const view = await manager.open({ mode: 'checkout', patron: '2100', pin: '1' }, KIOSK);
    expect(view.patron).toEqual({
      name: 'Ada',
      blocked: true,
      reasons: ['excessive_fines'],
      fines: { total: '12.00', currency: 'EUR' },
      counts: { loans: 2, overdue: 1, holdsAvailable: 0 },
      screenMessages: ['Please pay your fines'],
    });
    expect(JSON.stringify(view)).not.toContain('2100');
  });

  it('an offline checkout clears security and is marked offline, on the item and the receipt', async () => {
    const { manager, secured } = rig(
      {
        checkout: async (item) => ({
          ok: true,
          offline: true,
          transaction: { id: 'tx', sequence: 1 },
          item: { id: item },
          dueDate: null,
          screenMessages: ['Accepted offline'],
        }),
      },
      [itemTag('E1', 'I1')],
    );
    const { id } = await manager.open({ mode: 'checkout', pad: 'pad-1', patron: 'P', pin: '1' }, KIOSK);
    await settle();
    const [item] = manager.get(id, KIOSK).items;
    expect(item).toMatchObject({ state: 'checked_out', offline: true, dueDate: null, security: 'cleared' });
    expect(secured).toEqual([{ uid: 'E1', secured: false }]);
    const ended = await manager.end(id, { receipt: 'data' }, KIOSK);
    expect(ended.receipt).toMatchObject({
      kind: 'data',
      data: { offline: true, loans: [{ barcode: 'I1', dueDate: 'later (offline)' }] },
    });
  });

  it('leaves the security alone when the ILS says not to desensitize, and says so', async () => {
    const { manager, secured } = rig(
      {
        checkout: async (item) => ({
          ok: true,
          offline: false,
          renewal: false,
          item: { id: item, title: 'Tape', desensitize: false, magneticMedia: true },
          screenMessages: [],
          printLines: [],
        }),
      },
      [itemTag('E1', 'I1')],
    );
    const { id } = await manager.open({ mode: 'checkout', pad: 'pad-1', patron: 'P', pin: '1' }, KIOSK);
    await settle();
    expect(manager.get(id, KIOSK).items[0]).toMatchObject({
      state: 'checked_out',
      security: 'kept',
      magneticMedia: true,
    });
    expect(secured).toEqual([]);
  });

  it('an ILS that cannot be reached leaves the item failed with the error code, and secured', async () => {
    const { manager, secured } = rig(
      {
        checkout: () => Promise.reject(new IlsError('ils_offline', 'down')),
      },
      [itemTag('E1', 'I1')],
    );
    const { id } = await manager.open({ mode: 'checkout', pad: 'pad-1', patron: 'P', pin: '1' }, KIOSK);
    await settle();
    expect(manager.get(id, KIOSK).items[0]).toMatchObject({ state: 'failed', reason: 'ils_offline' });
    expect(secured).toEqual([]);
  });

  it('renews one loan, her earlier loans one by one, or all of them with Renew All, and lists the renewals on the receipt', async () => {
    const { manager, calls } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    expect(await manager.renew(id, { item: 'X' }, KIOSK)).toEqual([
      { item: 'X', ok: true, title: 'T X', dueDate: due, screenMessages: [] },
    ]);
    expect(await manager.renew(id, { item: 'NO' }, KIOSK)).toEqual([
      {
        item: 'NO',
        ok: false,
        title: 'T NO',
        reason: 'renewal_limit',
        message: 'Renewal limit reached',
        screenMessages: ['Renewal limit reached'],
      },
    ]);
    // I9 was borrowed in this session: not renewed with her loans. NO was refused already: not asked again.
    await manager.processItem(id, { item: 'I9' }, KIOSK);
    calls.length = 0;
    expect((await manager.renew(id, {}, KIOSK)).map((r) => [r.item, r.ok])).toEqual([['A', true]]);
    expect(calls).toEqual(['loans', 'renew A']);
    expect((await manager.renew(id, { all: true }, KIOSK)).map((r) => [r.item, r.ok])).toEqual([
      ['A', true],
      ['B', false],
    ]);
    const ended = await manager.end(id, { receipt: 'data' }, KIOSK);
    const data = (ended.receipt as unknown as { data: { loans: unknown[]; notRenewed: unknown[] } }).data;
    expect(data.loans).toEqual([
      { title: 'T I9', barcode: 'I9', dueDate: '2026-02-01' },
      { title: 'T X (renewed)', barcode: 'X', dueDate: '2026-02-01' },
      { title: 'T A (renewed)', barcode: 'A', dueDate: '2026-02-01' },
    ]);
    expect(data.notRenewed).toEqual([
      { title: 'T NO', barcode: 'NO', note: 'Not renewed: Renewal limit reached' },
      { title: 'B', barcode: 'B', note: 'Not renewed: 1 not renewed' },
    ]);
  });

  it('answers a patron whose account may not renew with one refusal in plain words when the ILS gave none, asking no loan', async () => {
    const { manager, calls } = rig({
      loans: async () => ({
        items: ['A', 'B'],
        renewalsDenied: { reason: 'renewal_not_allowed', screenMessages: [] },
      }),
    });
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    calls.length = 0;
    const refusal = await manager.renew(id, {}, KIOSK).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CirculationRefusal);
    expect(refusal).toMatchObject({
      reason: 'renewal_not_allowed',
      screenMessages: [],
      message: 'Your account cannot renew loans: please ask at the desk',
    });
    expect(calls).toEqual(['loans']);
    expect(manager.get(id, KIOSK)).toMatchObject({ renewals: [] });
    expect(manager.get(id, KIOSK).renewing).toBeUndefined();
  });

  it('lists a loan renewed twice in a session once on the receipt', async () => {
    const { manager } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    await manager.renew(id, { item: 'X' }, KIOSK);
    await manager.renew(id, { item: 'X' }, KIOSK);
    const ended = await manager.end(id, { receipt: 'data' }, KIOSK);
    expect((ended.receipt as unknown as { data: { loans: unknown[] } }).data.loans).toEqual([
      { title: 'T X (renewed)', barcode: 'X', dueDate: '2026-02-01' },
    ]);
  });

  it('an opening sent again is answered with its session as it is now: open, ended, or ended and forgotten', async () => {
    const { manager, clock } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    await manager.processItem(id, { item: 'I9' }, KIOSK);
    expect(manager.openedAgain(id, KIOSK)).toMatchObject({ id, state: 'open', items: [{ item: 'I9' }] });
    await clock.advance(61_000);
    await settle();
    expect(() => manager.openedAgain(id, KIOSK)).toThrow(
      expect.objectContaining({
        code: 'session_ended',
        details: expect.objectContaining({ session: id, endReason: 'timeout' }),
      }),
    );
    // The ended session is forgotten after five minutes; the opening's id is kept ten: still ended.
    await clock.advance(5 * 60_000 + 1);
    expect(() => manager.get(id, KIOSK)).toThrow(expect.objectContaining({ code: 'session_not_found' }));
    expect(() => manager.openedAgain(id, KIOSK)).toThrow(
      expect.objectContaining({ code: 'session_ended', message: expect.stringContaining(id) }),
    );
    expect(manager.openCount()).toBe(0);
  });

  it('ends a session after the inactivity timeout, with an end-session to the ILS; activity pushes it back', async () => {
    const { manager, clock, calls } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    const updates: SessionUpdate[] = [];
    manager.watch(id, KIOSK, (update) => updates.push(update));
    await clock.advance(50_000);
    await manager.processItem(id, { item: 'I9' }, KIOSK);
    await clock.advance(50_000);
    expect(manager.get(id, KIOSK).state).toBe('open');
    await clock.advance(11_000);
    await settle();
    expect(manager.get(id, KIOSK)).toMatchObject({ state: 'ended', endReason: 'timeout' });
    expect(calls.at(-1)).toBe('end P');
    expect(updates.at(-1)).toMatchObject({ event: 'ended' });
    await expect(manager.processItem(id, { item: 'I2' }, KIOSK)).rejects.toMatchObject({
      code: 'session_ended',
    });
  });

  it('ends an idle session after the timeout passed, and says when on the desk clock, whatever NTP does to it', async () => {
    const { manager, clock } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    // Stepped an hour forward 10 s in: the patron still has 50 s, and the session says so.
    await clock.advance(10_000);
    clock.stepWallClock(3_600_000);
    await settle();
    expect(manager.get(id, KIOSK).state).toBe('open');
    expect(Date.parse(manager.get(id, KIOSK).expiresAt) - clock.now()).toBe(50_000);
    // The time left as a screen counts it down on its own monotonic clock.
    expect(manager.get(id, KIOSK).expiresInMs).toBe(50_000);
    // Stepped an hour back: 50 s on it ends (not an hour later), and said 20 s before, 20 s were left.
    clock.stepWallClock(-2 * 3_600_000);
    await clock.advance(30_000);
    expect(Date.parse(manager.get(id, KIOSK).expiresAt) - clock.now()).toBe(20_000);
    expect(manager.get(id, KIOSK).expiresInMs).toBe(20_000);
    await clock.advance(20_000);
    await settle();
    expect(manager.get(id, KIOSK)).toMatchObject({ state: 'ended', endReason: 'timeout', expiresInMs: 0 });
  });

  it('says its inactivity timeout, for a screen to count down again on activity, whatever NTP does to the desk clock', async () => {
    const { manager, clock } = rig();
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    // Stepped an hour forward 10 s in: expiresAt less lastActivityAt is an hour and a minute now,
    // and a kiosk that took that for the timeout counted an hour down after the next item.
    await clock.advance(10_000);
    clock.stepWallClock(3_600_000);
    expect(manager.get(id, KIOSK)).toMatchObject({ inactivityTimeoutMs: 60_000, expiresInMs: 50_000 });
    await manager.processItem(id, { item: 'I9' }, KIOSK);
    expect(manager.get(id, KIOSK)).toMatchObject({ inactivityTimeoutMs: 60_000, expiresInMs: 60_000 });
  });

  it("'I am still here' (keep-alive) pushes the inactivity end back; reading the session does not", async () => {
    const { manager, clock } = rig();
    const { id, expiresAt } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    // The kiosk warns 30 s before the 60 s are up; the patron answers, and the kiosk reads the session.
    await clock.advance(40_000);
    expect(manager.get(id, KIOSK).expiresAt).toBe(expiresAt);
    const kept = manager.keepAlive(id, KIOSK);
    expect(Date.parse(kept.expiresAt) - Date.parse(expiresAt)).toBe(40_000);
    await clock.advance(50_000);
    await settle();
    expect(manager.get(id, KIOSK).state).toBe('open');
    await clock.advance(11_000);
    await settle();
    expect(manager.get(id, KIOSK)).toMatchObject({ state: 'ended', endReason: 'timeout' });
    expect(() => manager.keepAlive(id, KIOSK)).toThrow(expect.objectContaining({ code: 'session_ended' }));
    expect(() => manager.keepAlive(id, { terminal: 'kiosk-2', staff: false })).toThrow(
      expect.objectContaining({ code: 'session_not_found' }),
    );
  });

  it('ends every open session at shutdown, and does not wait long for an ILS that hangs', async () => {
    const { manager, clock } = rig({ endSession: () => new Promise(() => {}) });
    const { id } = await manager.open({ mode: 'checkout', patron: 'P', pin: '1' }, KIOSK);
    const stopping = manager.stop();
    await settle();
    await clock.advance(2_000);
    await stopping;
    expect(manager.get(id, KIOSK)).toMatchObject({ state: 'ended', endReason: 'shutdown' });
  });

  it('drops an item taken off the pad before the ILS was asked for it, and checks out the rest in order', async () => {
    let release: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { manager, bus, calls } = rig({
      checkout: async (item) => {
        if (item === 'I1') await first;
        return {
          ok: true,
          offline: false,
          renewal: false,
          item: { id: item, title: `T ${item}`, dueDate: due, desensitize: true },
          screenMessages: [],
          printLines: [],
        };
      },
    });
    await manager.start();
    const { id } = await manager.open({ mode: 'checkout', pad: 'pad-1', patron: 'P', pin: '1' }, KIOSK);
    const event = (type: string, data: Record<string, unknown>) =>
      bus.emit('device.event', { device: 'pad-1', type: `rfid.${type}`, time: '', data });
    const item = (primaryItemId: string) => ({ format: '28560-3', primaryItemId, warnings: [] });
    event('tag_arrived', { uid: 'E1', item: item('I1') });
    event('tag_arrived', { uid: 'E2', item: item('I2') });
    event('tag_arrived', { uid: 'E3', item: item('I3') });
    await settle();
    // I1 is with the ILS; I2 waits its turn — and is taken away.
    event('tag_left', { uid: 'E2' });
    release();
    await settle();
    await settle();
    expect(manager.get(id, KIOSK).items.map((i) => [i.item, i.state])).toEqual([
      ['I1', 'checked_out'],
      ['I3', 'checked_out'],
    ]);
    expect(calls.filter((c) => c.startsWith('checkout'))).toEqual(['checkout I1', 'checkout I3']);
    await manager.stop();
  });

  it('a session ending while the ILS is slow is ended once: the pad moving meanwhile does not start a timeout', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { manager, bus, clock, calls } = rig({
      checkout: async (item) => {
        await slow;
        return {
          ok: true,
          offline: false,
          renewal: false,
          item: { id: item, title: `T ${item}`, dueDate: due, desensitize: true },
          screenMessages: [],
          printLines: [],
        };
      },
    });
    await manager.start();
    const { id } = await manager.open({ mode: 'checkout', pad: 'pad-1', patron: 'P', pin: '1' }, KIOSK);
    const event = (type: string, data: Record<string, unknown>) =>
      bus.emit('device.event', { device: 'pad-1', type: `rfid.${type}`, time: '', data });
    event('tag_arrived', { uid: 'E1', item: { format: '28560-3', primaryItemId: 'I1', warnings: [] } });
    await settle();
    // The patron presses Finish while I1 is with the ILS, and picks up her pile as she goes.
    const ending = manager.end(id, { receipt: 'data' }, KIOSK);
    event('tag_left', { uid: 'E1' });
    event('tag_arrived', { uid: 'E2', item: { format: '28560-3', primaryItemId: 'I2', warnings: [] } });
    // The ILS takes longer than the inactivity timeout (60 s here) to answer.
    await clock.advance(61_000);
    await settle();
    release();
    const ended = await ending;
    await clock.advance(61_000);
    await settle();
    expect(ended.session).toMatchObject({ state: 'ended', endReason: 'ended' });
    expect(ended.session.items.map((i) => i.item)).toEqual(['I1']);
    expect(calls.filter((c) => c.startsWith('end'))).toEqual(['end P']);
    expect(manager.get(id, KIOSK).endReason).toBe('ended');
    await manager.stop();
  });

  it('refuses more sessions than configured, and a PIN-less checkout when a PIN is required', async () => {
    const { manager } = rig();
    await manager.open({ mode: 'return' }, KIOSK);
    await manager.open({ mode: 'return' }, KIOSK);
    await expect(manager.open({ mode: 'return' }, KIOSK)).rejects.toMatchObject({
      code: 'session_limit_reached',
    });
    const fresh = rig().manager;
    await expect(fresh.open({ mode: 'checkout', patron: 'P' }, KIOSK)).rejects.toMatchObject({
      code: 'pin_required',
    });
  });

  it('takes a patron scanned within the last minute of time passed, whatever NTP does to the wall clock', async () => {
    const { manager, bus, clock } = rig();
    await manager.start();
    const scan = (patron: string) =>
      bus.emit('device.event', {
        device: 'scan-1',
        type: 'scanner.identified',
        time: '',
        data: {
          source: 'serial',
          kind: 'barcode',
          value: patron,
          device: 'scan-1',
          at: '',
          role: 'patron',
          patron,
        },
      });
    const open = () =>
      manager.open({ mode: 'checkout', scanner: 'scan-1', patronScan: true, pin: '1' }, KIOSK);
    // Scanned, and the patron walked away: stepped an hour back, the clock must not keep the scan
    // for the next person at the kiosk to open a session on.
    scan('P1');
    clock.stepWallClock(-3_600_000);
    await clock.advance(61_000);
    await expect(open()).rejects.toMatchObject({ code: 'patron_scan_not_found' });
    // Stepped an hour forward, a scan of a second ago is still there.
    scan('P2');
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    await expect(open()).resolves.toMatchObject({ state: 'open' });
    await manager.stop();
  });
});
