import { describe, expect, it } from 'vitest';
import {
  decode3mTag,
  decodeIso28560Part4,
  decodeTag,
  decodeUrnCode40,
  encode3mTag,
  encodeIso28560Part2,
  encodeIso28560Part2Elements,
  encodeUrnCode40,
  RfidDecodeError,
  RfidEncodeError,
} from '../../../src/protocols/rfid/index.js';
import { blockReversed, hex, toHex } from '../../fixtures/rfid/vectors.js';

describe('blank tags', () => {
  it('all zero, all FF and the 3M factory pattern', () => {
    expect(decodeTag(new Uint8Array(32))).toMatchObject({
      ok: true,
      format: 'blank',
      fields: { pattern: 'zero' },
    });
    expect(decodeTag(new Uint8Array(112).fill(0xff))).toMatchObject({
      ok: true,
      format: 'blank',
      fields: { pattern: 'ff' },
    });
    const threeM = new Uint8Array(32);
    threeM.fill(0x55, 0, 24);
    expect(decodeTag(threeM)).toMatchObject({
      ok: true,
      format: 'blank',
      crc: 'absent',
      fields: { pattern: '3m' },
    });
  });

  it('one stray byte is not blank', () => {
    const almost = new Uint8Array(32);
    almost[31] = 1;
    expect(decodeTag(almost)).toMatchObject({ ok: false, error: { code: 'rfid_unknown_format' } });
  });
});

describe('3M format', () => {
  const tag = encode3mTag({
    primaryItemId: '31234000054321',
    set: { parts: 2, part: 1 },
    itemType: 3,
    branch: 7,
    library: 12345,
    custom: -2,
  });

  it('is laid out as documented', () => {
    expect(toHex(tag.subarray(0, 4))).toBe('04 12 00 03');
    expect(toHex(tag.subarray(20, 28))).toBe('00 70 30 39 FF FF FF FE');
  });

  it('decodes, logical or block-reversed', () => {
    const fields = {
      primaryItemId: '31234000054321',
      set: { parts: 2, part: 1 },
      itemType: 3,
      branch: 7,
      library: 12345,
      custom: -2,
    };
    expect(decodeTag(tag)).toMatchObject({
      ok: true,
      format: '3m',
      byteOrder: 'logical',
      crc: 'absent',
      fields,
    });
    expect(decodeTag(blockReversed(tag))).toMatchObject({
      ok: true,
      format: '3m',
      byteOrder: 'block-reversed',
      fields,
    });
  });

  it('a short 3M tag has no block 5 and 6', () => {
    const result = decode3mTag(tag.subarray(0, 20));
    expect(result.ok && result.fields).toEqual({
      primaryItemId: '31234000054321',
      set: { parts: 2, part: 1 },
      itemType: 3,
    });
    expect(decode3mTag(tag.subarray(0, 12))).toMatchObject({ ok: false, error: { code: 'rfid_truncated' } });
  });

  it('refuses a barcode that does not fit', () => {
    expect(() => encode3mTag({ primaryItemId: '1'.repeat(17) })).toThrow(RfidEncodeError);
  });
});

describe('ISO/TS 28560-4 UHF', () => {
  it('URN Code 40 packs three characters per 16-bit word', () => {
    expect(toHex(encodeUrnCode40('ABC'))).toBe(
      toHex(Uint8Array.of(((1600 + 80 + 3 + 1) >> 8) & 0xff, (1600 + 80 + 3 + 1) & 0xff)),
    );
    for (const id of ['1000000056', 'X-1.2:3', 'A']) expect(decodeUrnCode40(encodeUrnCode40(id))).toBe(id);
    expect(() => encodeUrnCode40('abc')).toThrow(RfidEncodeError);
    expect(decodeUrnCode40(hex('FF FF'))).toBeUndefined();
  });

  it('reads the AFI from a toggled PC word and the item id from the EPC', () => {
    const epc = encodeUrnCode40('1000000056');
    const pc = ((epc.length / 2) << 11) | 0x0400 | 0x0100 | 0x07;
    const user = encodeIso28560Part2({ primaryItemId: '1000000056', ownerLibrary: 'DK-718500' });
    const result = decodeIso28560Part4({ pc, epc, userMemory: Uint8Array.of(0x06, ...user) });
    expect(result.ok).toBe(true);
    expect(result.ok && result.fields).toMatchObject({
      primaryItemId: '1000000056',
      afi: 0x07,
      userMemoryIndicator: true,
      dsfid: 6,
      userData: { ownerLibrary: 'DK-718500' },
    });
  });

  it('refuses an EPCglobal EPC (toggle clear)', () => {
    const result = decodeIso28560Part4({ pc: 0x3000, epc: new Uint8Array(12) });
    expect(result).toMatchObject({ ok: false, error: { code: 'rfid_not_iso_uii' } });
  });

  it('decodeTag recognises user memory that starts with DSFID 06', () => {
    // UHF user memory may leave OID 1 out: the item id is in the EPC.
    const elements = encodeIso28560Part2Elements([
      { oid: 2, value: hex('80') },
      { oid: 3, value: 'DK-718500' },
    ]);
    const user = Uint8Array.of(0x06, ...elements);
    expect(decodeTag(user)).toMatchObject({
      ok: true,
      format: '28560-4',
      fields: { dsfid: 6, userData: { ownerLibrary: 'DK-718500' } },
    });
  });
});

describe('rejected inputs give typed errors', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['empty memory', new Uint8Array(0)],
    ['random text', new TextEncoder().encode('hello, this is not a tag at all!!')],
    ['a truncated part 3 block', hex('11 01 01 31 30 30')],
  ];
  for (const [what, memory] of cases) {
    it(what, () => {
      const result = decodeTag(memory);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toBeInstanceOf(RfidDecodeError);
      expect(!result.ok && result.error.code).toMatch(/^rfid_/);
    });
  }

  it('a DSFID 06 hint on memory that is not part 2 fails as part 2', () => {
    const result = decodeTag(hex('06 01 41 00'), { dsfid: 0x06 });
    expect(result).toMatchObject({ ok: false, error: { code: 'rfid_missing_primary_item_id', offset: 0 } });
  });

  it('anything that is not a Uint8Array is refused, not thrown', () => {
    expect(decodeTag('11 01' as unknown as Uint8Array).ok).toBe(false);
  });
});
