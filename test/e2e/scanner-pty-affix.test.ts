import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyScannerDesk, startPtyScannerDesk } from '../helpers/pty-scanner-desk.js';
import { until } from '../helpers/until.js';

/**
 * A serial scanner set up (as many are for a desk application) to wrap each code in STX … ETX
 * before its CR: scan.prefix and scan.suffix. A scan without them is refused, and the refusal
 * says what the desk expected, its control characters by their names, so whoever sets the
 * scanner up sees what to change — never the code scanned (a patron's card number, perhaps).
 * On a real serial line: a socat pty pair, the scanner's end written as a scanner does.
 */
const ascii = (text: string) => Buffer.from(text, 'latin1');

let desk: PtyScannerDesk;

beforeAll(async () => {
  desk = await startPtyScannerDesk({ terminator: 'cr', prefix: '\x02', suffix: '#\x03' });
}, 30_000);

afterAll(() => desk?.stop());

const values = () => desk.values();
const rejections = () => desk.rejections();

describe('a serial scanner with a prefix and a suffix, on a pty', () => {
  it('names the configured suffix (and prefix) a refused scan lacks, its control characters in words, never the scan', async () => {
    desk.stream.length = 0;
    await desk.far.send(ascii('\x0231000004#\x03\r'));
    await until(() => (values().includes('31000004') ? true : undefined), 10_000);
    // A patron's card scanned by a scanner that lost its suffix (reset to its factory settings).
    await desk.far.send(ascii('\x0221000001\r'));
    await until(() => (rejections().length >= 1 ? true : undefined), 10_000);
    // And one that lost its prefix.
    await desk.far.send(ascii('21000002#\x03\r'));
    await until(() => (rejections().length >= 2 ? true : undefined), 10_000);
    const [noSuffix, noPrefix] = rejections();
    expect(noSuffix!.code).toBe('scan_affix_missing');
    expect(noSuffix!.message).toMatch(/suffix/);
    expect(noSuffix!.message).toContain('"#" ETX');
    expect(noPrefix!.code).toBe('scan_affix_missing');
    expect(noPrefix!.message).toMatch(/prefix/);
    expect(noPrefix!.message).toContain('STX');
    for (const rejection of [noSuffix!, noPrefix!]) {
      expect(rejection.message).not.toMatch(/2100000[12]/);
      // No raw control character in the words.
      expect([...rejection.message].some((char) => char.charCodeAt(0) < 0x20)).toBe(false);
    }
    expect(values()).toEqual(['31000004']);
  }, 20_000);
});
