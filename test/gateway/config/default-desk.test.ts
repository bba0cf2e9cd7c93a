import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadIlsFixture, sampleFixturePath } from '../../../simulators/ils/index.js';
import { configSchema, loadConfigFile, parseConfigText } from '../../../src/app/config.js';
import { defaultDeskConfig } from '../../../src/app/default-desk.js';
import { deskSections } from '../../../src/gateway/config/schema.js';
import { ilsOf } from '../../helpers/desk.js';

const examplePath = new URL('../../../config/carrel.example.yaml', import.meta.url).pathname;

describe('defaultDeskConfig', () => {
  it("reads the sample ILS's local times in the sample library's zone, not the machine's", async () => {
    const fixture = await loadIlsFixture(sampleFixturePath());
    expect(ilsOf(defaultDeskConfig()).timeZone).toBe(fixture.library.timeZone);
  });

  it('is the simulated desk, with schema defaults applied', () => {
    const config = defaultDeskConfig();
    expect(configSchema.parse(config)).toEqual(config);
    expect(config).toMatchObject({
      version: 2,
      site: 'library',
      gateway: 'desk-1',
      http: { host: '127.0.0.1', port: 8480 },
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 1883 },
      log: { level: 'info' },
      systemd: { watchdog: true },
    });
    expect(ilsOf(config)).toMatchObject({
      id: 'ils',
      kind: 'ils',
      transport: { type: 'simulator', simulator: 'ils-sim' },
      user: 'kiosk1',
      location: 'MAIN',
      institution: 'RIVERSIDE',
    });
    expect(config.simulators).toEqual(
      expect.arrayContaining([
        { id: 'ils-sim', kind: 'ils', host: '127.0.0.1', port: 0, httpPort: 0 },
        { id: 'printer-sim', kind: 'printer', host: '127.0.0.1', port: 0, httpPort: 0, columns: 42 },
        expect.objectContaining({ id: 'pad-sim', kind: 'rfid-pad' }),
        expect.objectContaining({ id: 'scanner-sim', kind: 'scanner', terminator: 'cr', aim: false }),
      ]),
    );
    expect(config.devices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'receipt-1',
          kind: 'receipt-printer',
          name: 'Desk receipt printer',
          transport: { type: 'simulator', simulator: 'printer-sim' },
          columns: 42,
          encoding: 'cp858',
        }),
        // One serial scanner at the kiosk: patron cards 21…, items 31… (the sample library's barcodes).
        expect.objectContaining({
          id: 'scanner-1',
          kind: 'scanner',
          driver: 'serial',
          transport: { type: 'simulator', simulator: 'scanner-sim' },
          classify: expect.objectContaining({
            patron: ['^21\\d{6}$'],
            item: ['^31\\d{6}$'],
            cards: 'patron',
          }),
        }),
      ]),
    );
    expect(Object.isFrozen(config.devices[0])).toBe(true);
  });

  it("has a self-check pad holding two of the sample library's available items, beside the desk pad", () => {
    const config = defaultDeskConfig();
    expect(config.simulators.find((s) => s.id === 'selfcheck-sim')).toEqual({
      id: 'selfcheck-sim',
      kind: 'rfid-pad',
      host: '127.0.0.1',
      protocol: 'feig',
      port: 0,
      httpPort: 0,
      tags: [
        { item: '31000004', usage: 'circulating', owner: 'SE-RPL' },
        { item: '31000005', usage: 'circulating', owner: 'SE-RPL' },
      ],
    });
    expect(
      config.devices.filter((d) => d.kind === 'rfid-reader').map((d) => [d.id, d.name, d.transport]),
    ).toEqual([
      ['pad-1', 'Desk RFID pad', { type: 'simulator', simulator: 'pad-sim' }],
      ['selfcheck-1', 'Self-check pad', { type: 'simulator', simulator: 'selfcheck-sim' }],
      ['card-pad', 'Card encoding pad', { type: 'simulator', simulator: 'card-pad-sim' }],
    ]);
  });

  it('encodes library cards on a pad of their own, fed by the printer, not on the desk pad with the books', () => {
    const config = defaultDeskConfig();
    const printer = config.devices.find((d) => d.kind === 'card-printer');
    expect(printer).toMatchObject({ id: 'cards-1', rfid: { reader: 'card-pad' } });
    expect(config.simulators.find((s) => s.id === 'card-printer-sim')).toMatchObject({
      encoderPad: 'card-pad-sim',
    });
    // Each card printed brings its own chip there: nothing lies on it before.
    expect(config.simulators.find((s) => s.id === 'card-pad-sim')).toMatchObject({
      kind: 'rfid-pad',
      tags: [],
    });
  });

  it('puts on its pads only items of the sample library that are on the shelf, so a first login refuses none', async () => {
    const fixture = await loadIlsFixture(sampleFixturePath());
    const lent = new Set(fixture.patrons.flatMap((patron) => patron.loans.map((loan) => loan.item)));
    // The card printer's encoding pad holds the cards it prints, not books: it is no pad to lend at.
    const pads = defaultDeskConfig()
      .simulators.filter((s) => s.kind === 'rfid-pad')
      .filter((s) => s.id !== 'card-pad-sim');
    expect(pads.length).toBeGreaterThan(0);
    for (const pad of pads) {
      expect(pad.tags.length, pad.id).toBeGreaterThan(0);
      for (const tag of pad.tags) {
        // An item by barcode: a reference tag's item (V1's 1000000056 of a Danish library) is no item of the sample library.
        expect(typeof tag, `${pad.id}: ${JSON.stringify(tag)}`).toBe('object');
        if (typeof tag !== 'object') continue;
        const item = fixture.items.find((known) => known.barcode === tag.item);
        expect(item, `${pad.id}: ${tag.item}`).toMatchObject({ status: 'available', holdQueue: [] });
        expect(item?.onHoldShelfFor, tag.item).toBeUndefined();
        expect(lent.has(tag.item), `${tag.item} is on loan`).toBe(false);
        expect(tag.owner).toBe('SE-RPL');
      }
    }
  });

  it('returns a fresh object each time', () => {
    expect(defaultDeskConfig()).not.toBe(defaultDeskConfig());
  });
});

