/**
 * ISO/IEC 7811 magnetic stripe tracks. Track 1 (210 bpi) holds 6-bit alphanumeric characters
 * (ASCII 0x20–0x5F less 0x20) with odd parity, between `%` and `?`; tracks 2 (75 bpi) and 3 (210 bpi)
 * hold 4-bit characters (ASCII 0x30–0x3F less 0x30) with odd parity, between `;` and `?`. After the
 * end sentinel comes the LRC: the exclusive-or of every character's data bits, sentinels included,
 * with its own odd parity. Bits go least significant first, parity last. A library card carries the
 * patron's card number on track 2.
 */
import { EvolisProtocolError } from './errors.js';

export type TrackNumber = 1 | 2 | 3;

interface TrackFormat {
  dataBits: number;
  offset: number;
  start: string;
  end: string;
  /** Characters between the sentinels, at most. */
  capacity: number;
  allowed: RegExp;
}

const FORMATS: Record<TrackNumber, TrackFormat> = {
  1: { dataBits: 6, offset: 0x20, start: '%', end: '?', capacity: 76, allowed: /^[\x20-\x5f]*$/ },
  2: { dataBits: 4, offset: 0x30, start: ';', end: '?', capacity: 37, allowed: /^[0-9:<=>]*$/ },
  3: { dataBits: 4, offset: 0x30, start: ';', end: '?', capacity: 104, allowed: /^[0-9:<=>]*$/ },
};

/** Checks what may go on a track (between its sentinels), or throws `magstripe_bad_data`. */
export function checkTrackData(track: TrackNumber, data: string): void {
  const format = FORMATS[track];
  if (!format.allowed.test(data) || data.includes(format.start) || data.includes(format.end))
    // The data is a patron's card number: named by what is wrong with it, never quoted.
    throw new EvolisProtocolError(
      'magstripe_bad_data',
      `track ${track} takes only ${track === 1 ? 'upper-case letters, digits and punctuation' : 'digits (and : < = >)'}, without its sentinels`,
    );
  if (data.length > format.capacity)
    throw new EvolisProtocolError(
      'magstripe_bad_data',
      `track ${track} holds ${format.capacity} characters, not ${data.length}`,
    );
}

/** The track as a reader shows it: `;` data `?` (track 1: `%` data `?`). */
export function trackText(track: TrackNumber, data: string): string {
  checkTrackData(track, data);
  const format = FORMATS[track];
  return `${format.start}${data}${format.end}`;
}

/** The data of a track as read (`;12345?`), sentinels removed; throws `magstripe_unreadable`. */
export function parseTrackText(track: TrackNumber, text: string): string {
  const format = FORMATS[track];
  if (text.length < 2 || !text.startsWith(format.start) || !text.endsWith(format.end))
    throw new EvolisProtocolError('magstripe_unreadable', `track ${track} read without its sentinels`);
  const data = text.slice(1, -1);
  try {
    checkTrackData(track, data);
  } catch {
    throw new EvolisProtocolError(
      'magstripe_unreadable',
      `track ${track} read with characters it cannot hold`,
    );
  }
  return data;
}

function oddParity(value: number, bits: number): number {
  let ones = 0;
  for (let b = 0; b < bits; b++) ones += (value >> b) & 1;
  return ones % 2 === 0 ? 1 : 0;
}

/** The flux bits written on the stripe for this data: sentinels, characters, LRC (one bit a byte). */
export function encodeTrackBits(track: TrackNumber, data: string): Uint8Array {
  const text = trackText(track, data);
  const format = FORMATS[track];
  const values = [...text].map((ch) => ch.charCodeAt(0) - format.offset);
  values.push(values.reduce((lrc, v) => lrc ^ v, 0));
  const bits: number[] = [];
  for (const value of values) {
    for (let b = 0; b < format.dataBits; b++) bits.push((value >> b) & 1);
    bits.push(oddParity(value, format.dataBits));
  }
  return Uint8Array.from(bits);
}

/** The data read back from a stripe's bits (leading zeros are clocking); throws `magstripe_unreadable`. */
export function decodeTrackBits(track: TrackNumber, bits: Uint8Array): string {
  const format = FORMATS[track];
  const width = format.dataBits + 1;
  let at = bits.indexOf(1);
  if (at < 0) throw new EvolisProtocolError('magstripe_unreadable', `track ${track} is blank`);
  const unreadable = (why: string) =>
    new EvolisProtocolError('magstripe_unreadable', `track ${track}: ${why}`);
  const values: number[] = [];
  const startValue = format.start.charCodeAt(0) - format.offset;
  const endValue = format.end.charCodeAt(0) - format.offset;
  for (;;) {
    if (at + width > bits.length) throw unreadable('no end sentinel');
    let value = 0;
    for (let b = 0; b < format.dataBits; b++) value |= (bits[at + b]! & 1) << b;
    if ((bits[at + format.dataBits]! & 1) !== oddParity(value, format.dataBits))
      throw unreadable(`parity error at character ${values.length}`);
    at += width;
    if (values.length === 0 && value !== startValue) throw unreadable('no start sentinel');
    values.push(value);
    if (value === endValue) break;
    if (values.length > format.capacity + 2) throw unreadable('no end sentinel');
  }
  if (at + width > bits.length) throw unreadable('no LRC');
  let lrc = 0;
  for (let b = 0; b < format.dataBits; b++) lrc |= (bits[at + b]! & 1) << b;
  if ((bits[at + format.dataBits]! & 1) !== oddParity(lrc, format.dataBits))
    throw unreadable('LRC parity error');
  if (values.reduce((x, v) => x ^ v, 0) !== lrc) throw unreadable('LRC does not match');
  return String.fromCharCode(...values.slice(1, -1).map((v) => v + format.offset));
}
