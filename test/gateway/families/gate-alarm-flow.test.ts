import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import type { GateTagRead } from '../../../src/devices/gate/index.js';
import { GateAlarmFlow } from '../../../src/gateway/families/gate/alarm-flow.js';
import { GateAlarmHistory } from '../../../src/gateway/families/gate/alarm-history.js';
import { GateAlarms } from '../../../src/gateway/families/gate/alarms.js';
import { gateAlarmPolicySchema } from '../../../src/gateway/families/gate/config.js';
import type {
  GateAlarmEnrichedEvent,
  GateAlarmEvent,
  GateAlarmNotEnrichedEvent,
} from '../../../src/gateway/families/gate/events.js';
import { type ItemFacts, ItemLookup } from '../../../src/gateway/families/gate/item-lookup.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';

/**
 * A tag read at a gate to the events staff see: the alarm first, then what the ILS says about
 * its item; with a policy that asks the ILS, the decision waits for it, at most its timeout.
 * The ILS here is a function the test answers by hand, on a clock the test moves.
 */
const itemTag = (id: string) => encodeIso28560Part3({ primaryItemId: id, ownerLibrary: 'SE-RPL' });

let uidCounter = 0;
function read(item: string, overrides: Partial<GateTagRead> = {}): GateTagRead {
  uidCounter++;
  return {
    uid: `E0040100000${String(uidCounter).padStart(5, '0')}`,
    transponderType: 3,
    memory: itemTag(item),
    blockSize: 4,
    afi: null,
    eas: null,
    antenna: 2,
    rssi: null,
    reads: null,
    time: '2026-12-02T10:00:00.000Z',
    readerTime: null,
    source: 'notification',
    ...overrides,
  };
}

const shelf = (item: string, extra: Partial<ItemFacts> = {}): ItemFacts => ({
  item,
  known: true,
  title: 'Middlemarch',
  callNumber: '823.8 ELI',
  permanentLocation: 'MAIN',
  circulationStatus: 'available',
  dueDate: null,
  checkedOut: false,
  ...extra,
});

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function rig(policy: Record<string, unknown> = {}, hasIls = true, enrichmentDeadlineMs = 25_000) {
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 10));
  const pending = new Map<string, { resolve: (facts: ItemFacts) => void; reject: (error: Error) => void }>();
  const asked: string[] = [];
  const items = new ItemLookup(
    (item) =>
      new Promise<ItemFacts>((resolve, reject) => {
        asked.push(item);
        pending.set(item, { resolve, reject });
      }),
    clock,
  );
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  });
  db = openDatabase(':memory:');
  const history = new GateAlarmHistory(db, 'exit-1');
  const alarms: GateAlarmEvent[] = [];
  const enriched: GateAlarmEnrichedEvent[] = [];
  const notEnriched: GateAlarmNotEnrichedEvent[] = [];
  const order: string[] = [];
  /** The flow's count and recent alarms as each alarm was handed on, and as it said it had counted one. */
  const seen: Array<{ count: number; recent: number }> = [];
  const counted: Array<{ count: number; recent: GateAlarmEvent | undefined }> = [];
  const parsed = gateAlarmPolicySchema.parse(policy);
  const flow = new GateAlarmFlow({
    gate: 'exit-1',
    alarms: new GateAlarms(parsed, clock, { in: [1], out: [2] }),
    items,
    ilsTimeoutMs: parsed.ilsTimeoutMs,
    hasIls: () => hasIls,
    enrichmentDeadlineMs: () => enrichmentDeadlineMs,
    clock,
    logger,
    history: () => history,
    alarm: (event) => {
      seen.push({ count: flow.count, recent: flow.recent.length });
      alarms.push(event);
      order.push(`alarm ${event.id}`);
    },
    counted: () => counted.push({ count: flow.count, recent: flow.recent[0] }),
    enriched: (event) => {
      enriched.push(event);
      order.push(`enriched ${event.alarm}`);
    },
    notEnriched: (event) => {
      notEnriched.push(event);
      order.push(`not enriched ${event.alarm}`);
    },
  });
  const answer = async (item: string, facts: ItemFacts | Error) => {
    const waiting = pending.get(item);
    if (!waiting) throw new Error(`nobody asked about ${item}`);
    pending.delete(item);
    if (facts instanceof Error) waiting.reject(facts);
    else waiting.resolve(facts);
    await clock.advance(0);
  };
  return { clock, flow, alarms, enriched, notEnriched, order, seen, counted, history, asked, answer, lines };
}

