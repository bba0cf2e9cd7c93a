import { describe, expect, it } from 'vitest';
import { IdentificationRules } from '../../../src/gateway/families/scanner/identification.js';
import { scannerSchema, scanners } from '../../../src/gateway/families/scanner/index.js';

const layout = { devices: [], simulators: [] };
const issues = (entry: Record<string, unknown>) => {
  const found: string[] = [];
  scanners.check!(scannerSchema.parse({ id: 's', kind: 'scanner', ...entry }), layout, (path, message) =>
    found.push(`${path.join('.')}: ${message}`),
  );
  return found;
};

describe('identification rules', () => {
  const rules = new IdentificationRules(
    scannerSchema.parse({
      id: 's',
      kind: 'scanner',
      driver: 'serial',
      classify: {
        patron: ['^21\\d{6}$'],
        item: ['^31\\d{6}$'],
        cards: 'mapped',
        cardPatrons: { DEADBEEF: '21000002' },
      },
    }).classify,
  );
  const read = (kind: 'barcode' | 'card', value: string) =>
    rules.classify({ source: 'serial', kind, value, at: 0 }, 's');

  it('patron and item barcodes by pattern; anything else is unknown', () => {
    expect(read('barcode', '21000001')).toMatchObject({ role: 'patron', patron: '21000001' });
    expect(read('barcode', '31000001')).toMatchObject({ role: 'item' });
    expect(read('barcode', '9783161484100')).toMatchObject({ role: 'unknown' });
    expect(read('barcode', '9783161484100')).not.toHaveProperty('patron');
  });

  it('says the same things in the same order, with and without symbology and raw data', () => {
    expect(JSON.stringify(read('barcode', '21000001'))).toBe(
      '{"source":"serial","kind":"barcode","value":"21000001","device":"s","at":"1970-01-01T00:00:00.000Z","role":"patron","patron":"21000001"}',
    );
    const scanned = rules.classify(
      {
        source: 'wedge',
        kind: 'barcode',
        value: '31000001',
        symbology: { aim: ']C0', name: 'Code 128', modifier: '0' },
        raw: ']C031000001',
        at: 1000,
      },
      's',
    );
    expect(JSON.stringify(scanned)).toBe(
      '{"source":"wedge","kind":"barcode","value":"31000001","symbology":{"aim":"]C0","name":"Code 128","modifier":"0"},"raw":"]C031000001","device":"s","at":"1970-01-01T00:00:01.000Z","role":"item"}',
    );
  });

  it('a mapped card is its patron; an unmapped card names nobody', () => {
    expect(read('card', 'DEADBEEF')).toMatchObject({ role: 'patron', patron: '21000002', value: 'DEADBEEF' });
    expect(read('card', 'CAFEBABE')).toMatchObject({ role: 'unknown' });
    expect(read('card', 'constructor')).toMatchObject({ role: 'unknown' });
  });
});

describe('scanner config', () => {
  it('each driver asks for what it needs', () => {
    expect(issues({ driver: 'serial' })).toEqual([
      'transport: a serial scanner needs a transport (serial, tcp or simulator)',
    ]);
    expect(issues({ driver: 'evdev' })).toEqual([expect.stringMatching(/^device: /)]);
    expect(issues({ driver: 'hidpos', hid: { vendorId: 0x05e0 } })).toEqual([
      expect.stringMatching(/^hid: /),
    ]);
    expect(issues({ driver: 'hidpos', hid: { vendorId: 0x05e0, productId: 0x1200 } })).toEqual([]);
    expect(issues({ driver: 'pcsc', card: { value: 'script-text' } })).toEqual([
      expect.stringMatching(/^card.script: /),
    ]);
    expect(issues({ driver: 'pcsc', classify: { cards: 'mapped' } })).toEqual([
      expect.stringMatching(/^classify.cardPatrons: /),
    ]);
  });

  it('refuses a pattern that is not a regular expression', () => {
    expect(
      scannerSchema.safeParse({ id: 's', kind: 'scanner', driver: 'serial', classify: { patron: ['(21'] } })
        .success,
    ).toBe(false);
  });
});
