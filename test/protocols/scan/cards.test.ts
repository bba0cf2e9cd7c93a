import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_IS_LAYOUT,
  cardTypeOfAtr,
  decodeHidPosReport,
  encodeHidPosReports,
  formatCardUid,
  GET_UID_APDU,
  HidPosAssembler,
  isMagstripe,
  luhnValid,
  parseHexUid,
  parseMagstripe,
  uidFromGetData,
} from '../../../src/protocols/scan/index.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('HID POS scanned-data reports (usage page 0x8C, Access-IS layout)', () => {
  /** Report id 2, length 13, `]E0`, EAN-13 4006381333931, zero padding, byte 63 = 0 (last report). */
  const report = new Uint8Array(64);
  report.set([0x02, 13, 0x5d, 0x45, 0x30]);
  report.set(ascii('4006381333931'), 5);

  it('decodes a one-report EAN-13', () => {
    const decoded = decodeHidPosReport(report)!;
    expect(decoded.aim).toBe(']E0');
    expect(text(decoded.data)).toBe('4006381333931');
    expect(decoded.more).toBe(false);
    expect(encodeHidPosReports(ascii('4006381333931'), ']E0')).toEqual([report]);
  });

  it('another report id is not scanned data; a length past the data area is refused', () => {
    expect(decodeHidPosReport(Uint8Array.of(0x04, 1, 2, 3))).toBeUndefined();
    const bad = report.slice();
    bad[1] = 57;
    expect(() => decodeHidPosReport(bad)).toThrow(expect.objectContaining({ code: 'hidpos_bad_report' }));
    expect(() => decodeHidPosReport(report.subarray(0, 40))).toThrow(
      expect.objectContaining({ code: 'hidpos_bad_report' }),
    );
  });

  it('joins a 150-byte QR code sent in three reports ("more data follows" on the first two)', () => {
    const data = ascii(`https://example.org/${'x'.repeat(130)}`);
    const reports = encodeHidPosReports(data, ']Q1');
    expect(reports.map((r) => r[63])).toEqual([1, 1, 0]);
    const assembler = new HidPosAssembler(ACCESS_IS_LAYOUT, 4096);
    const items = reports.flatMap((r) => assembler.push(r));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ ok: true, aim: ']Q1' });
    expect(items[0]!.ok && text(items[0]!.data)).toBe(text(data));
  });

  it('a multi-report code cut off (scanner unplugged, another code) is an error, never half a value', () => {
    const [first] = encodeHidPosReports(ascii('A'.repeat(100)), ']C0');
    const assembler = new HidPosAssembler(ACCESS_IS_LAYOUT, 4096);
    expect(assembler.push(first!)).toEqual([]);
    expect(assembler.flush()).toMatchObject([{ ok: false, error: { code: 'hidpos_incomplete' } }]);
    assembler.push(first!);
    const items = assembler.push(encodeHidPosReports(ascii('4006381333931'), ']E0')[0]!);
    expect(items).toMatchObject([
      { ok: false, error: { code: 'hidpos_incomplete' } },
      { ok: true, aim: ']E0' },
    ]);
  });

  it('a code over the limit is refused whole', () => {
    const assembler = new HidPosAssembler(ACCESS_IS_LAYOUT, 100);
    const items = encodeHidPosReports(ascii('9'.repeat(10_000)), ']X0').flatMap((r) => assembler.push(r));
    expect(items).toMatchObject([{ ok: false, error: { code: 'scan_too_long' } }]);
  });

  it('random reports never throw and leave nothing half-held after flush', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 70 }), { maxLength: 20 }), (reports) => {
        const assembler = new HidPosAssembler(ACCESS_IS_LAYOUT, 200);
        for (const r of reports) assembler.push(r);
        assembler.flush();
        expect(assembler.pending).toBe(0);
      }),
    );
  });
});

