/**
 * The ILS link's health when the ILS hangs: it keeps its TCP connections open
 * (the kernel even accepts new ones) but answers nothing, as an ILS process
 * stopped with SIGSTOP does. Real TCP to a scripted server that goes silent;
 * timers on the fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { DEFAULT_BACKOFF } from '../../../src/gateway/backoff.js';
import { DeviceSupervisor } from '../../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { untilReached } from '../../helpers/fake-clock-run.js';
import { clientFor } from './helpers.js';
import { ScriptedServer, withDefaults } from './scripted-server.js';

const HEARTBEAT_S = 30;
const TIMEOUT_MS = 5000;
/** The pool's first delay before a failing connection is opened again. */
const REOPEN_FIRST_MS = 250;

let server: ScriptedServer;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
});

/** A scripted ILS that answers like a well-behaved one until `hang()`, then answers nothing (sockets stay open). */
async function hangableIls(silentOn: (connection: number) => boolean = () => false) {
  let hung = false;
  server = await ScriptedServer.start((request, reply, connection) => {
    if (hung || silentOn(connection)) return;
    withDefaults()(request, reply, connection);
  });
  return {
    hang: () => {
      hung = true;
    },
    resume: () => {
      hung = false;
    },
  };
}

/**
 * Counts the login answers (94) the client has read. With a manual clock, a deadline fires for
 * every request still waiting when the clock moves: before moving it past a login meant to go
 * unanswered, the test waits until the client has read the answers of the logins that were.
 */
function loginAnswers() {
  let count = 0;
  return {
    onFrame: (direction: 'sent' | 'received', frame: Uint8Array) => {
      if (direction === 'received' && frame[0] === 0x39 && frame[1] === 0x34) count++;
    },
    read: () => count,
  };
}

/** The pool under a supervisor, as the gateway runs it; the health record is what the API shows. */
function supervised(client: IlsClient, clock: ManualClock) {
  const bus = new EventBus();
  const states: DeviceState[] = [];
  bus.on('device.state', {}, (state) => states.push(state));
  const supervisor = new DeviceSupervisor({
    driver: client.pool,
    eventFamily: 'ils',
    clock,
    bus,
    logger: silentLogger(),
    backoff: { ...DEFAULT_BACKOFF, jitter: 0 },
  });
  cleanups.push(() => supervisor.stop());
  return { supervisor, states };
}

