/**
 * Every fixed-length field of every SIP2 2.00 message against the spec's own
 * words (test/fixtures/sip2/fixed-fields.ts): the encoder writes exactly the
 * characters the spec asks for, the decoder reads them back, and the decoder
 * still reads what servers send in the wild. Each field is set on the message's
 * wire vector (test/fixtures/sip2/messages.ts), so the rest of the frame is known good.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  SIP2_MESSAGES,
  Sip2EncodeError,
} from '../../../src/protocols/sip2/index.js';
import { FIXED_FIELD_CASES } from '../../fixtures/sip2/fixed-fields.js';
import { MESSAGE_VECTORS } from '../../fixtures/sip2/messages.js';

const vectorOf = (type: string) => {
  const vector = MESSAGE_VECTORS.find((v) => v.message.type === type);
  if (!vector) throw new Error(`no vector for ${type}`);
  return vector;
};

/** The vector's message with one field changed, written without error detection. */
function encodeWith(type: string, field: string, value: unknown): string {
  const message = { ...vectorOf(type).message, [field]: value, sequence: undefined };
  return Buffer.from(encodeSip2Message(message as AnySip2MessageInput, { errorDetection: false })).toString(
    'latin1',
  );
}

/** The vector's wire (without AY/AZ) with the characters at `at` replaced. */
function decodeWith(type: string, at: number, wire: string) {
  const frame = vectorOf(type).wire.replace(/AY\dAZ[0-9A-F]{4}$/, '');
  const result = decodeSip2Message(frame.slice(0, at) + wire + frame.slice(at + wire.length));
  if (!result.ok) throw result.error;
  return result;
}

describe('SIP2 2.00 fixed-length fields, as the spec words them', () => {
  it('cover every fixed field of every message in the codec table', () => {
    const covered = new Set(FIXED_FIELD_CASES.map((c) => `${c.message}.${c.field}`));
    const fields = Object.entries(SIP2_MESSAGES).flatMap(([type, spec]) =>
      spec.fixed.map((field) => `${type}.${field.name}`),
    );
    expect(fields.filter((f) => !covered.has(f))).toEqual([]);
  });

  for (const field of FIXED_FIELD_CASES) {
    describe(`${SIP2_MESSAGES[field.message as keyof typeof SIP2_MESSAGES].code} ${field.field} — "${field.spec}"`, () => {
      for (const entry of field.both) {
        const { value, wire } = entry;
        const label = entry.label ?? JSON.stringify(value) ?? 'undefined (left out)';
        const decoded = 'decoded' in entry ? entry.decoded : value;
        it(`encodes ${label} as "${wire}"`, () => {
          expect(encodeWith(field.message, field.field, value).slice(field.at, field.at + wire.length)).toBe(
            wire,
          );
        });
        it(`decodes "${wire}" without a warning`, () => {
          const result = decodeWith(field.message, field.at, wire);
          expect((result.message as Record<string, unknown>)[field.field]).toEqual(decoded);
          expect(result.warnings).toEqual([]);
        });
      }
      for (const { wire, decoded, warns } of field.read ?? []) {
        it(`reads "${wire}" as servers send it${warns ? ', with a warning' : ''}`, () => {
          const result = decodeWith(field.message, field.at, wire);
          expect((result.message as Record<string, unknown>)[field.field]).toEqual(decoded);
          expect(result.warnings.map((w) => w.field)).toEqual(warns ? [field.field] : []);
        });
      }
      for (const value of field.refuse ?? []) {
        it(`refuses to encode ${JSON.stringify(value) ?? 'undefined (left out)'}`, () => {
          expect(() => encodeWith(field.message, field.field, value)).toThrow(Sip2EncodeError);
        });
      }
    });
  }
});
