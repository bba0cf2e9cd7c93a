import { afterEach, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../../simulators/rfid-pad/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { ReaderGate, type ReaderGateOptions } from '../../../src/devices/gate/index.js';
import { FeigReader } from '../../../src/devices/rfid/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { decodeItemTag } from '../../../src/protocols/rfid/index.js';
import type { GateEvent } from './gate-rig.js';

const POLL = { timeout: 5000, interval: 20 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function readerGate(presence: ReaderGateOptions['presence']) {
  const sim: RfidPadSimulator = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0, tags: [] });
  cleanups.push(() => sim.close());
  const reader = new FeigReader({
    transport: new TcpTransport({ host: '127.0.0.1', port: sim.tcpPort! }),
    clock: systemClock,
  });
  const gate = new ReaderGate({
    id: 'door',
    reader,
    clock: systemClock,
    logger: silentLogger(),
    inventoryIntervalMs: 20,
    ...(presence ? { presence } : {}),
  });
  const events: GateEvent[] = [];
  const disconnects: Error[] = [];
  gate.on('event', (type, data) => events.push({ type, data }));
  gate.on('disconnected', (error) => disconnects.push(error));
  cleanups.push(() => gate.disconnect());
  await gate.connect();
  return { sim, gate, events, disconnects };
}

describe('ReaderGate: an RFID reader at a doorway, through the presence debouncer', () => {
  it('reports a tag once it is stable, with its AFI and memory, and gone when it has left', async () => {
    const { sim, events } = await readerGate({ stableReads: 3, stableMs: 100, goneMs: 300 });
    const tag = sim.place({ item: { id: '31000004' } });
    await expect.poll(() => events.filter((e) => e.type === 'tag_read').length, POLL).toBe(1);
    const read = events.find((e) => e.type === 'tag_read')!.data;
    expect(read).toMatchObject({ uid: tag.uid, afi: 0x07, blockSize: 4, source: 'inventory' });
    expect(Number(read.reads)).toBeGreaterThanOrEqual(3);
    expect(decodeItemTag(read.memory as Uint8Array, {})).toMatchObject({
      primaryItemId: '31000004',
    });
    sim.remove(tag.uid);
    await expect
      .poll(() => events.filter((e) => e.type === 'tag_gone').map((e) => e.data.uid), POLL)
      .toEqual([tag.uid]);
    expect(events.filter((e) => e.type === 'tag_read')).toHaveLength(1);
  });

  it('ignores a tag that is only in the field for a moment', async () => {
    const { sim, gate, events } = await readerGate({ stableReads: 3, stableMs: 60_000, goneMs: 200 });
    const tag = sim.place({ item: { id: '31000005' } });
    await expect.poll(() => gate.condition().detail.tagsInField, POLL).toBe(1);
    sim.remove(tag.uid);
    await expect.poll(() => gate.condition().detail.tagsInField, POLL).toBe(0);
    expect(events).toEqual([]);
  });

  it('says disconnected once when the reader goes away', async () => {
    const { sim, disconnects } = await readerGate(undefined);
    await sim.close();
    await expect.poll(() => disconnects.length, POLL).toBe(1);
  });
});
