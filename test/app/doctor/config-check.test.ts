/** Doctor's first check: the configuration valid, migrated or not, and nothing secret in what it says. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('doctor: config, a file the carrel service user cannot read', () => {
  // IT runs doctor as root or as themselves; systemd runs Carrel as the carrel user (User=carrel).
  // A file moved into /etc/carrel from a home folder keeps its owner and mode 0600: doctor read it,
  // the service cannot, and `systemctl start carrel` fails with "permission denied".
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let desk: string;
  let accounts: { passwdFile: string; groupFile: string; serviceFolder: string };
  const valid = `version: 2\ndevices:${ILS}    password: s3cret-pw\n`;
  beforeAll(() => {
    desk = mkdtempSync(join(tmpdir(), 'carrel-doctor-service-user-'));
    chmodSync(desk, 0o755);
    const passwdFile = join(desk, 'passwd.txt');
    const groupFile = join(desk, 'group.txt');
    writeFileSync(
      passwdFile,
      `it-staff:x:${uid}:${gid}::/home/it:/bin/sh\ncarrel:x:64999:64999::/var/lib/carrel:/usr/sbin/nologin\n`,
    );
    writeFileSync(groupFile, `carrel:x:64999:\ndialout:x:20:carrel\n`);
    // This folder stands for /etc/carrel, where the service reads its configuration.
    accounts = { passwdFile, groupFile, serviceFolder: desk };
  });
  afterAll(() => rmSync(desk, { recursive: true, force: true }));

  function deskFile(folder: string, folderMode: number, fileMode: number): string {
    const path = join(desk, folder);
    mkdirSync(path, { recursive: true });
    chmodSync(path, folderMode);
    writeFileSync(join(path, 'carrel.yaml'), valid);
    chmodSync(join(path, 'carrel.yaml'), fileMode);
    return join(path, 'carrel.yaml');
  }

  it('fails a file of mode 0600 not the carrel user’s, naming the file, its owner and mode and what to run', () => {
    const path = deskFile('private', 0o755, 0o600);
    const { check, config } = checkConfig(path, {}, accounts);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(path);
    expect(check.detail).toMatch(/the carrel service user cannot read it/);
    expect(check.detail).toMatch(/mode 0600/);
    expect(check.hint).toContain(`sudo chown root:carrel ${path} && sudo chmod 640 ${path}`);
    // The rest of the desk is still checked: the file itself is valid.
    expect(config?.devices.map((device) => device.id)).toEqual(['ils']);
  });

  it('fails a readable file in a folder the carrel user may not enter, naming the folder', () => {
    const path = deskFile('closed', 0o700, 0o644);
    const { check } = checkConfig(path, {}, accounts);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(join(desk, 'closed'));
    expect(check.hint).toContain(`chgrp carrel ${join(desk, 'closed')}`);
  });

  it('warns, not fails, of such a file outside the service’s folder (a copy tried out elsewhere)', () => {
    const path = deskFile('private', 0o755, 0o600);
    const { check } = checkConfig(path, {}, { ...accounts, serviceFolder: join(desk, 'etc-carrel') });
    expect(check.status).toBe('warn');
    expect(check.detail).toMatch(/the carrel service user cannot read it/);
  });

  it('passes a file the carrel user reads as anyone or through its group', () => {
    expect(checkConfig(deskFile('open', 0o755, 0o644), {}, accounts).check.status).toBe('pass');
    const inGroup = {
      ...accounts,
      groupFile: join(desk, 'group-with-carrel.txt'),
    };
    writeFileSync(inGroup.groupFile, `carrel:x:64999:\nit-desk:x:${gid}:carrel\n`);
    expect(checkConfig(deskFile('group', 0o750, 0o640), {}, inGroup).check.status).toBe('pass');
    // No carrel user on this machine (a developer's PC): nothing to say of one.
    const noService = { ...accounts, passwdFile: join(desk, 'passwd-without-carrel.txt') };
    writeFileSync(noService.passwdFile, `it-staff:x:${uid}:${gid}::/home/it:/bin/sh\n`);
    expect(checkConfig(deskFile('private', 0o755, 0o600), {}, noService).check.status).toBe('pass');
  });
});
