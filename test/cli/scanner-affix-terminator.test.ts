/**
 * A serial scanner's prefix or suffix holding the byte that ends each scan (scanner manuals call
 * the CR they send after each code a "suffix", so `suffix: "\r"` is written where `terminator: cr`
 * is meant): every scan is cut at that byte before its suffix, and every scan the desk ever gets
 * is refused as lacking it. `carrel config check` says so, with the setting's path, before the
 * desk runs; a prefix of STX and a suffix of ETX around a CR terminator stay fine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-scanner-affix-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function deskWith(scan: Record<string, string>): string {
  const file = join(dir, `desk-${Object.values(scan).join('').length}-${Math.random()}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      version: 2,
      http: { port: 0 },
      mqtt: { mode: 'off' },
      storage: { path: join(dir, 'carrel.db') },
      devices: [
        {
          id: 'scanner-1',
          kind: 'scanner',
          driver: 'serial',
          transport: { type: 'serial', path: '/dev/ttyACM0', baudRate: 9600 },
          scan,
        },
      ],
    }),
  );
  return file;
}

describe('a serial scanner whose prefix or suffix holds its terminator', () => {
  it.each([
    [{ suffix: '\r' }, 'scan.suffix', 'carriage return (CR)'],
    [{ terminator: 'crlf', suffix: '\r\n' }, 'scan.suffix', 'CR LF'],
    [{ terminator: 'lf', prefix: '\n' }, 'scan.prefix', 'line feed (LF)'],
    [{ terminator: 'tab', suffix: '#\t' }, 'scan.suffix', 'tab'],
  ])(
    '%j: config check refuses it, naming the setting and the terminator',
    async (scan, setting, terminator) => {
      const checked = await runCarrel(['config', 'check', deskWith(scan)]);
      expect(checked.code).toBe(2);
      const line = checked.stdout.split('\n').find((l) => l.includes(`devices[0].${setting}`));
      expect(line, checked.stdout).toBeDefined();
      expect(line).toContain(terminator);
      expect(line).toContain('scan.terminator');
    },
  );

  it('STX before and ETX after each code, CR as terminator: fine', async () => {
    const checked = await runCarrel(['config', 'check', deskWith({ prefix: '\u0002', suffix: '\u0003' })]);
    expect(checked.stdout + checked.stderr).toContain('ok: 1 device');
    expect(checked.code).toBe(0);
  });
});
