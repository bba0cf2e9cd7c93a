/**
 * The devices stopping (SIGTERM) while one of them never ends its stop — a card printer's driver
 * waiting on a link that neither answers nor closes: the others stop, the registry's stop ends
 * within DEVICE_STOP_TIMEOUT_MS on the desk clock, and the log names the device that did not stop
 * (the gateway's own deadline said only "devices did not stop").
 */
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { DEVICE_STOP_TIMEOUT_MS, DeviceRegistry } from '../../../src/gateway/devices/registry.js';
import type { DeviceEntry } from '../../../src/gateway/family.js';
import { until } from '../../helpers/until.js';

function device(id: string, kind: string, stop: () => Promise<void>) {
  let running = false;
  const entry: DeviceEntry = {
    id,
    kind,
    port: {},
    state: (): DeviceState => ({
      device: id,
      kind,
      status: running ? 'online' : 'offline',
      since: new Date(0).toISOString(),
      reason: running ? null : 'stopped',
      lastError: null,
      reconnects: 0,
      detail: {},
    }),
    async start() {
      running = true;
    },
    async stop() {
      await stop();
      running = false;
    },
    async reconnect() {},
  };
  return entry;
}

it('names a device whose stop hangs and stops the rest of the desk without it, within the bound', async () => {
  const clock = new ManualClock();
  const lines: Array<{ level: string; msg: string; device?: string }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json', destination });
  const hung = device('cards-1', 'card-printer', () => new Promise<void>(() => {}));
  const printer = device('receipt-1', 'receipt-printer', async () => {});
  const registry = new DeviceRegistry([printer, hung], [], { clock, logger });
  await registry.start();

  let stopped = false;
  void registry.stop().then(() => {
    stopped = true;
  });
  // The printer stops at once; the card printer's stop goes on.
  await until(
    () => registry.state('receipt-1')?.status === 'offline' || undefined,
    2_000,
    'the printer to stop',
  );
  await clock.advance(DEVICE_STOP_TIMEOUT_MS - 1);
  expect(stopped).toBe(false);
  await clock.advance(1);
  await until(() => stopped || undefined, 2_000, 'the registry to stop');
  expect(lines.filter((line) => line.level === 'warn').map((line) => [line.device, line.msg])).toEqual([
    [
      'cards-1',
      `device cards-1 did not stop within ${DEVICE_STOP_TIMEOUT_MS} ms; the desk stops without waiting for it`,
    ],
  ]);
});
