/**
 * The connection pool as a supervised device: ordering, the wait queue,
 * timeouts, reconnects, the heartbeat, per-transaction mode and the condition.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { DeviceCondition } from '../../../src/devices/device.js';
import type { IlsClient } from '../../../src/devices/ils/index.js';
import { capturingLogger, clientFor } from './helpers.js';
import { DATE, type Reply, ScriptedServer, withDefaults } from './scripted-server.js';

let server: ScriptedServer;
const clients: IlsClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.disconnect();
  await server?.close();
});

function track(client: IlsClient): IlsClient {
  clients.push(client);
  return client;
}

function itemAnswer(item: string) {
  return {
    type: 'itemInformationResponse',
    circulationStatus: 'available',
    securityMarker: 'none',
    feeType: 'other',
    transactionDate: DATE,
    itemIdentifier: item,
    titleIdentifier: `Title of ${item}`,
  } as const;
}

describe('ILS connection pool', () => {
  it('spreads concurrent requests over its connections, one outstanding per connection, answers matched', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation')
          setImmediate(() => reply.send(itemAnswer(request.itemIdentifier)));
      }),
    );
    const client = track(clientFor(server.port, { pool: { size: 3, maxWaiting: 50 } }));
    await client.connect();
    const items = Array.from({ length: 30 }, (_, i) => `I${i}`);
    const answers = await Promise.all(items.map((item) => client.itemInformation(item)));
    expect(answers.map((a) => a.message.itemIdentifier)).toEqual(items);
    expect(server.maxOutstanding).toBe(1);
    expect(server.accepted).toBe(3);
    expect(server.requests('login')).toHaveLength(3);
  });

  it('refuses a request with ils_busy when every connection is taken and the queue is full', async () => {
    const held: Array<() => void> = [];
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation')
          held.push(() => reply.send(itemAnswer(request.itemIdentifier)));
      }),
    );
    const client = track(clientFor(server.port, { pool: { size: 1, maxWaiting: 1 } }));
    await client.connect();
    const first = client.itemInformation('A');
    const second = client.itemInformation('B');
    await expect(client.itemInformation('C')).rejects.toMatchObject({ code: 'ils_busy' });
    expect(client.pool.condition().detail).toMatchObject({ connections: 1, idle: 0, waiting: 1 });
    await server.waitFor((r) => r.message.type === 'itemInformation');
    held.shift()!();
    await server.waitFor((r) => r.message.type === 'itemInformation' && r.message.itemIdentifier === 'B');
    held.shift()!();
    expect((await first).message.itemIdentifier).toBe('A');
    expect((await second).message.itemIdentifier).toBe('B');
  });

  it('times out a lost answer, closes that connection, and logs in again on a new one for the next request', async () => {
    const clock = new ManualClock();
    server = await ScriptedServer.start(withDefaults());
    const client = track(clientFor(server.port, { requestTimeoutMs: 5000 }, { clock }));
    await client.connect();
    const renewal = client.renew('P1', 'I1').catch((error: unknown) => error);
    await server.waitFor((r) => r.message.type === 'renew');
    await clock.advance(5000);
    expect(await renewal).toMatchObject({ code: 'ils_timeout', requestSent: true, answerLost: true });
    // A renewal is not sent twice by the pool.
    expect(server.requests('renew')).toHaveLength(1);
    await server.waitForClosed(1);
    await client.status();
    expect(server.accepted).toBe(2);
    expect(server.requests('login')).toHaveLength(2);
  });

  it('sends a request the ILS may see twice (17) once more after its answer was lost', async () => {
    const clock = new ManualClock();
    let first = true;
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type !== 'itemInformation') return;
        if (first) first = false;
        else reply.send(itemAnswer(request.itemIdentifier));
      }),
    );
    const client = track(clientFor(server.port, { requestTimeoutMs: 5000 }, { clock }));
    await client.connect();
    const answer = client.itemInformation('I7');
    await server.waitFor((r) => r.message.type === 'itemInformation');
    await clock.advance(5000);
    expect((await answer).message.itemIdentifier).toBe('I7');
    expect(server.requests('itemInformation')).toHaveLength(2);
  });

  it('re-opens and re-logs in by itself when the ILS drops an idle connection', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = track(clientFor(server.port, { pool: { size: 2, maxWaiting: 5 } }));
    await client.connect();
    const events: string[] = [];
    client.pool.on('event', (type) => events.push(type));
    server.dropAll();
    await server.waitFor((r) => r.connection === 4 && r.message.type === 'login');
    expect(events.filter((e) => e === 'connection_lost')).toHaveLength(2);
    await expect(client.status()).resolves.toMatchObject({ message: { type: 'acsStatus' } });
    expect(client.pool.condition()).toMatchObject({ status: 'online', detail: { connections: 2 } });
  });

  it('sends SC status (99) on idle connections every heartbeat interval', async () => {
    const clock = new ManualClock();
    server = await ScriptedServer.start(withDefaults());
    const client = track(clientFor(server.port, { heartbeatSeconds: 30 }, { clock }));
    await client.connect();
    expect(server.requests('scStatus')).toHaveLength(1);
    await clock.advance(30_000);
    await server.waitFor((r) => r.message.type === 'scStatus' && r.message.sequence === 2);
    expect(server.requests('scStatus')).toHaveLength(2);
  });

  it('in per-transaction mode connects, logs in, sends the request, ends the session and closes, each time', async () => {
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation') reply.send(itemAnswer(request.itemIdentifier));
      }),
    );
    const client = track(clientFor(server.port, { perTransaction: true }));
    await client.connect();
    await server.waitForClosed(1);
    await client.itemInformation('I1');
    await server.waitForClosed(2);
    const second = server.received.filter((r) => r.connection === 2).map((r) => r.message.type);
    expect(second).toEqual(['login', 'itemInformation', 'endPatronSession']);
    expect(server.openConnections).toBe(0);
  });

  it('reports disconnected when the ILS goes away, and refuses requests with ils_offline', async () => {
    server = await ScriptedServer.start(withDefaults());
    const client = track(clientFor(server.port));
    await client.connect();
    const disconnected = once(client.pool, 'disconnected');
    await server.close();
    const [error] = (await disconnected) as [Error];
    expect(error).toMatchObject({ code: 'econnrefused' });
    await expect(client.status()).rejects.toMatchObject({ code: 'ils_offline' });
  });

  it('says an ILS that cannot be reached once, then every ten minutes, however many connections retry', async () => {
    const clock = new ManualClock();
    server = await ScriptedServer.start(withDefaults());
    const port = server.port;
    await server.close();
    const { logger, text } = capturingLogger();
    const client = track(clientFor(port, { pool: { size: 2, maxWaiting: 5 } }, { clock, logger }));
    const warnings = () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level === 40)
        .map((line) => line.msg);
    // The supervisor's retries over the ILS's maintenance window: every 5 s for 9 minutes.
    for (let attempt = 0; attempt < 108; attempt++) {
      await expect(client.connect()).rejects.toMatchObject({ code: 'econnrefused' });
      await clock.advance(5000);
    }
    expect(warnings()).toEqual(['ILS connection failed']);
    await clock.advance(60_000);
    await expect(client.connect()).rejects.toMatchObject({ code: 'econnrefused' });
    expect(warnings()).toEqual(['ILS connection failed', 'ILS connections still failing']);
  });

  it('connects with some connections failing and reports itself degraded', async () => {
    server = await ScriptedServer.start((request, reply, connection) => {
      if (request.type === 'login') reply.send({ type: 'loginResponse', ok: connection === 1 });
      else withDefaults()(request, reply, connection);
    });
    const client = track(clientFor(server.port, { pool: { size: 2, maxWaiting: 5 } }));
    await client.connect();
    const condition = client.pool.condition();
    expect(condition).toMatchObject({
      status: 'degraded',
      reason: '1 of 2 ILS connections failing',
      detail: { connections: 1, idle: 1, waiting: 0 },
    });
    expect(typeof condition.detail.roundTripMs).toBe('number');
    expect(client.pool.kind).toBe('ils');
  });

  it('refuses to connect when the login is refused', async () => {
    server = await ScriptedServer.start((request, reply) => {
      if (request.type === 'login') reply.send({ type: 'loginResponse', ok: false });
    });
    const client = track(clientFor(server.port));
    await expect(client.connect()).rejects.toMatchObject({ code: 'ils_login_refused' });
  });

  it('says in words what to check when the login is refused or the ILS closes the link at it, the password never', async () => {
    const capture = capturingLogger();
    server = await ScriptedServer.start((request, reply) => {
      if (request.type === 'login') reply.send({ type: 'loginResponse', ok: false });
    });
    const refused = track(clientFor(server.port, { password: 'Sw0rdfish-93' }, { logger: capture.logger }));
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ils_login_refused' });
    expect(refused.pool.condition().lastError?.message).toMatch(
      /refused the login \(93\) of user "kiosk".*check the ILS device's user, password and location/,
    );
    await server.close();
    // Some ILSs close the connection at a wrong login instead of answering 94 with ok 0.
    server = await ScriptedServer.start((request, reply) => {
      if (request.type === 'login') reply.drop();
    });
    const dropped = track(clientFor(server.port, { password: 'Sw0rdfish-93' }, { logger: capture.logger }));
    await expect(dropped.connect()).rejects.toMatchObject({ code: 'ils_connection_lost' });
    expect(dropped.pool.condition().lastError?.message).toMatch(
      /closed the connection at the login \(93\) of user "kiosk".*user and password/,
    );
    expect(capture.text()).not.toContain('Sw0rdfish-93');
  });

  it('turns degraded when round trips get slow, and says so', async () => {
    const clock = new ManualClock();
    const held: Reply[] = [];
    server = await ScriptedServer.start(
      withDefaults((request, reply) => {
        if (request.type === 'itemInformation') held.push(reply);
      }),
    );
    const client = track(
      clientFor(server.port, { slowRoundTripMs: 1000, requestTimeoutMs: 60_000 }, { clock }),
    );
    await client.connect();
    const conditions: DeviceCondition[] = [];
    client.pool.on('condition', (condition) => conditions.push(condition));
    const answer = client.itemInformation('I1');
    await server.waitFor((r) => r.message.type === 'itemInformation');
    await clock.advance(20_000);
    held[0]!.send(itemAnswer('I1'));
    await answer;
    expect(conditions.at(-1)).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/^slow ILS/),
    });
  });
});
