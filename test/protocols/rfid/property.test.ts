import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compact,
  compactIsil,
  decodeIso28560Part2,
  decodeIso28560Part3,
  decodeItemTag,
  decodeTag,
  encodeIso28560Part2,
  encodeIso28560Part3,
  expand,
  expandIsil,
  type ItemTagView,
  reverseBlocks,
} from '../../../src/protocols/rfid/index.js';
import { V1, V2, V3, V5 } from '../../fixtures/rfid/vectors.js';

const itemId = fc.oneof(
  fc.stringMatching(/^[0-9]{1,16}$/),
  fc.stringMatching(/^[A-Z0-9]{1,16}$/),
  fc.string({ minLength: 1, maxLength: 16 }).filter((s) => /^[\x20-\x7e]+$/.test(s)),
);
const isil = fc
  .tuple(fc.stringMatching(/^[A-Z]{2}$/), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:/-]{0,9}$/))
  .map(([country, library]) => `${country}-${library}`);
const set = fc
  .integer({ min: 1, max: 99 })
  .chain((parts) => fc.record({ parts: fc.constant(parts), part: fc.integer({ min: 1, max: parts }) }));
const usage = fc.constantFrom(
  'acquisition',
  'circulating',
  'not-for-circulation',
  'discarded',
  'patron-card',
  'equipment',
) as fc.Arbitrary<
  'acquisition' | 'circulating' | 'not-for-circulation' | 'discarded' | 'patron-card' | 'equipment'
>;

const vectors = [V1, V2, V3, V5];
const mutated = fc
  .tuple(
    fc.constantFrom(...vectors),
    fc.array(
      fc.record({
        kind: fc.constantFrom('replace', 'insert', 'delete'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
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
const anyMemory = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated);

describe('encode then decode', () => {
  it('ISO 28560-3: random item ids, ISILs, sets and usages come back, in either byte order', () => {
    fc.assert(
      fc.property(
        itemId,
        fc.option(
          isil.filter((i) => i.length <= 14),
          { nil: undefined },
        ),
        set,
        usage,
        (id, owner, s, u) => {
          const memory = encodeIso28560Part3({
            primaryItemId: id,
            ownerLibrary: owner,
            set: s,
            typeOfUsage: u,
          });
          for (const [bytes, order] of [
            [memory, 'logical'],
            [reverseBlocks(memory), 'block-reversed'],
          ] as const) {
            const result = decodeTag(bytes);
            expect(result).toMatchObject({ ok: true, format: '28560-3', crc: 'valid', byteOrder: order });
            if (!result.ok || result.format !== '28560-3') return;
            expect(result.fields.primaryItemId).toBe(id);
            expect(result.fields.isil).toBe(owner ?? '');
            expect(result.fields.set).toEqual(s);
            expect(result.fields.typeOfUsage.name).toBe(u);
          }
        },
      ),
    );
  });

  it('ISO 28560-2: random item ids, ISILs and titles come back, and re-encode identically', () => {
    fc.assert(
      fc.property(
        fc.oneof(itemId, fc.string({ minLength: 1, maxLength: 40 })),
        fc.option(isil, { nil: undefined }),
        fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: undefined }),
        set,
        (id, owner, title, s) => {
          const memory = encodeIso28560Part2({ primaryItemId: id, ownerLibrary: owner, title, set: s });
          const result = decodeIso28560Part2(memory);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.warnings).toEqual([]);
          expect(result.fields.primaryItemId).toBe(id);
          expect(result.fields.ownerLibrary).toBe(owner);
          expect(result.fields.title).toBe(title);
          expect(result.fields.set).toEqual(s);
          expect(encodeIso28560Part2(result.fields)).toEqual(memory);
        },
      ),
    );
  });

  it('15962 compaction and the ISIL compaction give back any text they accept', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let picked: ReturnType<typeof compact> | undefined;
        try {
          picked = compact(text);
        } catch {
          return; // lone surrogates: refused, not mangled
        }
        expect(expand(picked.compaction, picked.data)).toBe(text);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9:/-]{0,20}$/), (text) => {
        expect(expandIsil(compactIsil(text)!)).toBe(text);
      }),
    );
  });
});

