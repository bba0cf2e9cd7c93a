import { describe, expect, it } from 'vitest';
import { PadField } from '../../../simulators/rfid-pad/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { RfidPadDevice } from '../../../src/devices/rfid/index.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';
import { FieldReader } from './field-reader.js';
import { recordEvents } from './pad-events.js';

const A = 'E004010000000001';
const B = 'E004010000000002';

async function setup(
  options: { leaveAfterMissedRounds?: number; security?: { method: 'afi' | 'eas' | 'afi+eas' } } = {},
) {
  const clock = new ManualClock();
  const field = new PadField();
  const reader = new FieldReader(field);
  const pad = new RfidPadDevice({
    id: 'pad',
    reader,
    clock,
    logger: silentLogger(),
    inventoryIntervalMs: 100,
    leaveAfterMissedRounds: options.leaveAfterMissedRounds ?? 3,
    ...(options.security ? { security: options.security } : {}),
  });
  const recorder = recordEvents(pad);
  await pad.connect();
  /** Runs `n` inventory rounds. */
  const rounds = async (n: number) => {
    for (let i = 0; i < n; i++) await clock.advance(100);
  };
  return {
    clock,
    field,
    reader,
    pad,
    recorder,
    rounds,
    types: () => recorder.events.map((e) => `${e.type} ${e.data.uid ?? e.data.primaryItemId}`),
  };
}

describe('RfidPadDevice arrival and departure', () => {
  it('announces a tag once with its decoded item, reading its memory once while it lies there', async () => {
    const { field, reader, rounds, types, recorder } = await setup();
    field.place({ uid: A, preset: 'V1' });
    await rounds(3);
    expect(types()).toEqual([`tag_arrived ${A}`]);
    expect(recorder.events[0]?.data).toMatchObject({
      item: { format: '28560-3', primaryItemId: '1000000056', ownerLibrary: 'DK718500' },
      secured: true,
    });
    field.remove(A);
    await rounds(3);
    field.move(A, true);
    await rounds(2);
    expect(types()).toEqual([`tag_arrived ${A}`, `tag_left ${A}`, `tag_arrived ${A}`]);
    // read once while it lay there, and afresh when it came back (it may have changed while away)
    expect(reader.calls.filter((c) => c.startsWith('readBlocks'))).toHaveLength(2);
  });

  it('debounces: a tag missing fewer than N consecutive rounds has not left', async () => {
    const { field, rounds, types } = await setup({ leaveAfterMissedRounds: 3 });
    field.place({ uid: A, preset: 'V3' });
    await rounds(1);
    field.remove(A);
    await rounds(2);
    field.move(A, true);
    await rounds(1);
    field.remove(A);
    await rounds(2);
    expect(types()).toEqual([`tag_arrived ${A}`]);
    await rounds(1);
    expect(types()).toEqual([`tag_arrived ${A}`, `tag_left ${A}`]);
  });

  it('reports an incomplete set and its completion', async () => {
    const { field, rounds, recorder } = await setup();
    const part = (n: number) =>
      Buffer.from(
        encodeIso28560Part3({
          primaryItemId: '3000111',
          set: { parts: 2, part: n },
          ownerLibrary: 'DK718500',
        }),
      ).toString('hex');
    field.place({ uid: A, memoryHex: part(1) });
    await rounds(1);
    expect(recorder.events.find((e) => e.type === 'set_incomplete')?.data).toMatchObject({
      primaryItemId: '3000111',
      parts: 2,
      missing: [2],
    });
    field.place({ uid: B, memoryHex: part(2) });
    await rounds(1);
    expect(recorder.events.at(-1)).toMatchObject({
      type: 'set_complete',
      data: { primaryItemId: '3000111', parts: 2 },
    });
  });

  it("tells apart two libraries' sets with the same item id: each reported once, each completed on its own", async () => {
    // An interlibrary loan: DK718500's 3000111 (two parts) and DK710100's 3000111 (two parts)
    // lie on one pad, one part of each.
    const { field, rounds, recorder } = await setup();
    const part = (owner: string, n: number) =>
      Buffer.from(
        encodeIso28560Part3({ primaryItemId: '3000111', set: { parts: 2, part: n }, ownerLibrary: owner }),
      ).toString('hex');
    const C = 'E004010000000003';
    field.place({ uid: A, memoryHex: part('DK718500', 1) });
    field.place({ uid: B, memoryHex: part('DK710100', 2) });
    await rounds(5);
    const sets = () =>
      recorder.events.filter((e) => e.type === 'set_incomplete' || e.type === 'set_complete');
    // Once each, not again every inventory round.
    expect(sets().map((e) => e.data)).toEqual([
      { primaryItemId: '3000111', ownerLibrary: 'DK710100', parts: 2, present: [2], missing: [1] },
      { primaryItemId: '3000111', ownerLibrary: 'DK718500', parts: 2, present: [1], missing: [2] },
    ]);

    field.place({ uid: C, memoryHex: part('DK718500', 2) });
    await rounds(3);
    expect(sets().slice(2)).toEqual([
      { type: 'set_complete', data: { primaryItemId: '3000111', ownerLibrary: 'DK718500', parts: 2 } },
    ]);
  });
});

