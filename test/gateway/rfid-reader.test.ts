import { afterEach, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { publicRfidEvent, tagsWithoutPatronIds } from '../../src/api/families/rfid-reader.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { DeviceEvent } from '../../src/devices/device-state.js';
import { DeviceRegistry } from '../../src/gateway/devices/registry.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import {
  encodeItem,
  type RfidReaderConfig,
  rfidReaderSchema,
  rfidReaders,
} from '../../src/gateway/families/rfid-reader/index.js';
import type { FamilyContext } from '../../src/gateway/family.js';
import { decodeItemTag, encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { until } from '../helpers/until.js';

/** What the family's factory is given on a desk, with the pad simulator's address. */
function context(bus: EventBus, simulators: FamilyContext['simulators']): FamilyContext {
  return {
    bus,
    clock: systemClock,
    logger: silentLogger(),
    database: () => {
      throw new Error('no database here');
    },
    simulators,
    devices: new DeviceRegistry([]),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PATRON_ID = '23000000099999';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

async function running(
  sim: RfidPadSimulator,
  transport: RfidReaderConfig['transport'],
  protocol: 'feig' | '3m',
) {
  const bus = new EventBus();
  const events: DeviceEvent[] = [];
  bus.on('device.event', events, (event) => events.push(event));
  const config = rfidReaderSchema.parse({
    id: 'pad-1',
    kind: 'rfid-reader',
    protocol,
    transport,
    inventoryIntervalMs: 20,
  });
  const entry = await rfidReaders.create(
    config,
    context(bus, () => ({ host: '127.0.0.1', port: sim.tcpPort! })),
  );
  await entry.start();
  cleanups.push(() => entry.stop());
  await until(() => (entry.state().status === 'online' ? true : undefined));
  const event = (type: string, uid: string) =>
    until(() => events.find((e) => e.type === `rfid.${type}` && e.data.uid === uid));
  return { entry, events, event };
}

async function feigPad(): Promise<RfidPadSimulator> {
  const sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
  cleanups.push(() => sim.close());
  return sim;
}

describe('RfidReaderEntry', () => {
  it('runs a FEIG pad from its config and puts its events on the bus as rfid.*', async () => {
    const sim = await feigPad();
    const { entry, event } = await running(sim, { type: 'simulator', simulator: 'pad-sim' }, 'feig');
    expect(entry.state()).toMatchObject({ device: 'pad-1', kind: 'rfid-reader', status: 'online' });
    const { uid } = sim.place({ preset: 'V5' });
    const arrived = await event('tag_arrived', uid);
    expect(arrived).toMatchObject({
      device: 'pad-1',
      data: { item: { format: '28560-2', isil: 'US-InU-Mu' } },
    });
    expect(entry.port.tags().tags).toHaveLength(1);
    // V5 is part 3 of a set of 12
    expect(entry.port.tags().incompleteSets).toMatchObject([{ primaryItemId: '123456789012', parts: 12 }]);
    await expect(entry.port.setSecurity(uid, false)).resolves.toEqual({
      uid,
      secured: false,
      status: 'done',
    });
    expect(sim.field.tag(uid)!.afi).toBe(0xc2);
  });

  it('gives the gateway the patron card whole, and the API edge keeps its id out of every event', async () => {
    const sim = await feigPad();
    const { entry, events, event } = await running(sim, { type: 'simulator', simulator: 'pad-sim' }, 'feig');
    const card = encodeIso28560Part3({
      primaryItemId: PATRON_ID,
      typeOfUsage: 'patron-card',
      set: { part: 1, parts: 2 },
    });
    const { uid } = sim.place({ memoryHex: hex(card), dsfid: 0x3e });
    // Inside the gateway (a session logging a patron in by card), the event is whole.
    const arrived = await event('tag_arrived', uid);
    expect(arrived.data.item).toMatchObject({ primaryItemId: PATRON_ID, typeOfUsage: 'patron-card' });
    // What leaves the gateway is not.
    expect(publicRfidEvent(arrived).data.item).toEqual({ format: '28560-3', typeOfUsage: 'patron-card' });
    expect(entry.port.tags().tags[0]!.item).toMatchObject({ primaryItemId: PATRON_ID });
    expect(tagsWithoutPatronIds(entry.port.tags())).toEqual({
      tags: [expect.objectContaining({ uid, item: { format: '28560-3', typeOfUsage: 'patron-card' } })],
      incompleteSets: [],
    });
    sim.remove(uid);
    const left = await event('tag_left', uid);
    expect(left.data).toEqual({ uid, primaryItemId: PATRON_ID, typeOfUsage: 'patron-card' });
    expect(publicRfidEvent(left).data).toEqual({ uid, primaryItemId: null, typeOfUsage: 'patron-card' });
    // A patron card is never part of a set: no set event names it.
    expect(events.filter((e) => e.type.startsWith('rfid.set_'))).toEqual([]);
    expect(JSON.stringify(events.map(publicRfidEvent))).not.toContain(PATRON_ID);
  });

  it('is unavailable while the reader is not connected, and says so', async () => {
    const sim = await feigPad();
    const port = sim.tcpPort!;
    await sim.close();
    const bus = new EventBus();
    const entry = await rfidReaders.create(
      rfidReaderSchema.parse({
        id: 'pad-2',
        kind: 'rfid-reader',
        protocol: 'feig',
        transport: { type: 'tcp', host: '127.0.0.1', port },
      }),
      context(bus, () => {
        throw new Error('no simulators here');
      }),
    );
    expect(() => entry.port.tags()).toThrow(expect.objectContaining({ code: 'unavailable' }));
    await entry.start();
    cleanups.push(() => entry.stop());
    await until(() => (entry.state().lastError ? true : undefined));
    expect(entry.state().status).toBe('offline');
    expect(() => entry.port.tags()).toThrow(expect.objectContaining({ code: 'unavailable' }));
    await expect(entry.port.setSecurity('E004010000000001', true)).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('runs a 3M pad over a serial line (pty)', async () => {
    const sim = await startRfidPadSimulator({ protocol: '3m', pty: true, tags: [{ preset: 'V1' }] });
    cleanups.push(() => sim.close());
    const { entry } = await running(
      sim,
      {
        type: 'serial',
        path: sim.ptyPath!,
        baudRate: 19200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        rtscts: false,
      },
      '3m',
    );
    const [tag] = await until(() => (entry.port.tags().tags.length > 0 ? entry.port.tags().tags : undefined));
    expect(tag!.item).toMatchObject({ format: '28560-3', primaryItemId: '1000000056', isil: 'DK-718500' });
  });
});

describe('tag data for the desk', () => {
  it('decodes type of usage, ISIL and warnings besides the item', () => {
    const memory = encodeIso28560Part3({
      primaryItemId: '42',
      ownerLibrary: 'DE-705',
      typeOfUsage: 'discarded',
    });
    memory[19] = memory[19]! ^ 0xff; // break the CRC: still read, with a warning
    expect(decodeItemTag(memory, {})).toEqual({
      format: '28560-3',
      byteOrder: 'logical',
      primaryItemId: '42',
      set: { part: 1, parts: 1 },
      typeOfUsage: 'discarded',
      ownerLibrary: 'DE705',
      isil: 'DE-705',
      crc: 'invalid',
      warnings: ['crc_mismatch'],
    });
    expect(decodeItemTag(Uint8Array.of(0x99, 0x12), {})).toEqual({ error: 'rfid_unknown_format' });
    // an ISO 28560-2 item on a tag whose DSFID still says ISO 28560-3
    const part2 = encodeItem({ format: '28560-2', primaryItemId: '77' }, { blockSize: 4, blockCount: 28 });
    expect(decodeItemTag(part2, { dsfid: 0x3e })).toMatchObject({ format: '28560-2', primaryItemId: '77' });
    // an ISO 28560-3 item whose data was damaged (a digit of its barcode changed, its CRC the old
    // one), its DSFID saying ISO 28560-3: read as what it is, CRC invalid — not as ISO 28560-2
    // garbage (item "1"), which the same bytes also parse as
    const damaged = new Uint8Array(64); // as a pad reads a tag of 16 blocks
    damaged.set(encodeIso28560Part3({ primaryItemId: '31000004', ownerLibrary: 'SE-RPL' }));
    damaged[10] = 0x35;
    expect(decodeItemTag(damaged, { dsfid: 0x3e })).toMatchObject({
      format: '28560-3',
      primaryItemId: '31000005',
      crc: 'invalid',
      isil: 'SE-RPL',
    });
  });

  it('encodes to the size of the tag, zeroing what was there, and fits a 32-byte tag', () => {
    const memory = encodeItem(
      { format: '28560-3', primaryItemId: '11223344', isil: 'DE-705' },
      { blockSize: 4, blockCount: 28 },
    );
    expect(memory).toHaveLength(112);
    expect(memory.subarray(34).every((b) => b === 0)).toBe(true);
    const small = encodeItem(
      { format: '28560-3', primaryItemId: '11223344', isil: 'DE-705' },
      { blockSize: 4, blockCount: 8 },
    );
    // reference vector V3
    expect(hex(small)).toBe(
      '11 01 01 31 31 32 32 33 33 34 34 00 00 00 00 00 00 00 00 51 3E 44 45 37 30 35 00 00 00 00 00 00'
        .replace(/ /g, '')
        .toLowerCase(),
    );
    const part2 = encodeItem(
      { format: '28560-2', primaryItemId: '123', typeOfUsage: 'patron-card' },
      { blockSize: 4, blockCount: 28 },
    );
    expect(decodeItemTag(part2, { dsfid: 6 })).toMatchObject({
      format: '28560-2',
      primaryItemId: '123',
      typeOfUsage: 'patron-card',
    });
    expect(() =>
      encodeItem({ format: '28560-3', primaryItemId: 'x'.repeat(20) }, { blockSize: 4, blockCount: 8 }),
    ).toThrow(expect.objectContaining({ code: 'rfid_value_too_long' }));
  });
});
