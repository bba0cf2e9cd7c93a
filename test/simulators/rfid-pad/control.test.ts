import { afterEach, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../../simulators/rfid-pad/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { FeigReader, type RfidReader, ThreeMReader } from '../../../src/devices/rfid/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { decodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';

let sim: RfidPadSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sim!.httpUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('rfid pad control API', () => {
  it('places, lists, moves and removes tags, and sets faults', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    expect(sim.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const placed = await call('POST', '/api/tags', { uid: 'E004010000000009', preset: 'V3', afi: 0xc2 });
    expect(placed).toMatchObject({ status: 201, body: { uid: 'E004010000000009', afi: 0xc2, onPad: true } });
    expect(String(placed.body.memoryHex).slice(0, 8)).toBe('11010131');
    expect((await call('DELETE', '/api/tags/E004010000000009')).status).toBe(200);
    expect((await call('GET', '/api/tags')).body.tags).toMatchObject([
      { uid: 'E004010000000009', onPad: false },
    ]);
    expect((await call('POST', '/api/tags/E004010000000009/move', { onPad: true })).status).toBe(200);
    expect(sim.tags()).toMatchObject([{ onPad: true }]);
    expect((await call('PUT', '/api/faults', { missRate: 0.5 })).body).toEqual({
      crcErrorRate: 0,
      missRate: 0.5,
      leaveDuringWriteRate: 0,
    });
  });

  it('changes a tag it holds when one is placed with its uid: what the body gives, the rest kept (200)', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    const uid = 'E004010000000009';
    const placed = await call('POST', '/api/tags', { uid, preset: 'V1' });
    expect(placed).toMatchObject({ status: 201, body: { uid, afi: 0x07, eas: false, unreadable: false } });
    const memory = placed.body.memoryHex;

    // Damaged, unsecured and alarming by EAS: its memory as it was.
    const changed = await call('POST', '/api/tags', { uid, unreadable: true, afi: 0xc2, eas: true });
    expect(changed).toMatchObject({
      status: 200,
      body: { uid, onPad: true, afi: 0xc2, eas: true, unreadable: true, memoryHex: memory },
    });
    expect((await call('GET', '/api/tags')).body.tags).toEqual([changed.body]);
    const reader = new FeigReader({
      transport: new TcpTransport({ host: '127.0.0.1', port: sim.tcpPort! }),
      clock: systemClock,
    });
    await reader.open();
    try {
      expect((await reader.systemInfo(uid)).afi).toBe(0xc2);
      expect(await reader.easAlarm(uid)).toBe(true);
      await expect(reader.readBlocks(uid, 0, 4)).rejects.toMatchObject({ code: 'rfid_iso_error' });
    } finally {
      await reader.close();
    }

    // Re-tagged as a sample-library item on loan: its memory, AFI and EAS bit by the item, still damaged.
    const retagged = await call('POST', '/api/tags', { uid, item: { id: '31000004', secured: false } });
    expect(retagged).toMatchObject({
      status: 200,
      body: { afi: 0xc2, eas: false, dsfid: 0x3e, unreadable: true },
    });
    expect(decoded(retagged.body.memoryHex).primaryItemId).toBe('31000004');

    // A refused change changes nothing.
    const refused = await call('POST', '/api/tags', { uid, item: { id: '31000005' }, afi: 0x07 });
    expect(refused.status).toBe(400);
    expect((await call('GET', '/api/tags')).body.tags).toEqual([retagged.body]);

    // Taken off and placed again by its uid alone: back as it was.
    expect((await call('DELETE', `/api/tags/${uid}`)).status).toBe(200);
    expect(await call('POST', '/api/tags', { uid })).toEqual({ status: 200, body: retagged.body });
  });

  it('rejects bad input with 400 and unknown tags with 404', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    expect((await call('POST', '/api/tags', { preset: 'V9' })).status).toBe(400);
    expect((await call('POST', '/api/tags', { memoryHex: 'ABC' })).status).toBe(400);
    expect((await call('PUT', '/api/faults', { missRate: 2 })).status).toBe(400);
    expect((await call('DELETE', '/api/tags/E004010000000001')).status).toBe(404);
  });

  it('refuses a uid no ISO 15693 tag has (its first byte is always E0), saying so: Carrel could list it but act on it never', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    for (const uid of ['0004010000000005', 'XYZ']) {
      const refused = await call('POST', '/api/tags', { uid, preset: 'V1' });
      expect(refused).toEqual({
        status: 400,
        body: { error: 'uid: an ISO 15693 UID is 16 hex digits beginning E0, e.g. E004010000000001' },
      });
    }
    expect(sim.tags()).toEqual([]);
    expect((await call('POST', '/api/tags', { uid: 'e004010000000005', preset: 'V1' })).status).toBe(201);
  });

  it.each([
    {
      protocol: 'feig' as const,
      reader: (port: number) =>
        new FeigReader({ transport: new TcpTransport({ host: '127.0.0.1', port }), clock: systemClock }),
      // The tag's own ISO 15693 error, passed on by the reader (status 0x95).
      refusal: { code: 'rfid_iso_error', isoErrorCode: 0x0f },
    },
    {
      protocol: '3m' as const,
      reader: (port: number) =>
        new ThreeMReader({ transport: new TcpTransport({ host: '127.0.0.1', port }), clock: systemClock }),
      refusal: { code: 'rfid_no_transponder' },
    },
  ])(
    'places a tag whose memory cannot be read: $protocol answers its inventory and each read of its blocks with an error',
    async ({ protocol, reader: dial, refusal }) => {
      sim = await startRfidPadSimulator({ protocol, tcpPort: 0 });
      const placed = await call('POST', '/api/tags', {
        uid: 'E004010000000009',
        preset: 'V1',
        unreadable: true,
      });
      expect(placed).toMatchObject({ status: 201, body: { unreadable: true } });
      sim.place({ uid: 'E00401000000000A', preset: 'V3' });
      const reader: RfidReader = dial(sim.tcpPort!);
      await reader.open();
      try {
        expect((await reader.inventory()).map((tag) => tag.uid).sort()).toEqual([
          'E004010000000009',
          'E00401000000000A',
        ]);
        await expect(reader.readBlocks('E004010000000009', 0, 4)).rejects.toMatchObject(refusal);
        // Its neighbour reads as ever.
        expect((await reader.readBlocks('E00401000000000A', 0, 1))[0]).toBe(0x11);
      } finally {
        await reader.close();
      }
    },
  );
});

