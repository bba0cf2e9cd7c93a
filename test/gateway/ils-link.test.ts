/**
 * The ILS link as the gateway supervises it: while the ILS is not answering the
 * link is probed at least once per heartbeat interval, so its recovery shows
 * within one interval however long it was away. Real TCP, fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { DeviceRegistry } from '../../src/gateway/devices/registry.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import { type IlsPort, ilsDeviceSchema, ilsLinks } from '../../src/gateway/families/ils/index.js';
import type { DeviceEntry } from '../../src/gateway/family.js';
import { capturingLogger } from '../devices/ils/helpers.js';
import { ScriptedServer, withDefaults } from '../devices/ils/scripted-server.js';
import { runFor, untilReached } from '../helpers/fake-clock-run.js';

const HEARTBEAT_S = 2;
const TIMEOUT_MS = 500;

let server: ScriptedServer | undefined;
let entry: DeviceEntry<IlsPort> | undefined;

afterEach(async () => {
  await entry?.stop();
  await server?.close();
});

/** The ILS link of a desk, on the ILS at `port`, as the gateway supervises it. */
async function supervisedLink(
  port: number,
  clock: ManualClock,
  login = { user: 'kiosk', password: 'pw' },
  logger: Logger = silentLogger(),
): Promise<DeviceEntry<IlsPort>> {
  const config = ilsDeviceSchema.parse({
    id: 'ils',
    kind: 'ils',
    transport: { type: 'tcp', host: '127.0.0.1', port },
    ...login,
    heartbeatSeconds: HEARTBEAT_S,
    requestTimeoutMs: TIMEOUT_MS,
    pool: { size: 1, maxWaiting: 5 },
  });
  entry = await ilsLinks.create(config, {
    bus: new EventBus(),
    clock,
    logger,
    database: () => {
      throw new Error('no database here');
    },
    simulators: () => {
      throw new Error('no simulators here');
    },
    devices: new DeviceRegistry([]),
  });
  return entry;
}

describe('the supervised ILS link', () => {
  it('names the SIP2 user of a refused login in its health, for staff to check, and never the password', async () => {
    server = await ScriptedServer.start((request, reply) => {
      if (request.type === 'login') reply.send({ type: 'loginResponse', ok: false });
    });
    const { logger, text } = capturingLogger();
    const login = { user: 'selfcheck-7', password: 'Tr0ub4dor&3' };
    const link = await supervisedLink(server.port, new ManualClock(), login, logger);
    await link.start();
    await untilReached(() => link.state().lastError?.code === 'ils_login_refused', 'the login refused');
    // The state the device view and MQTT (retained) show: which account, and what to check.
    expect(link.state().lastError?.message).toMatch(/user "selfcheck-7".*check .*password/);
    expect(JSON.stringify(link.state())).not.toContain(login.password);
    expect(text()).toContain('selfcheck-7');
    expect(text()).not.toContain(login.password);
    expect(server.received.some((r) => r.text.includes(`CO${login.password}|`))).toBe(true);
  });

  it('shows the ILS back online within one heartbeat of it answering again, after a long hang', async () => {
    let hung = false;
    const ils = await ScriptedServer.start((request, reply, connection) => {
      if (!hung) withDefaults()(request, reply, connection);
    });
    server = ils;
    const clock = new ManualClock();
    const link = await supervisedLink(ils.port, clock);
    await link.start();
    await untilReached(() => link.state().status === 'online', 'online');

    hung = true;
    // A minute of a hung ILS: heartbeats and reconnects go unanswered, the backoff grows.
    await runFor(clock, 60_000);
    expect(link.state().status).toBe('offline');
    // Just after an attempt to reconnect was given up, the ILS answers again.
    const logins = ils.requests('login').length;
    await runFor(clock, 10_000, () => ils.requests('login').length > logins);
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => ils.openConnections === 0, 'that attempt given up');
    hung = false;
    const tookMs = await runFor(clock, 10_000, () => link.state().status === 'online');
    expect(link.state().status).toBe('online');
    expect(tookMs).toBeLessThanOrEqual(HEARTBEAT_S * 1000 + TIMEOUT_MS);
  });
});
