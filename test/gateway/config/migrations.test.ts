import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { loadConfigFile } from '../../../src/gateway/config/load.js';
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
    const config = loadConfigFile(fixture('version-0.yaml'), {}, { migrations: fromVersion0 });
    expect(config.version).toBe(1);
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
      1: (raw) => {
        seen.push(raw.version as number);
        (raw.trail as string[]).push('1→2');
        return raw;
      },
      2: (raw) => {
        seen.push(raw.version as number);
        return { ...raw, trail: [...(raw.trail as string[]), '2→3'] };
      },
    };
    const result = migrateConfig(original, { migrations, currentVersion: 3 });
    expect(result).toEqual({ ok: true, from: 1, raw: { version: 3, trail: ['1→2', '2→3'] } });
    expect(seen).toEqual([1, 2]);
    expect(original).toEqual({ version: 1, trail: [] });
  });

  it('leaves a current file as it is', () => {
    const raw = { version: 3, site: 'x' };
    expect(migrateConfig(raw, { migrations: {}, currentVersion: 3 })).toEqual({ ok: true, from: 3, raw });
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
});
