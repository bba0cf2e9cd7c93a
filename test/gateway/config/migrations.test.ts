import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/core/errors.js';
import {
  type ConfigMigrations,
  configMigrations,
  migrateConfig,
  type RawConfig,
} from '../../../src/gateway/config/migrations.js';
import { CURRENT_CONFIG_VERSION } from '../../../src/gateway/config/schema.js';

const fixture = (name: string) => new URL(`../../fixtures/config/${name}`, import.meta.url).pathname;

/** A made-up step from "version 0", where printers had their own list and a flat TCP address. */
const fromVersion0: ConfigMigrations = {
  0: (raw) => {
    const { printers, ...rest } = raw as RawConfig & {
      printers: { id: string; host: string; tcpPort: number }[];
    };
    return {
      ...rest,
      devices: printers.map((p) => ({
        id: p.id,
        kind: 'receipt-printer',
        transport: { type: 'tcp', host: p.host, port: p.tcpPort },
      })),
    };
  },
};

describe('config migrations', () => {
  it('has one step for every version before the current one', () => {
    for (let v = 1; v < CURRENT_CONFIG_VERSION; v++) expect(configMigrations[v]).toBeTypeOf('function');
  });

  it('loads an old file through an injected migration and validates the result', () => {
    const config = loadConfigFile(
      fixture('version-0.yaml'),
      {},
      { migrations: { ...configMigrations, ...fromVersion0 } },
    );
    expect(config.version).toBe(CURRENT_CONFIG_VERSION);
    expect(config.devices).toHaveLength(1);
    expect(config.devices[0]!.transport).toEqual({
      type: 'tcp',
      host: '127.0.0.1',
      port: 9100,
      connectTimeoutMs: 3000,
    });
  });

  it('refuses an old version no migration starts from', () => {
    try {
      loadConfigFile(fixture('version-0.yaml'), {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([
        { path: 'version', message: '0 is not a config version this Carrel can read (the first is 1)' },
      ]);
    }
  });

  it('runs steps in order, each on its own copy, and stamps each version', () => {
    const seen: number[] = [];
    const original: RawConfig = { version: 1, trail: [] as string[] };
    const migrations: ConfigMigrations = {
      1: (raw, note) => {
        seen.push(raw.version as number);
        (raw.trail as string[]).push('1→2');
        note('one to two');
        return raw;
      },
      2: (raw) => {
        seen.push(raw.version as number);
        return { ...raw, trail: [...(raw.trail as string[]), '2→3'] };
      },
    };
    const result = migrateConfig(original, { migrations, currentVersion: 3 });
    expect(result).toEqual({
      ok: true,
      from: 1,
      raw: { version: 3, trail: ['1→2', '2→3'] },
      notes: ['one to two'],
    });
    expect(seen).toEqual([1, 2]);
    expect(original).toEqual({ version: 1, trail: [] });
  });

  it('leaves a current file as it is', () => {
    const raw = { version: 3, site: 'x' };
    expect(migrateConfig(raw, { migrations: {}, currentVersion: 3 })).toEqual({
      ok: true,
      from: 3,
      raw,
      notes: [],
    });
  });

  it('rejects a missing, non-numeric or future version', () => {
    const failing = (raw: RawConfig) => {
      const result = migrateConfig(raw, { currentVersion: 2, migrations: { 1: (r) => r } });
      return result.ok ? undefined : result.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(failing({})).toEqual(['version: is missing: add `version: 2` at the top of the file']);
    expect(failing({ version: '1' })).toEqual(['version: must be a whole number such as 2, got "1"']);
    expect(failing({ version: 3 })).toEqual([
      'version: is 3, but this Carrel understands config versions up to 2; upgrade Carrel to use this file',
    ]);
    expect(failing({ version: 1 })).toBeUndefined();
  });

  describe('version 1 → 2: the ILS becomes an ordinary device', () => {
    const v1 = (ils: Record<string, unknown>, devices?: unknown[]) => ({
      version: 1,
      ils: { user: 'desk1', password: 'pw', location: 'MAIN', heartbeatSeconds: 30, ...ils },
      ...(devices === undefined ? {} : { devices }),
    });
    const migrate = (raw: RawConfig) => {
      const result = migrateConfig(raw);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result;
    };

    it('moves the ils section to the front of devices, its address becoming a tcp transport', () => {
      const printer = {
        id: 'receipt-1',
        kind: 'receipt-printer',
        transport: { type: 'lp', path: '/dev/usb/lp0' },
      };
      const result = migrate(v1({ host: 'ils.example.org', port: 6001 }, [printer]));
      expect(result.raw).toEqual({
        version: 2,
        devices: [
          {
            id: 'ils',
            kind: 'ils',
            user: 'desk1',
            password: 'pw',
            location: 'MAIN',
            heartbeatSeconds: 30,
            transport: { type: 'tcp', host: 'ils.example.org', port: 6001 },
          },
          printer,
        ],
      });
      expect(result.notes).toEqual([expect.stringContaining('"ils" section is now the device "ils"')]);
    });

    it('keeps TLS settings as a tls transport, and a simulator as a simulator transport', () => {
      const tls = migrate(v1({ host: 'h', port: 6443, tls: { caFile: '/ca.pem', serverName: 'ils' } }));
      expect((tls.raw.devices as RawConfig[])[0]!.transport).toEqual({
        type: 'tls',
        host: 'h',
        port: 6443,
        caFile: '/ca.pem',
        serverName: 'ils',
      });
      const simulated = migrate(v1({ simulator: 'ils-sim' }));
      expect((simulated.raw.devices as RawConfig[])[0]!.transport).toEqual({
        type: 'simulator',
        simulator: 'ils-sim',
      });
    });

    it('loads a whole version-1 desk and says what it changed', () => {
      const lines: string[] = [];
      const config = parseConfigText(
        [
          'version: 1',
          'ils: { host: ils.example.org, port: 6001, user: desk1, password: pw }',
          'sip2Relay: { port: 6002, accounts: [{ kioskUser: sc1, kioskPassword: sc1pw }] }',
        ].join('\n'),
        'yaml',
        {},
        { onMigrated: (note) => lines.push(note) },
      );
      expect(config.version).toBe(2);
      expect(config.devices).toEqual([
        expect.objectContaining({
          id: 'ils',
          kind: 'ils',
          transport: { type: 'tcp', host: 'ils.example.org', port: 6001 },
          user: 'desk1',
          heartbeatSeconds: 60,
        }),
      ]);
      expect(lines).toHaveLength(1);
    });

    it('leaves a file without an ils section alone but for its version', () => {
      expect(migrate({ version: 1, site: 'x' }).raw).toEqual({ version: 2, site: 'x' });
    });
  });
});