describe('an alarm and its item', () => {
  it('hands the alarm on before it counts it or keeps it among the recent ones, then says it has', () => {
    const { flow, alarms, seen, counted } = rig({ method: 'afi' });
    flow.read(read('31000004'));
    // Nothing a page needs waits in front of the alarm: it is handed on first.
    expect(seen).toEqual([{ count: 0, recent: 0 }]);
    expect(counted).toEqual([{ count: 1, recent: alarms[0] }]);
  });

  it('raises the alarm at once, then tells what the ILS says about the item, and writes both down', async () => {
    const { flow, alarms, enriched, order, history, answer } = rig({ method: 'afi' });
    flow.read(read('31000004'));
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ reason: 'reported', ils: null, direction: 'out' });
    expect(history.get(alarms[0]!.id)).toMatchObject({ item: '31000004', title: null, direction: 'out' });
    await answer('31000004', shelf('31000004'));
    expect(enriched).toEqual([
      {
        alarm: alarms[0]!.id,
        item: '31000004',
        known: true,
        title: 'Middlemarch',
        callNumber: '823.8 ELI',
        permanentLocation: 'MAIN',
        circulationStatus: 'available',
        dueDate: null,
        checkedOut: false,
        time: expect.any(String),
      },
    ]);
    expect(order).toEqual([`alarm ${alarms[0]!.id}`, `enriched ${alarms[0]!.id}`]);
    expect(history.get(alarms[0]!.id)?.title).toBe('Middlemarch');
    // The call number and where the item belongs, each kept as what it is.
    expect(history.get(alarms[0]!.id)?.lookup).toEqual({
      answered: true,
      known: true,
      callNumber: '823.8 ELI',
      permanentLocation: 'MAIN',
      circulationStatus: 'available',
    });
  });

  it('asks the ILS once for an item that alarms again within the cache time', async () => {
    const { flow, enriched, asked, answer, clock } = rig({ method: 'afi' });
    flow.read(read('31000004'));
    await answer('31000004', shelf('31000004'));
    await clock.advance(10_000);
    flow.read(read('31000004'));
    await clock.advance(0);
    expect(enriched).toHaveLength(2);
    expect(asked).toEqual(['31000004']);
  });

  it('an enrichment that fails is logged, never thrown, the alarm stands, and it says no title is coming', async () => {
    const { flow, alarms, enriched, notEnriched, answer, lines } = rig({ method: 'afi' });
    flow.read(read('31000004'));
    await answer('31000004', Object.assign(new Error('connection refused'), { code: 'ils_offline' }));
    expect(alarms).toHaveLength(1);
    expect(enriched).toHaveLength(0);
    expect(notEnriched).toMatchObject([
      {
        alarm: alarms[0]!.id,
        item: '31000004',
        reason: 'unreachable',
        message: 'the library system cannot be reached',
      },
    ]);
    expect(lines.some((line) => line.msg === 'gate alarm not enriched')).toBe(true);
  });

  it('waits for the item as long as the ILS link may take (its deadline), then says the ILS did not answer', async () => {
    const { flow, alarms, enriched, notEnriched, answer, clock, order } = rig(
      { method: 'afi' },
      true,
      25_000,
    );
    flow.read(read('31000004'));
    await clock.advance(24_999);
    expect(notEnriched).toEqual([]);
    await clock.advance(1);
    expect(notEnriched).toMatchObject([
      { alarm: alarms[0]!.id, reason: 'no_answer', message: 'the library system did not answer' },
    ]);
    // An answer after the deadline tells nothing more: one or the other, never both.
    await answer('31000004', shelf('31000004'));
    expect(enriched).toEqual([]);
    expect(order).toEqual([`alarm ${alarms[0]!.id}`, `not enriched ${alarms[0]!.id}`]);
  });

  it('on a desk with no ILS, asks nothing about the item and warns of nothing: the alarm and its history line stand', async () => {
    const { flow, alarms, enriched, notEnriched, history, asked, lines } = rig({ method: 'afi' }, false);
    flow.read(read('31000004'));
    expect(alarms).toHaveLength(1);
    expect(history.get(alarms[0]!.id)).toMatchObject({
      item: '31000004',
      title: null,
      // A page opened later reads why no title came, as the page open at the time did.
      lookup: { answered: false, reason: 'no_ils' },
    });
    expect(asked).toEqual([]);
    expect(enriched).toEqual([]);
    expect(notEnriched).toMatchObject([{ alarm: alarms[0]!.id, reason: 'no_ils' }]);
    expect(lines.filter((line) => (line.level as number) >= 40)).toEqual([]);
  });

  it('asks nothing about a tag it cannot read', async () => {
    const { flow, alarms, asked } = rig({ method: 'afi' });
    flow.read(read('x', { memory: Buffer.from('FFEEDDCCBBAA99887766554433221100', 'hex') }));
    expect(alarms).toHaveLength(1);
    expect(asked).toEqual([]);
  });
});

