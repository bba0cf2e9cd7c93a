import { describe, expect, it } from 'vitest';
import {
  CRC16_IBM_3740,
  crc16Genibus,
  crc16HighFirst,
  crc16Ibm3740,
  crc16Iso15693,
  crc16LowFirst,
  crc16Mcrf4xx,
} from '../../../src/protocols/rfid/index.js';
import { ascii, hex } from '../../fixtures/rfid/vectors.js';

describe('CRC-16/IBM-3740 (ISO 28560-3 data model)', () => {
  it('matches the check values', () => {
    expect(crc16Ibm3740(ascii('123456789'))).toBe(0x29b1);
    expect(crc16Ibm3740(ascii('RFID tag data model'))).toBe(0x1aee);
  });

  it('is incremental: two updates equal one pass', () => {
    const bytes = ascii('RFID tag data model');
    const running = CRC16_IBM_3740.update(
      CRC16_IBM_3740.update(CRC16_IBM_3740.initial, bytes, 0, 7),
      bytes,
      7,
    );
    expect(CRC16_IBM_3740.finish(running)).toBe(0x1aee);
  });
});

describe('ISO 15693 air CRC', () => {
  it('01 02 03 04 gives 91 39, low byte first', () => {
    expect([...crc16LowFirst(crc16Iso15693(hex('01 02 03 04')))]).toEqual([0x91, 0x39]);
  });

  it('a frame followed by its CRC leaves the ISO/IEC 13239 residue 0xF0B8 (before the final XOR)', () => {
    const frame = hex('01 02 03 04 91 39');
    expect(crc16Iso15693(frame) ^ 0xffff).toBe(0xf0b8);
  });
});

describe('FEIG host-protocol frame CRC (CRC-16/MCRF4XX)', () => {
  const frames = [
    '02 00 08 FF 52 00 4A C3',
    '02 00 08 00 52 00 B9 05',
    '02 00 07 FF 65 6E 61',
    '02 00 13 00 B0 23 01 E0 04 01 00 46 70 7A 28 00 0A 88 BF',
  ];
  for (const frame of frames) {
    it(`checks ${frame}`, () => {
      const bytes = hex(frame);
      const body = bytes.subarray(0, bytes.length - 2);
      expect(crc16LowFirst(crc16Mcrf4xx(body))).toEqual(bytes.subarray(bytes.length - 2));
    });
  }

  it('a corrupted frame no longer checks', () => {
    expect(crc16Mcrf4xx(hex('02 00 08 FF 53 00'))).not.toBe(0xc34a);
  });
});

describe('3M 810 pad frame CRC (CRC-16/GENIBUS)', () => {
  const frames = ['D5 00 05 04 00 11 8C 66', 'D5 00 09 04 00 11 0A 05 00 02 72 50'];
  for (const frame of frames) {
    it(`checks ${frame}, over length and payload, high byte first`, () => {
      const bytes = hex(frame);
      const covered = bytes.subarray(1, bytes.length - 2);
      expect(crc16HighFirst(crc16Genibus(covered))).toEqual(bytes.subarray(bytes.length - 2));
    });
  }
});
