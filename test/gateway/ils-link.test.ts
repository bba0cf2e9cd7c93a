/**
 * The ILS link as the gateway supervises it: while the ILS is not answering the
 * link is probed at least once per heartbeat interval, so its recovery shows
 * within one interval however long it was away. Real TCP, fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { DeviceRegistry } from '../../src/gateway/devices/registry.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import { type IlsPort, ilsDeviceSchema, ilsLinks } from '../../src/gateway/families/ils/index.js';
import type { DeviceEntry } from '../../src/gateway/family.js';
import { ScriptedServer, withDefaults } from '../devices/ils/scripted-server.js';

const HEARTBEAT_S = 2;
const TIMEOUT_MS = 500;

let server: ScriptedServer | undefined;
let entry: DeviceEntry<IlsPort> | undefined;

afterEach(async () => {
  await entry?.stop();
  await server?.close();
});

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`not reached: ${what}`);
}

/** Moves the fake clock on in 50 ms steps, letting socket I/O happen between them, until `done()` or `ms`; returns the time moved. */
async function runFor(clock: ManualClock, ms: number, done: () => boolean = () => false): Promise<number> {
  let elapsed = 0;
  while (elapsed < ms && !done()) {
    await clock.advance(50);
    elapsed += 50;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return elapsed;
}

describe('the supervised ILS link', () => {
  it('shows the ILS back online within one heartbeat of it answering again, after a long hang', async () => {
    let hung = false;
    const ils = await ScriptedServer.start((request, reply, connection) => {
      if (!hung) withDefaults()(request, reply, connection);
    });
    server = ils;
    const clock = new ManualClock();
    const config = ilsDeviceSchema.parse({
      id: 'ils',
      kind: 'ils',
      transport: { type: 'tcp', host: '127.0.0.1', port: ils.port },
      user: 'kiosk',
      password: 'pw',
      heartbeatSeconds: HEARTBEAT_S,
      requestTimeoutMs: TIMEOUT_MS,
      pool: { size: 1, maxWaiting: 5 },
    });
    entry = await ilsLinks.create(config, {
      bus: new EventBus(),
      clock,
      logger: silentLogger(),
      database: () => {
        throw new Error('no database here');
      },
      simulators: () => {
        throw new Error('no simulators here');
      },
      devices: new DeviceRegistry([]),
    });
    const link = entry;
    await link.start();
    await until(() => link.state().status === 'online', 'online');

    hung = true;
    // A minute of a hung ILS: heartbeats and reconnects go unanswered, the backoff grows.
    await runFor(clock, 60_000);
    expect(link.state().status).toBe('offline');
    // Just after an attempt to reconnect was given up, the ILS answers again.
    const logins = ils.requests('login').length;
    await runFor(clock, 10_000, () => ils.requests('login').length > logins);
    await clock.advance(TIMEOUT_MS);
    await until(() => ils.openConnections === 0, 'that attempt given up');
    hung = false;
    const tookMs = await runFor(clock, 10_000, () => link.state().status === 'online');
    expect(link.state().status).toBe('online');
    expect(tookMs).toBeLessThanOrEqual(HEARTBEAT_S * 1000 + TIMEOUT_MS);
  });
});