describe('config/carrel.example.yaml', () => {
  const env = {
    CARREL_KIOSK_TOKEN: 'kiosk-token-0123456789abcdef',
    CARREL_MONITOR_TOKEN: 'monitor-token-0123456789abcdef',
    CARREL_SIP2_PASSWORD: 'sip2-secret',
    CARREL_SELFCHECK_PASSWORD: 'selfcheck-secret',
    CARREL_CUPS_PASSWORD: 'cups-secret',
  };

  it('validates', () => {
    const config = loadConfigFile(examplePath, env);
    expect(config.devices.map((d) => d.transport?.type)).toEqual([
      'tls',
      'tcp',
      'serial',
      'lp',
      'simulator',
      'serial',
      'tcp',
      'ipp',
      'serial',
      'tcp',
      'lp',
      'serial',
      undefined, // a keyboard-wedge scanner reads its input device
      undefined, // a HID POS scanner is found in the HID device list
      undefined, // a card reader is reached through pcscd
    ]);
    expect(config.devices.find((d) => d.id === 'hidpos-1')).toMatchObject({
      hid: { vendorId: 0x05e0, productId: 0x1200, pollMs: 1000 },
    });
    expect(config.simulators.find((s) => s.kind === 'rfid-pad')?.tags).toContainEqual(
      expect.objectContaining({ item: '31000013', set: { part: 1, parts: 3 } }),
    );
    expect(ilsOf(config)).toMatchObject({
      transport: { type: 'tls', host: 'ils.example.org', port: 6001 },
      password: 'sip2-secret',
    });
    expect(config.auth.tokens.map((t) => t.token)).toEqual([
      env.CARREL_KIOSK_TOKEN,
      env.CARREL_MONITOR_TOKEN,
    ]);
  });

  it('has a comment for every top-level section', () => {
    const lines = readFileSync(examplePath, 'utf8').split('\n');
    const sections = Object.keys(deskSections).concat(['devices', 'simulators']);
    for (const section of sections) {
      const at = lines.findIndex((line) => line.startsWith(`${section}:`));
      expect(at, `section ${section} is in the example`).toBeGreaterThan(0);
      expect(lines[at - 1], `section ${section} has a comment above it`).toMatch(/^#/);
    }
  });
  it('takes its database path as the example shows it, uncommented where it stands', () => {
    // IT sets storage.path by uncommenting the example's lines in the storage section's paragraph.
    const lines = readFileSync(examplePath, 'utf8').split('\n');
    const start = lines.indexOf('storage:');
    const end = lines.indexOf('', start);
    const edited = [
      ...lines.slice(0, start),
      ...lines.slice(start, end).map((line) => line.replace(/^(\s*)# ?/, '$1')),
      ...lines.slice(end),
    ].join('\n');
    expect(edited).toContain('path: /var/lib/carrel/carrel.db');
    const config = parseConfigText(edited, 'yaml', env);
    expect(config.storage).toMatchObject({ path: '/var/lib/carrel/carrel.db', statisticsRetentionDays: 400 });
  });
});
