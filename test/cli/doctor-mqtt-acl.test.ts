/**
 * `carrel doctor` (the built command, dist/) before the desk is started, on the library's Mosquitto
 * with a password file and an ACL, as IT sets a new desk up. A broker that takes the desk's login
 * but whose ACL does not let the desk's user write its tree (`read` written for `readwrite`, or
 * the ACL of another gateway) drops every publish of the desk without a word over MQTT 3.1.1:
 * the desk would start, and dashboards and the fleet view would never see it. Doctor must not
 * pass that broker as one that "accepts the desk's connection".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeskConfig } from '../../src/app/default-desk.js';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  writeMosquittoPasswords,
} from '../helpers/mosquitto.js';

const PASSWORD = 'the-desk-password-0123';
/** Three desks' users: one the ACL lets write its tree, one it lets only read it, one it gives another desk's. */
const USERS = { 'desk-ok': PASSWORD, 'desk-read-only': PASSWORD, 'desk-elsewhere': PASSWORD };

describe.skipIf(mosquittoSkipReason() !== undefined)(
  "carrel doctor on a broker whose ACL drops the desk's publishes",
  () => {
    let dir: string;
    let broker: MosquittoBroker;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'carrel-doctor-mqtt-acl-'));
      broker = await startMosquitto({
        configure: (brokerDir) => {
          writeMosquittoPasswords(join(brokerDir, 'passwd'), USERS);
          writeFileSync(
            join(brokerDir, 'acl'),
            [
              'user desk-ok',
              'topic readwrite carrel/north/desk-ok/#',
              'user desk-read-only',
              'topic read carrel/north/desk-read-only/#',
              'user desk-elsewhere',
              'topic readwrite carrel/north/desk-1/#',
              '',
            ].join('\n'),
          );
          return [
            'allow_anonymous false',
            `password_file ${join(brokerDir, 'passwd')}`,
            `acl_file ${join(brokerDir, 'acl')}`,
          ];
        },
      });
    }, 60_000);

    afterAll(async () => {
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Doctor, its desk not started, on gateway `gateway` whose MQTT user is `user`: its MQTT broker check. */
    async function brokerCheck(gateway: string, user: string, protocolVersion: '3.1.1' | '5') {
      const file = join(dir, `${gateway}-${protocolVersion}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          version: defaultDeskConfig().version,
          site: 'north',
          gateway,
          // Port 0: no running Carrel of this desk to ask; the broker is dialled as the desk dials it.
          http: { host: '127.0.0.1', port: 0 },
          storage: { path: join(dir, gateway, 'carrel.db') },
          mqtt: { mode: 'external', url: broker.url, username: user, password: PASSWORD, protocolVersion },
        }),
      );
      const run = await runCarrel(['doctor', '--config', file, '--json', '--timeout', '5'], {
        cwd: dir,
        env: { CARREL_CONFIG: '' },
      });
      expect(run.stderr).toBe('');
      expect(run.stdout).not.toContain(PASSWORD);
      const checks = (JSON.parse(run.stdout) as { checks: DoctorCheck[] }).checks;
      return { code: run.code, check: checks.find((check) => check.name === 'MQTT broker') };
    }

    it.each(['3.1.1', '5'] as const)(
      'MQTT %s: passes the desk whose user may write its tree, fails one that may only read it, or another tree',
      async (protocolVersion) => {
        const [ok, readOnly, elsewhere] = await Promise.all([
          brokerCheck('desk-ok', 'desk-ok', protocolVersion),
          brokerCheck('desk-read-only', 'desk-read-only', protocolVersion),
          brokerCheck('desk-7', 'desk-elsewhere', protocolVersion),
        ]);
        for (const [{ code, check }, gateway, user] of [
          [readOnly, 'desk-read-only', 'desk-read-only'],
          [elsewhere, 'desk-7', 'desk-elsewhere'],
        ] as const) {
          expect(code).toBe(1);
          expect(check?.status).toBe('fail');
          expect(check?.detail).toContain(
            `${broker.url} takes the desk's login but did not deliver what the desk publishes under carrel/north/${gateway} back to it`,
          );
          expect(check?.hint).toBe(
            `let the desk's MQTT user "${user}" write and read carrel/north/${gateway}/# in the broker's ACL (carrel mqtt acl prints the lines) and reload the broker`,
          );
        }
        expect(ok.check).toEqual({
          name: 'MQTT broker',
          status: 'pass',
          detail: `${broker.url} accepts the desk's connection and delivers what it publishes under carrel/north/desk-ok`,
        });
      },
      60_000,
    );
  },
);
