import { describe, expect, it } from 'vitest';
import {
  decodeIso28560Part3,
  decodeTag,
  encodeIso28560Part3,
  type Iso28560Part3Fields,
  part3Crc,
  RfidEncodeError,
} from '../../../src/protocols/rfid/index.js';
import { blockReversed, toHex, V1, V2, V3, V4_32, V4_34 } from '../../fixtures/rfid/vectors.js';

function fieldsOf(memory: Uint8Array): Iso28560Part3Fields {
  const result = decodeIso28560Part3(memory);
  if (!result.ok) throw new Error(result.error.message);
  return result.fields;
}

describe('ISO 28560-3 vectors', () => {
  it('V1 (Annex B.1): circulating, 1 of 1, 1000000056, DK718500, CRC 0xA498', () => {
    const result = decodeIso28560Part3(V1);
    expect(result.ok && result.crc).toBe('valid');
    expect(result.ok && result.warnings).toEqual([]);
    const f = fieldsOf(V1);
    expect(f).toMatchObject({
      version: 1,
      usageNibble: 'low',
      typeOfUsage: { class: 1, name: 'circulating' },
      set: { parts: 1, part: 1 },
      primaryItemId: '1000000056',
      ownerLibrary: 'DK718500',
      isil: 'DK-718500',
      storedCrc: 0xa498,
      computedCrc: 0xa498,
      extensions: [],
    });
  });

  it('V1 has the same CRC on 32 and 34 bytes', () => {
    expect(part3Crc(V1, 34)).toBe(0xa498);
    expect(part3Crc(V1, 32)).toBe(0xa498);
    expect(fieldsOf(V1.subarray(0, 32)).layout).toBe(32);
    expect(decodeIso28560Part3(V1.subarray(0, 32)).ok && fieldsOf(V1.subarray(0, 32)).computedCrc).toBe(
      0xa498,
    );
  });

  it('V2 (Annex B.2): library and acquisition extension blocks', () => {
    const result = decodeIso28560Part3(V2);
    expect(result.ok && result.crc).toBe('valid');
    expect(result.ok && result.warnings).toEqual([]);
    const f = fieldsOf(V2);
    expect(f.primaryItemId).toBe('1000000136');
    expect(f.ownerLibrary).toBe('DK718500');
    expect(f.storedCrc).toBe(0x1536);
    expect(f.extensions).toEqual([
      { kind: 'library', id: 1, mediaFormat: 1, mediaFormatName: 'book', xorValid: true },
      {
        kind: 'acquisition',
        id: 2,
        supplierId: 'Bogvognen',
        productId: '1234567890',
        orderNumber: '',
        supplierInvoiceNumber: 'a789656c',
        xorValid: true,
      },
    ]);
  });

  it('V3 (32-byte tag): 11223344, DE705, CRC 0x3E51', () => {
    const result = decodeIso28560Part3(V3);
    expect(result.ok && result.crc).toBe('valid');
    expect(fieldsOf(V3)).toMatchObject({
      primaryItemId: '11223344',
      ownerLibrary: 'DE705',
      layout: 32,
      storedCrc: 0x3e51,
    });
  });

  it('V4: an all-zero basic block has CRC 0xF14C on 32 and 34 bytes', () => {
    const zero34 = new Uint8Array(34);
    expect(part3Crc(zero34, 34)).toBe(0xf14c);
    expect(part3Crc(zero34, 32)).toBe(0xf14c);
    for (const v of [V4_32, V4_34]) {
      const result = decodeIso28560Part3(v);
      expect(result.ok && result.crc).toBe('valid');
      expect(result.ok && result.warnings.map((w) => w.code)).toEqual([
        'unknown_version',
        'empty_primary_item_id',
      ]);
    }
  });
});

