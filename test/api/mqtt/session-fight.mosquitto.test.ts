import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttApi } from '../../../src/api/mqtt/mqtt-api.js';
import { createLogger } from '../../../src/core/logger.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import {
  type MosquittoBroker,
  mosquittoSkipReason,
  startMosquitto,
  writeMosquittoPasswords,
} from '../../helpers/mosquitto.js';
import { until } from '../../helpers/until.js';
import { printerState } from './mqtt-api-contract.js';

const skipReason = mosquittoSkipReason();

/**
 * Two desks started with one configuration (a desk PC cloned, a config copied to the next desk) on
 * a broker set up as docs/fleet.md says, where the user name is the client id: each login takes the
 * other's session over, and each reconnects at once, for as long as both run.
 */
describe.skipIf(skipReason !== undefined)('two desks on one MQTT user, on Mosquitto', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('both start, and each says once (not at every reconnect) that another client takes its session', async () => {
    const broker: MosquittoBroker = await startMosquitto({
      configure: (dir) => {
        writeMosquittoPasswords(join(dir, 'passwd'), { 'desk-1': 'desk-1-password' });
        return [
          `password_file ${join(dir, 'passwd')}`,
          'allow_anonymous false',
          'use_username_as_clientid true',
        ];
      },
    });
    cleanups.push(() => broker.stop());
    const desks = [0, 1].map(() => {
      let log = '';
      const lines = new PassThrough();
      lines.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
      });
      const api = new MqttApi({
        site: 'library',
        gateway: 'desk-1',
        url: broker.url,
        protocolVersion: 5,
        username: 'desk-1',
        password: 'desk-1-password',
        reconnectPeriodMs: 100,
        connectTimeoutMs: 5000,
        bus: new EventBus(),
        logger: createLogger({ level: 'info', format: 'json', destination: lines }),
        deviceStates: () => [printerState()],
        actions: {},
      });
      return { api, warnings: () => log.split('\n').filter((line) => line.includes('"level":"warn"')) };
    });
    // Both start: a session taken over while subscribing is no failure of the start.
    for (const desk of desks) {
      await desk.api.start();
      cleanups.push(() => desk.api.stop());
    }
    // Some forty takeovers each in 4 s at a 100 ms reconnect.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (const desk of desks) {
      const warnings = desk.warnings();
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(3);
      expect(warnings.at(-1)).toContain("is another client logged in as this desk's MQTT user");
    }
    // /readyz says it while the link is down.
    const problem = await until(
      () => desks.map((desk) => desk.api.problem()).find((p) => p !== undefined),
      5000,
      'a problem',
      1,
    );
    expect(problem).toContain("is another client logged in as this desk's MQTT user");
  }, 30_000);
});
