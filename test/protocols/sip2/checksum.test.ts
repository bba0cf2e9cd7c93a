import { describe, expect, it } from 'vitest';
import {
  decodeSip2Message,
  encodeSip2Message,
  nextSequence,
  Sip2Codec,
  sip2Checksum,
  verifySip2Checksum,
} from '../../../src/protocols/sip2/index.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('SIP2 checksum', () => {
  it.each([
    ['96AZ', 'FEF6'],
    ['97AZ', 'FEF5'],
    ['9900302.00AY1AZ', 'FCA5'],
    ['9300CNscclient|COclientpwd|CPWS1|AY0AZ', 'F2AB'],
  ])('%s → %s', (text, checksum) => {
    expect(sip2Checksum(bytes(text))).toBe(checksum);
    expect(verifySip2Checksum(bytes(text), Number.parseInt(checksum, 16))).toBe(true);
    expect(verifySip2Checksum(bytes(text), Number.parseInt(checksum, 16) ^ 1)).toBe(false);
  });

  it('is written on 96 and 97 without a sequence number', () => {
    expect(Buffer.from(encodeSip2Message({ type: 'requestScResend' })).toString()).toBe('96AZFEF6\r');
    expect(Buffer.from(encodeSip2Message({ type: 'requestAcsResend' }, { sequence: 4 })).toString()).toBe(
      '97AZFEF5\r',
    );
    expect(
      Buffer.from(encodeSip2Message({ type: 'requestAcsResend' }, { errorDetection: false })).toString(),
    ).toBe('97\r');
  });

  it('is read with either case of hex digits, and a wrong one is an error by default', () => {
    expect(decodeSip2Message('9900302.00AY1AZfca5')).toMatchObject({ ok: true, checksum: 'valid' });
    const wrong = decodeSip2Message('9900302.00AY1AZFCA6');
    expect(wrong).toMatchObject({ ok: false, error: { code: 'sip2_checksum_mismatch', position: 13 } });
  });

  it('mismatch can be a warning instead', () => {
    const result = decodeSip2Message('9900302.00AY1AZFCA6', { checksumMismatch: 'warn' });
    expect(result).toMatchObject({
      ok: true,
      checksum: 'invalid',
      warnings: [{ code: 'checksum_mismatch' }],
    });
    expect(result.ok && result.message).toMatchObject({ type: 'scStatus', sequence: 1 });
  });

  it('non-hex checksum text counts as a mismatch', () => {
    expect(decodeSip2Message('9900302.00AY1AZZZZZ')).toMatchObject({
      ok: false,
      error: { code: 'sip2_checksum_mismatch' },
    });
  });

  it('tolerates a delimiter between AY and AZ', () => {
    const body = '941AY3|AZ';
    const wire = body + sip2Checksum(bytes(body));
    expect(decodeSip2Message(wire)).toMatchObject({ ok: true, checksum: 'valid', message: { sequence: 3 } });
  });

  it('sequence numbers wrap 0–9', () => {
    expect([0, 1, 8, 9].map(nextSequence)).toEqual([1, 2, 9, 0]);
    const codec = new Sip2Codec();
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      const wire = codec.encode({
        type: 'scStatus',
        statusCode: 'ok',
        maxPrintWidth: 40,
        protocolVersion: '2.00',
      });
      const result = codec.decode(wire);
      if (result.ok) seen.push(result.message.sequence ?? -1);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // A response echoes the request's number.
    const reply = codec.encode({ type: 'loginResponse', ok: true, sequence: 7 });
    expect(Buffer.from(reply).toString()).toMatch(/^941AY7AZ[0-9A-F]{4}\r$/);
    expect(codec.lastSequence).toBe(7);
    // 96/97 carry no AY and do not use a number up.
    expect(Buffer.from(codec.encode({ type: 'requestAcsResend' })).toString()).toBe('97AZFEF5\r');
    expect(codec.lastSequence).toBe(7);
    // A number given apart wins over the message's own, and is the last one used.
    const given = codec.encode({ type: 'loginResponse', ok: true, sequence: 7 }, 4);
    expect(Buffer.from(given).toString()).toMatch(/^941AY4AZ[0-9A-F]{4}\r$/);
    expect(decodeSip2Message(given)).toMatchObject({ ok: true, checksum: 'valid', message: { sequence: 4 } });
    expect(codec.lastSequence).toBe(4);
    // 96/97 take none, even when one is given.
    expect(Buffer.from(codec.encode({ type: 'requestAcsResend' }, 5)).toString()).toBe('97AZFEF5\r');
    expect(codec.lastSequence).toBe(4);
  });
});

describe('a peer summing characters, not bytes', () => {
  // From a server in the wild (php-sip2 issue 8): its AZ is the sum of the characters; over the
  // UTF-8 bytes it would be E58D.
  const frame =
    '1812020120230316    145800AB0230200408766|AJAnam ċara :|AQYS|CRNONFICTR|BGYS|AH20230131    235900|AY3AZE5D1';

  it('is read, its checksum valid over what it summed, with a warning saying so', () => {
    const decoded = decodeSip2Message(frame);
    expect(decoded).toMatchObject({ ok: true, checksum: 'valid' });
    expect(decoded.ok && decoded.message).toMatchObject({ titleIdentifier: 'Anam ċara :', sequence: 3 });
    expect(decoded.ok && decoded.warnings.map((w) => w.code)).toContain('checksum_over_characters');
  });

  it('is still refused when the checksum matches neither sum', () => {
    expect(decodeSip2Message(frame.replace('E5D1', 'E5D2'))).toMatchObject({
      ok: false,
      error: { code: 'sip2_checksum_mismatch' },
    });
    expect(decodeSip2Message(frame.replace('ċara', 'cara'))).toMatchObject({ ok: false });
  });
});
