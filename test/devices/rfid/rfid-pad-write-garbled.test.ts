/**
 * A tag programmed on a pad whose reader's replies to the write all come garbled on the line (a bad
 * cable, a noisy serial line): the write is sent again each time, and the tag may well hold it. The
 * pad reads the blocks back before it says anything: written, it is programmed; not written, it
 * failed; not readable either, whether it was written is not known, and staff are told to place the
 * tag again. FEIG and 3M (as behind a serial device server), over TCP through a line that breaks the
 * check value of the replies to the requests a test names.
 */
import { describe, expect, it } from 'vitest';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';
import { garblingLine } from '../../helpers/garbling-line.js';
import { cleanedAfterEach, padOn, simulatorOn } from './pad-over-tcp.js';

const cleanups = cleanedAfterEach();

const TAG = 'E004010000000001';
const NEW_ITEM = encodeIso28560Part3({ primaryItemId: '39000000077', ownerLibrary: 'DK718500' });

/** Which of Carrel's requests writes blocks, and which reads them, by protocol. */
const PROTOCOLS = [
  {
    protocol: 'feig',
    frameStarts: [0x02],
    // 02 ALEN(2) COM-ADR B0 <ISO command>: 24 write multiple blocks, 23 read multiple blocks.
    writes: (request: Buffer) => request[4] === 0xb0 && request[5] === 0x24,
    reads: (request: Buffer) => request[4] === 0xb0 && request[5] === 0x23,
  },
  {
    protocol: '3m',
    frameStarts: [0xd6, 0xd5],
    // D6 LEN(2) <command>: 04 write blocks, 02 read blocks.
    writes: (request: Buffer) => request[0] === 0xd6 && request[3] === 0x04,
    reads: (request: Buffer) => request[0] === 0xd6 && request[3] === 0x02,
  },
] as const;

describe.each(PROTOCOLS)(
  'a tag programmed on a $protocol pad whose replies to the write all come garbled',
  ({ protocol, frameStarts, writes, reads }) => {
    async function padOnAGarblingLine(lockedFirstBlock = false) {
      const sim = await simulatorOn(0, [], cleanups, protocol);
      const tag = sim.place({ uid: TAG, preset: 'V1' });
      if (lockedFirstBlock) tag.lockedBlocks.add(0);
      const line = await garblingLine(sim.tcpPort!, frameStarts);
      cleanups.push(() => line.close());
      const { pad, recorder } = await padOn(line.port, cleanups, {}, { protocol });
      await recorder.waitFor('tag_arrived', (data) => data.uid === TAG);
      return { sim, tag, line, pad };
    }

    it('is programmed when the tag read back holds what was written', async () => {
      const { tag, line, pad } = await padOnAGarblingLine();
      line.garbleRepliesTo(writes);
      const programmed = await pad.program(TAG, NEW_ITEM);
      expect(programmed.item).toMatchObject({ primaryItemId: '39000000077' });
      expect(Buffer.from(tag.memory.subarray(0, NEW_ITEM.length))).toEqual(Buffer.from(NEW_ITEM));
    });

    it('failed, saying its replies came garbled, when the tag read back does not hold it', async () => {
      const { tag, line, pad } = await padOnAGarblingLine(true);
      const before = Buffer.from(tag.memory);
      line.garbleRepliesTo(writes);
      await expect(pad.program(TAG, NEW_ITEM)).rejects.toMatchObject({
        code: protocol === 'feig' ? 'feig_crc' : 'threem_crc',
      });
      expect(Buffer.from(tag.memory)).toEqual(before);
      // What the pad says the tag holds is what it holds: the item it was.
      expect(pad.tags().find((t) => t.uid === TAG)?.item).toMatchObject({ primaryItemId: '1000000056' });
    });

    it('is not known when the tag cannot be read back either: place the tag again', async () => {
      const { line, pad } = await padOnAGarblingLine();
      line.garbleRepliesTo((request) => writes(request) || reads(request));
      await expect(pad.program(TAG, NEW_ITEM)).rejects.toMatchObject({
        code: 'rfid_write_unknown',
        message:
          'the reader’s replies to the write came garbled, and the tag could not be read back: whether it was written is not known',
      });
    });
  },
);