describe('RfidPadDevice health', () => {
  it('is degraded after three inventories in a row fail and online at the next that answers, each said once', async () => {
    const { field, pad, rounds } = await setup();
    const told: string[] = [];
    // The reason's first words (what follows says why, from the inventory's error).
    pad.on('condition', (c) =>
      told.push(`${c.status} ${c.reason?.split(':')[0] ?? null} tags=${c.detail.tags}`),
    );
    field.place({ uid: A, preset: 'V1' });
    await rounds(3);
    expect(told).toEqual(['online null tags=1']);
    const inventory = field.inventory.bind(field);
    field.inventory = () => {
      throw new CarrelError('rfid_no_reply', 'the reader sent garbage');
    };
    await rounds(2);
    expect(pad.condition().status).toBe('online');
    await rounds(4);
    expect(told).toEqual(['online null tags=1', 'degraded inventory failing tags=1']);
    field.inventory = inventory;
    await rounds(3);
    expect(told).toEqual(['online null tags=1', 'degraded inventory failing tags=1', 'online null tags=1']);
    expect(pad.condition()).toMatchObject({ status: 'online', reason: null, detail: { tags: 1 } });
  });

  it('tells a security write kept for a tag that left in its condition, and when it is done', async () => {
    const { field, pad, rounds } = await setup();
    const told: unknown[] = [];
    pad.on('condition', (c) => told.push(c.detail.pendingSecurity));
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    field.setFaults({ leaveDuringWriteRate: 1 });
    await pad.setSecurity(A, false);
    field.setFaults({ leaveDuringWriteRate: 0 });
    await rounds(2);
    expect(told).toEqual([0, 1]);
    field.move(A, true);
    await rounds(2);
    expect(told).toEqual([0, 1, 0]);
  });
});

