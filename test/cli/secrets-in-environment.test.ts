// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the configuration's literal ${env:NAME} references
/**
 * A packaged desk keeps its secrets out of /etc/carrel/carrel.yaml as `${env:NAME}`, set by the
 * EnvironmentFile of carrel.service's drop-in (systemd/carrel.service says how). The commands
 * that read no secret — `carrel backup` (which carrel-backup.service runs every night, without
 * that drop-in), `carrel restore` and `carrel mqtt acl` (run by IT from a shell, as README and
 * docs/mqtt.md say) — must still work with those variables unset: they need where the database is,
 * and the token names. `carrel start` needs the secrets themselves, and still refuses without them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { OfflineJournal, offlinePolicySchema } from '../../src/gateway/offline/index.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { runCarrel } from '../helpers/carrel-cli.js';
import { tempFolders } from '../helpers/temp-folders.js';

const folder = tempFolders('carrel-secrets-env-');

/** The secrets the desk's file names, none of them set in the commands' environment. */
const SECRETS = [
  'CARREL_KIOSK_TOKEN',
  'CARREL_MONITOR_TOKEN',
  'CARREL_SIP2_PASSWORD',
  'CARREL_MQTT_PASSWORD',
];
/** Names a desk may also take from the environment: its broker user, a token holder's. */
const NAMES = ['CARREL_MQTT_USER', 'CARREL_KIOSK_NAME'];
const unset = Object.fromEntries([...SECRETS, ...NAMES].map((name) => [name, '']));

/** A packaged desk's configuration, as config/carrel.example.yaml has it: secrets from the environment. */
function packagedDesk(dir: string): { config: string; database: string } {
  const database = join(dir, 'state', 'carrel.db');
  const config = join(dir, 'carrel.yaml');
  writeFileSync(
    config,
    [
      'version: 2',
      'site: north',
      'gateway: desk-1',
      'http: { host: 127.0.0.1, port: 0 }',
      'auth:',
      '  tokens:',
      '    - { name: kiosk-1, token: "${env:CARREL_KIOSK_TOKEN}", scopes: [kiosk] }',
      '    - { name: it-monitoring, token: "${env:CARREL_MONITOR_TOKEN}", scopes: [monitor] }',
      'mqtt:',
      '  mode: external',
      '  url: mqtt://127.0.0.1:1',
      '  username: north-desk-1',
      '  password: ${env:CARREL_MQTT_PASSWORD}',
      `storage: { path: ${database} }`,
      'devices:',
      '  - id: ils',
      '    kind: ils',
      '    user: kiosk1',
      '    password: ${env:CARREL_SIP2_PASSWORD}',
      '    location: MAIN',
      '    transport: { type: tcp, host: 127.0.0.1, port: 1 }',
      '',
    ].join('\n'),
  );
  return { config, database };
}

/** A desk's database holding one checkin journaled while the ILS was away. */
function deskDatabase(database: string): void {
  mkdirSync(join(database, '..'), { recursive: true });
  const db = openDatabase(database);
  new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) }).accept({
    kind: 'checkin',
    item: '31000002',
    terminal: 'desk-1',
    at: Date.now(),
  });
  db.close();
}

/** `carrel …` as IT (or carrel-backup.service) runs it: none of the desk's secrets in its environment. */
function carrel(args: string[], cwd: string) {
  // runCarrel's env is laid over this process's: an empty value stands for one not set, so it is deleted here.
  return runCarrel(args, { cwd, env: { CARREL_CONFIG: '', ...unset }, nodeArgs: ['--import', UNSET_EMPTY] });
}

/** Node preload: deletes the environment variables set empty, so the command sees them not set at all. */
const UNSET_EMPTY = `data:text/javascript,${encodeURIComponent(
  `for (const name of ${JSON.stringify([...SECRETS, ...NAMES])}) if (process.env[name] === '') delete process.env[name];`,
)}`;

describe('secrets kept in the service environment', () => {
  it('carrel backup (the nightly carrel-backup.service) backs the database up without them', async () => {
    const dir = folder();
    const { config, database } = packagedDesk(dir);
    deskDatabase(database);
    const run = await carrel(['backup', '--config', config, '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const made = JSON.parse(run.stdout) as { source: string; path: string };
    expect(made.source).toBe(database);
    expect(existsSync(made.path)).toBe(true);
  });

  it('carrel restore puts a backup in place without them, holding its offline checkin for staff', async () => {
    const dir = folder();
    const { config, database } = packagedDesk(dir);
    deskDatabase(database);
    const backedUp = JSON.parse((await carrel(['backup', '--config', config, '--json'], dir)).stdout) as {
      path: string;
    };
    const run = await carrel(['restore', backedUp.path, '--config', config, '--json'], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ path: database, offlineHeld: 1 });
  });

  it('carrel mqtt acl prints the ACL, naming the token holders, without them', async () => {
    const dir = folder();
    const run = await carrel(['mqtt', 'acl', '--config', packagedDesk(dir).config], dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('user north-desk-1\ntopic readwrite carrel/north/desk-1/#');
    expect(run.stdout).toContain('user kiosk-1\n');
    expect(run.stdout).toContain('user it-monitoring\n');
  });

  it('carrel mqtt acl refuses, naming the variable, a broker user or token holder taken from one not set', async () => {
    for (const [line, named, field] of [
      ['  username: north-desk-1', '  username: ${env:CARREL_MQTT_USER}', 'CARREL_MQTT_USER'],
      ['{ name: kiosk-1,', '{ name: "${env:CARREL_KIOSK_NAME}",', 'CARREL_KIOSK_NAME'],
    ] as const) {
      const dir = folder();
      const { config } = packagedDesk(dir);
      writeFileSync(config, readFileSync(config, 'utf8').replace(line, named));
      const run = await carrel(['mqtt', 'acl', '--config', config], dir);
      expect(run.stdout).toBe('');
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`\${env:${field}}`);
      expect(run.stderr).toContain(`${field} is not set`);
      expect(run.stderr).not.toContain('not read by this command');
    }
  });

  it('carrel doctor run from a shell says how to run it with the service’s environment, naming each secret not set', async () => {
    const dir = folder();
    const { config } = packagedDesk(dir);
    const run = await carrel(['doctor', '--config', config, '--json'], dir);
    expect(run.code).toBe(1);
    const checks = (
      JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string; hint?: string }> }
    ).checks;
    const check = checks.find((each) => each.name === 'config');
    expect(check?.status).toBe('fail');
    for (const name of SECRETS) expect(check?.hint).toContain(name);
    // The file carrel.service's comment names for its EnvironmentFile, loaded as a shell can.
    expect(check?.hint).toContain(
      `sudo sh -c 'set -a; . /etc/carrel/carrel.env; set +a; exec carrel doctor --config ${config}'`,
    );
    expect(readFileSync(join(packageRoot(), 'systemd', 'carrel.service'), 'utf8')).toContain(
      'EnvironmentFile=/etc/carrel/carrel.env',
    );
  });

  it('carrel start still refuses without them, naming each one unset', async () => {
    const dir = folder();
    const run = await carrel(['start', '--config', packagedDesk(dir).config], dir);
    expect(run.code).toBe(2);
    for (const name of SECRETS) expect(run.stderr).toContain(`environment variable ${name} is not set`);
  });
});
