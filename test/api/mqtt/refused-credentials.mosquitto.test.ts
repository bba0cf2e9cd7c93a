import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/logger.js';
import { startTestDesk, type TestDesk } from '../../helpers/desk.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  writeMosquittoPasswords,
} from '../../helpers/mosquitto.js';

/**
 * IT sets up a desk on the library's Mosquitto, as docs/mqtt.md says, and gets the desk's password
 * wrong (or has not added it to the broker's password file yet). The desk serves without MQTT and
 * does not dial the broker again: /readyz and the log must say what to check and that a restart is
 * needed, not that it is retrying.
 */
const skipReason = mosquittoSkipReason();

describe.skipIf(skipReason !== undefined)('a desk whose external broker refuses its credentials', () => {
  let broker: MosquittoBroker;
  let desk: TestDesk;
  let log = '';

  beforeAll(async () => {
    broker = await startMosquitto({
      configure: (dir) => {
        writeMosquittoPasswords(join(dir, 'carrel.passwd'), { 'desk-1-gateway': 'the-right-password-123' });
        return ['allow_anonymous false', `password_file ${join(dir, 'carrel.passwd')}`];
      },
    });
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    desk = await startTestDesk(
      (config) => ({
        ...config,
        mqtt: {
          mode: 'external',
          url: `mqtt://127.0.0.1:${broker.port}`,
          username: 'desk-1-gateway',
          password: 'a-wrong-password-456',
          protocolVersion: '3.1.1',
        },
      }),
      createLogger({ level: 'info', format: 'json', destination: lines }),
    );
  }, 60_000);

  afterAll(async () => {
    await desk?.stop();
    await broker?.stop();
  });

  it('says in /readyz and the log what to check and that Carrel must be restarted, never that it retries', async () => {
    const ready = (await (await fetch(`${desk.api}/readyz`)).json()) as {
      checks: Array<{ name: string; ok: boolean; detail: string }>;
    };
    const mqtt = ready.checks.find((check) => check.name === 'feature:mqtt');
    expect(mqtt?.ok).toBe(false);
    expect(mqtt?.detail).toContain("check mqtt.username and mqtt.password, and the broker's password file");
    expect(mqtt?.detail).toContain('does not try again: restart it once this is put right');
    const mqttLines = log
      .split('\n')
      .filter((line) => line.includes('"module":"mqtt"') && /"level":"(warn|error)"/.test(line));
    expect(mqttLines.filter((line) => line.includes('retrying'))).toEqual([]);
    expect(log).not.toContain('a-wrong-password-456');
  });
});
