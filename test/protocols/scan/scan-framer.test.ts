import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  affixInWords,
  aimIdentifier,
  ScanFramer,
  type ScanItem,
  splitSymbology,
} from '../../../src/protocols/scan/index.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const values = (items: ScanItem[]) =>
  items.map((item) => (item.ok ? item.scan.value : `!${item.error.code}`));

describe('AIM symbology identifiers (ISO/IEC 15424)', () => {
  it.each([
    [']E04006381333931', 'ean-upc', '0', '4006381333931'],
    [']E49638507', 'ean-upc', '4', '9638507'],
    [']C1010401234567890128', 'code128', '1', '010401234567890128'],
    [']A0CODE39', 'code39', '0', 'CODE39'],
    [']Q1https://example.org', 'qr', '1', 'https://example.org'],
    [']d2010401234567890128', 'datamatrix', '2', '010401234567890128'],
    [']I031234567890', 'itf', '0', '31234567890'],
  ])('%s is %s, modifier %s', (wire, name, modifier, data) => {
    const { symbology, data: rest } = splitSymbology(wire);
    expect(symbology).toEqual({ aim: wire.slice(0, 3), name, modifier });
    expect(rest).toBe(data);
    expect(aimIdentifier(name, modifier)).toBe(wire.slice(0, 3));
  });

  it.each(['E04006381333931', ']', ']E', ']1x', '] 0x'])('%j is refused', (wire) => {
    expect(() => splitSymbology(wire)).toThrow(expect.objectContaining({ code: 'scan_bad_symbology' }));
  });
});

