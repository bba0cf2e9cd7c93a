/**
 * The refusal of each request (sip2Refusal) as the spec and a strict self-check
 * read it: every fixed field one of the spec's values, every required variable
 * field present. Written against the encoded frame, not the object, so what is
 * checked is what goes on the wire.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnySip2Message,
  decodeSip2Message,
  encodeSip2Message,
  sip2Refusal,
} from '../../../src/protocols/sip2/index.js';

const DATE = '20260302    100000';

function refusalWire(request: Record<string, unknown>): string {
  const refusal = sip2Refusal(request as unknown as AnySip2Message, {
    transactionDate: DATE,
    screenMessage: 'ILS offline',
  });
  if (!refusal) throw new Error(`no refusal for ${String(request.type)}`);
  return Buffer.from(encodeSip2Message(refusal, { errorDetection: false }))
    .toString('latin1')
    .slice(0, -1);
}

/** The variable fields of a frame, by id (first occurrence). */
function fieldsOf(wire: string, fixedLength: number): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of wire.slice(fixedLength).split('|')) {
    if (part.length >= 2 && !fields.has(part.slice(0, 2))) fields.set(part.slice(0, 2), part.slice(2));
  }
  return fields;
}

const patronRequest = {
  institutionId: 'RIVERSIDE',
  patronIdentifier: '21000001',
  terminalPassword: '',
  transactionDate: DATE,
};
const english = { code: '001', name: 'english' };

describe('the refusal of a request, as a strict self-check reads it', () => {
  it('24 for a 23: the four privileges denied (YYYY then blanks), the 23’s language, BL N, AE present', () => {
    // "patron status … A Y in any position indicates that the condition is true"; an unverified
    // patron may not borrow: SIPServer and Koha answer an invalid patron with YYYY and ten blanks.
    const wire = refusalWire({
      type: 'patronStatusRequest',
      language: english,
      ...patronRequest,
      patronPassword: '1234',
    });
    expect(wire.slice(0, 2)).toBe('24');
    expect(wire.slice(2, 16)).toBe(`YYYY${' '.repeat(10)}`);
    // "language … the language of the request" is echoed, not 000, when the SC named one.
    expect(wire.slice(16, 19)).toBe('001');
    const fields = fieldsOf(wire, 37);
    expect(fields.get('AO')).toBe('RIVERSIDE');
    expect(fields.get('AA')).toBe('21000001');
    expect(fields.get('AE')).toBe('');
    expect(fields.get('BL')).toBe('N');
    expect(fields.get('AF')).toBe('ILS offline');
  });

  it('64 for a 63: the six counts are digits, 0000, not the blanks of "unsupported"', () => {
    // "4-char, fixed-length field … from 0000 to 9999"; blanks say the ACS does not support the count.
    const wire = refusalWire({
      type: 'patronInformation',
      language: english,
      summary: null,
      ...patronRequest,
    });
    expect(wire.slice(0, 2)).toBe('64');
    expect(wire.slice(2, 16)).toBe(`YYYY${' '.repeat(10)}`);
    expect(wire.slice(16, 19)).toBe('001');
    expect(wire.slice(37, 61)).toBe('0000'.repeat(6));
    const fields = fieldsOf(wire, 61);
    expect([fields.get('AO'), fields.get('AA'), fields.get('AE'), fields.get('BL')]).toEqual([
      'RIVERSIDE',
      '21000001',
      '',
      'N',
    ]);
  });

  it('24 for a 01 and 26 for a 25: no language asked, so 000 (unknown)', () => {
    const blocked = refusalWire({
      type: 'blockPatron',
      cardRetained: false,
      blockedCardMessage: 'x',
      ...patronRequest,
    });
    expect(blocked.slice(0, 2)).toBe('24');
    expect(blocked.slice(2, 19)).toBe(`YYYY${' '.repeat(10)}000`);
    const enabled = refusalWire({ type: 'patronEnable', ...patronRequest });
    expect(enabled.slice(0, 2)).toBe('26');
    expect(enabled.slice(2, 19)).toBe(`YYYY${' '.repeat(10)}000`);
  });

  it('12 and 30: ok 0, renewal N, magnetic media U, desensitize N (nothing was lent), AH present and empty', () => {
    const checkout = refusalWire({
      type: 'checkout',
      scRenewalPolicy: true,
      noBlock: false,
      nbDueDate: null,
      ...patronRequest,
      itemIdentifier: '31000005',
    });
    expect(checkout.slice(0, 6)).toBe('120NUN');
    const renew = refusalWire({
      type: 'renew',
      thirdPartyAllowed: false,
      noBlock: false,
      nbDueDate: null,
      ...patronRequest,
      itemIdentifier: '31000005',
    });
    expect(renew.slice(0, 6)).toBe('300NUN');
    for (const wire of [checkout, renew]) {
      const fields = fieldsOf(wire, 24);
      expect([...fields.keys()]).toEqual(expect.arrayContaining(['AO', 'AA', 'AB', 'AJ', 'AH']));
      expect(fields.get('AH')).toBe('');
      expect(fields.get('AB')).toBe('31000005');
    }
  });

  it('10: ok 0, resensitize N (the item is still out), magnetic media U, alert N, AQ present', () => {
    const wire = refusalWire({
      type: 'checkin',
      noBlock: false,
      transactionDate: DATE,
      returnDate: DATE,
      currentLocation: 'MAIN',
      institutionId: 'RIVERSIDE',
      itemIdentifier: '31000001',
      terminalPassword: '',
    });
    expect(wire.slice(0, 6)).toBe('100NUN');
    const fields = fieldsOf(wire, 24);
    expect(fields.get('AO')).toBe('RIVERSIDE');
    expect(fields.get('AB')).toBe('31000001');
    expect(fields.get('AQ')).toBe('');
  });

  it('18: circulation status 01 (other), security marker 00 (other), fee type 01 (other/unknown), AJ present', () => {
    const wire = refusalWire({
      type: 'itemInformation',
      transactionDate: DATE,
      institutionId: 'RIVERSIDE',
      itemIdentifier: '31000001',
    });
    expect(wire.slice(0, 8)).toBe('18010001');
    const fields = fieldsOf(wire, 26);
    expect(fields.get('AB')).toBe('31000001');
    expect(fields.get('AJ')).toBe('');
    const decoded = decodeSip2Message(wire);
    expect(decoded.ok && decoded.warnings).toEqual([]);
  });
});
