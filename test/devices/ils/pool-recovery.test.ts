/**
 * The ILS link coming back whole after the ILS hung and answers again: the ILS
 * simulator over real TCP, its faults set at run time, the client's timers on a
 * fake clock so that timeouts fire in the order a loaded machine fires them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../../simulators/ils/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import type { IlsConfigInput } from '../../../src/devices/ils/index.js';
import { DEFAULT_BACKOFF } from '../../../src/gateway/backoff.js';
import { DeviceSupervisor } from '../../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { untilReached } from '../../helpers/fake-clock-run.js';
import { sampleKioskClient } from '../../helpers/sample-ils.js';
import { hasOpenssl, makeTestCa } from '../../helpers/tls-ca.js';

const TIMEOUT_MS = 5000;
/** Long enough that a connection still opening from before the link went down outlasts a reconnect. */
const CONNECT_TIMEOUT_MS = 20_000;
const HEARTBEAT_S = 30;
/** The supervisor's first reconnect delay (no jitter here). */
const RECONNECT_MS = DEFAULT_BACKOFF.initialMs;

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Counts the frames the client sent and received, by message code. */
function wire() {
  const frames: Array<{ direction: 'sent' | 'received'; code: string }> = [];
  return {
    onFrame: (direction: 'sent' | 'received', frame: Uint8Array) =>
      frames.push({ direction, code: Buffer.from(frame.subarray(0, 2)).toString('latin1') }),
    count: (direction: 'sent' | 'received', code: string) =>
      frames.filter((f) => f.direction === direction && f.code === code).length,
  };
}

/** The ILS simulator on a free port (over TLS when given its key and certificate). */
async function simulator(tls?: { key: Buffer; cert: Buffer }): Promise<IlsSimulator> {
  const sim = await startIlsSimulator({ fixture: sampleFixturePath(), ...(tls && { tls }) });
  cleanups.push(() => sim.close());
  return sim;
}

/**
 * A desk's link to the simulator (pool of 2, or through `port`), under a supervisor as the
 * gateway runs it.
 */
async function deskLink(sim: IlsSimulator, config: Partial<IlsConfigInput> = {}) {
  const clock = new ManualClock();
  const frames = wire();
  const client = sampleKioskClient(
    sim.port,
    {
      requestTimeoutMs: TIMEOUT_MS,
      heartbeatSeconds: HEARTBEAT_S,
      pool: { size: 2, maxWaiting: 10 },
      ...config,
    },
    { clock, onFrame: frames.onFrame },
  );
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
  cleanups.push(async () => {
    // A reconnect still waiting for a login on the fake clock is let time out.
    const stopped = supervisor.stop();
    await clock.advance(TIMEOUT_MS);
    await stopped;
  });
  supervisor.start();
  await untilReached(() => supervisor.state().status === 'online', 'online');
  return { clock, client, supervisor, states, frames };
}