async function online(supervisor: DeviceSupervisor, clock: ManualClock): Promise<void> {
  supervisor.start();
  for (let i = 0; i < 100 && supervisor.state().status !== 'online'; i++) {
    await clock.advance(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(supervisor.state().status).toBe('online');
}

describe('ILS link health when the ILS hangs', () => {
  it('turns degraded the moment a request times out, offline when the connection opened again does not answer either, and then fails callers fast', async () => {
    const clock = new ManualClock();
    const ils = await hangableIls();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_S },
      { clock },
    );
    const { supervisor } = supervised(client, clock);
    await online(supervisor, clock);

    ils.hang();
    const renewal = client.renew('P1', 'I1').catch((error: unknown) => error);
    await server.waitFor((r) => r.message.type === 'renew');
    await clock.advance(TIMEOUT_MS);
    expect(await renewal).toMatchObject({ code: 'ils_timeout' });
    expect(supervisor.state()).toMatchObject({
      status: 'degraded',
      reason: '1 of 1 ILS connections failing',
      lastError: { code: 'ils_timeout', message: expect.stringMatching(/no answer from the ILS/) },
    });
    // The connection was closed and is opened again at once: is the ILS there at all?
    await untilReached(() => server.requests('login').length === 2, 'a new connection logging in');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status === 'offline', 'offline');
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: expect.stringMatching(/no answer from the ILS/),
      lastError: { code: 'ils_timeout' },
    });
    // Known offline: the next caller hears so at once instead of waiting out its own timeout.
    await expect(client.status()).rejects.toMatchObject({ code: 'ils_offline' });
  });

  it('releases the callers queued behind a request that timed out with ils_offline once the ILS is known not to answer', async () => {
    const clock = new ManualClock();
    const ils = await hangableIls();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, pool: { size: 1, maxWaiting: 10 } },
      { clock },
    );
    const { supervisor } = supervised(client, clock);
    await online(supervisor, clock);

    ils.hang();
    const first = client.renew('P1', 'I1').catch((error: unknown) => error);
    const queued = [client.renew('P2', 'I2'), client.renew('P3', 'I3'), client.renew('P4', 'I4')].map((p) =>
      p.catch((error: unknown) => error),
    );
    await server.waitFor((r) => r.message.type === 'renew');
    await clock.advance(TIMEOUT_MS);
    expect(await first).toMatchObject({ code: 'ils_timeout' });
    await untilReached(() => server.requests('login').length === 2, 'the connection opened again');
    await clock.advance(TIMEOUT_MS);
    // One more timeout settles all of them: not one timeout per caller.
    for (const outcome of await Promise.all(queued)) expect(outcome).toMatchObject({ code: 'ils_offline' });
    expect(server.requests('renew')).toHaveLength(1);
    expect(supervisor.state().status).toBe('offline');
  });

  it('shows an idle link not online within one heartbeat and one request timeout of the ILS hanging, offline one timeout later', async () => {
    const clock = new ManualClock();
    const ils = await hangableIls();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_S, pool: { size: 2, maxWaiting: 10 } },
      { clock },
    );
    const { supervisor } = supervised(client, clock);
    await online(supervisor, clock);
    const statusRequests = server.requests('scStatus').length;

    ils.hang();
    await clock.advance(HEARTBEAT_S * 1000);
    await untilReached(
      () => server.requests('scStatus').length === statusRequests + 2,
      'a 99 on each idle connection',
    );
    expect(supervisor.state().status).toBe('online');
    await clock.advance(TIMEOUT_MS);
    expect(supervisor.state()).toMatchObject({ status: 'degraded', lastError: { code: 'ils_timeout' } });
    await untilReached(() => server.requests('login').length === 4, 'both connections opened again');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status === 'offline', 'offline');
    expect(supervisor.state().lastError).toMatchObject({ code: 'ils_timeout' });
  });

  it('comes back online at once when a single answer was lost on a working ILS', async () => {
    const clock = new ManualClock();
    let stuck = 0;
    server = await ScriptedServer.start((request, reply, connection) => {
      if (connection === stuck) return;
      withDefaults()(request, reply, connection);
    });
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_S, pool: { size: 2, maxWaiting: 10 } },
      { clock },
    );
    const { supervisor, states } = supervised(client, clock);
    await online(supervisor, clock);
    const before = states.length;

    // A renewal goes unanswered (the scripted ILS does not know 29), and its connection stays silent.
    const renewal = client.renew('P1', 'I1').catch((error: unknown) => error);
    stuck = (await server.waitFor((r) => r.message.type === 'renew')).connection;
    await clock.advance(TIMEOUT_MS);
    expect(await renewal).toMatchObject({ code: 'ils_timeout' });
    expect(supervisor.state()).toMatchObject({
      status: 'degraded',
      reason: '1 of 2 ILS connections failing',
      lastError: { code: 'ils_timeout' },
    });
    // Asked again at once on a new connection (and the other one asked too): both answer.
    await untilReached(() => supervisor.state().status === 'online', 'online again');
    expect(server.accepted).toBe(3);
    expect(states.slice(before).map((s) => s.status)).not.toContain('offline');
  });

  it('lets a request wait for the connection being asked again after a lost answer, not refuse it as busy', async () => {
    const clock = new ManualClock();
    let stuck = -1;
    server = await ScriptedServer.start((request, reply, connection) => {
      if (connection === stuck) return;
      withDefaults()(request, reply, connection);
    });
    // One connection and no queue, as the IT console runs it: one request at a time.
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_S, pool: { size: 1, maxWaiting: 0 } },
      { clock },
    );
    const { supervisor } = supervised(client, clock);
    await online(supervisor, clock);
    const renewal = client.renew('P1', 'I1').catch((error: unknown) => error);
    stuck = (await server.waitFor((r) => r.message.type === 'renew')).connection;
    await clock.advance(TIMEOUT_MS);
    expect(await renewal).toMatchObject({ code: 'ils_timeout' });
    // The one connection is being opened and asked again: the next request waits its turn.
    const status = await client.status();
    expect(status.message.type).toBe('acsStatus');
  });

  it('is degraded while one connection cannot log in, and online one reconnect delay (0.25 s) later once it can, not a heartbeat later', async () => {
    const clock = new ManualClock();
    // The ILS's session on the first connection is stuck; the others answer.
    await hangableIls((connection) => connection === 1);
    const logins = loginAnswers();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, heartbeatSeconds: HEARTBEAT_S, pool: { size: 2, maxWaiting: 10 } },
      { clock, onFrame: logins.onFrame },
    );
    const { supervisor } = supervised(client, clock);
    supervisor.start();
    await untilReached(() => server.requests('login').length === 2, 'both connections logging in');
    await untilReached(() => logins.read() === 1, 'the working connection logged in');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status !== 'offline', 'connected');
    expect(supervisor.state()).toMatchObject({
      status: 'degraded',
      reason: '1 of 2 ILS connections failing',
      lastError: { code: 'ils_timeout' },
    });
    // The failing connection is opened again after the first reconnect delay, not before.
    await clock.advance(REOPEN_FIRST_MS - 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.accepted).toBe(2);
    expect(supervisor.state().status).toBe('degraded');
    await clock.advance(1);
    await untilReached(
      () => supervisor.state().status === 'online',
      'online after the connection was opened again',
    );
    expect(server.accepted).toBe(3);
  });

  it('sends a checkout whose connection could not log in once, on the working connection when it is free, never as one whose answer was lost', async () => {
    const clock = new ManualClock();
    const held: Array<() => void> = [];
    // Logins on connections 1 and 3 go unanswered; item lookups are answered when the test says.
    server = await ScriptedServer.start((request, reply, connection) => {
      if (connection === 1 || connection === 3) return;
      if (request.type === 'itemInformation')
        held.push(() =>
          reply.send({
            type: 'itemInformationResponse',
            circulationStatus: 'available',
            securityMarker: 'none',
            feeType: 'other',
            transactionDate: '20260101    120000',
            itemIdentifier: request.itemIdentifier,
            titleIdentifier: 'T',
          }),
        );
      else if (request.type === 'checkout')
        reply.send({
          type: 'checkoutResponse',
          ok: true,
          renewalOk: false,
          magneticMedia: false,
          desensitize: true,
          transactionDate: '20260101    120000',
          institutionId: request.institutionId,
          patronIdentifier: request.patronIdentifier,
          itemIdentifier: request.itemIdentifier,
          titleIdentifier: 'T',
          dueDate: '20260201    235900',
        });
      else withDefaults()(request, reply, connection);
    });
    const logins = loginAnswers();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, pool: { size: 2, maxWaiting: 10 } },
      { clock, onFrame: logins.onFrame },
    );
    const connecting = client.connect();
    await untilReached(() => server.requests('login').length === 2, 'both connections logging in');
    await untilReached(() => logins.read() === 1, 'the working connection logged in');
    await clock.advance(TIMEOUT_MS);
    await connecting;
    cleanups.push(() => client.disconnect());

    const lookup = client.itemInformation('I1');
    await server.waitFor((r) => r.message.type === 'itemInformation');
    // The working connection is busy: the checkout takes the failing one, which logs in again.
    const checkout = client.checkout('P1', 'I2').catch((error: unknown) => error);
    await untilReached(() => server.requests('login').length === 3, 'a login on a new connection');
    held.shift()!();
    await lookup;
    // Its login unanswered: the checkout never left, and goes on the connection now free.
    await clock.advance(TIMEOUT_MS);
    expect(await checkout).toMatchObject({ message: { type: 'checkoutResponse', ok: true } });
    expect(server.requests('checkout')).toHaveLength(1);
    expect((await server.waitFor((r) => r.message.type === 'checkout')).connection).toBe(2);
    // Not looked up as if it might have been done.
    expect(server.requests('itemInformation')).toHaveLength(1);
  });

  it('in per-transaction mode: degraded when a transaction goes unanswered, offline when the next cannot log in, online after reconnecting', async () => {
    const clock = new ManualClock();
    const ils = await hangableIls();
    const client = clientFor(
      server.port,
      { requestTimeoutMs: TIMEOUT_MS, perTransaction: true, pool: { size: 1, maxWaiting: 10 } },
      { clock },
    );
    const { supervisor } = supervised(client, clock);
    await online(supervisor, clock);

    // The scripted ILS logs the transaction in but never answers a renewal (29).
    const first = client.renew('P1', 'I1').catch((error: unknown) => error);
    await server.waitFor((r) => r.message.type === 'renew');
    await clock.advance(TIMEOUT_MS);
    expect(await first).toMatchObject({ code: 'ils_timeout' });
    await untilReached(() => supervisor.state().status === 'degraded', 'degraded');
    ils.hang();
    expect(supervisor.state()).toMatchObject({
      reason: 'the ILS left a transaction unanswered',
      lastError: { code: 'ils_timeout' },
    });

    const second = client.status().catch((error: unknown) => error);
    await untilReached(() => server.requests('login').length === 3, 'the next transaction logging in');
    await clock.advance(TIMEOUT_MS);
    expect(await second).toMatchObject({ code: 'ils_timeout', requestSent: false });
    await untilReached(() => supervisor.state().status === 'offline', 'offline');
    await expect(client.status()).rejects.toMatchObject({ code: 'ils_offline' });

    ils.resume();
    for (let i = 0; i < 100 && supervisor.state().status !== 'online'; i++) {
      await clock.advance(250);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
  });
});
