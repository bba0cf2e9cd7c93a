import { afterEach, describe, expect, it } from 'vitest';
import {
  type RfidPadSimulator,
  startRfidPadSimulator,
  type TagSpec,
} from '../../../simulators/rfid-pad/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FeigReader, RfidPadDevice, ThreeMReader } from '../../../src/devices/rfid/index.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { recordEvents } from './pad-events.js';

const V1_UID = 'E004010000000001';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function feigOverTcp(
  tags: TagSpec[] = [{ uid: V1_UID, preset: 'V1' }],
): Promise<{ sim: RfidPadSimulator; reader: FeigReader }> {
  const sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0, tags });
  cleanups.push(() => sim.close());
  const reader = new FeigReader({
    transport: new TcpTransport({ host: '127.0.0.1', port: sim.tcpPort! }),
    clock: systemClock,
  });
  cleanups.push(() => reader.close());
  return { sim, reader };
}

describe('FeigReader against the simulated pad over TCP', () => {
  it('inventories, reads system info and memory, writes and verifies', async () => {
    const { reader, sim } = await feigOverTcp([
      { uid: V1_UID, preset: 'V1' },
      { uid: 'E004010000000002', preset: 'blank', afi: 0xc2 },
    ]);
    expect((await reader.open()).firmware).toBe('3.4.0');
    const tags = await reader.inventory();
    expect(tags.map((t) => t.uid).sort()).toEqual([V1_UID, 'E004010000000002']);
    expect((await reader.inventory(0xc2)).map((t) => t.uid)).toEqual(['E004010000000002']);
    const info = await reader.systemInfo(V1_UID);
    expect(info).toMatchObject({ uid: V1_UID, afi: 0x07, dsfid: 0x3e, blockSize: 4, blockCount: 28 });
    const memory = await reader.readBlocks(V1_UID, 0, 9);
    expect(Buffer.from(memory.subarray(0, 4)).toString('hex')).toBe('11010131');
    await reader.writeBlocks('E004010000000002', 1, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(Buffer.from(await reader.readBlocks('E004010000000002', 0, 3)).toString('hex')).toBe(
      '000000000102030405060708',
    );
    await reader.writeAfi(V1_UID, 0xc2);
    expect(await reader.readAfi(V1_UID)).toBe(0xc2);
    await reader.setEas(V1_UID);
    expect(await reader.easAlarm(V1_UID)).toBe(true);
    await reader.resetEas(V1_UID);
    expect(await reader.easAlarm(V1_UID)).toBe(false);
    sim.remove(V1_UID);
    await expect(reader.systemInfo(V1_UID)).rejects.toMatchObject({ code: 'rfid_no_transponder' });
    await reader.lockBlocks('E004010000000002', 0, 1);
    await expect(reader.writeBlocks('E004010000000002', 0, new Uint8Array(4))).rejects.toMatchObject({
      code: 'rfid_write_protect',
      isoErrorCode: 0x12,
    });
  });

  it('retries a corrupt reply and gets through a noisy line', async () => {
    const { reader, sim } = await feigOverTcp();
    await reader.open();
    sim.setFaults({ crcErrorRate: 0.3 });
    for (let i = 0; i < 10; i++) {
      const info = await reader.systemInfo(V1_UID).catch((error: { code: string }) => error.code);
      expect(typeof info === 'string' ? info : info.uid).toMatch(/feig_crc|E004010000000001/);
    }
    expect(reader.frameErrors).toBeGreaterThan(0);
  });

  it('reads a stack of 30 tags (inventory in more-data chunks)', async () => {
    const tags = Array.from({ length: 30 }, (_, i) => ({
      uid: `E0040100000010${i.toString(16).padStart(2, '0').toUpperCase()}`,
      preset: 'V3' as const,
    }));
    const { reader } = await feigOverTcp(tags);
    const pad = new RfidPadDevice({
      id: 'pad',
      reader,
      clock: systemClock,
      logger: silentLogger(),
      inventoryIntervalMs: 10,
    });
    cleanups.push(() => pad.disconnect());
    const recorder = recordEvents(pad);
    await pad.connect();
    const arrived = await recorder.waitFor('tag_arrived', () => true, 30);
    expect(new Set(arrived.map((e) => e.data.uid)).size).toBe(30);
    expect(
      arrived.every((e) => (e.data.item as { primaryItemId: string }).primaryItemId === '11223344'),
    ).toBe(true);
    expect(pad.tags()).toHaveLength(30);
  });
});

describe('the pad over a real pty', () => {
  it('FEIG at 38400: decodes V1, V2, V3 and V5 and reports a blank tag', async () => {
    const sim = await startRfidPadSimulator({
      protocol: 'feig',
      pty: true,
      tags: [{ preset: 'V1' }, { preset: 'V2' }, { preset: 'V3' }, { preset: 'V5' }, { preset: 'blank' }],
    });
    cleanups.push(() => sim.close());
    const reader = new FeigReader({
      transport: new SerialTransport({ path: sim.ptyPath!, baudRate: 38400, parity: 'even' }),
      clock: systemClock,
    });
    const pad = new RfidPadDevice({
      id: 'pad',
      reader,
      clock: systemClock,
      logger: silentLogger(),
      inventoryIntervalMs: 20,
    });
    cleanups.push(() => pad.disconnect());
    const recorder = recordEvents(pad);
    await pad.connect();
    const arrived = await recorder.waitFor('tag_arrived', () => true, 5);
    const items = arrived.map((e) => e.data.item as { format: string; primaryItemId: string; set?: unknown });
    expect(items.map((i) => `${i.format}:${i.primaryItemId}`).sort()).toEqual([
      '28560-2:123456789012',
      '28560-3:1000000056',
      '28560-3:1000000136',
      '28560-3:11223344',
      'blank:',
    ]);
    // V5 is part 3 of a 12-part set: the pad reports the set incomplete.
    const [incomplete] = await recorder.waitFor('set_incomplete');
    expect(incomplete?.data).toMatchObject({ primaryItemId: '123456789012', parts: 12, present: [3] });
  });

  it('3M at 19200: probes, reads and secures by AFI', async () => {
    const sim = await startRfidPadSimulator({
      protocol: '3m',
      pty: true,
      tags: [{ uid: V1_UID, preset: 'V1' }],
    });
    cleanups.push(() => sim.close());
    const reader = new ThreeMReader({
      transport: new SerialTransport({ path: sim.ptyPath!, baudRate: 19200 }),
      clock: systemClock,
    });
    const pad = new RfidPadDevice({
      id: 'pad',
      reader,
      clock: systemClock,
      logger: silentLogger(),
      inventoryIntervalMs: 20,
    });
    cleanups.push(() => pad.disconnect());
    const recorder = recordEvents(pad);
    await pad.connect();
    expect(pad.condition().detail.firmware).toBe('0A.05.00.02');
    const [arrived] = await recorder.waitFor('tag_arrived');
    expect(arrived?.data).toMatchObject({
      uid: V1_UID,
      secured: true,
      item: { primaryItemId: '1000000056' },
    });
    expect(await pad.setSecurity(V1_UID, false)).toEqual({ uid: V1_UID, secured: false, status: 'done' });
    expect(sim.field.tag(V1_UID)?.afi).toBe(0xc2);
    await expect(reader.easAlarm()).rejects.toMatchObject({ code: 'rfid_unsupported' });
  });
});
