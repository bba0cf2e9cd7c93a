import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEVICE_FAMILIES, FAMILIES, SIMULATOR_FAMILIES } from '../../src/app/families.js';

/**
 * A device family is one unit: no code outside a family's own folders chooses
 * what to do by a device's (or a simulator's) kind. What depends on the kinds
 * Carrel knows comes from the one family list (src/app/families.ts).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A family's own code may name its kind, one folder per layer: its codecs, its driver, its
 * gateway folder, its API module, its simulator.
 */
const FAMILY_FOLDERS = [
  'src/protocols/',
  'src/devices/',
  'src/gateway/families/',
  'src/api/families/',
  'simulators/',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const relative = path.join(dir, name);
    if (statSync(path.join(ROOT, relative)).isDirectory()) return sourceFiles(relative);
    return relative.endsWith('.ts') ? [relative] : [];
  });
}

const kinds = [...new Set([...DEVICE_FAMILIES.map((f) => f.kind), ...SIMULATOR_FAMILIES.map((f) => f.kind)])];
const alternatives = kinds.map((kind) => kind.replace(/[-]/g, '\\-')).join('|');
const CHOOSES_BY_KIND = new RegExp(
  `\\bkind\\s*[!=]==?\\s*['"\`](${alternatives})['"\`]|case\\s+['"\`](${alternatives})['"\`]\\s*:`,
);

describe('a device family is one unit', () => {
  it('lists every family once, each with its gateway part, its simulator and (when it has routes) its API module', () => {
    expect(new Set(DEVICE_FAMILIES.map((f) => f.kind)).size).toBe(FAMILIES.length);
    expect(new Set(SIMULATOR_FAMILIES.map((f) => f.kind)).size).toBe(FAMILIES.length);
    expect(DEVICE_FAMILIES.map((f) => f.kind)).toEqual([
      'ils',
      'receipt-printer',
      'rfid-reader',
      'gate',
      'print-queue',
      'cash-device',
      'card-printer',
      'scanner',
    ]);
  });

  it('chooses by a device kind nowhere outside the family list and the families’ own folders', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles('src'), ...sourceFiles('simulators')]) {
      if (FAMILY_FOLDERS.some((folder) => file.startsWith(folder))) continue;
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (CHOOSES_BY_KIND.test(line)) offenders.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('finds what it looks for (the check is not blind)', () => {
    expect(CHOOSES_BY_KIND.test("if (config.kind === 'receipt-printer') {")).toBe(true);
    expect(CHOOSES_BY_KIND.test("    case 'rfid-pad':")).toBe(true);
    expect(CHOOSES_BY_KIND.test("if (device.kind !== 'gate') return;")).toBe(true);
    expect(CHOOSES_BY_KIND.test('if (device.kind === receiptPrinters.kind) {')).toBe(false);
  });
});