describe('ISO 28560-3 encoder', () => {
  it('encode(decode(x)) gives back V1, V2 and V3 byte for byte', () => {
    for (const v of [V1, V2, V3]) expect(toHex(encodeIso28560Part3(fieldsOf(v)))).toBe(toHex(v));
  });

  it('writes V1 from plain item data', () => {
    const memory = encodeIso28560Part3({ primaryItemId: '1000000056', ownerLibrary: 'DK-718500' });
    expect(toHex(memory)).toBe(toHex(V1));
  });

  it('writes V2 from item data with extension blocks', () => {
    const memory = encodeIso28560Part3({
      primaryItemId: '1000000136',
      ownerLibrary: 'DK718500',
      extensions: [
        { kind: 'library', mediaFormat: 1 },
        {
          kind: 'acquisition',
          supplierId: 'Bogvognen',
          productId: '1234567890',
          supplierInvoiceNumber: 'a789656c',
        },
      ],
    });
    expect(toHex(memory)).toBe(toHex(V2));
  });

  it('writes a patron card (type of usage 8) that reads back as one', () => {
    const memory = encodeIso28560Part3({
      primaryItemId: '21234000012345',
      typeOfUsage: 'patron-card',
      ownerLibrary: 'DK-718500',
    });
    expect(memory[0]).toBe(0x18);
    const f = fieldsOf(memory);
    expect(f.typeOfUsage).toEqual({ class: 8, subclass: 0, name: 'patron-card' });
    expect(f.primaryItemId).toBe('21234000012345');
  });

  it('writes and reads the Danish variant with the type of usage in the high nibble', () => {
    const memory = encodeIso28560Part3({ primaryItemId: '42', typeOfUsage: 8, usageNibble: 'high' });
    expect(memory[0]).toBe(0x81);
    const result = decodeIso28560Part3(memory);
    expect(result.ok && result.fields.usageNibble).toBe('high');
    expect(result.ok && result.fields.typeOfUsage.name).toBe('patron-card');
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['usage_in_high_nibble']);
    expect(toHex(encodeIso28560Part3(fieldsOf(memory)))).toBe(toHex(memory));
  });

  it('writes set information and 32-byte tags', () => {
    const memory = encodeIso28560Part3({ primaryItemId: '11223344', ownerLibrary: 'DE-705', layout: 32 });
    expect(toHex(memory)).toBe(toHex(V3));
    const set = fieldsOf(encodeIso28560Part3({ primaryItemId: 'X1', set: { parts: 3, part: 2 } })).set;
    expect(set).toEqual({ parts: 3, part: 2 });
  });

  it('moves an item id over 16 bytes to the library extension block (byte 3 = 0x01)', () => {
    const id = '12345678901234567890';
    const memory = encodeIso28560Part3({ primaryItemId: id, ownerLibrary: 'DK-718500' });
    expect(memory[3]).toBe(0x01);
    const f = fieldsOf(memory);
    expect(f.primaryItemId).toBe(id);
    expect(f.extensions[0]).toMatchObject({ kind: 'library', itemId: id });
    expect(toHex(encodeIso28560Part3(f))).toBe(toHex(memory));
  });

  it('keeps unknown extension blocks raw and checks their XOR', () => {
    const memory = encodeIso28560Part3({
      primaryItemId: '7',
      extensions: [{ kind: 'unknown', id: 0x1234, payload: Uint8Array.of(9, 8, 7) }],
    });
    const f = fieldsOf(memory);
    expect(f.extensions).toEqual([
      { kind: 'unknown', id: 0x1234, payload: Uint8Array.of(9, 8, 7), xorValid: true },
    ]);
    const broken = Uint8Array.from(memory);
    broken[38] = broken[38]! ^ 0x40;
    const result = decodeIso28560Part3(broken);
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['extension_xor_mismatch']);
    expect(result.ok && result.fields.extensions[0]?.xorValid).toBe(false);
  });

  it('zero-fills to the tag size and refuses what does not fit', () => {
    expect(encodeIso28560Part3({ primaryItemId: '1' }, { memorySize: 112 })).toHaveLength(112);
    const refuse = (fn: () => unknown, code: string) => {
      expect(fn).toThrow(RfidEncodeError);
      try {
        fn();
      } catch (error) {
        expect((error as RfidEncodeError).code).toBe(code);
      }
    };
    refuse(() => encodeIso28560Part3({ primaryItemId: '' }), 'rfid_invalid_value');
    refuse(() => encodeIso28560Part3({ primaryItemId: 'a\u20acb' }), 'rfid_unencodable');
    refuse(
      () => encodeIso28560Part3({ primaryItemId: '1', ownerLibrary: 'DK-12345678901234' }),
      'rfid_value_too_long',
    );
    refuse(
      () => encodeIso28560Part3({ primaryItemId: '1', set: { parts: 300, part: 1 } }),
      'rfid_invalid_value',
    );
    refuse(() => encodeIso28560Part3({ primaryItemId: '1', typeOfUsage: 16 }), 'rfid_invalid_value');
    refuse(
      () =>
        encodeIso28560Part3({
          primaryItemId: '1',
          layout: 32,
          extensions: [{ kind: 'library', mediaFormat: 1 }],
        }),
      'rfid_invalid_value',
    );
    refuse(() => encodeIso28560Part3({ primaryItemId: '1' }, { memorySize: 16 }), 'rfid_memory_too_small');
  });
});

describe('ISO 28560-3 through decodeTag', () => {
  it('reads V1 in logical order', () => {
    const result = decodeTag(V1);
    expect(result).toMatchObject({ ok: true, format: '28560-3', byteOrder: 'logical', crc: 'valid' });
  });

  it('reads V1 with every 4-byte block reversed and says so', () => {
    const result = decodeTag(blockReversed(V1));
    expect(result).toMatchObject({ ok: true, format: '28560-3', byteOrder: 'block-reversed', crc: 'valid' });
    expect(result.ok && result.format === '28560-3' && result.fields.primaryItemId).toBe('1000000056');
  });

  it('reads V2 and V3 block-reversed too', () => {
    for (const v of [V2, V3]) {
      const result = decodeTag(blockReversed(v));
      expect(result).toMatchObject({
        ok: true,
        format: '28560-3',
        byteOrder: 'block-reversed',
        crc: 'valid',
      });
    }
  });

  it('reports a damaged CRC as invalid, with a warning, when the block still reads sensibly', () => {
    const damaged = Uint8Array.from(V1);
    damaged[12] = 0x39; // item id digit changed
    const result = decodeTag(damaged);
    expect(result).toMatchObject({ ok: true, format: '28560-3', byteOrder: 'logical', crc: 'invalid' });
    expect(result.ok && result.warnings.map((w) => w.code)).toContain('crc_mismatch');
  });

  it('takes the DSFID 0x3E hint as ISO 28560-3 even with a broken CRC', () => {
    const damaged = Uint8Array.from(V1);
    damaged[19] = 0;
    damaged[1] = 0; // implausible set without the hint
    expect(decodeTag(damaged).ok).toBe(false);
    expect(decodeTag(damaged, { dsfid: 0x3e })).toMatchObject({
      ok: true,
      format: '28560-3',
      crc: 'invalid',
    });
  });
});

describe('owner library ISIL', () => {
  it('stores the ISIL without the country hyphen and gives it back with it', () => {
    const f = fieldsOf(encodeIso28560Part3({ primaryItemId: '1', ownerLibrary: 'US-InU-Mu' }));
    expect(f.ownerLibrary).toBe('USInU-Mu');
    expect(f.isil).toBe('US-InU-Mu');
  });
});
