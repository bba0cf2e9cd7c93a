import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyScannerDesk, startPtyScannerDesk } from '../helpers/pty-scanner-desk.js';
import { until } from '../helpers/until.js';

/**
 * The kiosk's serial scanner on a real serial line: a pty pair made with socat, the scanner's
 * end opened with serialport and written to as a scanner does (9600 8N1, CR after each code),
 * the desk's default config for scanner-1 pointed at the other end. What a kiosk sees is its
 * device stream (the identifications WebSocket).
 */
const ascii = (text: string) => Buffer.from(text, 'latin1');

let desk: PtyScannerDesk;

beforeAll(async () => {
  desk = await startPtyScannerDesk();
}, 30_000);

afterAll(() => desk?.stop());

const values = () => desk.values();
const codes = () => desk.rejections().map((r) => r.code);

describe('a serial scanner on a pty', () => {
  it('4 KB with no terminator is refused once; the scans after the line went quiet are read, in order', async () => {
    desk.stream.length = 0;
    await desk.far.send(ascii('x'.repeat(4096)));
    await until(() => (codes().includes('scan_too_long') ? true : undefined), 10_000);
    // The line is quiet (a glitch, a scanner reset) for longer than the scanner's quietMs (300).
    await new Promise((resolve) => setTimeout(resolve, 800));
    await desk.far.send(ascii('31000004\r'));
    await desk.far.send(ascii('31000005\r'));
    await until(() => (values().includes('31000005') ? true : undefined), 10_000);
    expect(values()).toEqual(['31000004', '31000005']);
    expect(codes()).toEqual(['scan_too_long']);
  }, 20_000);
});
