import { connect as tcpConnect } from 'node:net';
import { PassThrough } from 'node:stream';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createBrokerAuth, GATEWAY_MQTT_USERNAME } from '../../../src/api/mqtt/auth.js';
import {
  type EmbeddedBroker,
  type LocalBroker,
  startEmbeddedBroker,
} from '../../../src/api/mqtt/embedded-broker.js';
import { MqttApi } from '../../../src/api/mqtt/mqtt-api.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';
import { CarrelError } from '../../../src/core/errors.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { printerState } from './mqtt-api-contract.js';
import { Observer } from './observer.js';

const KIOSK_TOKEN = 'kiosk-token-0123456789abcdef';
const MONITOR_TOKEN = 'monitor-token-0123456789abcdef';
const topics = new CarrelTopics('main-library', 'desk-1');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function brokerWithTokens() {
  const auth = createBrokerAuth({
    topics,
    tokens: [
      { name: 'kiosk-1', token: KIOSK_TOKEN, scopes: ['kiosk'] },
      { name: 'it', token: MONITOR_TOKEN, scopes: ['monitor'] },
    ],
  });
  const broker = await startEmbeddedBroker({
    port: 0,
    logger: silentLogger(),
    authenticate: auth.authenticate,
  });
  cleanups.push(() => broker.close());
  return { broker, auth, url: `mqtt://127.0.0.1:${broker.port}` };
}

/** The gateway as MqttFeature runs it: in process, or (with a credential) as a client over TCP. */
async function startGateway(
  target: { local: LocalBroker } | { url: string; credential: { username: string; password: string } },
) {
  const echoed: unknown[] = [];
  const api = new MqttApi({
    site: 'main-library',
    gateway: 'desk-1',
    ...('local' in target
      ? { embedded: target.local }
      : { url: target.url, protocolVersion: 4 as const, ...target.credential }),
    bus: new EventBus(),
    logger: silentLogger(),
    deviceStates: () => [printerState()],
    actions: {
      echo: async (data) => {
        echoed.push(data);
        return data;
      },
    },
    connectTimeoutMs: 3000,
  });
  await api.start();
  cleanups.push(() => api.stop());
  return { api, echoed };
}

async function observe(url: string, password: string, clientId = 'kiosk-1'): Promise<Observer> {
  const observer = await Observer.connect(url, {
    clientId,
    username: clientId,
    password,
    protocolVersion: 4,
  });
  cleanups.push(() => observer.close());
  return observer;
}

function connectFailure(url: string, options: { username?: string; password?: string }): Promise<unknown> {
  return connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4, ...options }).then(
    async (client: MqttClient) => {
      await client.endAsync(true);
      return undefined;
    },
    (error: unknown) => error,
  );
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