describe('the ILS link after the ILS hung and answers again', () => {
  it('opens no connection while offline and comes back with both connections, never "already open", when the ILS answers just as a connection is being opened again', async () => {
    const sim = await simulator();
    const { clock, client, supervisor, states, frames } = await deskLink(sim);
    // An item lookup the ILS loses (read, not answered): it holds the first connection.
    sim.setFaults({ ignoreRequests: { type: 'itemInformation', times: 1 } });
    const lookup = client.itemInformation('31000005').catch((error: unknown) => error);
    await untilReached(() => frames.count('sent', '17') === 1, 'the lookup sent');
    await clock.advance(1);
    // A patron status on the second connection, answered: that connection's request timer
    // stays set for it, and is set again, later, for the next request it carries.
    await client.patronStatus('21000001');
    sim.setFaults({ hang: true });
    await clock.advance(TIMEOUT_MS - 1);
    // The lookup timed out: its connection is opened again (93), the other one asked (99);
    // the ILS hangs, so neither is answered.
    await untilReached(() => frames.count('sent', '93') === 3, 'the first connection opened again');
    await untilReached(() => frames.count('sent', '99') === 2, 'the second connection asked');
    expect(supervisor.state().status).toBe('degraded');

    // One step of the clock, as a machine busy for a moment fires both timers at once: the
    // login on the first connection times out, then the 99 on the second, whose connection
    // is closed and opened again while the link goes offline. The ILS answers again at once.
    await clock.advance(TIMEOUT_MS);
    sim.setFaults({});
    await untilReached(() => supervisor.state().status === 'offline', 'offline');
    expect(await lookup).toMatchObject({ code: 'ils_timeout', answerLost: true });
    const accepted = sim.connectionsAccepted;
    // Offline: nothing is left opening a connection behind the supervisor's back.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.connectionsAccepted).toBe(accepted);
    expect(sim.connections).toBe(0);

    // The supervisor reconnects after its first delay: both connections, and online.
    await clock.advance(RECONNECT_MS);
    await untilReached(() => supervisor.state().status !== 'offline', 'reconnected');
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
    expect(supervisor.state().detail).toMatchObject({ connections: 2 });
    expect(states.map((s) => s.lastError?.code)).not.toContain('already_open');
    expect(sim.connections).toBe(2);
    // Both connections carry requests (two at once).
    const answers = await Promise.all([client.itemInformation('31000005'), client.patronStatus('21000001')]);
    expect(answers.map((a) => a.message.type)).toEqual(['itemInformationResponse', 'patronStatusResponse']);
    // The lost lookup was not sent again into the hung ILS.
    expect(frames.count('sent', '17')).toBe(2);
  });

  it('opens again, within one reconnect delay, a connection whose login the ILS left unanswered as it came back, not a heartbeat later', async () => {
    const sim = await simulator();
    // Between the desk and the ILS, a relay that can hold back what the ILS says on one connection.
    const relay = await holdingRelay(sim.port);
    const { clock, client, supervisor, frames } = await deskLink(sim, { port: relay.port });
    sim.setFaults({ hang: true });
    const lookup = client.itemInformation('31000005').catch((error: unknown) => error);
    await untilReached(() => frames.count('sent', '17') === 1, 'the lookup sent');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => frames.count('sent', '93') === 3, 'the first connection opened again');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status === 'offline', 'offline');
    expect(await lookup).toMatchObject({ code: 'ils_timeout' });

    // The ILS answers again, but its session on the first connection the reconnect opens is
    // still stuck: that login goes unanswered, the other is answered.
    sim.setFaults({});
    relay.holdAnswersOn(relay.accepted() + 1);
    const logins = frames.count('sent', '93');
    await clock.advance(RECONNECT_MS);
    await untilReached(() => frames.count('sent', '93') === logins + 2, 'both logins sent');
    await untilReached(() => frames.count('received', '94') === 3, 'one login answered');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status !== 'offline', 'reconnected');
    expect(supervisor.state()).toMatchObject({
      status: 'degraded',
      reason: '1 of 2 ILS connections failing',
      lastError: { code: 'ils_timeout' },
    });

    // The ILS answers on the other connection: the failing one is opened again within one
    // reconnect delay, not at the next heartbeat half a minute on.
    await clock.advance(RECONNECT_MS);
    await untilReached(() => supervisor.state().status === 'online', 'online again');
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
    expect(supervisor.state().detail).toMatchObject({ connections: 2 });
    const answers = await Promise.all([client.itemInformation('31000005'), client.patronStatus('21000001')]);
    expect(answers.map((a) => a.message.type)).toEqual(['itemInformationResponse', 'patronStatusResponse']);
  });

  it('opens again, within one reconnect delay, a connection whose re-check the ILS left unanswered while the other connection answers', async () => {
    const sim = await simulator();
    const relay = await holdingRelay(sim.port);
    const { clock, client, supervisor, frames } = await deskLink(sim, { port: relay.port });
    // The next connection opened logs in, then its session hangs.
    relay.holdAnswersOn(relay.accepted() + 1, 1);
    const asked = frames.count('sent', '99');
    sim.setFaults({ ignoreRequests: { type: 'itemInformation', times: 1 } });
    const lookup = client.itemInformation('31000005');
    await untilReached(() => frames.count('sent', '17') === 1, 'the lookup sent');
    await clock.advance(TIMEOUT_MS);
    // Its connection was opened again and asked (99, unanswered); the other one answered its 99
    // and then the lookup, sent again: a lookup may be.
    expect((await lookup).message.type).toBe('itemInformationResponse');
    await untilReached(() => frames.count('sent', '99') === asked + 2, 'both connections asked');
    await clock.advance(TIMEOUT_MS);
    await untilReached(() => supervisor.state().status === 'degraded', 'degraded');
    expect(supervisor.state()).toMatchObject({ reason: '1 of 2 ILS connections failing' });

    // The ILS answers on the other connection: the one that missed twice is opened again within
    // one reconnect delay, not at the next heartbeat.
    await clock.advance(RECONNECT_MS);
    await untilReached(() => supervisor.state().status === 'online', 'online again');
    expect(supervisor.state().detail).toMatchObject({ connections: 2 });
    expect(frames.count('sent', '17')).toBe(2);
  });

  it('sends a checkout whose connection could not be opened (refused) on the other connection, once', async () => {
    const sim = await simulator();
    const relay = await holdingRelay(sim.port);
    const { client, supervisor, frames } = await deskLink(sim, { port: relay.port });
    // The first connection is dropped and cannot be opened again: the ILS's port refuses new ones.
    relay.refuseNew();
    relay.drop(1);
    await untilReached(() => supervisor.state().status === 'degraded', 'one connection failing');
    expect(supervisor.state().lastError).toMatchObject({ code: 'econnrefused' });
    // A slow lookup holds the other connection; the checkout takes the closed one, which refuses.
    sim.setFaults({ latencyMs: 200 });
    const lookup = client.itemInformation('31000006');
    await untilReached(() => frames.count('sent', '17') === 1, 'the lookup sent');
    const checkout = await client.checkout('21000001', '31000005');
    expect(checkout.message).toMatchObject({ type: 'checkoutResponse', ok: true });
    expect((await lookup).message.type).toBe('itemInformationResponse');
    // Sent once, on the connection that works: never twice, never looked up as if lost.
    expect(frames.count('sent', '11')).toBe(1);
    expect(frames.count('sent', '17')).toBe(1);
    expect(sim.state.loansOf('21000001').filter((loan) => loan.item === '31000005')).toHaveLength(1);
  });

  it('opens again, without waiting for a heartbeat, a connection the ILS dropped under a checkout, and never sends the checkout twice', async () => {
    const sim = await simulator();
    const relay = await holdingRelay(sim.port);
    const { client, supervisor, frames } = await deskLink(sim, { port: relay.port });
    const accepted = relay.accepted();
    const logins = frames.count('sent', '93');
    // The ILS takes its time answering: the checkout is made, and its connection dropped before the answer.
    sim.setFaults({ latencyMs: 200 });
    const checkout = client.checkout('21000001', '31000005');
    const loans = () => sim.state.loansOf('21000001').filter((loan) => loan.item === '31000005');
    await untilReached(() => loans().length === 1, 'the checkout made by the ILS');
    relay.drop(relay.lastCarrying());
    // Its answer lost: the item is looked up, found charged to the patron, and that is the answer.
    expect(await checkout).toMatchObject({
      message: { type: 'checkoutResponse', ok: true },
      verifiedAfterLostAnswer: true,
      resentAfterLostAnswer: false,
    });
    // The dropped connection is opened and logged in again at once (the fake clock stands still,
    // so no heartbeat or reconnect delay): both connections, online.
    await untilReached(() => supervisor.state().detail.connections === 2, 'both connections open');
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
    expect(relay.accepted()).toBe(accepted + 1);
    expect(frames.count('sent', '93')).toBe(logins + 1);
    // The checkout was sent once and made once; the reopening sent nothing but its login.
    expect(frames.count('sent', '11')).toBe(1);
    expect(loans()).toHaveLength(1);
    sim.setFaults({});
    const answers = await Promise.all([client.itemInformation('31000005'), client.patronStatus('21000001')]);
    expect(answers.map((a) => a.message.type)).toEqual(['itemInformationResponse', 'patronStatusResponse']);
    expect(supervisor.state().detail).toMatchObject({ connections: 2 });
  });

  it('opens again, without waiting for the next heartbeat, a connection the ILS dropped under the heartbeat itself, and asks nothing twice', async () => {
    const sim = await simulator();
    const relay = await holdingRelay(sim.port);
    const { clock, client, supervisor, frames } = await deskLink(sim, { port: relay.port });
    const accepted = relay.accepted();
    const logins = frames.count('sent', '93');
    const asked = frames.count('sent', '99');
    const statuses = frames.count('received', '98');
    // The ILS takes its time answering; a heartbeat asks both idle connections (99).
    sim.setFaults({ latencyMs: 200 });
    await clock.advance(HEARTBEAT_S * 1000);
    await untilReached(
      () => frames.count('sent', '99') === asked + 2,
      'the heartbeat sent on both connections',
    );
    // One of them dropped while its 99 waits for the answer.
    relay.drop(relay.lastCarrying());
    // Opened and logged in again at once (the fake clock stands still: no heartbeat, no reconnect delay).
    await untilReached(
      () => frames.count('sent', '93') === logins + 1,
      'the dropped connection logged in again',
    );
    await untilReached(() => supervisor.state().detail.connections === 2, 'both connections open');
    expect(supervisor.state()).toMatchObject({ status: 'online', reason: null });
    expect(relay.accepted()).toBe(accepted + 1);
    // The other connection's 99 answered, the heartbeat is over: the reopening sent its login
    // only, the 99 lost with the connection was not asked again.
    await untilReached(() => frames.count('received', '98') === statuses + 1, 'the other 99 answered');
    expect(frames.count('sent', '99')).toBe(asked + 2);
    expect(frames.count('sent', '93')).toBe(logins + 1);
    sim.setFaults({});
    const answers = await Promise.all([client.itemInformation('31000005'), client.patronStatus('21000001')]);
    expect(answers.map((a) => a.message.type)).toEqual(['itemInformationResponse', 'patronStatusResponse']);
    expect(supervisor.state().detail).toMatchObject({ connections: 2 });
  });

  it.skipIf(!hasOpenssl)(
    'comes back within one reconnect delay while a connection opened before the link went down is still opening, not once that open gives up',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'carrel-ils-recovery-tls-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      makeTestCa(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
      const sim = await simulator({
        key: readFileSync(join(dir, 'localhost.key')),
        cert: readFileSync(join(dir, 'localhost.pem')),
      });
      const relay = await holdingRelay(sim.port);
      const { clock, client, supervisor, frames } = await deskLink(sim, {
        port: relay.port,
        tls: { caFile: join(dir, 'localhost.pem'), serverName: 'localhost' },
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      });
      sim.setFaults({ hang: true });
      // The next connection's TLS handshake goes unanswered: it is opening until its connect timeout.
      relay.holdAnswersOn(relay.accepted() + 1);
      const asked = frames.count('sent', '99');
      const logins = frames.count('sent', '93');
      const lookup = client.itemInformation('31000005').catch((error: unknown) => error);
      await untilReached(() => frames.count('sent', '17') === 1, 'the lookup sent');
      await clock.advance(TIMEOUT_MS);
      // The lookup's connection is being opened again (its handshake held), the other one asked.
      await untilReached(
        () => relay.accepted() === 3 && frames.count('sent', '99') === asked + 1,
        're-checks',
      );
      await clock.advance(TIMEOUT_MS);
      await untilReached(
        () => frames.count('sent', '93') === logins + 1,
        'the other connection opened again',
      );
      await clock.advance(TIMEOUT_MS);
      await untilReached(() => supervisor.state().status === 'offline', 'offline');
      expect(await lookup).toMatchObject({ code: 'ils_timeout' });

      // The ILS answers again; the first connection is still in its held handshake.
      sim.setFaults({});
      await clock.advance(RECONNECT_MS);
      await untilReached(() => supervisor.state().status !== 'offline', 'reconnected');
      expect(supervisor.state()).toMatchObject({
        status: 'degraded',
        reason: '1 of 2 ILS connections failing',
      });
      const checkout = await client.checkout('21000001', '31000005');
      expect(checkout.message).toMatchObject({ type: 'checkoutResponse', ok: true });

      // The held open gives up at its connect timeout; a reconnect delay later the link is whole.
      await clock.advance(CONNECT_TIMEOUT_MS);
      await clock.advance(RECONNECT_MS);
      await untilReached(() => supervisor.state().status === 'online', 'online');
      expect(supervisor.state().detail).toMatchObject({ connections: 2 });
      expect(frames.count('sent', '11')).toBe(1);
    },
  );
});

