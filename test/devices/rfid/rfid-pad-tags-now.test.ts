/**
 * What lies on the pad now, for a write that must go to it: the pad takes an inventory of its own
 * when asked (`tagsNow`), serialised with its polling, rather than answering from its kept view,
 * which holds a tag taken off for a few rounds and a tag laid down only once a round has read it.
 * The pad simulator speaking FEIG over TCP.
 */
import { describe, expect, it } from 'vitest';
import { CarrelError } from '../../../src/core/errors.js';
import type { PadTag } from '../../../src/devices/rfid/index.js';
import { until } from '../../helpers/until.js';
import { cleanedAfterEach, itemMemory, padOn, simulatorOn } from './pad-over-tcp.js';

const A = 'E004010000000001';
const B = 'E004010000000002';
const cleanups = cleanedAfterEach();

const uids = (tags: PadTag[]) => tags.map((tag) => tag.uid);

describe('the tags on an RFID pad now', () => {
  it('answers with the tag laid down just now and without the one taken off, the kept view as it was', async () => {
    const sim = await simulatorOn(0, [{ uid: A, memoryHex: itemMemory('3000401') }], cleanups);
    // A slow pad: its kept view follows the pad a round of 400 ms or more late.
    const { pad, seen } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    await until(() => (pad.tags().length === 1 ? true : undefined));

    // A card printer swapping cards on its encoding pad.
    sim.remove(A);
    sim.place({ uid: B, memoryHex: itemMemory('3000402') });
    expect(uids(pad.tags())).toEqual([A]);
    const now = await pad.tagsNow();
    expect(now).toEqual([
      expect.objectContaining({ uid: B, item: expect.objectContaining({ primaryItemId: '3000402' }) }),
    ]);
    // The kept view keeps its grace: A missed one round, and one round may miss a tag lying there.
    expect(uids(pad.tags()).sort()).toEqual([A, B]);
    expect(seen()).toEqual([`tag_arrived ${A}`, `tag_arrived ${B}`]);
    await until(() => (pad.tags().length === 1 ? true : undefined), 5000);
    expect(uids(pad.tags())).toEqual([B]);
    expect(seen()).toEqual([`tag_arrived ${A}`, `tag_arrived ${B}`, `tag_left ${A}`]);
  });

  it('is answered by a round begun after it was asked, not by the round running then', async () => {
    const sim = await simulatorOn(0, [], cleanups);
    const { pad } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    // A is read mid-round: its inventory answered already, the round not over. The card is swapped
    // then, and the pad asked what lies on it.
    let asked: Promise<PadTag[]> | undefined;
    pad.on('event', (type: string, data: { uid?: string }) => {
      if (type !== 'tag_arrived' || data.uid !== A || asked) return;
      sim.remove(A);
      sim.place({ uid: B, memoryHex: itemMemory('3000402') });
      asked = pad.tagsNow();
    });
    sim.place({ uid: A, memoryHex: itemMemory('3000401') });
    await until(() => asked);
    expect(uids(await asked!)).toEqual([B]);
  });

  it('reads a chip again in a further round when its first read fails, as a new tag is read', async () => {
    const sim = await simulatorOn(0, [], cleanups);
    const { pad } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    // A card laid down off the antenna's sweet spot: its memory does not answer the first read.
    const chip = sim.place({ uid: A, memoryHex: itemMemory('3000401'), unreadable: true });
    const readBlocks = sim.field.readBlocks.bind(sim.field);
    sim.field.readBlocks = (uid, first, count) => {
      const result = readBlocks(uid, first, count);
      chip.unreadable = false;
      return result;
    };
    const now = await pad.tagsNow();
    expect(now).toEqual([
      expect.objectContaining({ uid: A, item: expect.objectContaining({ primaryItemId: '3000401' }) }),
    ]);
    expect(now[0]!.readError).toBeUndefined();
  });

  it('gives a chip whose memory cannot be read with why, once tried as a new tag is tried', async () => {
    const sim = await simulatorOn(
      0,
      [{ uid: A, memoryHex: itemMemory('3000401'), unreadable: true }],
      cleanups,
    );
    const { pad, seen } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    const [tag, ...more] = await pad.tagsNow();
    expect(more).toEqual([]);
    expect(tag).toMatchObject({ uid: A, item: null });
    expect(tag!.readError).toMatch(/^rfid_/);
    expect(tag!.readError).not.toBe('rfid_not_read_yet');
    // Given up on as the pad gives up on a new tag: after its read attempts, and announced so.
    expect(seen()).toEqual([`tag_arrived ${A}`]);
  });

  it('does not say the pad is empty after one round that missed the card lying there, as one inventory may', async () => {
    const sim = await simulatorOn(0, [{ uid: A, memoryHex: itemMemory('3000401') }], cleanups);
    const { pad } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    await until(() => (pad.tags().length === 1 ? true : undefined));
    // The next inventory the reader answers misses the card (a noisy field); the one after sees it.
    const inventory = sim.field.inventory.bind(sim.field);
    let missed = 0;
    sim.field.inventory = (afi) => (missed++ === 0 ? [] : inventory(afi));
    expect(uids(await pad.tagsNow())).toEqual([A]);
    expect(missed).toBeGreaterThanOrEqual(2);

    // Taken off: empty once the rounds asked all saw nothing.
    sim.field.inventory = inventory;
    sim.remove(A);
    expect(await pad.tagsNow()).toEqual([]);
  });

  it('fails in words when the reader answers no inventory, or is not connected', async () => {
    const sim = await simulatorOn(0, [{ uid: A, memoryHex: itemMemory('3000401') }], cleanups);
    const { pad } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    await until(() => (pad.tags().length === 1 ? true : undefined));
    sim.setFaults({ crcErrorRate: 1 });
    const failed = await pad.tagsNow().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(CarrelError);
    expect(failed).toMatchObject({ code: 'rfid_inventory_failed', message: /failed 3 inventories in a row/ });
    sim.setFaults({ crcErrorRate: 0 });
    expect(uids(await pad.tagsNow())).toEqual([A]);

    await pad.disconnect();
    await expect(pad.tagsNow()).rejects.toMatchObject({ code: 'rfid_not_open', message: /not connected/ });
  });

  it('fails, not hangs, when the reader link is lost while it waits', async () => {
    const sim = await simulatorOn(0, [{ uid: A, memoryHex: itemMemory('3000401') }], cleanups);
    const { pad } = await padOn(sim.tcpPort!, cleanups, { inventoryIntervalMs: 400 });
    await until(() => (pad.tags().length === 1 ? true : undefined));
    const asked = pad.tagsNow().catch((error: unknown) => error);
    await sim.close();
    expect(await asked).toBeInstanceOf(CarrelError);
  });
});
