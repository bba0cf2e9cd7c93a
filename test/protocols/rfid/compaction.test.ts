import { describe, expect, it } from 'vitest';
import {
  compact,
  compactAs,
  compactIsil,
  decodeLength,
  encodeLength,
  expand,
  expandIsil,
} from '../../../src/protocols/rfid/index.js';
import { hex, toHex, V6_COMPACTION, V6_LENGTHS } from '../../fixtures/rfid/vectors.js';

describe('ISO/IEC 15962 compaction units (V6)', () => {
  for (const { compaction, text, bytes } of V6_COMPACTION) {
    it(`${compaction}: ${text} <-> ${toHex(bytes)}`, () => {
      expect(toHex(compactAs(compaction, text)!)).toBe(toHex(bytes));
      expect(expand(compaction, bytes)).toBe(text);
    });
  }

  it('the encoder picks the scheme the vectors use, integer over numeric on a tie', () => {
    for (const { compaction, text } of V6_COMPACTION.filter((v) => v.compaction !== 'numeric')) {
      expect(compact(text).compaction).toBe(compaction);
    }
    expect(compact('410')).toEqual({ compaction: 'integer', data: hex('01 9A') });
    expect(compact('0410')).toEqual({ compaction: 'numeric', data: hex('04 10') });
  });

  it('picks 7-bit, octet and UTF-8 when the smaller sets do not hold the text', () => {
    expect(compact('QA268.L55').compaction).toBe('6-bit');
    expect(compact('The Left Hand of Darkness').compaction).toBe('7-bit');
    expect(compact('Æblegrød').compaction).toBe('octet');
    expect(compact('Smörgåsbord €').compaction).toBe('utf-8');
  });

  it('keeps leading zeros: 0042 is numeric, not integer', () => {
    expect(compact('0042')).toEqual({ compaction: 'numeric', data: hex('00 42') });
    expect(compact('0')).toEqual({ compaction: 'integer', data: hex('00') });
  });

  it('tells padding from a real last character', () => {
    // Two 5-bit characters leave 6 pad bits: the pad code is not read as a character.
    expect(expand('5-bit', compactAs('5-bit', 'AB')!)).toBe('AB');
    // Three 6-bit characters leave 6 pad bits of 100000 (a space), dropped.
    expect(expand('6-bit', compactAs('6-bit', 'ABC')!)).toBe('ABC');
    // Four characters fill 3 bytes exactly: a last space would read as padding, so 'ABC ' is not written 6-bit.
    expect(expand('6-bit', compactAs('6-bit', 'AB ')!)).toBe('AB ');
    expect(compact('ABC ').compaction).not.toBe('6-bit');
    expect(expand(compact('ABC ').compaction, compact('ABC ').data)).toBe('ABC ');
    expect(expand('7-bit', compactAs('7-bit', 'abcdefg')!)).toBe('abcdefg');
  });

  it('integer compaction handles numbers past 2^53', () => {
    const text = '123456789012345678901234567890';
    expect(expand('integer', compactAs('integer', text)!)).toBe(text);
  });

  it('rejects data a scheme cannot hold', () => {
    expect(() => expand('numeric', hex('4A'))).toThrow();
    expect(() => expand('utf-8', hex('C3 28'))).toThrow();
    expect(() => expand('integer', new Uint8Array(0))).toThrow();
    expect(compactAs('numeric', '12a')).toBeUndefined();
    expect(compactAs('5-bit', 'abc')).toBeUndefined();
  });
});

describe('length encoding (V6)', () => {
  for (const [length, bytes] of V6_LENGTHS) {
    it(`${length} <-> ${toHex(bytes)}`, () => {
      expect(toHex(encodeLength(length))).toBe(toHex(bytes));
      expect(decodeLength(bytes, 0)).toEqual({ length, size: bytes.length });
    });
  }

  it('a length running off the end is undefined', () => {
    expect(decodeLength(hex('81'), 0)).toBeUndefined();
    expect(decodeLength(hex('81 80 80 80 00'), 0)).toBeUndefined();
  });
});

describe('ISIL compaction', () => {
  it('US-InU-Mu is AC C0 9E BA A0 6F 6B (ISO 28560-2 Annex D)', () => {
    expect(toHex(compactIsil('US-InU-Mu')!)).toBe('AC C0 9E BA A0 6F 6B');
    expect(expandIsil(hex('AC C0 9E BA A0 6F 6B'))).toBe('US-InU-Mu');
  });

  it('latches into digits for a numeric library code and round-trips mixed ISILs', () => {
    for (const isil of ['DK-718500', 'DE-705', 'FI-He', 'GB-UkOxU', 'US-NNC:a/b', 'NO-0030000', 'x']) {
      const data = compactIsil(isil)!;
      expect(expandIsil(data)).toBe(isil);
    }
    // 2 upper + hyphen at 5 bits, latch, 6 digits at 4 bits: 15 + 5 + 24 = 44 bits.
    expect(compactIsil('DK-718500')).toHaveLength(6);
  });

  it('has no code for characters outside the ISIL sets', () => {
    expect(compactIsil('DK 718500')).toBeUndefined();
  });
});
