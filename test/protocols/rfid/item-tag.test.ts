import { describe, expect, it } from 'vitest';
import {
  decodeIso28560Part3,
  itemTagAfi,
  itemTagMemory,
  itemTagProblem,
  SECURED_AFI,
  UNSECURED_AFI,
} from '../../../src/protocols/rfid/index.js';

describe('item tags described by barcode', () => {
  it('encodes the barcode, owner library, use and part of a set as ISO 28560-3', () => {
    const memory = itemTagMemory({ id: '31000013', owner: 'SE-RPL', set: { part: 2, parts: 3 } });
    const decoded = decodeIso28560Part3(memory);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.fields).toMatchObject({
      primaryItemId: '31000013',
      // ISO 28560-3 keeps the ISIL without its hyphen.
      ownerLibrary: 'SERPL',
      typeOfUsage: { name: 'circulating' },
      set: { part: 2, parts: 3 },
    });
  });

  it('says which field the encoder objects to, and starts secured unless told otherwise', () => {
    expect(itemTagProblem({ id: '31000004', owner: 'SE-RPL' })).toBeUndefined();
    expect(itemTagProblem({ id: '31000004', owner: 'SE-RPL-A-VERY-LONG-LIBRARY-ISIL' })?.field).toBe('owner');
    expect(itemTagAfi(undefined)).toBe(SECURED_AFI);
    expect(itemTagAfi(false)).toBe(UNSECURED_AFI);
  });
});
