/**
 * A reader's reply that comes after its command gave up (a network hiccup, a reader busy for a
 * moment): every FEIG ISO host command is answered under the same command byte (0xB0), a FEIG
 * read-blocks reply does not name its tag, nor does the 3M pad's read-AFI reply get checked for it,
 * so a late reply must never be taken for the next command's. The pad simulator (FEIG, and 3M as
 * behind a serial device server) over TCP behind a proxy that holds bytes both ways while stalled.
 */
import { describe, expect, it } from 'vitest';
import { StallingProxy } from '../../helpers/stalling-proxy.js';
import { cleanedAfterEach, readerOn, simulatorOn } from './pad-over-tcp.js';

const cleanups = cleanedAfterEach();

const FIRST = 'E004010000000001';
const SECOND = 'E004010000000002';

describe('a reader whose reply to a command comes after the command gave up', () => {
  it("a FEIG reader never answers the next command with it: a tag's memory is never another tag's", async () => {
    const sim = await simulatorOn(
      0,
      [
        { uid: FIRST, preset: 'V1' },
        { uid: SECOND, preset: 'V3' },
      ],
      cleanups,
    );
    const proxy = await StallingProxy.start(sim.tcpPort!);
    cleanups.push(() => proxy.close());
    const reader = readerOn(proxy.port, { timeouts: { read: 300 } });
    cleanups.push(() => reader.close());
    await reader.open();

    // The line holds the read of the first tag, its reply and all, past the read's timeout.
    proxy.stall();
    await expect(reader.readBlocks(FIRST, 0, 8)).rejects.toMatchObject({ code: 'timeout' });
    // The next read is sent; the line lets everything through, the first read's reply first.
    const second = reader.readBlocks(SECOND, 0, 8);
    proxy.resume();
    const memory = Buffer.from(await second);
    expect(memory.toString('hex')).toBe(
      Buffer.from(sim.field.tag(SECOND)!.memory.subarray(0, 32)).toString('hex'),
    );
    // And the reader goes on answering as ever.
    expect(Buffer.from(await reader.readBlocks(FIRST, 0, 8)).toString('hex')).toBe(
      Buffer.from(sim.field.tag(FIRST)!.memory.subarray(0, 32)).toString('hex'),
    );
  });

  it("a 3M pad never answers the next command with it: one tag's AFI (its security) is never another's", async () => {
    const sim = await simulatorOn(
      0,
      [
        { uid: FIRST, preset: 'V1', afi: 0x07 },
        { uid: SECOND, preset: 'V3', afi: 0xc2 },
      ],
      cleanups,
      '3m',
    );
    const proxy = await StallingProxy.start(sim.tcpPort!);
    cleanups.push(() => proxy.close());
    const reader = readerOn(proxy.port, { protocol: '3m', timeouts: { read: 300 } });
    cleanups.push(() => reader.close());
    await reader.open();

    proxy.stall();
    await expect(reader.readAfi(FIRST)).rejects.toMatchObject({ code: 'timeout' });
    const second = reader.readAfi(SECOND);
    proxy.resume();
    // The second tag is on loan (0xC2), the first on the shelf (0x07).
    expect(await second).toBe(0xc2);
    expect(await reader.readAfi(FIRST)).toBe(0x07);
  });
});
