import { afterEach, describe, expect, it } from 'vitest';
import { rfidPadSimulators } from '../../../simulators/rfid-pad/family.js';
import type { RfidPadSimulator } from '../../../simulators/rfid-pad/index.js';
import { parseConfigText } from '../../../src/app/config.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FeigReader } from '../../../src/devices/rfid/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { decodeTag } from '../../../src/protocols/rfid/index.js';

/**
 * What a developer who lays a simulated pad's tags in a desk's config relies on: each reads, over
 * the pad's real transport (FEIG over TCP, read by Carrel's own FEIG reader), as the real chip it
 * stands for. ISO 28560-1's AFI says which: 0x07 a library item on the shelf (the gates alarm),
 * 0xC2 one lent out, 0x00 a chip as its maker ships it, with no library's application yet.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The pad a config's `simulators[]` entry with these `tags` starts, and a FEIG reader dialled to it. */
async function padFromConfig(tags: string) {
  const config = parseConfigText(
    `version: 1\nsimulators:\n  - { id: pad-sim, kind: rfid-pad, tags: ${tags} }\n`,
    'yaml',
    {},
  );
  const entry = config.simulators[0] as Parameters<typeof rfidPadSimulators.start>[0];
  const running = await rfidPadSimulators.start(entry, silentLogger(), { listening: () => undefined });
  cleanups.push(() => running.close());
  const reader = new FeigReader({
    transport: new TcpTransport({ host: '127.0.0.1', port: running.port! }),
    clock: systemClock,
  });
  cleanups.push(() => reader.close());
  await reader.open();
  return { sim: running.handle as RfidPadSimulator, reader };
}

/** Each tag on the pad as the reader sees it: its AFI, DSFID and what its memory decodes as, in the config's order. */
async function readAll(sim: RfidPadSimulator, reader: FeigReader) {
  const read = [];
  for (const { uid } of sim.tags()) {
    const info = await reader.systemInfo(String(uid));
    const memory = await reader.readBlocks(String(uid), 0, info.blockCount ?? 28);
    read.push({ afi: info.afi, dsfid: info.dsfid, memory, decoded: decodeTag(memory) });
  }
  return read;
}

describe('the simulated pad’s tags read as the real chips they stand for', () => {
  it('the ISO 28560 reference tags are library items on the shelf (AFI 0x07)', async () => {
    const { sim, reader } = await padFromConfig('[V1, V2, V3, V5]');
    const [v1, v2, v3, v5] = await readAll(sim, reader);
    expect(v1).toMatchObject({
      afi: 0x07,
      dsfid: 0x3e,
      decoded: { fields: { primaryItemId: '1000000056' } },
    });
    expect(v2).toMatchObject({
      afi: 0x07,
      dsfid: 0x3e,
      decoded: { fields: { primaryItemId: '1000000136' } },
    });
    expect(v3).toMatchObject({ afi: 0x07, dsfid: 0x3e, decoded: { fields: { primaryItemId: '11223344' } } });
    expect(v5).toMatchObject({
      afi: 0x07,
      dsfid: 0x06,
      decoded: { fields: { primaryItemId: '123456789012' } },
    });
  });

  it('a blank is a chip as its maker ships it: no data and no library security (AFI 0x00)', async () => {
    const { sim, reader } = await padFromConfig('[blank]');
    const [blank] = await readAll(sim, reader);
    expect(blank).toMatchObject({ afi: 0x00, dsfid: 0x00, decoded: { format: 'blank' } });
    expect(blank!.memory.every((byte) => byte === 0)).toBe(true);
    // A gate or a reader inventorying the library's secured items (AFI 0x07) does not see it.
    expect(await reader.inventory(0x07)).toEqual([]);
  });

  it('a library item is secured and a patron card is not, unless the config says', async () => {
    const { sim, reader } = await padFromConfig(
      '[{ item: "31000004" }, { item: "21000001", usage: patron-card }, { item: "21000002", usage: patron-card, secured: true }, { item: "31000005", secured: false }]',
    );
    const [item, card, securedCard, lent] = await readAll(sim, reader);
    expect(item).toMatchObject({
      afi: 0x07,
      decoded: { fields: { primaryItemId: '31000004', typeOfUsage: { name: 'circulating' } } },
    });
    // The patron walks out through the gates with their own card every day.
    expect(card).toMatchObject({
      afi: 0xc2,
      decoded: { fields: { primaryItemId: '21000001', typeOfUsage: { name: 'patron-card' } } },
    });
    expect(securedCard).toMatchObject({
      afi: 0x07,
      decoded: { fields: { typeOfUsage: { name: 'patron-card' } } },
    });
    expect(lent).toMatchObject({ afi: 0xc2 });
  });

  it('an AFI given with a tag placed through the control API is kept, a blank’s too', async () => {
    const { sim, reader } = await padFromConfig('[]');
    const place = async (body: unknown) => {
      const answer = await fetch(`${sim.httpUrl}/api/tags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status).toBe(201);
      return ((await answer.json()) as { uid: string }).uid;
    };
    const shelfBlank = await place({ preset: 'blank', afi: 0x07 });
    const plainBlank = await place({ preset: 'blank' });
    const lentV1 = await place({ preset: 'V1', afi: 0xc2 });
    expect((await reader.systemInfo(shelfBlank)).afi).toBe(0x07);
    expect((await reader.systemInfo(plainBlank)).afi).toBe(0x00);
    expect((await reader.systemInfo(lentV1)).afi).toBe(0xc2);
  });
});
