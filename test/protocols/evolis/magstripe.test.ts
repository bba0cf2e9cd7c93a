import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTrackBits,
  EvolisReplyFramer,
  encodeTrackBits,
  parseReply,
  parseTrackText,
  trackText,
} from '../../../src/protocols/evolis/index.js';

const bits = (text: string) => Uint8Array.from(text.replace(/\s+/g, ''), Number);

describe('ISO 7811 magstripe tracks', () => {
  it('track 2 ";1234?": 4 data bits LSB first and odd parity per character, then the LRC', () => {
    // ; = 0xB, 1, 2, 3, 4, ? = 0xF; LRC = 0xB^1^2^3^4^0xF = 0 (parity 1). Worked out by hand from ISO 7811-2.
    expect(encodeTrackBits(2, '1234')).toEqual(bits('11010 10000 01000 11001 00100 11111 00001'));
    expect(decodeTrackBits(2, bits('0000000 11010 10000 01000 11001 00100 11111 00001 0000'))).toBe('1234');
  });

  it('track 1 "%A?": 6 data bits and odd parity, start %, end ?', () => {
    // % = 0x05, A = 0x21, ? = 0x1F; LRC = 0x05^0x21^0x1F = 0x3B.
    expect(encodeTrackBits(1, 'A')).toEqual(bits('1010001 1000011 1111100 1101110'));
  });

  it('reads back a library card number, and refuses what a stripe cannot carry', () => {
    expect(trackText(2, '21234000123455')).toBe(';21234000123455?');
    expect(parseTrackText(2, ';21234000123455?')).toBe('21234000123455');
    expect(() => trackText(2, '12A4')).toThrow(expect.objectContaining({ code: 'magstripe_bad_data' }));
    // What it says names what is wrong, never the card number it was given (a patron's).
    let said = '';
    try {
      trackText(2, '2123400012345X');
    } catch (error) {
      said = (error as Error).message;
    }
    expect(said).toMatch(/track 2 takes only digits/);
    expect(said).not.toContain('21234');
    expect(() => trackText(2, '1'.repeat(38))).toThrow(/37 characters/);
    expect(() => parseTrackText(2, '21234?')).toThrow(
      expect.objectContaining({ code: 'magstripe_unreadable' }),
    );
  });

  it('finds a flipped bit (parity) and a wrong LRC', () => {
    const good = encodeTrackBits(2, '21234000123455');
    const flipped = Uint8Array.from(good);
    flipped[7] = flipped[7]! ^ 1;
    expect(() => decodeTrackBits(2, flipped)).toThrow(/parity/);
    expect(() => decodeTrackBits(2, new Uint8Array(40))).toThrow(/blank/);
  });

  it('round-trips any track 2 and track 1 data, and decodes mutated bits to a result or a clear error', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9=]{0,37}$/), fc.nat(), (data, where) => {
        const encoded = encodeTrackBits(2, data);
        expect(decodeTrackBits(2, encoded)).toBe(data);
        const mutated = Uint8Array.from(encoded);
        mutated[where % mutated.length] = mutated[where % mutated.length]! ^ 1;
        try {
          decodeTrackBits(2, mutated);
        } catch (error) {
          expect((error as { code: string }).code).toBe('magstripe_unreadable');
        }
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9 ^/]{0,76}$/), (data) => {
        expect(decodeTrackBits(1, encodeTrackBits(1, data))).toBe(data);
      }),
    );
  });
});

describe('Evolis replies', () => {
  it('reads OK, values and refusals ended by CR or (USB) NUL', () => {
    const framer = new EvolisReplyFramer();
    const items = framer.push(Buffer.from('OK\rNO CARD\0\0\0ERR COVER OPEN\r1.2.3', 'latin1'));
    expect(items).toEqual([
      { ok: true, reply: { kind: 'ok' } },
      { ok: true, reply: { kind: 'error', fault: 'no_card', text: 'NO CARD' } },
      { ok: true, reply: { kind: 'error', fault: 'cover_open', text: 'ERR COVER OPEN' } },
    ]);
    expect(framer.push(Buffer.from('\r'))).toEqual([{ ok: true, reply: { kind: 'value', text: '1.2.3' } }]);
    expect(parseReply('ERR SOMETHING NEW')).toEqual({
      kind: 'error',
      fault: 'unknown_error',
      text: 'ERR SOMETHING NEW',
    });
  });

  it('refuses a reply that is not text or too long, and goes on', () => {
    const framer = new EvolisReplyFramer();
    expect(framer.push(Buffer.from([0x4f, 0xff, 0x0d]))[0]).toMatchObject({
      ok: false,
      error: { code: 'evolis_garbage' },
    });
    expect(framer.push(Buffer.from(`${'A'.repeat(400)}\rOK\r`))).toMatchObject([
      { ok: false, error: { code: 'evolis_too_long' } },
      { ok: true, reply: { kind: 'ok' } },
    ]);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (chunks) => {
        const f = new EvolisReplyFramer();
        for (const chunk of chunks) f.push(chunk);
        expect(f.push(Buffer.from('\rOK\r')).at(-1)).toEqual({ ok: true, reply: { kind: 'ok' } });
      }),
    );
  });
});
