import { describe, expect, it } from 'vitest';
import {
  decodeSip2Message,
  encodeSip2Message,
  encodeSip2Text,
  type Sip2Charset,
  sip2Checksum,
  transliterate,
} from '../../../src/protocols/sip2/index.js';

const D = '20240315    142530';
const zoe = {
  type: 'patronStatusResponse',
  language: 'english',
  transactionDate: D,
  institutionId: 'main',
  patronIdentifier: '21234000012345',
  personalName: 'Zoë Example',
  sequence: 4,
} as const;
const prefix = `24              001${D}AOmain|AA21234000012345|AE`;

// Checksums computed independently (Python: -sum(bytes) & 0xFFFF) over the bytes up to AZ.
describe.each<[Sip2Charset, string, string]>([
  ['utf-8', 'Zo\xc3\xab Example', 'EC11'],
  ['ibm850', 'Zo\x89 Example', 'ECF6'],
  ['iso-8859-1', 'Zo\xeb Example', 'EC94'],
  ['ascii', 'Zoe Example', 'ED1A'],
])('charset %s', (charset, nameBytes, checksum) => {
  it('encodes Zoë in the charset and checksums the encoded bytes', () => {
    const wire = encodeSip2Message(zoe, { charset });
    expect(Buffer.from(wire).toString('latin1')).toBe(`${prefix}${nameBytes}|AY4AZ${checksum}\r`);
  });

  it('verifies and decodes its own bytes', () => {
    const result = decodeSip2Message(encodeSip2Message(zoe, { charset }), { charset });
    expect(result).toMatchObject({ ok: true, checksum: 'valid', warnings: [] });
    expect(result.ok && result.message).toMatchObject({
      personalName: charset === 'ascii' ? 'Zoe Example' : 'Zoë Example',
    });
  });
});

describe('charsets', () => {
  it('writes on IBM850 what it lacks as ISO-8859-1 does — the letter without its marks, € as EUR — and keeps what it has', () => {
    const text = 'Čapek — Łukasz Wałęsa 5,00 € Åström Ørsted ß';
    expect(Buffer.from(encodeSip2Text(text, 'ibm850')).toString('latin1')).toBe(
      'Capek - Lukasz Walesa 5,00 EUR \x8fstr\x94m \x9drsted \xe1',
    );
    expect(Buffer.from(encodeSip2Text('日本', 'ibm850')).toString('latin1')).toBe('??');
  });

  it('UTF-8 and IBM850 checksums of Zoë differ and each verifies only in its charset', () => {
    const utf8 = encodeSip2Message(zoe, { charset: 'utf-8' });
    const ibm850 = encodeSip2Message(zoe, { charset: 'ibm850' });
    const tail = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1').slice(-5, -1);
    expect(tail(utf8)).not.toBe(tail(ibm850));
    // IBM850 bytes read as UTF-8: checksum still valid (bytes), but the text is flagged.
    const misread = decodeSip2Message(ibm850, { charset: 'utf-8' });
    expect(misread).toMatchObject({ ok: true, checksum: 'valid', warnings: [{ code: 'undecodable_bytes' }] });
  });

  it('a string frame is checksummed in the charset, not as UTF-16 code units', () => {
    const body = `${prefix}Zoë Example|AY4AZ`;
    const checksum = sip2Checksum(encodeSip2Text(body, 'ibm850'));
    expect(checksum).toBe('ECF6');
    expect(decodeSip2Message(body + checksum, { charset: 'ibm850' })).toMatchObject({
      ok: true,
      checksum: 'valid',
    });
    expect(decodeSip2Message(body + checksum, { charset: 'utf-8' })).toMatchObject({ ok: false });
  });

  it('transliterates to ASCII: diacritics stripped, ligatures spelled out, the rest ?', () => {
    expect(transliterate('Zoë Brontë, Åsa, Łódź, Straße, Øre, 東京', 0x7f)).toBe(
      'Zoe Bronte, Asa, Lodz, Strasse, Ore, ??',
    );
    expect(transliterate('Zoë Łódź', 0xff)).toBe('Zoë Lódz');
  });
});
