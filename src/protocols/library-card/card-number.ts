/**
 * Library card numbers. The common US form (Dynix, NC Cardinal, jerseycat's FAQ) is Codabar, 14
 * digits: type (2 = patron), 4-digit institution, 8-digit sequence and a mod-10 check digit —
 * double the digits in odd positions (from the left), subtract 9 from a product over 9, sum all,
 * check = (10 − sum mod 10) mod 10. For a 13-digit body that is the Luhn rule, which this is in
 * general (the digit next to the check digit is doubled). Code 39 numbers carry the mod-43 check
 * character.
 */
import { EvolisProtocolError } from '../evolis/errors.js';

export type CardSymbology = 'codabar' | 'code39';

/** The mod-10 (Luhn) check digit of a body of digits. */
export function mod10CheckDigit(body: string): string {
  if (!/^\d+$/.test(body))
    throw new EvolisProtocolError('evolis_bad_argument', 'a mod-10 body is digits only');
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

export function hasValidMod10(number: string): boolean {
  return /^\d{2,}$/.test(number) && mod10CheckDigit(number.slice(0, -1)) === number.slice(-1);
}

export const CODE39_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%';

/** The Code 39 mod-43 check character of a text in the Code 39 character set. */
export function code39CheckCharacter(text: string): string {
  let sum = 0;
  for (const ch of text) {
    const value = CODE39_CHARSET.indexOf(ch);
    if (value < 0) throw new EvolisProtocolError('evolis_bad_argument', `"${ch}" is not a Code 39 character`);
    sum += value;
  }
  return CODE39_CHARSET[sum % 43]!;
}

export function hasValidCode39Check(number: string): boolean {
  return number.length >= 2 && code39CheckCharacter(number.slice(0, -1)) === number.slice(-1);
}

/** How a library numbers its cards: a prefix (type and institution), a zero-padded sequence, the check. */
export interface CardNumbering {
  symbology: CardSymbology;
  prefix: string;
  /** Digits of the sequence number. */
  sequenceDigits: number;
}

/** The card number of one sequence number. */
export function cardNumber(numbering: CardNumbering, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0 || String(sequence).length > numbering.sequenceDigits)
    throw new EvolisProtocolError(
      'evolis_bad_argument',
      `${sequence} does not fit ${numbering.sequenceDigits} digits`,
    );
  const body = numbering.prefix + String(sequence).padStart(numbering.sequenceDigits, '0');
  return body + (numbering.symbology === 'codabar' ? mod10CheckDigit(body) : code39CheckCharacter(body));
}

/** True when a number is one this numbering makes (its prefix, length and check). */
export function isCardNumber(numbering: CardNumbering, number: string): boolean {
  if (!number.startsWith(numbering.prefix)) return false;
  if (number.length !== numbering.prefix.length + numbering.sequenceDigits + 1) return false;
  const sequence = number.slice(numbering.prefix.length, -1);
  if (!/^\d+$/.test(sequence)) return false;
  return numbering.symbology === 'codabar' ? hasValidMod10(number) : hasValidCode39Check(number);
}
