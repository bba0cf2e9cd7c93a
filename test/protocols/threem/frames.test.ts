import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInventoryReply,
  decodeProbeReply,
  decodeReadAfiReply,
  decodeReadBlocksReply,
  decodeThreeMFrame,
  decodeThreeMRequest,
  encodeInventoryReply,
  encodeReadAfiReply,
  encodeReadBlocksReply,
  encodeThreeMFrame,
  encodeThreeMRequest,
  errorReply,
  ThreeMFrameParser,
  ThreeMStatusError,
} from '../../../src/protocols/threem/index.js';

const hex = (text: string) => Uint8Array.from(text.split(' '), (b) => Number.parseInt(b, 16));
const show = (bytes: Uint8Array) =>
  Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');

const PROBE = 'D5 00 05 04 00 11 8C 66';
const PROBE_REPLY = 'D5 00 09 04 00 11 0A 05 00 02 72 50';
const UID = 'E004010046707A28';

describe('3M 810 frames', () => {
  it('generates and parses the reference probe', () => {
    expect(show(encodeThreeMFrame(encodeThreeMRequest({ kind: 'probe' })))).toBe(PROBE);
    expect(decodeThreeMRequest(decodeThreeMFrame(hex(PROBE)))).toEqual({ kind: 'probe' });
    expect(decodeProbeReply(decodeThreeMFrame(hex(PROBE_REPLY)))).toBe('0A.05.00.02');
    expect(show(encodeThreeMFrame(decodeThreeMFrame(hex(PROBE_REPLY))))).toBe(PROBE_REPLY);
  });

  it('rejects bad CRC and length', () => {
    expect(() => decodeThreeMFrame(hex('D5 00 05 04 00 11 8C 67'))).toThrow(/CRC/);
    expect(() => decodeThreeMFrame(hex('D5 00 06 04 00 11 8C 66'))).toThrow(/LEN/);
  });

  it('parses split at every offset and resyncs after garbage', () => {
    for (const vector of [PROBE, PROBE_REPLY]) {
      const bytes = hex(vector);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const parser = new ThreeMFrameParser();
        const items = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
        expect(items.filter((i) => i.ok)).toHaveLength(1);
      }
    }
    const items = new ThreeMFrameParser().push(
      Uint8Array.from([0x00, 0xd6, 0x00, 0x03, 0x01, ...hex(PROBE)]),
    );
    expect(items.filter((i) => i.ok)).toHaveLength(1);
  });

  it('round-trips commands and replies', () => {
    for (const request of [
      { kind: 'inventory' as const },
      { kind: 'readBlocks' as const, uid: UID, first: 0, count: 8 },
      { kind: 'writeBlocks' as const, uid: UID, first: 2, data: hex('01 02 03 04 05 06 07 08') },
      { kind: 'readAfi' as const, uid: UID },
      { kind: 'writeAfi' as const, uid: UID, afi: 0xc2 },
    ]) {
      const frame = decodeThreeMFrame(encodeThreeMFrame(encodeThreeMRequest(request)));
      expect(decodeThreeMRequest(frame)).toEqual(request);
    }
    expect(decodeInventoryReply(encodeInventoryReply([UID, 'E004010000000001']))).toEqual([
      UID,
      'E004010000000001',
    ]);
    const read = decodeReadBlocksReply(encodeReadBlocksReply(UID, 1, hex('04 11 00 01 31 32 33 34')), UID);
    expect(read.first).toBe(1);
    expect(show(read.data)).toBe('04 11 00 01 31 32 33 34');
    expect(decodeReadAfiReply(encodeReadAfiReply(UID, 0x07))).toBe(0x07);
    expect(() => decodeReadAfiReply(errorReply(0x0a, 0x01))).toThrow(ThreeMStatusError);
  });

  it('never throws uncaught on random input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), (chunks) => {
        const parser = new ThreeMFrameParser({ maxFrame: 128 });
        for (const chunk of chunks) {
          for (const item of parser.push(chunk)) {
            if (item.ok) {
              try {
                decodeThreeMRequest(item.frame);
              } catch (error) {
                expect(error).toBeInstanceOf(Error);
              }
            }
          }
        }
        expect(parser.pending).toBeLessThanOrEqual(128);
      }),
    );
  });
});