describe('embedded broker authentication', () => {
  it('refuses a wrong token, a missing one, and a client posing as the gateway', async () => {
    const { url, auth } = await brokerWithTokens();
    const wrong = await connectFailure(url, { username: 'kiosk', password: 'not-a-configured-token' });
    expect(wrong).toMatchObject({ code: 4 });
    expect(await connectFailure(url, { username: 'kiosk' })).toMatchObject({ code: 4 });
    expect(await connectFailure(url, {})).toMatchObject({ code: 4 });
    const impostor = await connectFailure(url, { username: GATEWAY_MQTT_USERNAME, password: KIOSK_TOKEN });
    expect(impostor).toMatchObject({ code: 4 });
    // MqttApi over TCP with a wrong password: started, not connected, saying it is refused and retrying.
    const api = new MqttApi({
      site: 'main-library',
      gateway: 'desk-1',
      url,
      protocolVersion: 4,
      username: GATEWAY_MQTT_USERNAME,
      password: `${auth.gatewayCredential.password}x`,
      bus: new EventBus(),
      logger: silentLogger(),
      deviceStates: () => [],
      actions: {},
      connectTimeoutMs: 3000,
    });
    await api.start();
    cleanups.push(() => api.stop());
    expect(api.connected).toBe(false);
    expect(api.problem()).toMatch(
      /it refused the desk's login: Connection refused: Bad username or password .*trying again at /,
    );
  });

  it('a broker that starts refusing the desk after a restart is dialled again slowly, one line an attempt', async () => {
    const first = await brokerWithTokens();
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const api = new MqttApi({
      site: 'main-library',
      gateway: 'desk-1',
      url: first.url,
      protocolVersion: 4,
      username: GATEWAY_MQTT_USERNAME,
      password: first.auth.gatewayCredential.password,
      bus: new EventBus(),
      logger: createLogger({ level: 'info', format: 'json', destination: lines }),
      deviceStates: () => [],
      actions: {},
      connectTimeoutMs: 3000,
      reconnectPeriodMs: 50,
    });
    await api.start();
    cleanups.push(() => api.stop());
    expect(api.connected).toBe(true);
    // The broker comes back with other credentials (a password rotated there, not here).
    await first.broker.close();
    const rotated = createBrokerAuth({ topics, tokens: [] });
    const second = await startEmbeddedBroker({
      port: first.broker.port,
      logger: silentLogger(),
      authenticate: rotated.authenticate,
    });
    cleanups.push(() => second.close());
    const refusals = () => log.split('\n').filter((line) => line.includes("refused the desk's login")).length;
    await expect.poll(refusals, { timeout: 5000 }).toBe(1);
    // Twenty of its 50-ms reconnects later, still one attempt: a refusal waits 30 s.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(refusals()).toBe(1);
    expect(api.problem()).toContain('trying again at');
    expect(api.connected).toBe(false);
    expect(log).not.toContain(first.auth.gatewayCredential.password);
  });

  it('accepts a configured token, whose requests reach the gateway in process', async () => {
    const { url, broker } = await brokerWithTokens();
    await startGateway(broker);
    const observer = await observe(url, KIOSK_TOKEN);
    await observer.subscribe(`${topics.base}/#`);
    await observer.publish(
      topics.request('kiosk-1', 'echo').name,
      JSON.stringify({ transaction: 'k-1', data: 'hi' }),
    );
    const answer = await observer.waitFor(
      (m) => m.topic === topics.response('kiosk-1', 'echo').name,
      'echo answer',
    );
    expect(answer.json).toEqual({ status: 'ok', data: 'hi', transaction: 'k-1' });
  });

  it('lets clients publish in the gateway tree only their own requests, and monitor tokens only read', async () => {
    const { url, broker } = await brokerWithTokens();
    const { echoed } = await startGateway(broker);
    const kiosk = await observe(url, KIOSK_TOKEN);
    await kiosk.subscribe(topics.clientResponseFilter('kiosk-1'));

    // MQTT 3.1.1 has no refusal for a PUBLISH: the broker drops the client instead.
    const refusedPublishes: Array<{ token: string; clientId: string; topic: string }> = [
      { token: KIOSK_TOKEN, clientId: 'kiosk-2', topic: topics.state().name },
      // the shared request topic is retired; another client's area is not this one's
      { token: KIOSK_TOKEN, clientId: 'kiosk-2', topic: `${topics.base}/request/echo` },
      { token: KIOSK_TOKEN, clientId: 'kiosk-2', topic: topics.request('kiosk-1', 'echo').name },
      { token: KIOSK_TOKEN, clientId: 'kiosk-2', topic: topics.response('kiosk-2', 'echo').name },
      { token: MONITOR_TOKEN, clientId: 'it', topic: topics.request('it', 'echo').name },
    ];
    for (const { token, clientId, topic } of refusedPublishes) {
      const client = await observe(url, token, clientId);
      const gone = closed(client.client);
      client.client.publish(topic, JSON.stringify({ transaction: 'refused', data: 'refused' }), {
        qos: 1,
        retain: true,
      });
      await gone;
    }
    // The broker refused those before they reached the in-process gateway:
    // the next request is the only one the gateway ever ran and answered.
    await kiosk.publish(
      topics.request('kiosk-1', 'echo').name,
      JSON.stringify({ transaction: 'k-2', data: 'after' }),
    );
    await kiosk.waitFor((m) => (m.json as { transaction?: string }).transaction === 'k-2', 'kiosk answer');
    expect(echoed).toEqual(['after']);
    expect(kiosk.messages.map((m) => (m.json as { transaction?: string }).transaction)).toEqual(['k-2']);

    const reader = await observe(url, MONITOR_TOKEN, 'it');
    await reader.subscribe(topics.state().name);
    const state = await reader.waitFor((m) => m.topic === topics.state().name, 'gateway state');
    expect(state.json).toMatchObject({ status: 'online' });
    // Refused where the filter can reach nothing a monitor may read; broad filters are
    // granted, and what they deliver is checked per message (the access matrix tests).
    for (const filter of [
      '$SYS/#',
      `${topics.base}/request/#`,
      `${topics.base}/clients/+/response/+`,
      `${topics.base}/clients/kiosk-1/#`,
    ]) {
      await expect(reader.client.subscribeAsync(filter), filter).rejects.toThrow(/subscribe error/i);
    }
    for (const filter of ['#', `${topics.base}/#`, `${topics.base}/devices/#`]) {
      const granted = await reader.client.subscribeAsync(filter);
      expect(granted[0]?.qos, filter).not.toBe(128);
    }
  });

  it('holds a last will to the same rule: no forged answer, no gateway state, no retained request', async () => {
    const { url, broker } = await brokerWithTokens();
    const { echoed } = await startGateway(broker);
    // What the broker publishes, seen in process (network subscribers may drop a will as a duplicate).
    const published: Array<{ topic: string; payload: string; retained: boolean }> = [];
    const record = (message: { topic: string; payload: Buffer; retained: boolean }) =>
      published.push({ ...message, payload: message.payload.toString() });
    await broker.local.subscribe('#', record);
    await broker.local.subscribe('$SYS/+/disconnect/clients', record);
    const wills = [
      { clientId: 'kiosk-2', topic: topics.response('kiosk-1', 'circulation.patron').name, retain: false },
      { clientId: 'kiosk-3', topic: topics.state().name, retain: true },
      { clientId: 'kiosk-4', topic: topics.request('kiosk-4', 'echo').name, retain: true },
    ];
    for (const will of wills) {
      const client = await connectAsync(url, {
        reconnectPeriod: 0,
        protocolVersion: 4,
        clientId: will.clientId,
        username: will.clientId,
        password: KIOSK_TOKEN,
        will: {
          topic: will.topic,
          payload: Buffer.from('{"status":"offline","transaction":"will","data":"last words"}'),
          qos: 1,
          retain: will.retain,
        },
      });
      client.stream.destroy();
      // aedes publishes a will, if allowed, before it announces the disconnect.
      await expect
        .poll(() =>
          published.some((m) => m.topic.endsWith('/disconnect/clients') && m.payload === will.clientId),
        )
        .toBe(true);
    }
    const wentOut = published.filter((m) => m.payload.includes('"status":"offline","transaction":"will"'));
    // Only the will on the client's own request topic went out, as a request, and was not kept.
    expect(wentOut.map((m) => [m.topic, m.retained])).toEqual([
      [topics.request('kiosk-4', 'echo').name, false],
    ]);
    await expect.poll(() => echoed).toEqual(['last words']);
    const late = await Observer.connect(url, {
      protocolVersion: 4,
      clientId: 'kiosk-4',
      username: 'k',
      password: KIOSK_TOKEN,
    });
    cleanups.push(() => late.close());
    await late.subscribe(`${topics.base}/#`);
    await late.waitFor((m) => m.topic === topics.state().name, 'the retained gateway state');
    expect(late.messages.find((m) => m.topic === topics.state().name)?.json).toMatchObject({
      status: 'online',
    });
  });

  it('without tokens accepts anonymous clients but still guards the gateway name', async () => {
    const auth = createBrokerAuth({ topics, tokens: [] });
    const broker = await startEmbeddedBroker({
      port: 0,
      logger: silentLogger(),
      authenticate: auth.authenticate,
    });
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    expect(await connectFailure(url, {})).toBeUndefined();
    expect(await connectFailure(url, { username: GATEWAY_MQTT_USERNAME, password: 'guess' })).toMatchObject({
      code: 4,
    });
    // The internal credential still admits a gateway dialling the broker over TCP.
    await startGateway({ url, credential: auth.gatewayCredential });
  });
});

