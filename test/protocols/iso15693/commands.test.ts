import { describe, expect, it } from 'vitest';
import {
  decodeInventoryResponse,
  decodeReadBlocksResponse,
  decodeResponse,
  decodeSystemInfoResponse,
  encodeInventory,
  encodeLockAfi,
  encodeNxpEas,
  encodeReadMultipleBlocks,
  encodeSystemInfo,
  encodeWriteMultipleBlocks,
  Iso15693Error,
  normalizeUid,
  parseSystemInfo,
  uidFromWire,
  uidToMsbFirst,
  uidToWire,
  withAirCrc,
} from '../../../src/protocols/iso15693/index.js';

const hex = (text: string) => Uint8Array.from(text.split(' '), (b) => Number.parseInt(b, 16));
const show = (bytes: Uint8Array) =>
  Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');

describe('ISO 15693 UIDs', () => {
  it('reads the LSB-first wire form as E004…', () => {
    expect(uidFromWire(hex('55 44 33 22 11 00 04 E0'))).toBe('E004001122334455');
    expect(show(uidToWire('E004001122334455'))).toBe('55 44 33 22 11 00 04 E0');
    expect(show(uidToMsbFirst('e0:04:00:11:22:33:44:55'))).toBe('E0 04 00 11 22 33 44 55');
  });

  it('rejects what is not 8 bytes', () => {
    expect(() => normalizeUid('E00400')).toThrow(Iso15693Error);
    expect(() => uidFromWire(hex('01 02'))).toThrow(Iso15693Error);
  });
});

describe('ISO 15693 air frames', () => {
  it('appends the ISO/IEC 13239 CRC low byte first', () => {
    expect(show(withAirCrc([1, 2, 3, 4]))).toBe('01 02 03 04 91 39');
  });

  it('parses the Get System Info reference reply', () => {
    const info = parseSystemInfo(hex('03 55 44 33 22 11 00 04 E0 00 07'));
    expect(info).toEqual({ uid: 'E004001122334455', dsfid: 0x00, afi: 0x07 });
    expect(show(encodeSystemInfo(info))).toBe('03 55 44 33 22 11 00 04 E0 00 07');
  });

  it('parses memory size and IC reference, and a full response with CRC', () => {
    const body = [0x00, 0x0f, ...hex('55 44 33 22 11 00 04 E0'), 0x3e, 0xc2, 0x1b, 0x03, 0x01];
    expect(decodeSystemInfoResponse(withAirCrc(body))).toEqual({
      uid: 'E004001122334455',
      dsfid: 0x3e,
      afi: 0xc2,
      blockCount: 28,
      blockSize: 4,
      icReference: 0x01,
    });
  });

  it('rejects a truncated system info', () => {
    expect(() => parseSystemInfo(hex('07 55 44 33 22 11 00 04 E0 00'))).toThrow(/ends before the AFI/);
  });

  it('encodes inventory with and without AFI, 1 or 16 slots', () => {
    expect(show(encodeInventory()).slice(0, 8)).toBe('06 01 00');
    const withAfi = encodeInventory({ afi: 0x07, slots: 1 });
    expect(show(withAfi.subarray(0, 4))).toBe('36 01 07 00');
    expect(decodeResponse(withAirCrc([0x00]))).toHaveLength(0);
  });

  it('encodes addressed read/write multiple blocks with the UID LSB first', () => {
    const read = encodeReadMultipleBlocks('E004010046707A28', 0, 10);
    expect(show(read.subarray(0, read.length - 2))).toBe('22 23 28 7A 70 46 00 01 04 E0 00 09');
    const write = encodeWriteMultipleBlocks('E004010046707A28', 2, hex('01 02 03 04 05 06 07 08'));
    expect(show(write.subarray(10, write.length - 2))).toBe('02 01 01 02 03 04 05 06 07 08');
    expect(() => encodeWriteMultipleBlocks(undefined, 0, hex('01 02 03'))).toThrow(Iso15693Error);
  });

  it('encodes NXP EAS commands with manufacturer code 04 and lock AFI', () => {
    expect(show(encodeNxpEas('set', 'E004001122334455').subarray(0, 3))).toBe('22 A2 04');
    expect(show(encodeNxpEas('alarm', undefined).subarray(0, 3))).toBe('02 A5 04');
    expect(show(encodeLockAfi('E004001122334455').subarray(0, 2))).toBe('22 28');
  });

  it('decodes inventory and block replies, and tag errors', () => {
    const inv = decodeInventoryResponse(withAirCrc(hex('00 3E 55 44 33 22 11 00 04 E0')));
    expect(inv).toEqual({ dsfid: 0x3e, uid: 'E004001122334455' });
    const blocks = decodeReadBlocksResponse(withAirCrc(hex('00 00 11 01 01 31 01 30 30 30 30')), 4, true);
    expect(blocks.securityStatus).toEqual([0, 1]);
    expect(show(blocks.blocks[1]!)).toBe('30 30 30 30');
    try {
      decodeResponse(withAirCrc([0x01, 0x12]));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Iso15693Error);
      expect((error as Iso15693Error).tagErrorCode).toBe(0x12);
    }
    expect(() => decodeResponse(hex('00 01 02'))).toThrow(/CRC/);
  });
});
