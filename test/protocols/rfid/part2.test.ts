import { describe, expect, it } from 'vitest';
import {
  decodeIso28560Part2,
  decodeTag,
  encodeIso28560Part2,
  encodeIso28560Part2Elements,
  type Iso28560Part2Fields,
  PART2_ELEMENTS,
  RfidEncodeError,
} from '../../../src/protocols/rfid/index.js';
import { blockReversed, hex, toHex, V5 } from '../../fixtures/rfid/vectors.js';

function fieldsOf(memory: Uint8Array): Iso28560Part2Fields {
  const result = decodeIso28560Part2(memory);
  if (!result.ok) throw new Error(result.error.message);
  return result.fields;
}

describe('ISO 28560-2 vector V5 (Annex D)', () => {
  it('decodes every element', () => {
    const result = decodeIso28560Part2(V5);
    expect(result.ok && result.crc).toBe('absent');
    expect(result.ok && result.warnings).toEqual([]);
    const f = fieldsOf(V5);
    expect(f.primaryItemId).toBe('123456789012');
    expect(f.contentParameter).toEqual([3, 4, 6]);
    expect(f.set).toEqual({ parts: 12, part: 3 });
    expect(f.setInformation).toBe('1203');
    expect(f.shelfLocation).toBe('QA268.L55');
    expect(f.ownerLibrary).toBe('US-InU-Mu');
    expect(f.elements.map((e) => [e.oid, e.name, e.compaction, e.offset])).toEqual([
      [1, 'primaryItemId', 'integer', 0],
      [2, 'contentParameter', 'application', undefined],
      [4, 'setInformation', 'integer', undefined],
      [6, 'shelfLocation', '6-bit', undefined],
      [3, 'ownerLibrary', 'application', 2],
    ]);
    expect(f.elements[1]?.value).toEqual(hex('D0'));
  });

  it('re-encodes from its elements byte for byte', () => {
    expect(toHex(encodeIso28560Part2Elements(fieldsOf(V5).elements))).toBe(toHex(V5));
  });

  it('re-encodes from its fields, choosing the same compactions and block alignment', () => {
    const f = fieldsOf(V5);
    expect(toHex(encodeIso28560Part2(f, { order: f.elements.map((e) => e.oid) }))).toBe(toHex(V5));
  });

  it('is written from item data in the Annex D element order', () => {
    const memory = encodeIso28560Part2(
      {
        primaryItemId: '123456789012',
        set: { parts: 12, part: 3 },
        shelfLocation: 'QA268.L55',
        ownerLibrary: 'US-InU-Mu',
      },
      { order: [1, 2, 4, 6, 3] },
    );
    expect(toHex(memory)).toBe(toHex(V5));
  });

  it('decodeTag finds it by content, by DSFID hint, and block-reversed', () => {
    expect(decodeTag(V5)).toMatchObject({ ok: true, format: '28560-2', byteOrder: 'logical', crc: 'absent' });
    expect(decodeTag(V5, { dsfid: 0x06 })).toMatchObject({
      ok: true,
      format: '28560-2',
      byteOrder: 'logical',
    });
    expect(decodeTag(blockReversed(V5), { dsfid: 0x06 })).toMatchObject({
      ok: true,
      format: '28560-2',
      byteOrder: 'block-reversed',
    });
    const padded = new Uint8Array(112);
    padded.set(V5);
    const result = decodeTag(padded);
    expect(result.ok && result.format === '28560-2' && result.fields.ownerLibrary).toBe('US-InU-Mu');
  });
});