describe('decoders under random and mutated memory', () => {
  it('may reject but never throw, and failures are typed', () => {
    fc.assert(
      fc.property(
        anyMemory,
        fc.option(fc.constantFrom(0, 0x06, 0x3e), { nil: undefined }),
        (memory, dsfid) => {
          const result = decodeTag(memory, dsfid === undefined ? {} : { dsfid });
          if (!result.ok) {
            expect(result.error.code).toMatch(/^rfid_/);
            expect(result.error.message).not.toMatch(/^decoder failed/);
          } else {
            expect(['28560-3', '28560-2', '3m', '28560-4', 'blank']).toContain(result.format);
          }
          expect(() => decodeIso28560Part2(memory)).not.toThrow();
          expect(() => decodeIso28560Part3(memory)).not.toThrow();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/**
 * What ISO 28560-1/-2 and ISO 15511 allow an item reading to be, written from the standards: an
 * item id of printable characters (none longer than any tag Carrel writes, 32), an owner ISIL of a
 * 1–4 character prefix, a hyphen and at most 11 more of A–Z a–z 0–9 - / : (16 in all), a part of
 * its set, a type of usage ISO 28560-1 defines, and — part 2 having no CRC — nothing off in it.
 */
function standardRefuses(view: ItemTagView): string | undefined {
  const id = view.primaryItemId;
  if (id.length < 1 || id.length > 32) return 'item id length';
  if ([...id].some((c) => c < ' ' || (c >= '\x7f' && c <= '\x9f') || c === '\ufffd')) return 'item id';
  if (view.format === '28560-2' && view.isil !== undefined) {
    if (view.isil.length > 16 || !/^[A-Za-z0-9]{1,4}-[A-Za-z0-9:/-]{1,11}$/.test(view.isil)) return 'ISIL';
  }
  if (view.set && (view.set.part < 1 || view.set.part > view.set.parts)) return 'set';
  if (view.typeOfUsage === 'reserved') return 'type of usage';
  if (view.format === '28560-2' && view.warnings.length > 0) return `warnings ${view.warnings}`;
  return undefined;
}

/** Tags as written (both data models, 32- and 34-byte) with one to three bits flipped: damage. */
const bitFlipped = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...vectors),
      fc
        .tuple(
          itemId,
          isil.filter((i) => i.length <= 14),
          set,
        )
        .map(([id, owner, s]) => encodeIso28560Part3({ primaryItemId: id, ownerLibrary: owner, set: s })),
      fc
        .tuple(itemId, isil, set)
        .map(([id, owner, s]) => encodeIso28560Part2({ primaryItemId: id, ownerLibrary: owner, set: s })),
    ),
    fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  )
  .map(([tag, bits]) => {
    const bytes = Uint8Array.from(tag);
    for (const bit of bits) bytes[(bit >> 3) % bytes.length]! ^= 0x80 >> (bit & 7);
    return bytes;
  });

/** Memory whose first byte names OID 1, as every ISO 28560-2 tag's does: the garbage part 2 reads. */
const part2Shaped = fc
  .tuple(
    fc.constantFrom(0x11, 0x21, 0x31, 0x41, 0x51, 0x61, 0x71, 0x91, 0xc1, 0xe1),
    fc.uint8Array({ minLength: 31, maxLength: 111 }),
  )
  .map(([precursor, rest]) => Uint8Array.from([precursor, ...rest]));

describe('damaged and random memory with no DSFID', () => {
  it('never reads as an item the standard would not allow, only as unreadable or damaged', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 112 }), part2Shaped, bitFlipped, mutated),
        fc.constantFrom(undefined, 0),
        (memory, dsfid) => {
          const view = decodeItemTag(memory, dsfid === undefined ? {} : { dsfid });
          if ('error' in view || view.crc === 'invalid') return;
          if (view.format !== '28560-2' && view.format !== '28560-3') return;
          expect(standardRefuses(view), JSON.stringify({ memory: toHexText(memory), view })).toBeUndefined();
        },
      ),
      { numRuns: 3000 },
    );
  });
});

function toHexText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
