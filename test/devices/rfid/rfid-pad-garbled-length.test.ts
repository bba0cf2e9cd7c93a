/**
 * An RFID pad's reply whose length came garbled on the line (0x000F read as 0x020F): the reader's
 * parser is left holding the start of a "frame" of hundreds of bytes that never come. The inventory
 * it answered fails; the next is answered as usual, and the pad keeps its link — a reader answers
 * only what it is asked, so what is still held when a command starts is of a reply given up on.
 * FEIG and 3M (as behind a serial device server), over TCP through a line that garbles one reply.
 */
import { describe, expect, it } from 'vitest';
import { garblingLine } from '../../helpers/garbling-line.js';
import { cleanedAfterEach, padOn, readerOn, simulatorOn } from './pad-over-tcp.js';

const cleanups = cleanedAfterEach();

const ON_THE_PAD = 'E004010000000001';
const LAID_DOWN_AFTER = 'E004010000000002';
/** Short enough that a test waits little, long enough for a loaded CI machine to answer. */
const TIMEOUTS = { inventory: 300 };

const PROTOCOLS = [
  { protocol: 'feig', frameStarts: [0x02] },
  { protocol: '3m', frameStarts: [0xd6, 0xd5] },
] as const;

async function padOnAGarblingLine(protocol: 'feig' | '3m', frameStarts: readonly number[]) {
  const sim = await simulatorOn(0, [{ uid: ON_THE_PAD, preset: 'V1' }], cleanups, protocol);
  const line = await garblingLine(sim.tcpPort!, frameStarts);
  cleanups.push(() => line.close());
  return { sim, line };
}

describe.each(PROTOCOLS)(
  'an RFID pad speaking $protocol, one reply of which comes with its length garbled',
  ({ protocol, frameStarts }) => {
    it('fails the inventory that reply answered, answers the next as usual, and counts the frame error', async () => {
      const { line } = await padOnAGarblingLine(protocol, frameStarts);
      const reader = readerOn(line.port, { protocol, timeouts: TIMEOUTS });
      cleanups.push(() => reader.close());
      let closed = false;
      reader.on('close', () => {
        closed = true;
      });
      await reader.open();

      line.garbleNextReply();
      await expect(reader.inventory()).rejects.toMatchObject({ code: 'timeout' });
      // The reader answers the next inventory as usual, and it is taken.
      expect((await reader.inventory()).map((tag) => tag.uid)).toEqual([ON_THE_PAD]);
      expect(closed).toBe(false);
      // The garbled reply is counted as such, for IT.
      expect(reader.frameErrors).toBe(1);
    });

    it('keeps the pad connected: a tag laid down after it is seen, with no reconnect', async () => {
      const { sim, line } = await padOnAGarblingLine(protocol, frameStarts);
      const { reader, recorder, moreRounds, lost } = await padOn(
        line.port,
        cleanups,
        {},
        { protocol, timeouts: TIMEOUTS },
      );
      await recorder.waitFor('tag_arrived', (data) => data.uid === ON_THE_PAD);

      line.garbleNextReply();
      sim.place({ uid: LAID_DOWN_AFTER, preset: 'V3' });
      await recorder.waitFor('tag_arrived', (data) => data.uid === LAID_DOWN_AFTER);
      await moreRounds(3);
      // Hung after 2 inventories in a row unanswered (the default): the garbled reply cost one, not more.
      expect(lost()).toBe(0);
      expect(reader.frameErrors).toBe(1);
      expect(recorder.events.filter((e) => e.type === 'tag_departed')).toEqual([]);
    });
  },
);
