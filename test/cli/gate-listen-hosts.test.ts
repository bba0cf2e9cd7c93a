/**
 * Gates notifying the desk on one port share Carrel's listener there, so they must name one listen
 * host: on two (0.0.0.0 and 127.0.0.1), the second cannot listen — the port is taken by the first —
 * and that gate's alarms would never arrive. `carrel config check` says so before the desk starts.
 * Nor may a gate listen on the port of Carrel's own API or broker, in the file or moved there by
 * `carrel start --http-port N` / `--mqtt-port N`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import { freePort } from '../helpers/free-port.js';

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

describe("carrel start --http-port / --mqtt-port on a gate's notification port", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-gate-port-option-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A desk whose API and broker take free ports, with a gate listening on 127.0.0.1:`gatePort`. */
  function deskFile(name: string, gatePort: number): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        'version: 2',
        'http: { host: 127.0.0.1, port: 0 }',
        'mqtt: { mode: embedded, host: 127.0.0.1, port: 0 }',
        `storage: { path: "${join(dir, name, 'carrel.db')}" }`,
        'devices:',
        '  - id: exit-1',
        '    kind: gate',
        '    driver: feig-notification',
        `    listen: { host: "127.0.0.1", port: ${gatePort} }`,
        '    address: 127.0.0.1',
        '',
      ].join('\n'),
    );
    return file;
  }

  for (const option of ['--http-port', '--mqtt-port'] as const)
    it(`refuses ${option} N where a gate listens, saying which gate and what to change, and starts nothing`, async () => {
      // Nothing is meant to listen there: the port is only named, in the file and on the command line.
      const port = await freePort();
      const name = option.slice(2);
      const run = await runCarrel(
        ['start', '--config', deskFile(name, port), option, String(port), '--log-level', 'warn'],
        { cwd: dir, env: { CARREL_CONFIG: '' }, stopAfterMs: 15_000 },
      );
      expect(run.stopped, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(2);
      // One line in words, before anything started: no database made, no log, no "cannot start".
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`${option} ${port}`);
      expect(run.stderr).toContain('"exit-1"');
      expect(run.stderr).toContain(`127.0.0.1:${port}`);
      expect(run.stderr).toMatch(option === '--http-port' ? /HTTP API/ : /MQTT broker/);
      expect(run.stderr).toMatch(new RegExp(`another ${option}|another listen\\.port`));
      expect(run.stdout).toBe('');
      expect(existsSync(join(dir, name))).toBe(false);
      // carrel doctor given the same option (the desk it was started with) says the same, checking nothing.
      const doctor = await runCarrel(['doctor', '--config', deskFile(name, port), option, String(port)], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      expect(doctor.stdout).toBe('');
      expect(doctor.stderr).toBe(run.stderr);
      expect(doctor.code).toBe(2);
    }, 30_000);

  it("refuses --http-port N on the port of Carrel's own SIP2 relay or broker, saying which", async () => {
    const port = await freePort();
    const file = join(dir, 'relay.yaml');
    writeFileSync(
      file,
      [
        'version: 2',
        'http: { host: 127.0.0.1, port: 0 }',
        'mqtt: { mode: embedded, host: 127.0.0.1, port: 0 }',
        `storage: { path: "${join(dir, 'relay', 'carrel.db')}" }`,
        `sip2Relay: { host: 0.0.0.0, port: ${port}, accounts: [{ kioskUser: selfcheck-1, kioskPassword: pw }] }`,
        'devices:',
        '  - id: ils',
        '    kind: ils',
        '    transport: { type: tcp, host: 127.0.0.1, port: 1 }',
        '    user: desk1',
        '    password: pw',
        '',
      ].join('\n'),
    );
    const onRelay = await runCarrel(
      ['start', '--config', file, '--http-port', String(port), '--log-level', 'warn'],
      { cwd: dir, env: { CARREL_CONFIG: '' }, stopAfterMs: 15_000 },
    );
    expect(onRelay.stopped, onRelay.stderr).toBe(false);
    expect(onRelay.code, onRelay.stderr).toBe(2);
    expect(onRelay.stderr.trim().split('\n')).toHaveLength(1);
    expect(onRelay.stderr).toContain(`--http-port ${port}`);
    expect(onRelay.stderr).toMatch(/SIP2 relay \(sip2Relay: 0\.0\.0\.0:\d+\)/);
    expect(onRelay.stderr).not.toMatch(/perhaps another Carrel/);
    expect(existsSync(join(dir, 'relay'))).toBe(false);
    // Both moved onto one port: said once, naming both options.
    const both = await runCarrel(
      ['start', '--config', file, '--http-port', '0', '--mqtt-port', String(port), '--log-level', 'warn'],
      { cwd: dir, env: { CARREL_CONFIG: '' }, stopAfterMs: 15_000 },
    );
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toContain(`--mqtt-port ${port}`);
    expect(both.stderr).toMatch(/SIP2 relay/);
    const other = String(await freePort());
    const pair = await runCarrel(
      ['start', '--config', file, '--http-port', other, '--mqtt-port', other, '--log-level', 'warn'],
      { cwd: dir, env: { CARREL_CONFIG: '' }, stopAfterMs: 15_000 },
    );
    expect(pair.stopped, pair.stderr).toBe(false);
    expect(pair.code, pair.stderr).toBe(2);
    expect(pair.stderr.trim().split('\n')).toHaveLength(1);
    expect(pair.stderr).toContain(
      `--mqtt-port ${other} would put Carrel's MQTT broker on 127.0.0.1:${other}`,
    );
    expect(pair.stderr).toContain(`its HTTP API (--http-port ${other})`);
  }, 60_000);
});