describe('magstripe tracks (ISO/IEC 7811, 7813)', () => {
  it('track 2 gives the card number (the 4111… test card; Luhn valid)', () => {
    expect(parseMagstripe(';4111111111111111=25121010000000000000?')).toEqual({
      cardNumber: '4111111111111111',
      track: 2,
      luhn: true,
      tracks: [2],
    });
  });

  it('tracks 1, 2 and 3: the card number from track 2, the name of track 1 kept nowhere', () => {
    const swipe =
      '%B4111111111111111^DOE/JOHN^2512101000000000000000?;4111111111111111=25121010000000000000?;011234567890123445=724724100000000000030300XXXX040400099010=************************==1=0000000000000000?';
    const card = parseMagstripe(swipe);
    expect(card).toMatchObject({ cardNumber: '4111111111111111', track: 2, tracks: [1, 2] });
    expect(JSON.stringify(card)).not.toContain('DOE');
  });

  it('a campus card on track 2 only, not Luhn valid, is still read', () => {
    expect(parseMagstripe(';600649001234567=0000?')).toMatchObject({
      cardNumber: '600649001234567',
      track: 2,
    });
  });

  it('Luhn (ISO/IEC 7812-1)', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });

  it.each(['4111111111111111', ';4111111111111111=2512', '%B^NAME^?', ';=?'])('%j is refused', (swipe) => {
    expect(() => parseMagstripe(swipe)).toThrow(expect.objectContaining({ code: 'magstripe_bad_track' }));
  });

  it('isMagstripe tells a swipe from a barcode', () => {
    expect(isMagstripe(';4111111111111111=2512?')).toBe(true);
    expect(isMagstripe('31234567890')).toBe(false);
  });
});

describe('campus-card UIDs', () => {
  it('GET DATA is FF CA 00 00 00', () => {
    expect([...GET_UID_APDU]).toEqual([0xff, 0xca, 0x00, 0x00, 0x00]);
  });

  it('reads the UID from the answer, refuses an error status', () => {
    expect([...uidFromGetData(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x90, 0x00))]).toEqual([
      0xde, 0xad, 0xbe, 0xef,
    ]);
    expect(() => uidFromGetData(Uint8Array.of(0x6a, 0x81))).toThrow(/6A81 \(function not supported\)/);
    expect(() => uidFromGetData(Uint8Array.of(0x63, 0x00))).toThrow(
      expect.objectContaining({ code: 'card_uid_unreadable' }),
    );
    expect(() => uidFromGetData(Uint8Array.of(1, 2, 0x90, 0x00))).toThrow(
      expect.objectContaining({ code: 'card_uid_unreadable' }),
    );
  });

  it('formats a 4-byte UID as hex or decimal, as read or reversed', () => {
    const uid = parseHexUid('DE:AD:BE:EF');
    expect(formatCardUid(uid, { format: 'hex', byteOrder: 'as-read' })).toBe('DEADBEEF');
    expect(formatCardUid(uid, { format: 'hex', byteOrder: 'reversed', hexCase: 'lower' })).toBe('efbeadde');
    expect(formatCardUid(uid, { format: 'decimal', byteOrder: 'as-read' })).toBe('3735928559');
    expect(formatCardUid(uid, { format: 'decimal', byteOrder: 'reversed' })).toBe('4022250974');
    expect(formatCardUid(uid, { format: 'decimal', byteOrder: 'as-read', decimalDigits: 12 })).toBe(
      '003735928559',
    );
  });

  it('a 7-byte UID as decimal keeps every digit (beyond 2^53)', () => {
    const uid = parseHexUid('04 A2 24 92 B3 5E 80');
    expect(formatCardUid(uid, { format: 'decimal', byteOrder: 'as-read' })).toBe('1304177870593664');
    expect(formatCardUid(uid, { format: 'decimal', byteOrder: 'reversed' })).toBe('36132922362995204');
  });

  it('hex and decimal round-trip for any UID length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 10 }), (uid) => {
        const hexText = formatCardUid(uid, { format: 'hex', byteOrder: 'as-read' });
        expect(parseHexUid(hexText)).toEqual(uid);
        const decimal = formatCardUid(uid, { format: 'decimal', byteOrder: 'as-read' });
        expect(BigInt(decimal)).toBe(BigInt(`0x${hexText}`));
      }),
    );
  });
});

describe('what a card’s ATR says it is (PC/SC part 3)', () => {
  const atr = (hex: string) => Buffer.from(hex, 'hex');
  it('names contactless storage cards, knows other contactless cards and contact chip cards apart', () => {
    expect(cardTypeOfAtr(atr('3B8F8001804F0CA000000306030001000000006A'))).toEqual({
      contactless: true,
      name: 'MIFARE Classic 1K',
    });
    expect(cardTypeOfAtr(atr('3B8F8001804F0CA0000003060300030000000068'))).toEqual({
      contactless: true,
      name: 'MIFARE Ultralight',
    });
    // A DESFire (ISO 14443-4): contactless, no storage card name.
    expect(cardTypeOfAtr(atr('3B8180018080'))).toEqual({ contactless: true, name: null });
    // An EMV bank card's contact chip, and an ATR too short to say.
    expect(cardTypeOfAtr(atr('3B6E000080318066B0840C016E0183009000'))).toEqual({
      contactless: false,
      name: null,
    });
    expect(cardTypeOfAtr(atr('3B'))).toEqual({ contactless: false, name: null });
  });
});
