import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeSimpleCommand,
  encodeStatusQuery,
  encodeStatusReply,
  MagicardProtocolError,
  MagicardReplyFramer,
  parseStatusReply,
  statusQueryKey,
} from '../../../src/protocols/magicard/index.js';

const ascii = (text: string) => Buffer.from(text, 'latin1');
const guard = '\x05'.repeat(9);

describe('Magicard status queries (selphy_print: 9 × 05, 01, REQ,STA,<key>, 1C 03)', () => {
  it('asks a key byte for byte, as selphy_print builds it (24 bytes)', () => {
    expect(encodeStatusQuery('DFR')).toEqual(ascii(`${guard}\x01REQ,STA,DFR,\x1c\x03`));
    expect(encodeStatusQuery('MSR')).toHaveLength(24);
    expect(encodeSimpleCommand('RST')).toEqual(ascii(`${guard}\x01RST,\x1c\x03`));
    expect(statusQueryKey('REQ,STA,CLP,')).toBe('CLP');
    expect(statusQueryKey('RST,')).toBeUndefined();
    expect(() => encodeStatusQuery('D,R')).toThrow(MagicardProtocolError);
  });

  it('reads a reply: 01, STA,<key>, the value, a comma, 03 — a comma after the key taken as a separator', () => {
    const framer = new MagicardReplyFramer();
    const [item] = framer.push(encodeStatusReply('DFR', '250'));
    expect(item).toEqual({ ok: true, body: ascii('STA,DFR250,') });
    expect(parseStatusReply('DFR', ascii('STA,DFR250,'))).toBe('250');
    expect(parseStatusReply('DFR', ascii('STA,DFR,250,'))).toBe('250');
    expect(parseStatusReply('VRS', ascii('STA,VRSF1.2.3,'))).toBe('F1.2.3');
  });

  it('turns a garbled, foreign or truncated reply into a typed error, never a value', () => {
    expect(() => parseStatusReply('DFR', ascii('STA,TCQ12,'))).toThrow(MagicardProtocolError);
    expect(() => parseStatusReply('DFR', ascii('STA,DFR12'))).toThrow(MagicardProtocolError);
    expect(() => parseStatusReply('DFR', ascii('STA'))).toThrow(MagicardProtocolError);
    expect(() => parseStatusReply('DFR', ascii('STA,DFR\x07,'))).toThrow(MagicardProtocolError);
    const framer = new MagicardReplyFramer();
    expect(framer.push(ascii('\x01STA,DF'))).toEqual([]);
    expect(framer.push(ascii('R7,\x03'))).toEqual([{ ok: true, body: ascii('STA,DFR7,') }]);
    expect(framer.push(ascii('noise'))).toMatchObject([{ ok: false, error: { code: 'magicard_garbage' } }]);
    expect(framer.push(Buffer.concat([Buffer.of(1), Buffer.alloc(600, 0x41)]))).toMatchObject([
      { ok: false, error: { code: 'magicard_too_long' } },
      { ok: false, error: { code: 'magicard_garbage' } },
    ]);
  });

  it('splits a reply at every offset and never throws on random bytes', () => {
    const wire = Buffer.concat([encodeStatusReply('TCQ', '12'), encodeStatusReply('CLP', 'OFF')]);
    for (let at = 0; at <= wire.length; at++) {
      const framer = new MagicardReplyFramer();
      const items = [...framer.push(wire.subarray(0, at)), ...framer.push(wire.subarray(at))];
      expect(items).toEqual([
        { ok: true, body: ascii('STA,TCQ12,') },
        { ok: true, body: ascii('STA,CLPOFF,') },
      ]);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.constantFrom('DFR', 'TCQ', 'MSR'), (bytes, key) => {
        for (const item of new MagicardReplyFramer().push(bytes)) {
          if (!item.ok) expect(item.error).toBeInstanceOf(MagicardProtocolError);
          else
            try {
              expect(typeof parseStatusReply(key, item.body)).toBe('string');
            } catch (error) {
              expect(error).toBeInstanceOf(MagicardProtocolError);
            }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
