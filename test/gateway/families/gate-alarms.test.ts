import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { GateTagRead } from '../../../src/devices/gate/index.js';
import { GateAlarms, type IlsQuestion, isIlsQuestion } from '../../../src/gateway/families/gate/alarms.js';
import { gateAlarmPolicySchema } from '../../../src/gateway/families/gate/config.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';

/** The alarm decision at a gate, from what a read says; time in hand. */
const item = (id: string) => encodeIso28560Part3({ primaryItemId: id, ownerLibrary: 'SE-RPL' });
const patronCard = encodeIso28560Part3({ primaryItemId: '21000001', typeOfUsage: 'patron-card' });
/** Memory no tag decoder reads, and the hex an alarm carries it as. */
const garbageHex = 'FFEEDDCCBBAA99887766554433221100';
const garbage = Uint8Array.from(Buffer.from(garbageHex, 'hex'));

function read(overrides: Partial<GateTagRead>): GateTagRead {
  return {
    uid: 'E004010000000001',
    transponderType: 3,
    memory: item('31000004'),
    blockSize: 4,
    afi: null,
    eas: null,
    antenna: 1,
    rssi: null,
    reads: null,
    time: '2026-12-02T10:00:00.000Z',
    readerTime: null,
    source: 'notification',
    ...overrides,
  };
}

function alarms(
  policy: Record<string, unknown> = {},
  directions?: { in: number[]; out: number[] },
  everyTagReported = false,
) {
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 10));
  return {
    clock,
    gate: new GateAlarms(gateAlarmPolicySchema.parse(policy), clock, directions, everyTagReported),
  };
}

