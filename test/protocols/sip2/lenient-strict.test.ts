import { describe, expect, it } from 'vitest';
import {
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  isValidPatron,
  isValidPatronPassword,
  Sip2DecodeError,
  Sip2EncodeError,
} from '../../../src/protocols/sip2/index.js';
import { LENIENT_FRAMES, REJECTED_FRAMES, REJECTED_MESSAGES } from '../../fixtures/sip2/rejected.js';

describe('decoding is lenient but precise', () => {
  for (const vector of REJECTED_FRAMES) {
    it(`refuses ${vector.name}`, () => {
      const result = decodeSip2Message(vector.wire);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(Sip2DecodeError);
      expect(result.error).toMatchObject({ code: vector.code, position: vector.position });
    });
  }

  it('reports a plain-text line with its text', () => {
    const result = decodeSip2Message('Login failed: too many sessions\r\n');
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'sip2_not_a_message', text: 'Login failed: too many sessions' },
    });
  });

  for (const vector of LENIENT_FRAMES) {
    it(`reads ${vector.name}`, () => {
      const result = decodeSip2Message(vector.wire);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.warnings.map((w) => w.code)).toEqual(vector.warnings);
      expect(result.message).toMatchObject(vector.expect);
    });
  }

  it('reads AY without AZ alike where a field starts: after the fixed fields as after a |, a | after it or not', () => {
    // A sequence number whose checksum is absent either way (a peer with its checksums off), never a field.
    for (const [wire, sequence] of [
      ['9900302.00AY1', 1],
      ['36Y20240315    142530AOmain|AAp1|AY2', 2],
      ['36Y20240315    142530AOmain|AAp1|AY3|', 3],
      ['941AY0', 0],
    ] as const) {
      const result = decodeSip2Message(wire);
      expect(result.ok, wire).toBe(true);
      if (!result.ok) continue;
      expect(result.checksum, wire).toBe('absent');
      expect(result.warnings, wire).toEqual([]);
      expect(result.message, wire).toMatchObject({ sequence });
      expect((result.message as { extraFields?: unknown }).extraFields, wire).toBeUndefined();
    }
  });

  it('gives warnings a position and field', () => {
    const result = decodeSip2Message('121NNY20240315    142530AOmain|AAp1|ABi1|AJTitle|AH2022-02-27|');
    expect(result.ok && result.warnings[0]).toMatchObject({
      code: 'free_form_date',
      position: 51,
      field: 'dueDate',
    });
  });

  it('a missing BL or CQ means invalid, never valid', () => {
    const result = decodeSip2Message('24NNNNNNNNNNNNNN00120240315    142530AOmain|AAp1|AEName|');
    if (!result.ok) throw result.error;
    expect(isValidPatron(result.message as never)).toBe(false);
    expect(isValidPatronPassword(result.message as never)).toBe(false);
    const valid = decodeSip2Message('24NNNNNNNNNNNNNN00120240315    142530AOmain|AAp1|AEName|BLY|CQN|');
    if (!valid.ok) throw valid.error;
    expect(isValidPatron(valid.message as never)).toBe(true);
    expect(isValidPatronPassword(valid.message as never)).toBe(false);
  });

  it('extra fields written back after the spec fields', () => {
    const result = decodeSip2Message('36Y20240315    142530AOmain|ZZone|AAp1|');
    if (!result.ok) throw result.error;
    expect(Buffer.from(encodeSip2Message(result.message, { errorDetection: false })).toString()).toBe(
      '36Y20240315    142530AOmain|AAp1|ZZone|\r',
    );
  });
});

describe('encoding is strict', () => {
  for (const vector of REJECTED_MESSAGES) {
    it(`refuses ${vector.name}`, () => {
      expect(() => encodeSip2Message(vector.message as AnySip2MessageInput)).toThrow(Sip2EncodeError);
      try {
        encodeSip2Message(vector.message as AnySip2MessageInput);
      } catch (error) {
        expect((error as Sip2EncodeError).code).toBe(vector.code);
        // Error text never quotes a value (it may be a PIN).
        expect((error as Error).message).not.toMatch(/a\|b|x{10}/);
      }
    });
  }

  it('replaces | when asked to', () => {
    const wire = encodeSip2Message(
      {
        type: 'endSessionResponse',
        endSession: true,
        transactionDate: '20240315    142530',
        institutionId: 'a|b',
        patronIdentifier: 'p',
      },
      { delimiterInValue: 'replace', errorDetection: false },
    );
    expect(Buffer.from(wire).toString()).toBe('36Y20240315    142530AOa/b|AAp|\r');
  });

  it('escapes | as SIPServer does (&#124;) when asked to, read back as the |, the 255 counted as written', () => {
    const answer = {
      type: 'endSessionResponse',
      endSession: true,
      transactionDate: '20240315    142530',
      institutionId: 'main',
      patronIdentifier: 'p',
      screenMessage: ['Tintin | Tibet', 'A|AB'],
    } as const;
    const wire = encodeSip2Message(answer, { delimiterInValue: 'escape', errorDetection: false });
    expect(Buffer.from(wire).toString()).toBe(
      '36Y20240315    142530AOmain|AAp|AFTintin &#124; Tibet|AFA&#124;AB|\r',
    );
    const decoded = decodeSip2Message(wire);
    expect(decoded.ok && decoded.message).toMatchObject({ screenMessage: ['Tintin | Tibet', 'A|AB'] });
    // 250 characters and a | are 256 as written.
    expect(() =>
      encodeSip2Message(
        { ...answer, screenMessage: [`${'x'.repeat(250)}|`] },
        { delimiterInValue: 'escape' },
      ),
    ).toThrow(/256 characters, at most 255/);
  });

  it('accepts exactly 255 characters', () => {
    const screenMessage = ['x'.repeat(255)];
    const wire = encodeSip2Message({
      type: 'endSessionResponse',
      endSession: true,
      transactionDate: '20240315    142530',
      institutionId: 'main',
      patronIdentifier: 'p',
      screenMessage,
    });
    const result = decodeSip2Message(wire);
    expect(result.ok && result.message).toMatchObject({ screenMessage });
  });
});