describe('ISO 28560-2 encoder', () => {
  it('aligns the primary item id and the last element to blocks by default', () => {
    const memory = encodeIso28560Part2({ primaryItemId: '31234000054321', ownerLibrary: 'DK-718500' });
    expect(memory.length % 4).toBe(0);
    const f = fieldsOf(memory);
    expect(f.elements[0]?.offset).toBeDefined();
    expect(f.elements[0]!.position).toBe(0);
    expect(f.elements[1]!.position % 4).toBe(0);
    expect(f.primaryItemId).toBe('31234000054321');
    expect(f.ownerLibrary).toBe('DK-718500');
    expect(f.contentParameter).toEqual([3]);
  });

  it('writes a patron card type of usage as class and subclass', () => {
    const f = fieldsOf(encodeIso28560Part2({ primaryItemId: 'P1', typeOfUsage: { class: 8, subclass: 1 } }));
    expect(f.typeOfUsage).toEqual({ class: 8, subclass: 1, name: 'patron-card' });
    expect(f.contentParameter).toEqual([5]);
  });

  it('writes every named data element and reads each back (OIDs past 14 use the extension byte)', () => {
    const input: Record<string, string> = { primaryItemId: 'ITEM-1' };
    for (const spec of PART2_ELEMENTS) {
      if (spec.kind === 'text' && spec.oid !== 1) input[spec.field] = `v${spec.oid} Text`;
    }
    input.ownerLibrary = 'SE-Ab';
    input.illBorrowingInstitution = 'NO-0030000';
    const memory = encodeIso28560Part2({ primaryItemId: 'ITEM-1', ...input }, { memorySize: 512 });
    const result = decodeIso28560Part2(memory);
    expect(result.ok && result.warnings).toEqual([]);
    const f = fieldsOf(memory);
    for (const [field, value] of Object.entries(input))
      expect(f[field as keyof Iso28560Part2Fields]).toBe(value);
    expect(f.title).toBe('v17 Text');
    expect(f.localDataC).toBe('v26 Text');
    const title = f.elements.find((e) => e.oid === 17)!;
    expect(memory[title.position]! & 0x0f).toBe(0x0f);
    expect(memory[title.position + 1]).toBe(2);
  });

  it('round-trips set information with a leading zero', () => {
    const f = fieldsOf(encodeIso28560Part2({ primaryItemId: '1', set: { parts: 2, part: 1 } }));
    expect(f.set).toEqual({ parts: 2, part: 1 });
    expect(f.setInformation).toBe('0201');
  });

  it('refuses what cannot be written', () => {
    expect(() => encodeIso28560Part2({ primaryItemId: '' })).toThrow(RfidEncodeError);
    expect(() => encodeIso28560Part2Elements([{ oid: 6, value: 'abc', compaction: 'numeric' }])).toThrow(
      RfidEncodeError,
    );
    expect(() => encodeIso28560Part2Elements([{ oid: 300, value: '1' }])).toThrow(RfidEncodeError);
    expect(() =>
      encodeIso28560Part2({ primaryItemId: '1', title: 'x'.repeat(200) }, { memorySize: 32 }),
    ).toThrow(RfidEncodeError);
  });
});

describe('ISO 28560-2 decoder rejects', () => {
  const cases: Array<[string, string, string]> = [
    ['a first element that is not OID 1', '06 01 41', 'rfid_missing_primary_item_id'],
    ['a repeated primary item id', '11 01 05 11 01 06', 'rfid_repeated_primary_item_id'],
    ['an element running past the end', '11 05 01 02', 'rfid_truncated'],
    ['a length running past the end', '11 81', 'rfid_truncated'],
    ['an OID extension byte missing', '11 01 05 0F', 'rfid_truncated'],
    ['numeric data that is not digits', '21 01 AB', 'rfid_bad_compaction'],
    ['relative OID 0', '11 01 05 10 01 00', 'rfid_malformed'],
  ];
  for (const [what, bytes, code] of cases) {
    it(what, () => {
      const result = decodeIso28560Part2(hex(bytes));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.code).toBe(code);
      expect(!result.ok && typeof result.error.offset).toBe('number');
    });
  }

  it('warns about a content parameter that does not match, repeated and unknown elements', () => {
    const memory = encodeIso28560Part2Elements([
      { oid: 1, value: '5' },
      { oid: 2, value: hex('80') },
      { oid: 6, value: 'A' },
      { oid: 6, value: 'B' },
      { oid: 40, value: 'Z' },
    ]);
    const result = decodeIso28560Part2(memory);
    expect(result.ok && result.warnings.map((w) => w.code).sort()).toEqual([
      'content_parameter_mismatch',
      'repeated_element',
      'unknown_element',
    ]);
    expect(result.ok && result.fields.shelfLocation).toBe('A');
  });
});
