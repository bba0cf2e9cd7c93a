/** Doctor's first check: the configuration valid, migrated or not, and nothing secret in what it says. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/app/doctor/config-check.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ILS = `
  - id: ils
    kind: ils
    transport: { type: tcp, host: ils.example, port: 6001 }
    user: kiosk1
`;

describe('doctor: config', () => {
  it('passes a current file and the simulated desk when none is given', () => {
    expect(
      checkConfig(file('v2.yaml', `version: 2\ndevices:${ILS}    password: s3cret-pw\n`), {}).check,
    ).toMatchObject({
      status: 'pass',
    });
    const none = checkConfig(undefined, {});
    expect(none.check).toMatchObject({ status: 'pass', detail: expect.stringContaining('simulated desk') });
    expect(none.config?.devices.length).toBeGreaterThan(0);
  });

  it('warns on a file valid only once migrated, saying what the migration did', () => {
    const path = file('v1.yaml', 'version: 1\nils:\n  host: ils.example\n  port: 6001\n');
    const { check, config } = checkConfig(path, {});
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('migrated');
    expect(check.hint).toBeDefined();
    expect(config?.devices.map((device) => device.id)).toEqual(['ils']);
  });

  it('fails an invalid file, naming paths but never the values of secrets', () => {
    const path = file('bad.yaml', `version: 2\ndevices:${ILS}    password: 98765432\n    colour: red\n`);
    const { check, config } = checkConfig(path, {});
    expect(config).toBeUndefined();
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('devices[0].password');
    expect(check.detail).toContain('colour');
    expect(check.detail).not.toContain('98765432');
    expect(check.hint).toContain('carrel config check');
  });

  it('passes a vendor field id with a lower-case letter (zq) and fails AY/AZ, SIP2’s error detection, in words', () => {
    const vendor = (id: string) =>
      `version: 2\ndevices:${ILS}    extraFields:\n      - { id: ${id}, value: desk-3, messages: ['11'] }\n`;
    for (const id of ['zq', 'Zq', 'z9']) {
      const { check, config } = checkConfig(file(`vendor-${id}.yaml`, vendor(id)), {});
      expect(check.status, id).toBe('pass');
      expect(config?.devices[0]).toMatchObject({ extraFields: [{ id, value: 'desk-3' }] });
    }
    for (const id of ['AY', 'AZ', 'z', 'z-']) {
      const { check } = checkConfig(file(`vendor-bad-${id}.yaml`, vendor(`'${id}'`)), {});
      expect(check.status, id).toBe('fail');
      expect(check.detail, id).toContain('devices[0].extraFields[0].id');
    }
  });
});

describe('doctor: config, a desk that would dial or listen where Carrel itself listens', () => {
  it('fails a receipt printer dialling the API and a simulator on the broker, as `carrel config check` does', () => {
    const path = file(
      'own-ports.yaml',
      [
        'version: 2',
        'http: { port: 4301 }',
        'mqtt: { mode: embedded, port: 4302 }',
        'devices:',
        '  - { id: receipt-1, kind: receipt-printer, transport: { type: tcp, host: 127.0.0.1, port: 4301 } }',
        'simulators:',
        '  - { id: ils-sim, kind: ils, port: 4302 }',
        '',
      ].join('\n'),
    );
    const { check, config } = checkConfig(path, {});
    expect(config).toBeUndefined();
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /devices\[0\]\.transport\.port: .*receipt printer "receipt-1".*Carrel itself/,
    );
    expect(check.detail).toMatch(/simulators\[0\]\.port: .*simulator "ils-sim".*MQTT broker/);
    expect(check.hint).toContain('carrel config check');
  });
});