/** The ISO 28560-3 fields of a tag the control API answered with. */
function decoded(memoryHex: unknown) {
  const result = decodeIso28560Part3(Uint8Array.from(Buffer.from(String(memoryHex), 'hex')));
  if (!result.ok) throw new Error(`not an ISO 28560-3 tag: ${result.error.message}`);
  expect(result.crc).toBe('valid');
  return result.fields;
}

describe('placing an item by barcode', () => {
  it('encodes a sample-library item as ISO 28560-3, secured as on the shelf', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    const placed = await call('POST', '/api/tags', { item: { id: '31000004' } });
    // Secured as a gate checks it, by AFI or EAS.
    expect(placed).toMatchObject({ status: 201, body: { onPad: true, afi: 0x07, eas: true, dsfid: 0x3e } });
    expect(decoded(placed.body.memoryHex)).toMatchObject({
      primaryItemId: '31000004',
      isil: 'SE-RPL',
      typeOfUsage: { name: 'circulating' },
      set: { part: 1, parts: 1 },
    });
    expect(sim.tags()).toHaveLength(1);
  });

  it('takes the usage, owner, part of a set and security, and a uid of its own', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    const part = await call('POST', '/api/tags', {
      uid: 'E004010000000777',
      item: { id: '31000013', owner: 'DK-718500', set: { part: 2, parts: 3 }, secured: false },
    });
    expect(part).toMatchObject({ status: 201, body: { uid: 'E004010000000777', afi: 0xc2, eas: false } });
    expect(decoded(part.body.memoryHex)).toMatchObject({
      primaryItemId: '31000013',
      isil: 'DK-718500',
      set: { part: 2, parts: 3 },
    });
    const card = await call('POST', '/api/tags', { item: { id: '21000001', usage: 'patron-card' } });
    expect(decoded(card.body.memoryHex)).toMatchObject({
      primaryItemId: '21000001',
      typeOfUsage: { name: 'patron-card' },
    });
    // The patron carries it through the gates every day: neither AFI nor EAS alarms.
    expect(card.body).toMatchObject({ afi: 0xc2, eas: false });
    // A library whose tags carry no EAS bit: eas says so.
    const afiOnly = await call('POST', '/api/tags', { item: { id: '31000005' }, eas: false });
    expect(afiOnly.body).toMatchObject({ afi: 0x07, eas: false });
  });

  it('answers 400, saying what is wrong, to an item it cannot make', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    const refusals: Array<[unknown, RegExp]> = [
      [{ item: { id: '31000004' }, preset: 'V1' }, /preset: not with item/],
      [{ item: { id: '31000004' }, memoryHex: '1101' }, /memoryHex: not with item/],
      [{ item: { id: '31000004' }, afi: 0x07 }, /afi: not with item .*item\.secured/],
      [{ item: { id: '' } }, /item\.id/],
      [{ item: '31000004' }, /item/],
      [{ item: { id: '31000013', set: { part: 4, parts: 3 } } }, /item\.set: part must be at most parts/],
      [{ item: { id: '31000004', usage: 'reference' } }, /item\.usage/],
      [{ item: { id: '31000004', colour: 'red' } }, /colour/],
      [{ item: { id: '31000004', owner: 'SE-RIVERSIDELIB' } }, /owner library has room for 13 bytes/],
    ];
    for (const [body, message] of refusals) {
      const answer = await call('POST', '/api/tags', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(String(answer.body.error), JSON.stringify(body)).toMatch(message);
    }
    expect(sim.tags()).toEqual([]);
  });

  it('starts with items given as tag specs, and refuses an item together with memory', async () => {
    sim = await startRfidPadSimulator({
      protocol: 'feig',
      tcpPort: 0,
      tags: [{ preset: 'V1' }, { item: { id: '31000005', secured: false } }],
    });
    const [reference, item] = sim.tags();
    expect(String(reference?.memoryHex).slice(0, 8)).toBe('11010131');
    expect(item).toMatchObject({ afi: 0xc2, dsfid: 0x3e });
    expect(decoded(item?.memoryHex).primaryItemId).toBe('31000005');
    expect(() => sim!.place({ item: { id: '31000006' }, memoryHex: '00' })).toThrow(RangeError);
    expect(() => sim!.place({ item: { id: '31000006', set: { part: 0, parts: 1 } } })).toThrow(
      /item: set\.part/,
    );
  });
});
