import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { GateTagRead } from '../../../src/devices/gate/index.js';
import { GateAlarms } from '../../../src/gateway/families/gate/alarms.js';
import { gateAlarmPolicySchema } from '../../../src/gateway/families/gate/config.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';

/** The alarm decision at a gate, from what a read says; time in hand. */
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
const item = (id: string) => hex(encodeIso28560Part3({ primaryItemId: id, ownerLibrary: 'SE-RPL' }));
const patronCard = hex(encodeIso28560Part3({ primaryItemId: '21000001', typeOfUsage: 'patron-card' }));

function read(overrides: Partial<GateTagRead>): GateTagRead {
  return {
    uid: 'E004010000000001',
    transponderType: 3,
    memoryHex: item('31000004'),
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

function alarms(policy: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 10));
  return { clock, gate: new GateAlarms(gateAlarmPolicySchema.parse(policy), clock) };
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
    expect(gate.consider(read({ memoryHex: patronCard }))).toBeUndefined();
    expect(gate.consider(read({ memoryHex: patronCard, afi: 0x07 }))).toBeUndefined();
  });

  it('never alarms for what the library lists as not an item, by barcode or by UID', () => {
    const { gate } = alarms({ ignore: ['31000004', 'e0040100000000ff'] });
    expect(gate.consider(read({ afi: 0x07 }))).toBeUndefined();
    expect(
      gate.consider(read({ uid: 'E0040100000000FF', memoryHex: item('31000005'), afi: 0x07 })),
    ).toBeUndefined();
    expect(
      gate.consider(read({ uid: 'E004010000000010', memoryHex: item('31000005'), afi: 0x07 })),
    ).toBeDefined();
  });

  it('still alarms for a tag it cannot read, with its UID and raw memory', () => {
    const garbage = 'FFEEDDCCBBAA99887766554433221100';
    expect(alarms().gate.consider(read({ memoryHex: garbage, afi: 0x07 }))).toMatchObject({
      item: null,
      memoryHex: garbage,
      uid: 'E004010000000001',
    });
  });

  it('makes one alarm of one passage: the same tag again within the repeat window is not another', async () => {
    const { gate, clock } = alarms({ repeatSeconds: 3 });
    expect(gate.consider(read({}))).toBeDefined();
    for (let i = 0; i < 20; i++) expect(gate.consider(read({}))).toBeUndefined();
    await clock.advance(2999);
    expect(gate.consider(read({}))).toBeUndefined();
    await clock.advance(1);
    expect(gate.consider(read({}))).toBeDefined();
    // Another tag in the same window is its own alarm.
    expect(gate.consider(read({ uid: 'E004010000000002' }))).toBeDefined();
  });
});
