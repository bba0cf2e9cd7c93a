/**
 * A FEIG gate whose reader reports every tag passing (no AFI or EAS filter of its own) sends no AFI
 * or EAS bit with them, so the gate policies that decide by the tag alone (afi, eas, afi+eas) would
 * alarm for every book carried out, lent or not. `carrel config check` refuses such a desk in words,
 * saying what to set instead — whether the gate device says so (`reports: all`), or the gate
 * simulator standing in for it reports every tag while the device trusts each as secured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import { feigGateLines, writeConfigFile } from '../helpers/config-file.js';

describe('carrel config check, a gate that reports every tag', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-gate-every-tag-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A desk of one simulated gate: its device's extra lines, its simulator's. */
  function deskFile(name: string, device: string[], simulator: string[]): string {
    return writeConfigFile(dir, name, [
      'version: 2',
      'devices:',
      ...feigGateLines([
        'listen: { port: 0 }',
        'transport: { type: simulator, simulator: gate-sim }',
        ...device,
      ]),
      'simulators:',
      '  - id: gate-sim',
      '    kind: gate',
      '    dials: exit-1',
      ...simulator.map((line) => `    ${line}`),
    ]);
  }

  it('refuses a simulated gate reporting every tag to a gate device that counts each one secured', async () => {
    const checked = await runCarrel([
      'config',
      'check',
      deskFile('simulator-all.yaml', ['alarm: { method: afi }'], ['reportAllTags: true']),
    ]);
    expect(checked.stdout).toContain(
      'simulators[0].reportAllTags: the gate simulator reports every tag, and the gate device "exit-1" it dials counts each tag reported as secured (its reports: secured): set reports: all on that device, or leave reportAllTags out (the simulator then does as the device says)',
    );
    expect(checked.code).toBe(2);
  });

  it('refuses alarm.method afi, eas or afi+eas on a gate that reports every tag, saying what to set', async () => {
    for (const method of ['afi', 'eas', 'afi+eas']) {
      const checked = await runCarrel([
        'config',
        'check',
        deskFile(`device-all-${method}.yaml`, ['reports: all', `alarm: { method: ${method} }`], []),
      ]);
      expect(checked.stdout).toContain(
        `devices[0].alarm.method: a gate that reports every tag (reports: all) sends no AFI or EAS bit with them, so ${method} cannot tell a book on the shelf from one on loan and every book carried out would alarm: set the gate reader's own filter and reports: secured, or alarm.method ils (the ILS says whether each item is on loan) or afi-or-ils`,
      );
      expect(checked.code).toBe(2);
    }
  });

  it('refuses a simulated gate waiting for acknowledgements its gate device does not send', async () => {
    const checked = await runCarrel([
      'config',
      'check',
      deskFile('simulator-ack.yaml', ['alarm: { method: afi }'], ['ack: true']),
    ]);
    expect(checked.stdout).toContain(
      `simulators[0].ack: the gate simulator waits for each notification's acknowledgement, and the gate device "exit-1" it dials sends none (its ack: false): leave ack out (the simulator then does as the device says) or make the two alike`,
    );
    expect(checked.code).toBe(2);
  });

  it('takes a gate that reports every tag and asks the ILS', async () => {
    const file = deskFile('device-all-ils.yaml', ['reports: all', 'alarm: { method: afi-or-ils }'], []);
    // afi-or-ils asks the ILS: a desk of the gate alone has none, and is told so, nothing about reports.
    const checked = await runCarrel(['config', 'check', file]);
    expect(checked.stdout).toContain(
      'devices[0].alarm.method: afi-or-ils asks the ILS, and this desk has no ILS device',
    );
    expect(checked.stdout).not.toContain('reports');
  });
});

/**
 * An ordinary RFID reader at a doorway (`driver: reader`) reads a tag's EAS bit only when it is
 * told to, and the 3M reader protocol cannot: a gate alarming on the bit with none read would
 * alarm on every tag (eas) or let a book secured by its bit out unheard (afi+eas). `carrel config
 * check` refuses both in words; left out, `checkEas` follows the alarm.
 */
describe('carrel config check, a reader gate alarming on the EAS bit', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-gate-reader-eas-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function doorFile(name: string, lines: string[]): string {
    return writeConfigFile(dir, name, [
      'version: 2',
      'devices:',
      '  - id: door-1',
      '    kind: gate',
      '    driver: reader',
      "    transport: { type: tcp, host: '127.0.0.1', port: 10001 }",
      ...lines.map((line) => `    ${line}`),
    ]);
  }

  it('refuses eas and afi+eas on a 3M reader, and on a FEIG reader told not to read the bit', async () => {
    const cases = [
      {
        lines: ['protocol: 3m', 'alarm: { method: eas }'],
        words:
          "devices[0].alarm.method: a 3M reader (protocol 3m) cannot read a tag's EAS bit, so eas would alarm on every tag: alarm by afi (or ils, afi-or-ils), or use a FEIG reader",
      },
      {
        lines: ['protocol: feig', 'checkEas: false', 'alarm: { method: afi+eas }'],
        words:
          "devices[0].checkEas: checkEas: false reads no tag's EAS bit, so alarm.method afi+eas would let a book secured by its EAS bit out unheard: leave checkEas out (it is read for eas and afi+eas) or set it true",
      },
    ];
    for (const [index, { lines, words }] of cases.entries()) {
      const checked = await runCarrel(['config', 'check', doorFile(`refused-${index}.yaml`, lines)]);
      expect(checked.stdout).toContain(words);
      expect(checked.code).toBe(2);
    }
  });

  it('takes a FEIG reader alarming on the bit with checkEas left out, and a 3M reader alarming by afi', async () => {
    for (const [index, lines] of [
      ['protocol: feig', 'alarm: { method: eas }'],
      ['protocol: 3m', 'alarm: { method: afi }'],
    ].entries()) {
      const checked = await runCarrel(['config', 'check', doorFile(`taken-${index}.yaml`, lines)]);
      expect(checked.stdout).toContain('ok: 1 device');
      expect(checked.code).toBe(0);
    }
  });
});
