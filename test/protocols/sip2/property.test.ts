import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSip2Message,
  encodeSip2Message,
  type Sip2Charset,
  Sip2Framer,
} from '../../../src/protocols/sip2/index.js';
import { MESSAGE_VECTORS } from '../../fixtures/sip2/messages.js';

const CHARSETS: Sip2Charset[] = ['ascii', 'utf-8', 'iso-8859-1', 'ibm850'];
const vectorBytes = MESSAGE_VECTORS.map((v) => Buffer.from(v.wire, 'latin1'));

/** A vector with bytes replaced, inserted or deleted. */
const mutatedFrame = fc
  .tuple(
    fc.constantFrom(...vectorBytes),
    fc.array(
      fc.record({
        kind: fc.constantFrom('replace', 'insert', 'delete'),
        at: fc.nat(),
        byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7c, 0x0d, 0x0a, 0x41, 0x5a, 0x59)),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([base, edits]) => {
    const bytes = [...base];
    for (const edit of edits) {
      const at = bytes.length === 0 ? 0 : edit.at % (bytes.length + 1);
      if (edit.kind === 'replace' && at < bytes.length) bytes[at] = edit.byte;
      else if (edit.kind === 'insert') bytes.splice(at, 0, edit.byte);
      else bytes.splice(at, 1);
    }
    return Uint8Array.from(bytes);
  });

const anyFrame = fc.oneof(fc.uint8Array({ maxLength: 400 }), mutatedFrame);

describe('decoder under random and mutated input', () => {
  it('may reject but never throws, in any charset and checksum policy', () => {
    fc.assert(
      fc.property(
        anyFrame,
        fc.constantFrom(...CHARSETS),
        fc.constantFrom('error', 'warn', 'ignore') as fc.Arbitrary<'error' | 'warn' | 'ignore'>,
        (frame, charset, checksumMismatch) => {
          const result = decodeSip2Message(frame, { charset, checksumMismatch });
          if (result.ok) {
            expect(typeof result.message.type).toBe('string');
            // What was decoded re-encodes, or is refused with a typed error; nothing else.
            try {
              encodeSip2Message(result.message, { charset, delimiterInValue: 'replace' });
            } catch (error) {
              expect((error as { code?: string }).code).toMatch(/^sip2_/);
            }
          } else {
            expect(result.error.code).toMatch(/^sip2_/);
            // The failure path is the typed one, never the catch-all for our own bugs.
            expect(result.error.message).not.toMatch(/^decoder failed/);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every mutated frame passes through the framer and decoder', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 8 }), fc.nat({ max: 50 }), (frames, split) => {
        const framer = new Sip2Framer({ maxFrameSize: 256 });
        const stream = Buffer.concat(frames.flatMap((f) => [Buffer.from(f), Buffer.from('\r')]));
        const cut = Math.min(split, stream.length);
        const events = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
        for (const event of events) {
          if (event.type === 'frame') {
            expect(event.frame.length).toBeLessThanOrEqual(256);
            const result = decodeSip2Message(event.frame);
            if (!result.ok) expect(result.error.message).not.toMatch(/^decoder failed/);
          }
        }
        expect(framer.pendingBytes).toBeLessThanOrEqual(256);
      }),
      { numRuns: 1000 },
    );
  });

  it('text values survive a round trip in every charset that can carry them', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({ unit: 'grapheme', maxLength: 100 })
            .filter((s) => s.length <= 255 && !/[|\r\n]/.test(s)),
          { maxLength: 4 },
        ),
        fc.constantFrom<Sip2Charset>('utf-8'),
        (screenMessage, charset) => {
          const message = {
            type: 'endSessionResponse',
            endSession: true,
            transactionDate: '20240315    142530',
            institutionId: 'main',
            patronIdentifier: 'p',
            screenMessage,
            sequence: 3,
          } as const;
          const result = decodeSip2Message(encodeSip2Message(message, { charset }), { charset });
          expect(result).toMatchObject({ ok: true, checksum: 'valid' });
          if (result.ok && screenMessage.length > 0) expect(result.message).toMatchObject({ screenMessage });
        },
      ),
      { numRuns: 500 },
    );
  });
});
