/**
 * An RFID pad whose reader's link is lost and comes back: the pad simulator (FEIG over real TCP)
 * stopped and started again on its port, as a network reader dropping or a USB reader unplugged
 * and plugged in again. Nothing is known of the pad meanwhile, so nothing is said of its tags;
 * once the reader answers, its inventories decide what arrived and what left.
 */
import { describe, expect, it } from 'vitest';
import type { RfidPadSimulator, TagSpec } from '../../../simulators/rfid-pad/index.js';
import type { RfidPadOptions } from '../../../src/devices/rfid/index.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';
import { until } from '../../helpers/until.js';
import type { PadEvent } from './pad-events.js';
import {
  cleanedAfterEach,
  INTERVAL_MS,
  itemMemory,
  padOn as padOnPort,
  simulatorOn,
} from './pad-over-tcp.js';

const A = 'E004010000000001';
const B = 'E004010000000002';
const C = 'E004010000000003';
const SET_PART = 'E004010000000004';

const cleanups = cleanedAfterEach();

const simulator = (port: number, tags: TagSpec[]) => simulatorOn(port, tags, cleanups);
const padOn = (port: number, options: Partial<RfidPadOptions> = {}) => padOnPort(port, cleanups, options);

const setPartOne = Buffer.from(
  encodeIso28560Part3({ primaryItemId: '3000111', set: { parts: 2, part: 1 }, ownerLibrary: 'DK718500' }),
).toString('hex');

