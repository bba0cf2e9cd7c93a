/**
 * `carrel doctor` (the built command, dist/) where a host name in the configuration does not
 * resolve — a typo in ils.host, the broker's name in mqtt.url, a receipt printer's address — or the
 * machine's DNS is not answering. Names under `.invalid` never resolve (RFC 2606). IT reads which
 * name, and what to check, instead of `getaddrinfo ENOTFOUND <host>`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DoctorCheck, runCarrel } from '../helpers/carrel-cli.js';
import { tempFolders } from '../helpers/temp-folders.js';

type Check = DoctorCheck;

const folder = tempFolders('carrel-doctor-unresolved-');

describe('carrel doctor with host names that do not resolve', () => {
  it('names each one in words, with the setting to check, never the raw getaddrinfo error', async () => {
    const dir = folder();
    const file = join(dir, 'carrel.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 2,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'external', url: 'mqtt://broker.carrel-test.invalid:1883' },
        storage: { path: join(dir, 'carrel.db') },
        devices: [
          {
            id: 'ils',
            kind: 'ils',
            user: 'kiosk1',
            password: 'kiosk1pw',
            location: 'MAIN',
            timeZone: 'Europe/Stockholm',
            transport: { type: 'tcp', host: 'ils.carrel-test.invalid', port: 6001 },
          },
          {
            id: 'receipt-1',
            kind: 'receipt-printer',
            transport: { type: 'tcp', host: 'printer.carrel-test.invalid', port: 9100 },
          },
        ],
      }),
    );
    const run = await runCarrel(['doctor', '--config', file, '--json', '--timeout', '5'], { cwd: dir });
    expect(run.code).toBe(1);
    const checks = new Map(
      (JSON.parse(run.stdout) as { checks: Check[] }).checks.map((check) => [check.name, check]),
    );
    const said = (name: string) => {
      const check = checks.get(name);
      expect(check, `${name} in ${[...checks.keys()].join(', ')}`).toBeDefined();
      expect(check!.status).toBe('fail');
      return `${check!.detail} ${check!.hint ?? ''}`;
    };

    const ils = said('ILS ils reachable');
    expect(ils).toMatch(/the name ils\.carrel-test\.invalid does not resolve/);
    expect(ils).toMatch(/check devices\[ils\]\.transport\.host, or the machine's DNS/);

    const broker = said('MQTT broker');
    expect(broker).toMatch(/the name broker\.carrel-test\.invalid does not resolve/);
    expect(broker).toMatch(/check mqtt\.url, or the machine's DNS/);

    const printer = said('device receipt-1');
    expect(printer).toMatch(/the name printer\.carrel-test\.invalid does not resolve/);
    expect(printer).toMatch(/check devices\[receipt-1\]\.transport\.host, or the machine's DNS/);

    expect(run.stdout).not.toMatch(/getaddrinfo|ENOTFOUND|EAI_AGAIN/);
    expect(run.stdout).not.toContain('kiosk1pw');
  });
});