describe('RfidPadDevice security', () => {
  it('writes the AFI and verifies it', async () => {
    const { field, pad, rounds, recorder } = await setup();
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    expect(await pad.setSecurity(A, false)).toEqual({ uid: A, secured: false, status: 'done' });
    expect(field.tag(A)?.afi).toBe(0xc2);
    expect(recorder.events.at(-1)).toMatchObject({ type: 'security_set', data: { uid: A, secured: false } });
    expect(await pad.setSecurity(A, true)).toMatchObject({ status: 'done' });
    expect(field.tag(A)?.afi).toBe(0x07);
  });

  it('keeps a write that failed because the tag was pulled away and retries when it returns', async () => {
    const { field, pad, rounds, recorder, reader } = await setup();
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    field.setFaults({ leaveDuringWriteRate: 1 });
    const outcome = await pad.setSecurity(A, false);
    expect(outcome).toMatchObject({ status: 'pending', reason: 'rfid_no_transponder' });
    expect(recorder.events.at(-1)).toMatchObject({
      type: 'security_pending',
      data: { uid: A, secured: false },
    });
    expect(field.tag(A)?.afi).toBe(0x07);
    expect(pad.pendingSecurity()).toEqual([
      { uid: A, secured: false, attempts: 1, reason: 'rfid_no_transponder' },
    ]);
    field.setFaults({ leaveDuringWriteRate: 0 });
    await rounds(4);
    expect(pad.pendingSecurity()).toHaveLength(1);
    field.move(A, true);
    await rounds(1);
    expect(field.tag(A)?.afi).toBe(0xc2);
    expect(pad.pendingSecurity()).toEqual([]);
    expect(recorder.events.filter((e) => e.type === 'security_set')).toHaveLength(1);
    expect(reader.calls.some((c) => c.includes('lockAfi'))).toBe(false);
  });

  it('gives up with security_failed when the AFI cannot be written', async () => {
    const { field, pad, rounds, recorder } = await setup();
    field.place({ uid: A, preset: 'V1' }).afiLocked = true;
    await rounds(1);
    expect(await pad.setSecurity(A, false)).toMatchObject({ status: 'failed', reason: 'rfid_write_protect' });
    expect(recorder.events.at(-1)).toMatchObject({ type: 'security_failed' });
  });

  it('gives up after the last attempt', async () => {
    const { field, pad, rounds, recorder } = await setup();
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    field.setFaults({ leaveDuringWriteRate: 1 });
    await pad.setSecurity(A, true);
    for (let i = 0; i < 4; i++) {
      field.move(A, true);
      await rounds(1);
    }
    expect(recorder.events.filter((e) => e.type === 'security_pending')).toHaveLength(4);
    expect(recorder.events.filter((e) => e.type === 'security_failed')).toHaveLength(1);
    expect(pad.pendingSecurity()).toEqual([]);
  });

  it('can secure by EAS as well as AFI', async () => {
    const { field, pad, rounds } = await setup({ security: { method: 'afi+eas' } });
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    expect(await pad.setSecurity(A, true)).toMatchObject({ status: 'done' });
    expect(field.tag(A)).toMatchObject({ afi: 0x07, eas: true });
  });
});

describe('RfidPadDevice programming', () => {
  it('writes a new image, re-decodes it and locks the data blocks but never the AFI', async () => {
    const { field, pad, rounds, recorder } = await setup();
    field.place({ uid: A, preset: 'blank' });
    await rounds(1);
    const image = encodeIso28560Part3({ primaryItemId: '4000222', ownerLibrary: 'DK718500' });
    const tag = await pad.program(A, image, { lock: true });
    expect(tag.item).toMatchObject({ primaryItemId: '4000222' });
    expect(recorder.events.at(-1)).toMatchObject({ type: 'tag_programmed', data: { uid: A, locked: true } });
    expect([...(field.tag(A)?.lockedBlocks ?? [])]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(field.tag(A)?.afiLocked).toBe(false);
    await expect(pad.program(A, image)).rejects.toMatchObject({ code: 'rfid_write_protect' });
  });

  it('shows what a tag holds after a write the reader reported failed (an acknowledgement lost on the air)', async () => {
    const { field, pad, rounds, reader } = await setup();
    field.place({ uid: A, preset: 'V1' });
    await rounds(1);
    const write = reader.writeBlocks.bind(reader);
    reader.writeBlocks = async (uid, first, data) => {
      await write(uid, first, data);
      throw new CarrelError('rfid_rf_communication', 'RF communication error');
    };
    const image = encodeIso28560Part3({ primaryItemId: '4000333', ownerLibrary: 'DK718500' });
    await expect(pad.program(A, image)).rejects.toMatchObject({ code: 'rfid_rf_communication' });
    expect(pad.tags().find((t) => t.uid === A)?.item).toMatchObject({ primaryItemId: '4000333' });
  });
});
