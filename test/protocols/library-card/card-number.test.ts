import { describe, expect, it } from 'vitest';
import {
  cardNumber,
  code39CheckCharacter,
  hasValidMod10,
  isCardNumber,
  mod10CheckDigit,
} from '../../../src/protocols/library-card/card-number.js';

describe('library card numbers', () => {
  it('computes the mod-10 check digit: the Luhn vector and a 14-digit Codabar patron number', () => {
    expect(mod10CheckDigit('7992739871')).toBe('3'); // the Luhn algorithm's published example
    expect(hasValidMod10('79927398713')).toBe(true);
    expect(hasValidMod10('79927398710')).toBe(false);
    // type 2, institution 1234, sequence 00012345: odd positions doubled 4+4+8+0+2+6+1, even 10 → 35 → 5
    expect(mod10CheckDigit('2123400012345')).toBe('5');
  });

  it('computes the Code 39 mod-43 check character', () => {
    // C12 O24 D13 E14 space38 3 9 = 113; 113 mod 43 = 27 = R
    expect(code39CheckCharacter('CODE 39')).toBe('R');
    expect(() => code39CheckCharacter('abc')).toThrow(/Code 39/);
  });

  it('makes the number of a sequence and knows its own numbers', () => {
    const codabar = { symbology: 'codabar' as const, prefix: '21234', sequenceDigits: 8 };
    expect(cardNumber(codabar, 12345)).toBe('21234000123455');
    expect(isCardNumber(codabar, '21234000123455')).toBe(true);
    expect(isCardNumber(codabar, '21234000123454')).toBe(false);
    expect(() => cardNumber(codabar, 123456789)).toThrow(/8 digits/);
    const code39 = { symbology: 'code39' as const, prefix: 'LIB', sequenceDigits: 6 };
    expect(cardNumber(code39, 42)).toMatch(/^LIB000042.$/);
    expect(isCardNumber(code39, cardNumber(code39, 42))).toBe(true);
  });
});
