/**
 * A FEIG gate's notifications are taken by the address their connection comes from (the
 * allow-list), so a gate device's `address` must be the gate's IP address: a host name, or an
 * address mistyped, would match no connection and the gate would never come online, its alarms
 * never reaching the desk. `carrel config check` refuses such a desk in words, and takes an IPv4 or
 * IPv6 address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCarrel } from '../helpers/carrel-cli.js';
import { feigGateLines, writeConfigFile } from '../helpers/config-file.js';

describe("carrel config check, a gate's address", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-gate-address-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function deskFile(name: string, address: string): string {
    return writeConfigFile(dir, name, [
      'version: 2',
      'devices:',
      ...feigGateLines([
        'listen: { host: 0.0.0.0, port: 10010 }',
        `address: "${address}"`,
        'transport: { type: tcp, host: 192.0.2.60, port: 10001 }',
      ]),
    ]);
  }

  it('refuses a host name or a mistyped address, saying the gate is known by its IP address', async () => {
    for (const [name, address] of [
      ['host-name.yaml', 'gate-1.library.local'],
      ['mistyped.yaml', '192.0.2.600'],
    ]) {
      const checked = await runCarrel(['config', 'check', deskFile(name!, address!)]);
      expect(checked.stdout).toContain(
        "devices[0].address: must be the gate's IP address, such as 192.0.2.60: its notifications are taken by the address they come from, so a host name or a mistyped address would match none and its alarms would never reach the desk",
      );
      expect(checked.code).toBe(2);
    }
  });

  it('takes an IPv4 or an IPv6 address', async () => {
    for (const [name, address] of [
      ['ipv4.yaml', '192.0.2.60'],
      ['ipv6.yaml', '2001:db8::60'],
    ]) {
      const checked = await runCarrel(['config', 'check', deskFile(name!, address!)]);
      expect(checked.stdout).toContain('ok: 1 device');
      expect(checked.code).toBe(0);
    }
  });
});
