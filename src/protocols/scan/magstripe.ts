/**
 * Magnetic stripe track data as a reader sends it (keyboard wedge or serial):
 * ISO/IEC 7811 tracks with their sentinels. Track 1 (IATA, alphanumeric)
 * `%B<card number>^<name>^<data>?`; track 2 (ABA, numeric) `;<card number>=<data>?`;
 * track 3 `;<data>?` (or `+…?`). The card number is what identifies a card at a
 * desk; track 1's name is patron data and is never kept.
 */
import { ScanError } from './errors.js';

export interface MagstripeCard {
  /** The primary account number from track 2 (or track 1 when track 2 is absent). */
  cardNumber: string;
  /** Which track the card number came from. */
  track: 1 | 2;
  /** The Luhn check (ISO/IEC 7812) passes: true for payment cards, often false for campus cards. */
  luhn: boolean;
  /** Tracks present in the swipe. */
  tracks: Array<1 | 2 | 3>;
}

const TRACK1 = /%B(\d{1,19})\^[^^?]{0,26}\^[^?]*\?/;
const TRACK2 = /;(\d{1,19})=[\d=]*\?/;
const TRACK3 = /[;+][\d=]*\?$/;

/** Does this text look like a swipe (starts with a track's start sentinel and ends with an end sentinel)? */
export function isMagstripe(text: string): boolean {
  // The end sentinel first: a barcode seldom ends in `?`, so most scans need no pattern.
  return text.endsWith('?') && /^(%B|;\d)/.test(text);
}

/** Reads the card number from a swipe. Throws `magstripe_bad_track`. */
export function parseMagstripe(text: string): MagstripeCard {
  if (!isMagstripe(text)) throw new ScanError('magstripe_bad_track', 'the swipe has no track sentinels');
  const tracks: Array<1 | 2 | 3> = [];
  const one = TRACK1.exec(text);
  if (one) tracks.push(1);
  const rest = one ? text.slice(one.index + one[0].length) : text;
  const two = TRACK2.exec(rest);
  if (two) tracks.push(2);
  const afterTwo = two ? rest.slice(two.index + two[0].length) : '';
  if (two && afterTwo.length > 0 && TRACK3.test(afterTwo)) tracks.push(3);
  const cardNumber = two?.[1] ?? one?.[1];
  if (cardNumber === undefined) throw new ScanError('magstripe_bad_track', 'no track holds a card number');
  return { cardNumber, track: two ? 2 : 1, luhn: luhnValid(cardNumber), tracks };
}

/** The Luhn check of ISO/IEC 7812-1. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits) || digits.length < 2) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