describe('embedded broker and shared subscriptions', () => {
  it('aedes 1.x has no shared subscriptions: $share/<group>/<filter> is a literal filter', async () => {
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const member = await Observer.connect(url, { protocolVersion: 4 });
    cleanups.push(() => member.close());
    await member.subscribe('$share/g/probe/#');
    await member.subscribe('done');
    const sender = await Observer.connect(url, { protocolVersion: 4 });
    cleanups.push(() => sender.close());
    await sender.publish('probe/x', 'through the filter');
    await sender.publish('$share/g/probe/y', 'the literal topic');
    await sender.publish('done', '');
    await member.waitFor((m) => m.topic === 'done', 'the last message');
    expect(member.messages.map((m) => m.topic)).toEqual(['$share/g/probe/y', 'done']);
  });
});

describe('embedded broker limits', () => {
  it('refuses to bind beyond loopback without authentication', async () => {
    const failure = await startEmbeddedBroker({ host: '0.0.0.0', port: 0, logger: silentLogger() }).then(
      async (broker: EmbeddedBroker) => {
        await broker.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CarrelError);
    expect((failure as CarrelError).code).toBe('mqtt_insecure_bind');
  });

  it('reports a port in use as a clear error', async () => {
    const first = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    cleanups.push(() => first.close());
    await expect(startEmbeddedBroker({ port: first.port, logger: silentLogger() })).rejects.toMatchObject({
      code: 'mqtt_listen_failed',
    });
  });

  it('disconnects a client that sends a packet over the size limit', async () => {
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger(), maxPacketSize: 1024 });
    cleanups.push(() => broker.close());
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    cleanups.push(() => client.endAsync(true));
    const gone = closed(client);
    client.publish('carrel/big', Buffer.alloc(4096, 1), { qos: 0 });
    await gone;
  });

  it('names the client it disconnects for a packet over the size limit, and the size, never the payload', async () => {
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const broker = await startEmbeddedBroker({
      port: 0,
      logger: createLogger({ level: 'info', format: 'json', destination: lines }),
      maxPacketSize: 1024,
    });
    cleanups.push(() => broker.close());
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'kiosk-big-7',
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    cleanups.push(() => client.endAsync(true));
    const gone = closed(client);
    const patron = 'patron-21000001-pin-88412';
    client.publish('carrel/big', Buffer.from(patron.repeat(200)), { qos: 0 });
    await gone;
    const badPacket = () => log.split('\n').find((l) => l.includes('bad packet'));
    await expect.poll(badPacket, { timeout: 2000 }).toBeDefined();
    const line = JSON.parse(badPacket() as string);
    expect(line).toMatchObject({ level: 'warn', clientId: 'kiosk-big-7', reason: 'packet_too_large' });
    expect(line.msg).toContain('kiosk-big-7');
    expect(log).not.toContain('21000001');
  });

  it('closes connections beyond maxClients', async () => {
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger(), maxClients: 2 });
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    for (let i = 0; i < 2; i++) {
      const client = await connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
      cleanups.push(() => client.endAsync(true));
    }
    const third = tcpConnect(broker.port, '127.0.0.1');
    cleanups.push(async () => {
      third.destroy();
    });
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
  });

  it('keeps the session of a client gone without a clean session for a while, then forgets it and its queue', async () => {
    // A dashboard connecting with clean: false has every device event queued for it while away, in
    // the daemon's memory; one that never comes back must not hold the desk's events for ever.
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger(), sessionExpiryMs: 600 });
    cleanups.push(() => broker.close());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const events = topics.deviceEventFilter();
    const event = (n: number) =>
      broker.local.publish({
        topic: topics.deviceEvent('exit-1', 'gate.count').name,
        payload: Buffer.from(JSON.stringify({ device: 'exit-1', type: 'gate.count', data: { in: n } })),
        qos: 1,
        retain: false,
      });
    /** Connects as the dashboard, takes what the broker hands it in a moment, and goes (no DISCONNECT). */
    const visit = async (subscribe: boolean) => {
      const dashboard = await Observer.connect(url, {
        clientId: 'dashboard',
        clean: false,
        protocolVersion: 4,
      });
      if (subscribe) await dashboard.subscribe(events);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const received = dashboard.messages.length;
      dashboard.client.stream.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return received;
    };
    await visit(true);
    for (let n = 1; n <= 3; n++) await event(n);
    expect(await visit(false)).toBe(3); // back within the expiry: its session and queue were kept
    for (let n = 4; n <= 5; n++) await event(n);
    await new Promise((resolve) => setTimeout(resolve, 900));
    for (let n = 6; n <= 7; n++) await event(n);
    expect(await visit(false)).toBe(0); // gone longer: forgotten, what was queued with it
  });

  it('close() is idempotent and frees the port', async () => {
    const broker = await startEmbeddedBroker({ port: 0, logger: silentLogger() });
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    const gone = closed(client);
    await Promise.all([broker.close(), broker.close()]);
    await gone;
    await client.endAsync(true);
    const again = await startEmbeddedBroker({ port: broker.port, logger: silentLogger() });
    await again.close();
  });
});
