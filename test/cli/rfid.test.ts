import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');
const carrel = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'rfid', ...args], { encoding: 'utf8' });

// ISO 28560-3 Annex B.1 (reference vector V1)
const V1 =
  '11 01 01 31 30 30 30 30 30 30 30 35 36 00 00 00 00 00 00 98 A4 44 4B 37 31 38 35 30 30 00 00 00 00 00';

describe('carrel rfid', () => {
  it('decodes a tag to JSON with format, fields, CRC status and byte order', () => {
    const result = carrel('decode', V1);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      format: '28560-3',
      byteOrder: 'logical',
      crc: 'valid',
      fields: { primaryItemId: '1000000056', isil: 'DK-718500', set: { part: 1, parts: 1 } },
      warnings: [],
    });
  });

  it('encodes what it decodes: 28560-3 reproduces the reference vector byte for byte', () => {
    const result = carrel('encode', '--format', '28560-3', '--item', '1000000056', '--isil', 'DK-718500');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(V1);
  });

  it('round-trips a 28560-2 patron card through encode and decode', () => {
    const encoded = carrel(
      'encode',
      '--format',
      '28560-2',
      '--item',
      '23000000012345',
      '--isil',
      'US-InU-Mu',
      '--usage',
      'patron-card',
    );
    expect(encoded.status).toBe(0);
    const decoded = JSON.parse(carrel('decode', encoded.stdout.trim(), '--dsfid', '6').stdout);
    expect(decoded).toMatchObject({
      format: '28560-2',
      fields: {
        primaryItemId: '23000000012345',
        ownerLibrary: 'US-InU-Mu',
        typeOfUsage: { name: 'patron-card' },
      },
    });
  });

  it('rejects bad input with one line and exit 2', () => {
    for (const args of [
      ['decode', 'zz'],
      ['encode', '--format', '28560-9', '--item', '1'],
      ['encode', '--set', '3/2', '--item', '1', '--format', '28560-3'],
    ]) {
      const result = carrel(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')[0]).toMatch(/^carrel: /);
    }
  });
});
