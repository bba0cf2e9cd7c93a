import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EscPosCommand, EscPosDecoder } from '../../../src/protocols/escpos/commands.js';
import { checkoutReceiptDocument, receiptlineEscPos } from './receipt-documents.js';

const MAX_FRAME = 4096;
const SEED_STREAM = receiptlineEscPos(checkoutReceiptDocument(), 'multilingual');

function feed(chunks: Uint8Array[]): EscPosCommand[] {
  const decoder = new EscPosDecoder({ maxFrameSize: MAX_FRAME });
  const out: EscPosCommand[] = [];
  for (const chunk of chunks) {
    out.push(...decoder.push(chunk));
    // Bounded: never more than one frame plus one chunk held.
    expect(decoder.pendingBytes).toBeLessThanOrEqual(MAX_FRAME + 16 + chunk.length);
  }
  return [...out, ...decoder.flush()];
}

/** Cuts `stream` at the given offsets. */
function chunked(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const offsets = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of offsets) {
    chunks.push(stream.subarray(from, at));
    from = at;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

describe('EscPosDecoder random and mutated input', () => {
  it('never throws or hangs on random bytes, in any chunking, and chunking does not change the result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 10 }), (data, cuts) => {
        const whole = feed([data]);
        expect(feed(chunked(data, cuts))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated receiptline streams (flipped, inserted and deleted bytes)', () => {
    const mutation = fc.record({
      at: fc.nat({ max: SEED_STREAM.length - 1 }),
      kind: fc.constantFrom('flip', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (mutations, cuts) => {
          const bytes = [...SEED_STREAM];
          for (const m of mutations) {
            const at = m.at % Math.max(1, bytes.length);
            if (m.kind === 'flip') bytes[at] = m.byte;
            else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
            else bytes.splice(at, 1);
          }
          const stream = Uint8Array.from(bytes);
          const whole = feed([stream]);
          expect(whole.length).toBeGreaterThan(0);
          expect(feed(chunked(stream, cuts))).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads random streams made of ESC/POS command prefixes (the decoder state space) without throwing', () => {
    const prefixes = [
      0x1b, 0x1d, 0x1c, 0x10, 0x28, 0x38, 0x4c, 0x76, 0x30, 0x6b, 0x56, 0x2a, 0x44, 0x26, 0x04, 0x14, 0x0a,
    ];
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...prefixes), fc.integer({ min: 0, max: 255 })), {
          maxLength: 3000,
        }),
        (list) => {
          feed([Uint8Array.from(list)]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