describe('the decision with the ILS (policy ils)', () => {
  it('waits for the ILS: an item not charged alarms, named by the ILS at once', async () => {
    const { flow, alarms, enriched, answer, asked, history } = rig({ method: 'ils' });
    flow.read(read('31000004', { afi: 0x07 }));
    expect(alarms).toHaveLength(0);
    await answer('31000004', shelf('31000004'));
    expect(alarms).toMatchObject([{ reason: 'ils', ils: 'not_charged', item: { id: '31000004' } }]);
    expect(enriched).toMatchObject([{ alarm: alarms[0]!.id, title: 'Middlemarch' }]);
    // The history has the title the decision waited for, with the alarm.
    expect(history.get(alarms[0]!.id)).toMatchObject({
      item: '31000004',
      title: 'Middlemarch',
      lookup: { answered: true, known: true },
    });
    expect(asked).toEqual(['31000004']);
  });

  it('lets a charged item pass without an alarm', async () => {
    const { flow, alarms, answer } = rig({ method: 'ils' });
    flow.read(read('31000005', { afi: 0x07 }));
    await answer('31000005', shelf('31000005', { checkedOut: true, circulationStatus: 'charged' }));
    expect(alarms).toHaveLength(0);
  });

  it('decides by the tag after ilsTimeoutMs without an answer, and says the ILS did not answer', async () => {
    const { flow, alarms, enriched, answer, clock } = rig({ method: 'ils', ilsTimeoutMs: 500 });
    flow.read(read('31000004', { afi: 0x07 }));
    await clock.advance(499);
    expect(alarms).toHaveLength(0);
    await clock.advance(1);
    expect(alarms).toMatchObject([{ reason: 'afi', ils: 'unanswered' }]);
    // The answer that comes later still names the item.
    await answer('31000004', shelf('31000004'));
    expect(enriched).toMatchObject([{ alarm: alarms[0]!.id, title: 'Middlemarch' }]);
  });

  it('decides by the tag at once when the ILS cannot be reached, and warns once for a run of them', async () => {
    const { flow, alarms, answer, lines } = rig({ method: 'ils' });
    for (const item of ['31000004', '31000006']) {
      flow.read(read(item, { afi: 0x07 }));
      await answer(item, Object.assign(new Error('no ILS is configured'), { code: 'unavailable' }));
    }
    expect(alarms).toMatchObject([
      { reason: 'afi', ils: 'unanswered' },
      { reason: 'afi', ils: 'unanswered' },
    ]);
    const warnings = lines.filter((line) => line.msg === 'gate alarm decided without the ILS');
    expect(warnings.map((line) => line.level)).toEqual(['warn', 'debug']);
  });

  it('raises nothing from an answer that comes after the gate stopped', async () => {
    const { flow, alarms, answer } = rig({ method: 'ils' });
    flow.read(read('31000004', { afi: 0x07 }));
    flow.stop();
    await answer('31000004', shelf('31000004'));
    expect(alarms).toHaveLength(0);
  });

  it('raises alarms again once started again after a stop', () => {
    const { flow, alarms } = rig({ method: 'afi' });
    flow.stop();
    flow.read(read('31000004'));
    expect(alarms).toHaveLength(0);
    flow.start();
    flow.read(read('31000006'));
    expect(alarms).toHaveLength(1);
  });
});