describe('the alarm decision at a gate', () => {
  it('names the item a secured tag carries, from its ISO 28560 data', () => {
    const { gate } = alarms();
    expect(gate.consider(read({ afi: 0x07 }))).toMatchObject({
      uid: 'E004010000000001',
      item: { id: '31000004', format: '28560-3' },
      memoryHex: null,
      reason: 'afi',
      afi: 0x07,
    });
  });

  it("never alarms for an item whose AFI says it is lent, with the site's own values", () => {
    expect(alarms().gate.consider(read({ afi: 0xc2 }))).toBeUndefined();
    // A site whose "secured" value is not 0x07: 0x07 means nothing there.
    const site = alarms({ securedAfi: 0x9a }).gate;
    expect(site.consider(read({ afi: 0x07, uid: 'E004010000000002' }))).toBeUndefined();
    expect(site.consider(read({ afi: 0x9a, uid: 'E004010000000003' }))).toMatchObject({ reason: 'afi' });
  });

  it('alarms by the EAS bit when the policy says so', () => {
    const { gate } = alarms({ method: 'eas' });
    expect(gate.consider(read({ afi: 0x07, eas: false }))).toBeUndefined();
    expect(gate.consider(read({ uid: 'E004010000000009', eas: true }))).toMatchObject({ reason: 'eas' });
  });

  it("trusts the gate's own filter when the read carries no AFI or EAS (FEIG notification mode)", () => {
    expect(alarms().gate.consider(read({}))).toMatchObject({ reason: 'reported', item: { id: '31000004' } });
  });

  it('never alarms for a patron card, and never names one', () => {
    const { gate } = alarms();
    expect(gate.consider(read({ memory: patronCard }))).toBeUndefined();
    expect(gate.consider(read({ memory: patronCard, afi: 0x07 }))).toBeUndefined();
  });

  it('never alarms for what the library lists as not an item, by barcode or by UID', () => {
    const { gate } = alarms({ ignore: ['31000004', 'e0040100000000ff'] });
    expect(gate.consider(read({ afi: 0x07 }))).toBeUndefined();
    expect(
      gate.consider(read({ uid: 'E0040100000000FF', memory: item('31000005'), afi: 0x07 })),
    ).toBeUndefined();
    expect(
      gate.consider(read({ uid: 'E004010000000010', memory: item('31000005'), afi: 0x07 })),
    ).toBeDefined();
  });

  it('still alarms for a tag it cannot read, with its UID and raw memory', () => {
    expect(alarms().gate.consider(read({ memory: garbage, afi: 0x07 }))).toMatchObject({
      item: null,
      memoryHex: garbageHex,
      uid: 'E004010000000001',
    });
  });

  it('makes one alarm of one passage: the same tag again within the repeat window is not another', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    expect(gate.consider(read({}))).toBeDefined();
    for (let i = 0; i < 20; i++) expect(gate.consider(read({}))).toBeUndefined();
    await clock.advance(2999);
    expect(gate.consider(read({}))).toBeUndefined();
    // Read 2999 ms ago: still the same passage; 3 s without a read, and the next one is another.
    await clock.advance(2999);
    expect(gate.consider(read({}))).toBeUndefined();
    await clock.advance(3000);
    expect(gate.consider(read({}))).toBeDefined();
    // Another tag in the same window is its own alarm.
    expect(gate.consider(read({ uid: 'E004010000000002' }))).toBeDefined();
  });

  it('gives each alarm an id of its own, a UUID staff acknowledge it by — settled or not between reads', () => {
    const { gate } = alarms({ repeatSeconds: 3 });
    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const alarm = gate.consider(read({ uid: `E00401000000000${n}` })) as { id: string };
      ids.push(alarm.id);
      // The alarm flow settles after each read; a caller that does not is settled by the next read.
      if (n % 2 === 0) gate.settle();
    }
    expect(new Set(ids).size).toBe(6);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('makes one alarm of a patron standing in the gate: each read keeps the passage going', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    expect(gate.consider(read({}))).toBeDefined();
    // A minute standing there, read every 100 ms: no other alarm.
    for (let i = 0; i < 600; i++) {
      await clock.advance(100);
      expect(gate.consider(read({}))).toBeUndefined();
    }
    // She leaves; carried out again later, it is another passage.
    await clock.advance(60_000);
    expect(gate.consider(read({}))).toBeDefined();
  });

  it('measures the repeat window in time passed, whatever NTP does to the wall clock', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    const tag = (n: number) => read({ uid: `E0040100000000${String(n).padStart(2, '0')}`, afi: 0x07 });
    expect(gate.consider(tag(1))).toBeDefined();
    // The desk's clock stepped an hour back: the book carried out again a minute later is a new
    // passage, and must alarm, not be taken for a repeat for the next hour.
    clock.stepWallClock(-3_600_000);
    await clock.advance(60_000);
    expect(gate.consider(tag(1))).toBeDefined();
    // Stepped an hour forward: the same passage read again a second later is still one alarm.
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    expect(gate.consider(tag(1))).toBeUndefined();
    expect(gate.consider(tag(2))).toBeDefined();
    clock.stepWallClock(3_600_000);
    await clock.advance(1_000);
    expect(gate.consider(tag(2))).toBeUndefined();
  });

  it('forgets a tag once its window has closed, and still knows the tags within theirs', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    const tag = (n: number) => read({ uid: `E0040100000000${String(n).padStart(2, '0')}`, afi: 0x07 });
    expect(gate.consider(tag(1))).toBeDefined();
    await clock.advance(2000);
    expect(gate.consider(tag(2))).toBeDefined();
    await clock.advance(1500);
    // Tag 1's window closed 500 ms ago: a new passage; tag 2's is still open (read 1.5 s ago).
    expect(gate.consider(tag(1))).toBeDefined();
    expect(gate.consider(tag(2))).toBeUndefined();
    expect(gate.consider(tag(1))).toBeUndefined();
    await clock.advance(3000);
    // Neither read for 3 s: both new passages.
    expect(gate.consider(tag(2))).toBeDefined();
    expect(gate.consider(tag(1))).toBeDefined();
    await clock.advance(2000);
    expect(gate.consider(tag(2))).toBeUndefined();
  });

  it('tells the passages of a tag that sends no UID by its memory', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    const first = gate.consider(read({ uid: null, memory: garbage, afi: 0x07 }));
    expect(first).toMatchObject({ uid: null, item: null, memoryHex: garbageHex });
    expect(gate.consider(read({ uid: null, memory: Uint8Array.from(garbage), afi: 0x07 }))).toBeUndefined();
    // Another tag without a UID is another passage.
    expect(gate.consider(read({ uid: null, memory: item('31000007'), afi: 0x07 }))).toBeDefined();
    await clock.advance(3000);
    expect(gate.consider(read({ uid: null, memory: garbage, afi: 0x07 }))).toBeDefined();
  });

  it('says which way the person went when the antennas tell, and null when they do not', () => {
    const { gate } = alarms({}, { in: [1], out: [2] });
    expect(gate.consider(read({ antenna: 2 }))).toMatchObject({ direction: 'out', ils: null });
    expect(gate.consider(read({ uid: 'E004010000000002', antenna: 1 }))).toMatchObject({ direction: 'in' });
    expect(gate.consider(read({ uid: 'E004010000000003', antenna: 7 }))).toMatchObject({ direction: null });
    expect(alarms().gate.consider(read({ antenna: 2 }))).toMatchObject({ direction: null });
  });
});

