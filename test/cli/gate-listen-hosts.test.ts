/**
 * Gates notifying the desk on one port share Carrel's listener there, so they must name one listen
 * host: on two (0.0.0.0 and 127.0.0.1), the second cannot listen — the port is taken by the first —
 * and that gate's alarms would never arrive. `carrel config check` says so before the desk starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';

describe('carrel config check, two gates on one port', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-gate-listen-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function deskFile(name: string, hosts: [string, string], ports: [number, number] = [10010, 10010]): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        'version: 2',
        'devices:',
        '  - id: exit-1',
        '    kind: gate',
        '    driver: feig-notification',
        `    listen: { host: "${hosts[0]}", port: ${ports[0]} }`,
        '    address: 192.168.10.21',
        '  - id: exit-2',
        '    kind: gate',
        '    driver: feig-notification',
        `    listen: { host: "${hosts[1]}", port: ${ports[1]} }`,
        '    address: 192.168.10.22',
        '',
      ].join('\n'),
    );
    return file;
  }

  it('refuses two listen hosts on one port, saying which gates and what to set', async () => {
    const checked = await runCarrel([
      'config',
      'check',
      deskFile('two-hosts.yaml', ['0.0.0.0', '127.0.0.1']),
    ]);
    expect(checked.stdout).toContain('devices[1].listen.host');
    expect(checked.stdout).toContain('exit-1');
    expect(checked.stdout).toMatch(/same listen\.host/);
    expect(checked.code).toBe(2);
  });

  it('takes gates sharing one host and port, or on ports of their own', async () => {
    const shared = await runCarrel(['config', 'check', deskFile('shared.yaml', ['0.0.0.0', '0.0.0.0'])]);
    expect(shared.code, shared.stdout + shared.stderr).toBe(0);
    const own = await runCarrel([
      'config',
      'check',
      deskFile('own-ports.yaml', ['0.0.0.0', '127.0.0.1'], [10010, 10011]),
    ]);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    // 0.0.0.0 takes every IPv4 address, not IPv6 ones: a gate on ::1 listens beside it.
    const families = await runCarrel(['config', 'check', deskFile('v4-v6.yaml', ['0.0.0.0', '::1'])]);
    expect(families.code, families.stdout + families.stderr).toBe(0);
  });

  it("refuses a gate listening on the port of Carrel's own API or MQTT broker, naming which", async () => {
    const file = join(dir, 'own-ports-taken.yaml');
    writeFileSync(
      file,
      [
        'version: 2',
        'http: { host: 127.0.0.1, port: 18480 }',
        'mqtt: { mode: embedded, host: 127.0.0.1, port: 18883 }',
        'devices:',
        '  - id: exit-1',
        '    kind: gate',
        '    driver: feig-notification',
        '    listen: { host: "0.0.0.0", port: 18480 }',
        '    address: 192.168.10.21',
        '  - id: exit-2',
        '    kind: gate',
        '    driver: feig-notification',
        '    listen: { host: "127.0.0.1", port: 18883 }',
        '    address: 192.168.10.22',
        '  - id: exit-3',
        '    kind: gate',
        '    driver: feig-notification',
        '    listen: { host: "192.168.10.5", port: 18883 }',
        '    address: 192.168.10.23',
        '',
      ].join('\n'),
    );
    const checked = await runCarrel(['config', 'check', file]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(2);
    expect(checked.stdout).toContain('devices[0].listen.port');
    expect(checked.stdout).toMatch(/HTTP API/);
    expect(checked.stdout).toContain('devices[1].listen.port');
    expect(checked.stdout).toMatch(/MQTT broker/);
    // A gate on another address of the machine than the broker's can listen beside it.
    expect(checked.stdout).not.toContain('devices[2].listen');
  });
});