/**
 * A TCP relay to the simulator on 127.0.0.1 that numbers the connections it accepts (from 1)
 * and can swallow what the ILS sends on one of them, as an ILS whose session there is stuck.
 */
async function holdingRelay(target: number) {
  let accepted = 0;
  let held = 0;
  let passBeforeHolding = 0;
  let lastCarrying = 0;
  const sockets = new Set<Socket>();
  const desks = new Map<number, Socket>();
  const server = createServer((desk) => {
    const number = ++accepted;
    desks.set(number, desk);
    const ils = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [desk, ils]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        desk.destroy();
        ils.destroy();
      });
    }
    desk.on('data', (chunk) => {
      lastCarrying = number;
      ils.write(chunk);
    });
    let answers = 0;
    ils.on('data', (chunk) => {
      // One request at a time per connection: each answer is one line, and ends a read.
      if (number !== held || answers < passBeforeHolding) desk.write(chunk);
      answers++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    /** The connection the desk last sent something on. */
    lastCarrying: () => lastCarrying,
    /** Closes that connection, both ways, as a firewall dropping it would. */
    drop: (connection: number) => desks.get(connection)?.destroy(),
    /** Stops listening: new connections are refused, those open carry on. */
    refuseNew: () => {
      server.close();
    },
    /** Swallows what the ILS sends on that connection, after passing its first `pass` answers. */
    holdAnswersOn: (connection: number, pass = 0) => {
      held = connection;
      passBeforeHolding = pass;
    },
  };
}