describe('the alarm decision with the ILS', () => {
  it('ils: asks about the item, to alarm unless it is charged, and falls back on the AFI', () => {
    const { gate } = alarms({ method: 'ils' });
    const question = gate.consider(read({ afi: 0x07 }));
    expect(question).toMatchObject({
      ask: '31000004',
      ifNotCharged: { reason: 'ils', ils: 'not_charged', item: { id: '31000004' } },
      fallback: { reason: 'afi', ils: 'unanswered' },
    });
    // One alarm, one id, whichever way the ILS answers.
    const { ifNotCharged, fallback } = question as IlsQuestion;
    expect(fallback?.id).toBe(ifNotCharged.id);
  });

  it('ils: an item whose AFI says lent does not alarm when the ILS cannot say', () => {
    const question = alarms({ method: 'ils' }).gate.consider(read({ afi: 0xc2 })) as IlsQuestion;
    expect(question.ask).toBe('31000004');
    expect(question.fallback).toBeUndefined();
  });

  it('ils: a tag that names no item cannot be asked about: its AFI (or the gate) decides, and says so', () => {
    const { gate } = alarms({ method: 'ils' });
    expect(gate.consider(read({ memory: garbage, afi: 0x07 }))).toMatchObject({
      reason: 'afi',
      ils: 'no_item',
      memoryHex: garbageHex,
    });
    expect(gate.consider(read({ uid: 'E004010000000002', memory: garbage, afi: 0xc2 }))).toBeUndefined();
  });

  it('afi-or-ils: a secured AFI alarms at once, never waiting; a lent one is asked about', () => {
    const { gate } = alarms({ method: 'afi-or-ils' });
    const now = gate.consider(read({ afi: 0x07 }));
    expect(now).toMatchObject({ reason: 'afi', ils: null });
    expect(now && isIlsQuestion(now)).toBe(false);
    const asked = gate.consider(read({ uid: 'E004010000000002', afi: 0xc2 }));
    expect(asked).toMatchObject({ ask: '31000004', fallback: undefined });
  });

  it('afi-or-ils at a gate that reports every tag: a tag it reports is asked about, the ILS silent it alarms', () => {
    const { gate } = alarms({ method: 'afi-or-ils' }, undefined, true);
    // A FEIG notification: no AFI, no EAS bit — reported because the gate reports every tag.
    const asked = gate.consider(read({}));
    expect(asked).toMatchObject({
      ask: '31000004',
      ifNotCharged: { reason: 'ils', ils: 'not_charged' },
      fallback: { reason: 'reported', ils: 'unanswered' },
    });
    // An AFI read with the tag still decides at once.
    expect(gate.consider(read({ uid: 'E004010000000002', afi: 0x07 }))).toMatchObject({
      reason: 'afi',
      ils: null,
    });
  });

  it('asks once per passage, and never about a patron card', async () => {
    const { gate, clock } = alarms({ method: 'ils', repeatSeconds: 3 });
    expect(gate.consider(read({}))).toMatchObject({ ask: '31000004' });
    expect(gate.consider(read({}))).toBeUndefined();
    await clock.advance(3000);
    expect(gate.consider(read({}))).toMatchObject({ ask: '31000004' });
    expect(gate.consider(read({ uid: 'E0040100000000C1', memory: patronCard }))).toBeUndefined();
  });
});