describe('RfidPadDevice across a lost reader link', () => {
  it('says nothing of its tags while the reader is away; back, a tag still there is not announced again, one gone has left, a new one arrived', async () => {
    const first = await simulator(0, [
      { uid: A, preset: 'V1' },
      { uid: B, preset: 'V2' },
      { uid: SET_PART, memoryHex: setPartOne },
    ]);
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds, lost, seen } = await padOn(port);
    await recorder.waitFor('tag_arrived', () => true, 3);
    await recorder.waitFor('set_incomplete');
    const before = seen().length;

    await first.close(); // the reader's link lost: A, B and the set's part still lie on the pad
    await until(() => (lost() === 1 ? true : undefined));
    expect(pad.isConnected).toBe(false);
    // what was last seen is kept, not claimed gone
    expect(
      pad
        .tags()
        .map((t) => t.uid)
        .sort(),
    ).toEqual([A, B, SET_PART]);
    expect(pad.incompleteSets()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 10 * INTERVAL_MS));
    expect(seen().slice(before)).toEqual([]);

    // Back: B was taken off meanwhile, C put down.
    await simulator(port, [
      { uid: A, preset: 'V1' },
      { uid: SET_PART, memoryHex: setPartOne },
      { uid: C, preset: 'V3' },
    ]);
    await until(() => (pad.isConnected ? true : undefined));
    await recorder.waitFor('tag_left', (data) => data.uid === B);
    await recorder.waitFor('tag_arrived', (data) => data.uid === C);
    await moreRounds(5);
    expect(seen().slice(before).sort()).toEqual([`tag_arrived ${C}`, `tag_left ${B}`]);
    expect(
      pad
        .tags()
        .map((t) => t.uid)
        .sort(),
    ).toEqual([A, C, SET_PART]);
  });

  it('back, reads the tags still there again: one changed meanwhile leaves with what it held and arrives with what it holds, one unchanged says nothing', async () => {
    const first = await simulator(0, [
      { uid: A, memoryHex: itemMemory('3000201'), afi: 0x07 },
      { uid: B, memoryHex: itemMemory('3000202'), afi: 0x07 },
      { uid: C, memoryHex: itemMemory('3000203'), afi: 0x07 },
    ]);
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds, lost } = await padOn(port);
    await recorder.waitFor('tag_arrived', () => true, 3);
    const before = recorder.events.length;

    await first.close();
    await until(() => (lost() === 1 ? true : undefined));
    // Meanwhile A was programmed at another station as another item, B checked out there
    // (unsecured), and C left as it was.
    await simulator(port, [
      { uid: A, memoryHex: itemMemory('3000299'), afi: 0x07 },
      { uid: B, memoryHex: itemMemory('3000202'), afi: 0xc2 },
      { uid: C, memoryHex: itemMemory('3000203'), afi: 0x07 },
    ]);
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(5);
    const after = told(recorder.events.slice(before), (e) =>
      e.type === 'tag_arrived' ? { secured: e.data.secured } : {},
    );
    // Each told as a tag taken off and put down again would be: left first, then arrived.
    expect(after.filter((e) => e.uid === A)).toEqual([
      { type: 'tag_left', uid: A, item: '3000201' },
      { type: 'tag_arrived', uid: A, item: '3000299', secured: true },
    ]);
    expect(after.filter((e) => e.uid === B)).toEqual([
      { type: 'tag_left', uid: B, item: '3000202' },
      { type: 'tag_arrived', uid: B, item: '3000202', secured: false },
    ]);
    expect(after.filter((e) => e.uid === C)).toEqual([]);
    expect(
      pad
        .tags()
        .map((t) => [t.uid, t.item?.primaryItemId, t.secured])
        .sort(),
    ).toEqual([
      [A, '3000299', true],
      [B, '3000202', false],
      [C, '3000203', true],
    ]);
  });

  it('does not offer or count a tag kept from before the link was lost until it has been read again', async () => {
    const sim = await simulator(0, [{ uid: A, preset: 'V1' }]);
    const { pad, recorder, moreRounds, seen } = await padOn(sim.tcpPort!);
    await recorder.waitFor('tag_arrived');
    await pad.disconnect();
    const told: unknown[] = [];
    pad.on('condition', (condition) => told.push(condition.detail.tags));
    await pad.connect();
    // Back, before its first inventory: what lies on the pad is not known yet, nor counted.
    expect(pad.tags()).toEqual([]);
    expect(pad.condition().detail.tags).toBe(0);
    await moreRounds(2);
    expect(pad.tags().map((t) => t.uid)).toEqual([A]);
    expect(pad.condition().detail.tags).toBe(1);
    // Told once read, so the health record the supervisor took at the connect follows.
    expect(told).toEqual([1]);
    expect(seen()).toEqual([`tag_arrived ${A}`]);
  });

  it('a tag gone while the reader was away leaves only after the missed rounds, as ever', async () => {
    const first = await simulator(0, [{ uid: A, preset: 'V1' }]);
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds, seen } = await padOn(port);
    let roundsAtLeft: unknown;
    pad.on('event', (type) => {
      if (type === 'tag_left') roundsAtLeft = pad.condition().detail.rounds;
    });
    await recorder.waitFor('tag_arrived');
    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    const roundsAtLoss = pad.condition().detail.rounds as number;
    await simulator(port, []);
    await recorder.waitFor('tag_left', (data) => data.uid === A);
    // Not the first round without it (one reply may miss a tag): the third in a row, as ever.
    expect(roundsAtLeft).toBe(roundsAtLoss + 3);
    await moreRounds(3);
    expect(seen()).toEqual([`tag_arrived ${A}`, `tag_left ${A}`]);
  });

  it('makes a security write still owed when the reader is back', async () => {
    const first = await simulator(0, [{ uid: A, preset: 'V1' }]);
    const port = first.tcpPort!;
    const { pad, recorder, seen } = await padOn(port);
    await recorder.waitFor('tag_arrived');
    // Checked out: unsecured, but the tag is pulled away half-way (the write owed to it).
    first.setFaults({ leaveDuringWriteRate: 1 });
    expect(await pad.setSecurity(A, false)).toMatchObject({ status: 'pending' });
    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    expect(pad.pendingSecurity()).toEqual([expect.objectContaining({ uid: A, secured: false, attempts: 1 })]);
    // Back, and the item with it, still secured.
    const again = await simulator(port, [{ uid: A, preset: 'V1', afi: 0x07 }]);
    await recorder.waitFor('security_set', (data) => data.uid === A);
    expect(again.field.tag(A)?.afi).toBe(0xc2);
    expect(pad.pendingSecurity()).toEqual([]);
    expect(seen().filter((e) => e.startsWith('security_'))).toEqual([
      `security_pending ${A}`,
      `security_set ${A}`,
    ]);
  });

  it('a link dropped on purpose and made again (a reconnect as asked) says nothing of the tags either', async () => {
    const sim = await simulator(0, [{ uid: A, preset: 'V1' }]);
    const { pad, recorder, moreRounds, seen } = await padOn(sim.tcpPort!);
    await recorder.waitFor('tag_arrived');
    await pad.disconnect();
    await pad.connect();
    await moreRounds(5);
    expect(seen()).toEqual([`tag_arrived ${A}`]);
    sim.remove(A);
    await recorder.waitFor('tag_left', (data) => data.uid === A);
  });

  it('keeps the memory of the tags lying on the pad however many others passed since: back, one unchanged says nothing', async () => {
    const first = await simulator(0, [{ uid: A, memoryHex: itemMemory('3000301'), afi: 0x07 }]);
    const port = first.tcpPort!;
    // Room for two tags' memories: A's lies on the pad all along while B's and C's come and go.
    const { pad, recorder, moreRounds, seen } = await padOn(port, { maxTags: 2, cacheSize: 2 });
    await recorder.waitFor('tag_arrived', (data) => data.uid === A);
    first.place({ uid: B, memoryHex: itemMemory('3000302') });
    await recorder.waitFor('tag_arrived', (data) => data.uid === B);
    first.remove(B);
    await recorder.waitFor('tag_left', (data) => data.uid === B);
    first.place({ uid: C, memoryHex: itemMemory('3000303') });
    await recorder.waitFor('tag_arrived', (data) => data.uid === C);
    expect(pad.tags().map((t) => [t.uid, t.item?.primaryItemId])).toEqual([
      [A, '3000301'],
      [C, '3000303'],
    ]);
    const before = seen().length;

    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    await simulator(port, [
      { uid: A, memoryHex: itemMemory('3000301'), afi: 0x07 },
      { uid: C, memoryHex: itemMemory('3000303') },
    ]);
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(5);
    expect(seen().slice(before)).toEqual([]);
    expect(pad.tags().map((t) => [t.uid, t.item?.primaryItemId])).toEqual([
      [A, '3000301'],
      [C, '3000303'],
    ]);
  });

  it('back, a tag whose memory could not be read before and cannot now says nothing; one unreadable only before or only now leaves and arrives as it is', async () => {
    const D = 'E004010000000005';
    const first = await simulator(0, [
      { uid: A, memoryHex: itemMemory('3000401'), unreadable: true },
      { uid: B, memoryHex: itemMemory('3000402') },
      { uid: D, memoryHex: itemMemory('3000404'), unreadable: true },
    ]);
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds } = await padOn(port);
    await recorder.waitFor('tag_arrived', () => true, 3);
    // The reader says why: the tag's own ISO 15693 error, after every read attempt.
    const arrivedBefore = recorder.events.filter((e) => e.type === 'tag_arrived').map((e) => e.data);
    expect(arrivedBefore.find((data) => data.uid === A)).toMatchObject({
      item: null,
      readError: 'rfid_iso_error',
    });
    // And so do the pad's tags, for whoever asks later (a session opened with it lying there).
    expect(pad.tags().find((tag) => tag.uid === A)).toMatchObject({
      item: null,
      readError: 'rfid_iso_error',
    });
    const before = recorder.events.length;

    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    // Meanwhile B's memory has failed; D's reads again (it lay badly on the pad); A's still fails.
    await simulator(port, [
      { uid: A, memoryHex: itemMemory('3000401'), unreadable: true },
      { uid: B, memoryHex: itemMemory('3000402'), unreadable: true },
      { uid: D, memoryHex: itemMemory('3000404') },
    ]);
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(8);
    const after = told(recorder.events.slice(before), (e) =>
      e.type === 'tag_arrived' && e.data.readError ? { readError: e.data.readError } : {},
    );
    expect(after.filter((e) => e.uid === A)).toEqual([]);
    expect(after.filter((e) => e.uid === B)).toEqual([
      { type: 'tag_left', uid: B, item: '3000402' },
      { type: 'tag_arrived', uid: B, item: null, readError: 'rfid_iso_error' },
    ]);
    expect(after.filter((e) => e.uid === D)).toEqual([
      { type: 'tag_left', uid: D, item: null },
      { type: 'tag_arrived', uid: D, item: '3000404' },
    ]);
    expect(
      pad
        .tags()
        .map((t) => [t.uid, t.item?.primaryItemId ?? null])
        .sort(),
    ).toEqual([
      [A, null],
      [B, null],
      [D, '3000404'],
    ]);
  });

  it('back, a tag that could not be read before is given all its read attempts again, each time the reader is lost', async () => {
    const D = 'E004010000000005';
    const first = await simulator(0, [
      { uid: B, memoryHex: itemMemory('3000502') },
      { uid: D, memoryHex: itemMemory('3000504'), unreadable: true },
    ]);
    const port = first.tcpPort!;
    const { pad, recorder, moreRounds } = await padOn(port);
    await recorder.waitFor('tag_arrived', () => true, 2);
    const told = (from: number) =>
      recorder.events
        .slice(from)
        .map((e) => [
          e.type,
          e.data.uid,
          e.type === 'tag_left'
            ? e.data.primaryItemId
            : ((e.data.item as { primaryItemId: string } | null)?.primaryItemId ?? null),
        ]);

    // Lost; back with D lying badly (its first read fails, the next one reads) and B's memory failed.
    let before = recorder.events.length;
    await first.close();
    await until(() => (pad.isConnected ? undefined : true));
    const again = await simulator(port, [
      { uid: B, memoryHex: itemMemory('3000502'), unreadable: true },
      { uid: D, memoryHex: itemMemory('3000504'), unreadable: true },
    ]);
    readsOnSecondTry(again, D);
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(8);
    expect(told(before).filter(([, uid]) => uid === D)).toEqual([
      ['tag_left', D, null],
      ['tag_arrived', D, '3000504'],
    ]);
    expect(told(before).filter(([, uid]) => uid === B)).toEqual([
      ['tag_left', B, '3000502'],
      ['tag_arrived', B, null],
    ]);

    // Lost again; back with B lying badly.
    before = recorder.events.length;
    await again.close();
    await until(() => (pad.isConnected ? undefined : true));
    const third = await simulator(port, [
      { uid: B, memoryHex: itemMemory('3000502'), unreadable: true },
      { uid: D, memoryHex: itemMemory('3000504') },
    ]);
    readsOnSecondTry(third, B);
    await until(() => (pad.isConnected ? true : undefined));
    await moreRounds(8);
    expect(told(before)).toEqual([
      ['tag_left', B, null],
      ['tag_arrived', B, '3000502'],
    ]);
    expect(
      pad
        .tags()
        .map((t) => [t.uid, t.item?.primaryItemId ?? null])
        .sort(),
    ).toEqual([
      [B, '3000502'],
      [D, '3000504'],
    ]);
  });
});

/**
 * A tag lying badly on the simulated pad (at the edge of the antenna's field, tilted): the first read
 * of its memory fails with the tag's error, and it reads from then on.
 */
/**
 * What the pad told of each tag: left or arrived, its item's barcode (null for a tag whose memory
 * could not be read), and what `more` picks of the event.
 */
function told(events: PadEvent[], more: (event: PadEvent) => Record<string, unknown>) {
  return events.map((e) => ({
    type: e.type,
    uid: e.data.uid,
    item:
      e.type === 'tag_left'
        ? e.data.primaryItemId
        : ((e.data.item as { primaryItemId: string } | null)?.primaryItemId ?? null),
    ...more(e),
  }));
}

function readsOnSecondTry(sim: RfidPadSimulator, uid: string): void {
  const { field } = sim;
  const tag = field.tag(uid)!;
  tag.unreadable = true;
  const read = field.readBlocks.bind(field);
  field.readBlocks = (...args) => {
    const result = read(...args);
    if (args[0] === uid) tag.unreadable = false;
    return result;
  };
}