describe('ScanFramer', () => {
  const cr = () => new ScanFramer({ terminator: 'cr', maxLength: 64 });

  it('cuts scans at the terminator (CR, LF, CR LF, tab, ETX)', () => {
    expect(values(cr().push(ascii('31234567890\r0012345\r')))).toEqual(['31234567890', '0012345']);
    expect(values(new ScanFramer({ terminator: 'lf', maxLength: 64 }).push(ascii('AB12\nCD\n')))).toEqual([
      'AB12',
      'CD',
    ]);
    expect(
      values(new ScanFramer({ terminator: 'crlf', maxLength: 64 }).push(ascii('AB12\r\nCD\r\n'))),
    ).toEqual(['AB12', 'CD']);
    expect(values(new ScanFramer({ terminator: 'tab', maxLength: 64 }).push(ascii('X1\t')))).toEqual(['X1']);
    expect(values(new ScanFramer({ terminator: 'etx', maxLength: 64 }).push(ascii('X1\u0003')))).toEqual([
      'X1',
    ]);
  });

  it('a CR-terminated config ignores the LF of a scanner that sends CR LF', () => {
    expect(values(cr().push(ascii('AB12\r\nCD\r\n')))).toEqual(['AB12', 'CD']);
  });

  it('takes off the prefix and suffix, and reads the AIM identifier', () => {
    const framer = new ScanFramer({ terminator: 'cr', maxLength: 64, prefix: 'S:', suffix: '#', aim: true });
    const [item] = framer.push(ascii('S:]E04006381333931#\r'));
    expect(item).toMatchObject({
      ok: true,
      scan: { value: '4006381333931', symbology: { aim: ']E0', name: 'ean-upc' } },
    });
    expect(values(framer.push(ascii(']E04006381333931#\r')))).toEqual(['!scan_affix_missing']);
  });

  it('says a configured prefix or suffix in words, control characters by their names', () => {
    expect(affixInWords('\x03')).toBe('ETX');
    expect(affixInWords('\x02S:')).toBe('STX "S:"');
    expect(affixInWords('#\t\x04')).toBe('"#" TAB EOT');
    expect(affixInWords('\r\n')).toBe('CR LF');
    expect(affixInWords('a b\x7f\u0085')).toBe('"a b" DEL U+0085');
    expect(affixInWords('"')).toBe('"\\""');
  });

  it('keeps GS1 group separators (FNC1) as data and refuses other control characters', () => {
    expect(values(cr().push(ascii('0104012345678901\u001d10ABC\r')))).toEqual([
      '0104012345678901\u001d10ABC',
    ]);
    expect(values(cr().push(ascii('12\u000034\r')))).toEqual(['!scan_control_character']);
    expect(values(cr().push(ascii('12\u001b[A\r')))).toEqual(['!scan_control_character']);
  });

  it('refuses invalid UTF-8 whole, and reads valid multi-byte UTF-8', () => {
    expect(values(cr().push(Uint8Array.of(0x41, 0xc3, 0x28, 0x0d)))).toEqual(['!scan_invalid_utf8']);
    expect(values(cr().push(ascii('Bücher-€\r')))).toEqual(['Bücher-€']);
  });

  it('a 10 kB "barcode" is one scan_too_long, then the next scan is read', () => {
    const framer = cr();
    const items = [
      ...framer.push(ascii('9'.repeat(5000))),
      ...framer.push(ascii('9'.repeat(5000))),
      ...framer.push(ascii('\r31234567890\r')),
    ];
    expect(values(items)).toEqual(['!scan_too_long', '31234567890']);
    expect(framer.pending).toBe(0);
  });

  it('a too-long scan that never gets its terminator: refused once, still mid-scan until the line is quiet, then the next scan is read', () => {
    const framer = cr();
    expect(values(framer.push(ascii('9'.repeat(100))))).toEqual(['!scan_too_long']);
    expect(framer.midScan).toBe(true);
    expect(framer.flush()).toEqual([]);
    expect(framer.midScan).toBe(false);
    expect(values(framer.push(ascii('31234567890\r')))).toEqual(['31234567890']);
  });

  it('bytes without a terminator are an unterminated scan on flush, never a value', () => {
    const framer = cr();
    expect(framer.push(ascii('3123456'))).toEqual([]);
    expect(values(framer.flush())).toEqual(['!scan_unterminated']);
    expect(framer.flush()).toEqual([]);
    expect(values(framer.push(ascii('7890\r')))).toEqual(['7890']);
  });

  it('gives the same scans split at every byte offset', () => {
    const wire = ascii('S:]C1010401234567890128\rS:]E04006381333931\r');
    const whole = values(
      new ScanFramer({ terminator: 'cr', maxLength: 64, prefix: 'S:', aim: true }).push(wire),
    );
    expect(whole).toEqual(['010401234567890128', '4006381333931']);
    for (let at = 0; at <= wire.length; at++) {
      const framer = new ScanFramer({ terminator: 'cr', maxLength: 64, prefix: 'S:', aim: true });
      expect(values([...framer.push(wire.subarray(0, at)), ...framer.push(wire.subarray(at))])).toEqual(
        whole,
      );
    }
  });

  it('random bytes in random chunks: never throws, values are whole clean lines under the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 12 }),
        fc.constantFrom('cr', 'lf', 'crlf') as fc.Arbitrary<'cr' | 'lf' | 'crlf'>,
        (chunks, terminator) => {
          const framer = new ScanFramer({ terminator, maxLength: 40 });
          const items = [...chunks.flatMap((chunk) => framer.push(chunk)), ...framer.flush()];
          for (const item of items) {
            if (!item.ok) continue;
            expect(item.scan.value.length).toBeGreaterThan(0);
            expect(item.raw.length).toBeLessThanOrEqual(41);
            expect(item.scan.value).not.toMatch(/[\r\n]/);
          }
          expect(framer.pending).toBe(0);
        },
      ),
    );
  });

  it('mutation: a flipped byte in a valid stream never yields a value the stream did not hold, except the flipped scan', () => {
    const scans = ['31234567890', '0012345', 'P000123'];
    const wire = ascii(scans.map((scan) => `${scan}\r`).join(''));
    fc.assert(
      fc.property(fc.nat(wire.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = wire.slice();
        mutated[at] = byte;
        const framer = new ScanFramer({ terminator: 'cr', maxLength: 64 });
        const got = framer.push(mutated).filter((item) => item.ok);
        // At most the scans, one of them possibly changed or split in two by a new CR.
        expect(got.length).toBeLessThanOrEqual(scans.length + 1);
      }),
    );
  });
});
