import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  baudDetectRequest,
  decodeFeigFrame,
  decodeFeigReply,
  decodeInventoryReply,
  decodeIsoRequest,
  decodeReadBlocksReply,
  decodeSoftwareVersion,
  decodeSystemInfoReply,
  encodeFeigFrame,
  encodeInventoryReply,
  encodeIsoRequest,
  encodeReadBlocksReply,
  encodeSystemInfoReply,
  FeigFrameParser,
  FeigStatusError,
  feigReply,
  softwareVersionRequest,
} from '../../../src/protocols/feig/index.js';

const hex = (text: string) => Uint8Array.from(text.split(' '), (b) => Number.parseInt(b, 16));
const show = (bytes: Uint8Array) =>
  Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');

const BAUD_DETECT = '02 00 08 FF 52 00 4A C3';
const BAUD_REPLY = '02 00 08 00 52 00 B9 05';
const SOFTWARE_VERSION = '02 00 07 FF 65 6E 61';
const READ_BLOCKS = '02 00 13 00 B0 23 01 E0 04 01 00 46 70 7A 28 00 0A 88 BF';
const VECTORS = [BAUD_DETECT, BAUD_REPLY, SOFTWARE_VERSION, READ_BLOCKS];

describe('FEIG advanced protocol frames', () => {
  it('generates the reference frames', () => {
    expect(show(encodeFeigFrame(baudDetectRequest()))).toBe(BAUD_DETECT);
    expect(show(encodeFeigFrame(feigReply(0x00, 0x52, 0x00)))).toBe(BAUD_REPLY);
    expect(show(encodeFeigFrame(softwareVersionRequest()))).toBe(SOFTWARE_VERSION);
    const { command, data } = encodeIsoRequest({
      kind: 'readBlocks',
      uid: 'E004010046707A28',
      first: 0,
      count: 10,
    });
    expect(show(encodeFeigFrame({ address: 0x00, command, data }))).toBe(READ_BLOCKS);
  });

  it('parses and mirrors the reference frames', () => {
    for (const vector of VECTORS) expect(show(encodeFeigFrame(decodeFeigFrame(hex(vector))))).toBe(vector);
    const read = decodeFeigFrame(hex(READ_BLOCKS));
    expect(decodeIsoRequest(read.command, read.data)).toEqual({
      kind: 'readBlocks',
      uid: 'E004010046707A28',
      first: 0,
      count: 10,
    });
    expect(decodeFeigReply(decodeFeigFrame(hex(BAUD_REPLY)))).toMatchObject({ status: 0 });
  });

  it('rejects bad CRC, length and start', () => {
    expect(() => decodeFeigFrame(hex('02 00 08 FF 52 00 4A C4'))).toThrow(/CRC/);
    expect(() => decodeFeigFrame(hex('02 00 09 FF 52 00 4A C3'))).toThrow(/ALEN/);
    expect(() => decodeFeigFrame(hex('03 00 08 FF 52 00 4A C3'))).toThrow(/STX/);
  });

  it('parses every vector split at every offset', () => {
    for (const vector of VECTORS) {
      const bytes = hex(vector);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const parser = new FeigFrameParser();
        const items = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
        expect(items.filter((i) => i.ok).map((i) => (i.ok ? show(i.bytes) : ''))).toEqual([vector]);
        expect(parser.pending).toBe(0);
      }
    }
  });

  it('resyncs after garbage and after a corrupt frame', () => {
    const parser = new FeigFrameParser();
    const corrupt = hex('02 00 08 FF 52 00 4A C4');
    const input = Uint8Array.from([0x41, 0x42, ...corrupt, 0x02, 0xff, 0xff, ...hex(BAUD_REPLY)]);
    const items = parser.push(input);
    const frames = items.filter((i) => i.ok);
    expect(frames).toHaveLength(1);
    expect(items.some((i) => !i.ok && i.error.code === 'feig_crc')).toBe(true);
    expect(items.some((i) => !i.ok && i.error.code === 'feig_garbage')).toBe(true);
  });

  it('stays bounded and never throws on random or mutated input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const parser = new FeigFrameParser({ maxFrame: 256 });
        for (const chunk of chunks) parser.push(chunk);
        expect(parser.pending).toBeLessThanOrEqual(256);
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...VECTORS),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (vector, at, value) => {
          const bytes = hex(vector);
          bytes[at % bytes.length] = value;
          const items = new FeigFrameParser().push(bytes);
          for (const item of items) {
            if (!item.ok) continue;
            try {
              decodeFeigReply(item.frame);
              decodeIsoRequest(item.frame.command, item.frame.data);
            } catch (error) {
              expect(error).toBeInstanceOf(Error);
            }
          }
        },
      ),
    );
  });
});

describe('FEIG ISO host replies', () => {
  it('returns read-blocks data un-reversed, with security status', () => {
    const data = hex('02 04 00 01 01 01 11 01 30 30 30 31');
    const blocks = decodeReadBlocksReply(data);
    expect(blocks.blockSize).toBe(4);
    expect(show(Buffer.concat(blocks.blocks))).toBe('11 01 01 01 31 30 30 30');
    expect(blocks.securityStatus).toEqual([0, 1]);
    expect(show(encodeReadBlocksReply(blocks))).toBe(show(data));
    expect(() => decodeReadBlocksReply(hex('03 04 00 01 02 03 04'))).toThrow(/shorter/);
  });

  it('round-trips inventory, system info and write requests', () => {
    const entries = [{ transponderType: 3, dsfid: 0x3e, uid: 'E004010046707A28' }];
    expect(decodeInventoryReply(encodeInventoryReply(entries))).toEqual(entries);
    const info = {
      uid: 'E004010046707A28',
      dsfid: 6,
      afi: 0xc2,
      blockSize: 4,
      blockCount: 28,
      icReference: 1,
    };
    expect(decodeSystemInfoReply(encodeSystemInfoReply(info))).toEqual(info);
    const write = encodeIsoRequest({
      kind: 'writeBlocks',
      uid: 'E004010046707A28',
      first: 3,
      blockSize: 4,
      blocks: [hex('01 02 03 04')],
    });
    expect(show(write.data.subarray(10))).toBe('03 01 04 04 03 02 01');
    expect(decodeIsoRequest(write.command, write.data)).toMatchObject({
      first: 3,
      blocks: [hex('01 02 03 04')],
    });
    // ISO 15693 Write DSFID (0x29), addressed: mode 01, the UID MSB first, the DSFID.
    const dsfid = encodeIsoRequest({ kind: 'writeDsfid', uid: 'E004010046707A28', dsfid: 0x3e });
    expect([dsfid.command, show(dsfid.data)]).toEqual([0xb0, '29 01 E0 04 01 00 46 70 7A 28 3E']);
    expect(decodeIsoRequest(dsfid.command, dsfid.data)).toEqual({
      kind: 'writeDsfid',
      uid: 'E004010046707A28',
      dsfid: 0x3e,
    });
    const inv = encodeIsoRequest({ kind: 'inventory', afi: 0x07, more: false });
    expect(show(inv.data)).toBe('01 10 07');
    const eas = encodeIsoRequest({ kind: 'eas', command: 'set', uid: 'E004010046707A28' });
    expect(eas.command).toBe(0xb1);
    expect(show(eas.data.subarray(0, 3))).toBe('A2 04 01');
  });

  it('maps reader statuses to typed errors', () => {
    const error = (status: number, data: number[] = []) => {
      try {
        decodeFeigReply(feigReply(0, 0xb0, status, data));
      } catch (e) {
        return e as FeigStatusError;
      }
      throw new Error('no error');
    };
    expect(error(0x01).code).toBe('rfid_no_transponder');
    expect(error(0x03).code).toBe('rfid_write_error');
    expect(error(0x83).code).toBe('rfid_rf_communication');
    const iso = error(0x95, [0x12]);
    expect(iso).toBeInstanceOf(FeigStatusError);
    expect(iso.isoErrorCode).toBe(0x12);
    expect(iso.message).toMatch(/locked/);
    // a tag refusing a locked block or AFI is on the pad and write-protected, not out of reach
    expect(iso.code).toBe('rfid_write_protect');
    expect(error(0x95, [0x11]).code).toBe('rfid_write_protect');
    expect(error(0x95, [0x13]).code).toBe('rfid_iso_error');
    expect(error(0x95).code).toBe('rfid_iso_error');
    expect(decodeFeigReply(feigReply(0, 0xb0, 0x94, [1])).status).toBe(0x94);
    // A status the caller expects as an answer (an empty pad's "no transponder") comes back as it is;
    // any other error status is still thrown.
    expect(decodeFeigReply(feigReply(0, 0xb0, 0x01), 0x01)).toMatchObject({ status: 0x01 });
    expect(() => decodeFeigReply(feigReply(0, 0xb0, 0x83), 0x01)).toThrow(FeigStatusError);
    expect(decodeSoftwareVersion(hex('03 04 00 00 4F 00 08')).revision).toBe('3.4.0');
  });
});
