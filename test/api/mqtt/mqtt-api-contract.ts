import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBroker } from '../../../src/api/mqtt/embedded-broker.js';
import {
  MqttApi,
  type MqttApiClientOptions,
  type MqttApiCommonOptions,
  type MqttApiEmbeddedOptions,
} from '../../../src/api/mqtt/mqtt-api.js';
import { CarrelError, TransportError } from '../../../src/core/errors.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import type { DeviceEvent, DeviceState } from '../../../src/devices/device-state.js';
import type { DeskTotals } from '../../../src/gateway/desk-totals.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { Observer } from './observer.js';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';

export interface BrokerUnderTest {
  url: string;
  port: number;
  /** In-process access, for brokers started in this process (the embedded aedes). */
  local?: LocalBroker;
  stop(): Promise<void>;
}

/**
 * A broker the MqttApi contract runs against, and the link MqttApi reaches it
 * through: `embedded` calls the broker in process (EmbeddedLink), `client`
 * dials its URL through mqtt.js (ClientLink) as for an external broker.
 */
export interface BrokerFixture {
  name: string;
  link: 'embedded' | 'client';
  /** What observers (and a client link) speak to it: aedes knows only MQTT 3.1.1. */
  protocolVersion: 4 | 5;
  /** Starts a broker on `port` (0 or omitted: a free one). */
  start(port?: number): Promise<BrokerUnderTest>;
}

/** A client's own request/response area under `base`: `<base>/clients/<client id>`. */
export function areaOf(base: string, observer: Observer): string {
  return `${base}/clients/${observer.client.options.clientId}`;
}

export function printerState(overrides: Partial<DeviceState> = {}): DeviceState {
  return {
    device: 'receipt-1',
    kind: 'receipt-printer',
    status: 'online',
    since: '2026-01-01T00:00:00.000Z',
    reason: null,
    lastError: null,
    reconnects: 0,
    detail: { paper: 'ok' },
    ...overrides,
  };
}

let gatewaySerial = 0;

/** The MqttApi contract, one broker per file; each test has its own gateway name so retained messages never mix. */
export function describeMqttApiContract(fixture: BrokerFixture, skipReason?: string): void {
  const viaClient = fixture.link === 'client';
  describe.skipIf(skipReason !== undefined)(`MqttApi against ${fixture.name}, ${fixture.link} link`, () => {
    let broker: BrokerUnderTest;
    const cleanups: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      broker = await fixture.start();
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    interface Harness {
      api: MqttApi;
      bus: EventBus;
      base: string;
      states: DeviceState[];
      listenerErrors: unknown[];
    }

    /** Where the API under test goes: `url` (a relay, a restarted broker) always means a client link. */
    function linkTo(target: BrokerUnderTest, url?: string): MqttApiClientOptions | MqttApiEmbeddedOptions {
      if (viaClient || url !== undefined) {
        return { url: url ?? target.url, protocolVersion: fixture.protocolVersion, reconnectPeriodMs: 100 };
      }
      if (!target.local) throw new Error(`${fixture.name} has no in-process access`);
      return { embedded: target.local };
    }

    async function startApi(
      overrides: Partial<MqttApiCommonOptions> & { url?: string } = {},
    ): Promise<Harness> {
      const { url, ...common } = overrides;
      const listenerErrors: unknown[] = [];
      const bus = new EventBus((error) => listenerErrors.push(error));
      const states = [printerState()];
      const gateway = `desk-${process.pid}-${++gatewaySerial}`;
      const api = new MqttApi({
        site: 'main-library',
        gateway,
        ...linkTo(broker, url),
        bus,
        logger: silentLogger(),
        deviceStates: () => states,
        connectTimeoutMs: 5000,
        actions: {
          echo: async (data) => data,
          'paper.check': async () => {
            throw new CarrelError('paper_out', 'the printer is out of paper');
          },
          crash: async () => {
            throw new Error('secret internals');
          },
        },
        ...common,
      });
      await api.start();
      cleanups.push(() => api.stop());
      return { api, bus, base: `carrel/main-library/${gateway}`, states, listenerErrors };
    }

    let observerSerial = 0;

    /** A client of the broker; requests go to its own area, `clients/<its client id>/`. */
    async function observe(url = broker.url): Promise<Observer> {
      const clientId = `observer-${process.pid}-${++observerSerial}`;
      const observer = await Observer.connect(url, { protocolVersion: fixture.protocolVersion, clientId });
      cleanups.push(() => observer.close());
      return observer;
    }

    it('publishes the gateway state online, retained, once connected', async () => {
      const { api, base } = await startApi();
      expect(api.connected).toBe(true);
      const observer = await observe();
      await observer.subscribe(`${base}/state`);
      const state = await observer.waitFor((m) => m.topic === `${base}/state`, 'gateway state');
      expect(state.retain).toBe(true);
      expect(state.json).toEqual({
        status: 'online',
        since: expect.any(String),
        instance: expect.any(String),
      });
      expect(Number.isNaN(Date.parse((state.json as { since: string }).since))).toBe(false);
    });

    it('retains every device state on connect and updates it on bus events', async () => {
      const { bus, base } = await startApi();
      const observer = await observe();
      await observer.subscribe(`${base}/devices/+/state`);
      const initial = await observer.waitFor(
        (m) => m.topic === `${base}/devices/receipt-1/state`,
        'device state',
      );
      expect(initial.retain).toBe(true);
      expect(initial.json).toEqual(printerState());

      const degraded = printerState({ status: 'degraded', reason: 'paper low', detail: { paper: 'low' } });
      bus.emit('device.state', degraded);
      const update = await observer.waitFor((m) => (m.json as DeviceState).status === 'degraded', 'update');
      expect(update.json).toEqual(degraded);

      const late = await observe();
      await late.subscribe(`${base}/devices/+/state`);
      const retained = await late.waitFor((m) => m.topic === `${base}/devices/receipt-1/state`, 'retained');
      expect(retained.retain).toBe(true);
      expect(retained.json).toEqual(degraded);
    });

    it("hands each bus event to the desk's own clients before publishing it, then publishes every one in the order they came", async () => {
      const { api, bus, base, states: known } = await startApi();
      const observer = await observe();
      await observer.subscribe(`${base}/devices/+/state`);
      await observer.waitFor((m) => m.topic === `${base}/devices/receipt-1/state`, 'initial state');
      const states = ['a', 'b', 'c'].map((id) => printerState({ device: `receipt-${id}` }));
      // Devices of the desk (the API clears the retained state of any other).
      known.push(...states);
      // What happened, in order: a page's WebSocket is an edge listener added after the MQTT API's.
      const order: string[] = [];
      const link = (api as unknown as { link: { publish(topic: string, ...rest: unknown[]): unknown } }).link;
      const publish = link.publish.bind(link);
      link.publish = (topic: string, ...rest: unknown[]) => {
        order.push(`published ${topic.slice(topic.lastIndexOf('/devices/') + 9)}`);
        return publish(topic, ...rest);
      };
      bus.on('device.state', {}, (state) => order.push(`page heard ${state.device}`), { edge: true });
      for (const state of states) bus.emit('device.state', state);
      expect(order).toEqual(['page heard receipt-a', 'page heard receipt-b', 'page heard receipt-c']);
      for (const state of states) {
        const heard = await observer.waitFor(
          (m) => m.topic === `${base}/devices/${state.device}/state`,
          state.device,
        );
        expect(heard.json).toEqual(state);
      }
      expect(order.slice(3)).toEqual([
        'published receipt-a/state',
        'published receipt-b/state',
        'published receipt-c/state',
      ]);
    });

    // Only a broker that outlives the desk keeps an earlier run's states: the embedded one starts empty with it.
    it.skipIf(!viaClient)(
      'clears the retained state of a device the desk no longer has (removed or renamed in its configuration), and only that',
      async () => {
        const gateway = `renamed-${process.pid}-${++gatewaySerial}`;
        const base = `carrel/main-library/${gateway}`;
        // What an earlier run of this desk left on the broker: it had `pad-1`, since renamed, and
        // ended in a crash (so its last will said offline, but the pad's own state still says online).
        const earlier = await observe();
        const leftBehind = printerState({ device: 'pad-1', kind: 'rfid-reader', detail: {} });
        await earlier.publish(`${base}/devices/pad-1/state`, JSON.stringify(leftBehind), { retain: true });
        await earlier.publish(
          `${base}/devices/receipt-1/state`,
          JSON.stringify(printerState({ reconnects: 7 })),
          {
            retain: true,
          },
        );
        // Another desk on the broker is not this desk's business.
        const otherDesk = `carrel/main-library/other-${process.pid}-${gatewaySerial}`;
        await earlier.publish(`${otherDesk}/devices/pad-1/state`, JSON.stringify(leftBehind), {
          retain: true,
        });
        cleanups.push(async () => {
          await earlier.publish(`${otherDesk}/devices/pad-1/state`, '', { retain: true });
          await earlier.publish(`${base}/devices/pad-1/state`, '', { retain: true });
        });

        const watching = await observe();
        await watching.subscribe(`${base}/devices/+/state`);
        await watching.waitFor(
          (m) => m.topic === `${base}/devices/pad-1/state` && m.payload.length > 0,
          'the old pad',
        );
        await startApi({ gateway });
        await watching.waitFor(
          (m) => m.topic === `${base}/devices/pad-1/state` && m.payload.length === 0,
          "the old pad's state cleared",
        );

        const later = await observe();
        await later.subscribe(`${base}/devices/+/state`);
        await later.subscribe(`${otherDesk}/devices/+/state`);
        const printer = await later.waitFor(
          (m) => m.topic === `${base}/devices/receipt-1/state`,
          'the printer',
        );
        await later.waitFor((m) => m.topic === `${otherDesk}/devices/pad-1/state`, "the other desk's pad");
        // Retained messages come in one burst after the subscription; give a straggler time to show.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(printer.json).toEqual(printerState());
        expect(later.messages.filter((m) => m.topic === `${base}/devices/pad-1/state`)).toEqual([]);
      },
    );

    it('retains the desk totals on connect and on each change', async () => {
      const totals: DeskTotals = {
        day: '2026-12-03',
        alarmsToday: 1,
        visitorsToday: 10,
        offlinePending: 0,
        offlineConflicts: 0,
      };
      const { bus, base } = await startApi({ deskTotals: () => totals });
      const observer = await observe();
      await observer.subscribe(`${base}/totals`);
      const first = await observer.waitFor((m) => m.topic === `${base}/totals`, 'totals');
      expect(first.retain).toBe(true);
      expect(first.json).toEqual(totals);
      bus.emit('desk.totals', { ...totals, alarmsToday: 2 });
      await observer.waitFor((m) => (m.json as DeskTotals).alarmsToday === 2, 'totals changed');
      const late = await observe();
      await late.subscribe(`${base}/totals`);
      const retained = await late.waitFor((m) => m.topic === `${base}/totals`, 'retained totals');
      expect(retained.json).toEqual({ ...totals, alarmsToday: 2 });
    });

    it('publishes device events on the events topic, not retained', async () => {
      const { bus, base, listenerErrors } = await startApi();
      const observer = await observe();
      await observer.subscribe(`${base}/devices/+/events/#`);
      const event: DeviceEvent = {
        device: 'receipt-1',
        type: 'printer.paper_out',
        time: '2026-01-01T00:00:01.000Z',
        data: { cover: 'closed' },
      };
      // An event whose type would break the topic tree is dropped, and does not throw into the bus.
      bus.emit('device.event', { ...event, type: 'printer/#' });
      bus.emit('device.event', event);
      const received = await observer.waitFor((m) => m.topic.includes('/events/'), 'device event');
      expect(received.topic).toBe(`${base}/devices/receipt-1/events/printer.paper_out`);
      expect(received.retain).toBe(false);
      expect(received.json).toEqual(event);
      expect(listenerErrors).toEqual([]);
      expect(observer.messages.filter((m) => m.topic.includes('/events/'))).toHaveLength(1);
    });

    it('answers requests with the envelope and echoes the transaction', async () => {
      const { base } = await startApi();
      const observer = await observe();
      const area = areaOf(base, observer);
      await observer.subscribe(`${area}/response/+`);
      const respondedTo = (transaction: string | null) => (m: { json: unknown }) =>
        (m.json as { transaction?: unknown }).transaction === transaction;

      await observer.publish(
        `${area}/request/echo`,
        JSON.stringify({ transaction: 't-1', data: { copies: 2 } }),
      );
      const ok = await observer.waitFor(respondedTo('t-1'), 'echo response');
      expect(ok.topic).toBe(`${area}/response/echo`);
      expect(ok.retain).toBe(false);
      expect(ok.json).toEqual({ status: 'ok', data: { copies: 2 }, transaction: 't-1' });

      await observer.publish(`${area}/request/eject`, JSON.stringify({ transaction: 't-2' }));
      const unknown = await observer.waitFor(respondedTo('t-2'), 'unknown action response');
      expect(unknown.topic).toBe(`${area}/response/eject`);
      expect(unknown.json).toMatchObject({ status: 'error', data: null, error: { code: 'unknown_action' } });

      // A topic that names no action is answered on its mirror in the asker's area, not ignored.
      await observer.subscribe(`${area}/response/#`);
      await observer.publish(`${area}/request/paper/check`, JSON.stringify({ transaction: 't-nested' }));
      const nested = await observer.waitFor(respondedTo('t-nested'), 'nested action response');
      expect(nested.topic).toBe(`${area}/response/paper/check`);
      expect(nested.json).toMatchObject({ status: 'error', data: null, error: { code: 'unknown_action' } });
      expect((nested.json as { error: { message: string } }).error.message).toContain('request/paper.check');
      for (const [topic, transaction] of [
        [`${area}/request/`, 't-empty'],
        [`${area}/request`, 't-none'],
      ] as const) {
        await observer.publish(topic, JSON.stringify({ transaction }));
        const none = await observer.waitFor(respondedTo(transaction), `answer on ${topic}`);
        expect(none.topic).toBe(`${area}/response`);
        expect(none.json).toMatchObject({ status: 'error', error: { code: 'unknown_action' } });
      }

      await observer.publish(`${area}/request/__proto__`, JSON.stringify({ transaction: 't-3' }));
      const proto = await observer.waitFor(respondedTo('t-3'), 'prototype name response');
      expect(proto.json).toMatchObject({ status: 'error', error: { code: 'unknown_action' } });

      await observer.publish(`${area}/request/echo`, '{"transaction": "t-4", ');
      const malformed = await observer.waitFor(respondedTo(null), 'malformed response');
      expect(malformed.topic).toBe(`${area}/response/echo`);
      expect(malformed.json).toMatchObject({
        status: 'error',
        error: { code: 'bad_request' },
        transaction: null,
      });

      await observer.publish(`${area}/request/paper.check`, JSON.stringify({ transaction: 't-5' }));
      const failed = await observer.waitFor(respondedTo('t-5'), 'handler error response');
      expect(failed.json).toEqual({
        status: 'error',
        data: null,
        error: { code: 'paper_out', message: 'the printer is out of paper' },
        transaction: 't-5',
      });

      await observer.publish(`${area}/request/crash`, JSON.stringify({ transaction: 't-6' }));
      const crashed = await observer.waitFor(respondedTo('t-6'), 'internal error response');
      expect(crashed.json).toEqual({
        status: 'error',
        data: null,
        error: { code: 'internal', message: 'internal error' },
        transaction: 't-6',
      });
    });

    it('never acts on a retained request the broker replays on subscribe', async () => {
      const gateway = `retained-${process.pid}-${++gatewaySerial}`;
      const base = `carrel/main-library/${gateway}`;
      const observer = await observe();
      const area = areaOf(base, observer);
      await observer.subscribe(`${area}/response/+`);
      const transactionOf = (m: { json: unknown }) =>
        (m.json as { transaction?: unknown } | null)?.transaction;
      await observer.publish(`${area}/request/echo`, JSON.stringify({ transaction: 'stale' }), {
        retain: true,
      });
      cleanups.push(() => observer.publish(`${area}/request/echo`, '', { retain: true }));
      await startApi({ gateway });
      await observer.publish(`${area}/request/echo`, JSON.stringify({ transaction: 'fresh' }));
      await observer.waitFor((m) => transactionOf(m) === 'fresh', 'response to the fresh request');
      expect(observer.messages.filter((m) => transactionOf(m) === 'stale')).toEqual([]);
    });

    // A broker that keeps what a client gives it: Mosquitto cannot refuse the retain flag on one topic.
    it.skipIf(!viaClient)(
      'clears a request a client left retained on the broker (a patron and PIN), without acting on it',
      async () => {
        const gateway = `kept-${process.pid}-${++gatewaySerial}`;
        const base = `carrel/main-library/${gateway}`;
        const kiosk = await observe();
        const area = areaOf(base, kiosk);
        await kiosk.subscribe(`${area}/response/#`);
        const request = `${area}/request/echo`;
        const pin = '4321-kept';
        // A kiosk that sets the retain flag on its requests, while the desk is away.
        await kiosk.publish(
          request,
          JSON.stringify({ transaction: 'kept', data: { patron: '21000777', pin } }),
          {
            retain: true,
          },
        );
        cleanups.push(() => kiosk.publish(request, '', { retain: true }));
        // What the gateway's MQTT user (or whoever reads the broker's store) finds there.
        const watching = await observe();
        await watching.subscribe(`${base}/clients/+/request/#`);
        await watching.waitFor((m) => m.payload.toString('utf8').includes(pin), 'the kept request');

        await startApi({ gateway });
        await watching.waitFor(
          (m) => m.topic === request && m.payload.length === 0,
          'the kept request cleared from the broker',
        );
        await kiosk.publish(request, JSON.stringify({ transaction: 'fresh' }));
        await kiosk.waitFor(
          (m) => (m.json as { transaction?: unknown }).transaction === 'fresh',
          'the answer',
        );

        const later = await observe();
        await later.subscribe(`${base}/clients/+/request/#`);
        // Retained messages come in one burst after the subscription; give a straggler time to show.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(later.messages.filter((m) => m.payload.length > 0)).toEqual([]);
        // Neither the kept request nor its clearing was answered: only the fresh one.
        expect(
          kiosk.messages.map((m) => (m.json as { transaction?: unknown } | undefined)?.transaction),
        ).toEqual(['fresh']);
      },
    );

    // A kiosk setting the retain flag while the desk is connected: the broker keeps the request
    // (a patron and a PIN) as well as delivering it.
    it.skipIf(!viaClient)(
      'answers a request published retained while connected once, and clears it from the broker at once',
      async () => {
        const gateway = `live-kept-${process.pid}-${++gatewaySerial}`;
        const base = `carrel/main-library/${gateway}`;
        await startApi({ gateway });
        const kiosk = await observe();
        const area = areaOf(base, kiosk);
        await kiosk.subscribe(`${area}/response/#`);
        const request = `${area}/request/echo`;
        const pin = '4321-live';
        cleanups.push(() => kiosk.publish(request, '', { retain: true }));
        await kiosk.publish(
          request,
          JSON.stringify({ transaction: 'live-kept', data: { patron: '21000777', pin } }),
          { retain: true },
        );
        await kiosk.waitFor(
          (m) => (m.json as { transaction?: unknown } | undefined)?.transaction === 'live-kept',
          'the answer',
        );
        // What the gateway's MQTT user (or whoever reads the broker's store) finds there now.
        const later = await observe();
        await later.subscribe(`${base}/clients/+/request/#`);
        // Retained messages come in one burst after the subscription; give a straggler time to show.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(later.messages.filter((m) => m.payload.length > 0)).toEqual([]);
        // A plain request after it is answered as usual, and nothing was answered twice.
        await kiosk.publish(request, JSON.stringify({ transaction: 'plain' }));
        await kiosk.waitFor(
          (m) => (m.json as { transaction?: unknown } | undefined)?.transaction === 'plain',
          'the plain answer',
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(
          kiosk.messages.map((m) => (m.json as { transaction?: unknown } | undefined)?.transaction),
        ).toEqual(['live-kept', 'plain']);
      },
    );

    // MQTT 5 hands the desk each request's retain flag (retain-as-published): only a request
    // published retained is cleared, and a plain one costs the broker no second publish.
    it.runIf(viaClient && fixture.protocolVersion === 5)(
      'clears no request topic after a plain request, only after one published retained',
      async () => {
        const gateway = `plain-${process.pid}-${++gatewaySerial}`;
        const base = `carrel/main-library/${gateway}`;
        await startApi({ gateway });
        const kiosk = await observe();
        const area = areaOf(base, kiosk);
        await kiosk.subscribe(`${area}/response/#`);
        // A second client reading every request topic: each publish there reaches it once.
        const counter = await observe();
        await counter.subscribe(`${base}/clients/+/request/#`);
        const request = `${area}/request/echo`;
        const answered = (transaction: string) =>
          kiosk.waitFor(
            (m) => (m.json as { transaction?: unknown } | undefined)?.transaction === transaction,
            `the answer to ${transaction}`,
          );
        for (const transaction of ['plain-1', 'plain-2', 'plain-3']) {
          await kiosk.publish(request, JSON.stringify({ transaction }));
          await answered(transaction);
        }
        cleanups.push(() => kiosk.publish(request, '', { retain: true }));
        await kiosk.publish(request, JSON.stringify({ transaction: 'kept' }), { retain: true });
        await answered('kept');
        await counter.waitFor((m) => m.topic === request && m.payload.length === 0, 'the kept one cleared');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(
          counter.messages
            .filter((m) => m.topic === request)
            .map((m) =>
              m.payload.length === 0 ? 'cleared' : (m.json as { transaction: string }).transaction,
            ),
        ).toEqual(['plain-1', 'plain-2', 'plain-3', 'kept', 'cleared']);
      },
    );

    it('never logs a topic the client made up: it may name a patron', async () => {
      const gateway = `made-up-${process.pid}-${++gatewaySerial}`;
      const base = `carrel/main-library/${gateway}`;
      const observer = await observe();
      const area = areaOf(base, observer);
      await observer.subscribe(`${area}/response/#`);
      const patron = '21000777';
      const made = `${area}/request/patrons/${patron}`;
      // Kept by a broker that keeps what it is given (Mosquitto), replayed to the gateway as retained.
      await observer.publish(made, JSON.stringify({ transaction: 'kept' }), { retain: true });
      cleanups.push(() => observer.publish(made, '', { retain: true }));
      const lines = new PassThrough();
      let log = '';
      lines.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
      });
      await startApi({
        gateway,
        logger: createLogger({ level: 'debug', format: 'json', destination: lines }),
      });
      await observer.publish(made, JSON.stringify({ transaction: 'asked' }));
      const answer = await observer.waitFor(
        (m) => (m.json as { transaction?: unknown }).transaction === 'asked',
        'the answer to the made-up topic',
      );
      expect(answer.json).toMatchObject({ status: 'error', error: { code: 'unknown_action' } });
      expect(log.length).toBeGreaterThan(0);
      expect(log).not.toContain(patron);
    });

    it('survives any request payload and keeps answering', async () => {
      const { api, base } = await startApi();
      const observer = await observe();
      const area = areaOf(base, observer);
      await observer.subscribe(`${area}/response/+`);
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 300 }),
          fc.constantFrom('echo', 'crash', 'nope'),
          async (bytes, action) => {
            await observer.publish(`${area}/request/${action}`, Buffer.from(bytes));
          },
        ),
        { numRuns: 40 },
      );
      await observer.publish(`${area}/request/echo`, JSON.stringify({ transaction: 'after-fuzz', data: 1 }));
      const answer = await observer.waitFor(
        (m) => (m.json as { transaction?: unknown }).transaction === 'after-fuzz',
        'answer after fuzzing',
      );
      expect(answer.json).toEqual({ status: 'ok', data: 1, transaction: 'after-fuzz' });
      expect(api.connected).toBe(true);
    });

    it.runIf(fixture.protocolVersion === 5)('honours MQTT 5 responseTopic and correlationData', async () => {
      const { base } = await startApi();
      const observer = await observe();
      const area = areaOf(base, observer);
      // Inside the client's own answers area, any topic it names is used.
      const replies = `${area}/response/screen-7`;
      await observer.subscribe(`${area}/response/#`);
      await observer.publish(`${area}/request/echo`, JSON.stringify({ data: 'hello' }), {
        properties: { responseTopic: replies, correlationData: Buffer.from('corr-7') },
      });
      const reply = await observer.waitFor((m) => m.topic === replies, 'reply on the response topic');
      expect(reply.correlationData?.toString()).toBe('corr-7');
      expect(reply.json).toEqual({ status: 'ok', data: 'hello', transaction: 'corr-7' });

      // Anywhere else (another client's area, outside the tree) the answer comes on the client's own topic.
      const elsewhere = await observe();
      await elsewhere.subscribe(`${areaOf(base, elsewhere)}/#`);
      await elsewhere.subscribe('kiosk-replies/#');
      for (const [i, responseTopic] of [
        `${areaOf(base, elsewhere)}/response/echo`,
        `kiosk-replies/${process.pid}/${gatewaySerial}`,
      ].entries()) {
        const correlationData = Buffer.from(`corr-${i}`);
        await observer.publish(`${area}/request/echo`, JSON.stringify({ data: i }), {
          properties: { responseTopic, correlationData },
        });
        const answer = await observer.waitFor(
          (m) => m.correlationData?.equals(correlationData) === true,
          `the answer for ${responseTopic}`,
        );
        expect(answer.topic).toBe(`${area}/response/echo`);
      }
      expect(
        elsewhere.messages.filter((m) => m.json !== undefined && 'transaction' in (m.json as object)),
      ).toEqual([]);
    });

    it.runIf(viaClient)(
      'lets the broker publish the last will offline when the link dies abruptly, then comes back online',
      async () => {
        const relay: TcpRelay = await startTcpRelay(broker.port);
        cleanups.push(() => relay.close());
        const { base } = await startApi({ url: relay.url });
        const observer = await observe();
        await observer.subscribe(`${base}/state`);
        await observer.waitFor((m) => (m.json as { status?: string }).status === 'online', 'online');
        observer.clear();

        relay.cut({ refuseNew: true });
        const will = await observer.waitFor((m) => m.topic === `${base}/state`, 'last will');
        expect(will.json).toEqual({ status: 'offline', instance: expect.any(String) });
        const late = await observe();
        await late.subscribe(`${base}/state`);
        const retainedWill = await late.waitFor((m) => m.topic === `${base}/state`, 'retained last will');
        expect(retainedWill.retain).toBe(true);
        expect(retainedWill.json).toEqual({ status: 'offline', instance: expect.any(String) });

        relay.heal();
        const back = await observer.waitFor(
          (m) => (m.json as { status?: string }).status === 'online',
          'online again',
        );
        expect(back.topic).toBe(`${base}/state`);
      },
    );

    it.runIf(viaClient)(
      'says in the log which answer was lost when the link went while its action ran (the action stays done)',
      async () => {
        const relay: TcpRelay = await startTcpRelay(broker.port);
        cleanups.push(() => relay.close());
        let started!: () => void;
        const running = new Promise<void>((resolve) => {
          started = resolve;
        });
        let finish!: (value: unknown) => void;
        const done = new Promise((resolve) => {
          finish = resolve;
        });
        const lines = new PassThrough();
        let log = '';
        lines.on('data', (chunk: Buffer) => {
          log += chunk.toString('utf8');
        });
        const logger = createLogger({ level: 'info', format: 'json', destination: lines });
        const { api, base } = await startApi({
          url: relay.url,
          logger,
          actions: {
            'circulation.checkout': async () => {
              started();
              return done;
            },
          },
        });
        const kiosk = await observe();
        const area = areaOf(base, kiosk);
        await kiosk.subscribe(`${area}/response/#`);
        await kiosk.publish(`${area}/request/circulation.checkout`, JSON.stringify({ transaction: 'lost' }));
        await running;
        relay.cut({ refuseNew: true });
        while (api.connected) await new Promise((resolve) => setTimeout(resolve, 20));
        finish({ ok: true });
        await new Promise((resolve) => setTimeout(resolve, 100));
        logger.flush();
        const said = log
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((line) => line.msg === 'MQTT answer not sent: no link to the broker');
        expect(said).toMatchObject([
          {
            level: 'warn',
            clientId: kiosk.client.options.clientId,
            action: 'circulation.checkout',
            status: 'ok',
          },
        ]);
      },
    );

    it('stop() publishes offline retained, disconnects and leaves the bus', async () => {
      const { api, bus, base } = await startApi();
      expect(bus.listenerCount()).toBeGreaterThan(0);
      await api.stop();
      expect(api.connected).toBe(false);
      expect(bus.listenerCount()).toBe(0);
      const observer = await observe();
      await observer.subscribe(`${base}/state`);
      const state = await observer.waitFor((m) => m.topic === `${base}/state`, 'retained offline');
      expect(state.retain).toBe(true);
      expect(state.json).toEqual({
        status: 'offline',
        since: expect.any(String),
        instance: expect.any(String),
      });
      bus.emit('device.state', printerState({ status: 'offline' })); // nobody listens; nothing throws
    });

    it.runIf(viaClient)('republishes retained state after the broker restarts empty', async () => {
      const own = await fixture.start();
      let current = own;
      cleanups.push(() => current.stop());
      const totals: DeskTotals = {
        day: '2026-12-03',
        alarmsToday: 0,
        visitorsToday: null,
        offlinePending: 3,
        offlineConflicts: 1,
      };
      const { api, base } = await startApi({ url: own.url, deskTotals: () => totals });
      await own.stop();
      current = await fixture.start(own.port);

      const observer = await observe(current.url);
      await observer.subscribe(`${base}/#`);
      await observer.waitFor(
        (m) => m.topic === `${base}/devices/receipt-1/state`,
        'device state republished',
      );
      await observer.waitFor((m) => m.topic === `${base}/state`, 'gateway state republished');
      await observer.waitFor((m) => m.topic === `${base}/totals`, 'desk totals republished');
      expect(api.connected).toBe(true);

      const late = await observe(current.url);
      await late.subscribe(`${base}/#`);
      const state = await late.waitFor((m) => m.topic === `${base}/state`, 'retained gateway state');
      const device = await late.waitFor(
        (m) => m.topic === `${base}/devices/receipt-1/state`,
        'retained device',
      );
      expect(state.retain).toBe(true);
      expect(state.json).toMatchObject({ status: 'online' });
      expect(device.retain).toBe(true);
      expect(device.json).toEqual(printerState());
    });

    it.runIf(viaClient)(
      'starts while no broker answers, and comes online with its requests when the broker appears',
      async () => {
        // A desk that boots before its network or before the fleet broker must not stay off MQTT.
        const gone = await fixture.start();
        await gone.stop();
        const bus = new EventBus();
        const gateway = `desk-late-${process.pid}-${++gatewaySerial}`;
        const api = new MqttApi({
          site: 'main-library',
          gateway,
          url: `mqtt://127.0.0.1:${gone.port}`,
          protocolVersion: fixture.protocolVersion,
          bus,
          logger: silentLogger(),
          deviceStates: () => [printerState()],
          actions: { echo: async (data) => data },
          connectTimeoutMs: 5000,
          reconnectPeriodMs: 100,
        });
        await api.start();
        cleanups.push(() => api.stop());
        expect(api.connected).toBe(false);
        // What /readyz and carrel_feature_up say meanwhile: no link, where to, why (never credentials).
        expect(api.problem()).toMatch(
          new RegExp(
            `^no link to the MQTT broker mqtt://127\\.0\\.0\\.1:${gone.port}: .*ECONNREFUSED.*; retrying$`,
          ),
        );
        bus.emit('device.state', printerState({ status: 'degraded' })); // dropped while offline; nothing throws

        const late = await fixture.start(gone.port);
        cleanups.push(() => late.stop());
        const base = `carrel/main-library/${gateway}`;
        const observer = await observe(late.url);
        await observer.subscribe(`${base}/#`);
        const state = await observer.waitFor((m) => m.topic === `${base}/state`, 'gateway state online');
        expect(state.json).toMatchObject({ status: 'online' });
        await observer.waitFor((m) => m.topic === `${base}/devices/receipt-1/state`, 'device state');
        expect(api.connected).toBe(true);
        expect(api.problem()).toBeUndefined();

        // The request subscription was taken on that late connect: a request is answered.
        const area = areaOf(base, observer);
        await observer.publish(`${area}/request/echo`, JSON.stringify({ transaction: 'late-1', data: 7 }));
        const answer = await observer.waitFor((m) => m.topic === `${area}/response/echo`, 'echo answered');
        expect(answer.json).toEqual({ status: 'ok', data: 7, transaction: 'late-1' });
      },
    );

    it.runIf(!viaClient)(
      'start() rejects with a clear error when the embedded broker is closed',
      async () => {
        const gone = await fixture.start();
        await gone.stop();
        const bus = new EventBus();
        const api = new MqttApi({
          site: 'main-library',
          gateway: 'desk-closed',
          ...linkTo(gone),
          bus,
          logger: silentLogger(),
          deviceStates: () => [],
          actions: {},
        });
        const failure = await api.start().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(TransportError);
        expect((failure as TransportError).code).toBe('mqtt_connect_failed');
        expect(bus.listenerCount()).toBe(0);
        expect(api.connected).toBe(false);
      },
    );

    it.runIf(!viaClient)(
      'goes offline without throwing when the embedded broker closes under it',
      async () => {
        const own = await fixture.start();
        cleanups.push(() => own.stop());
        const listenerErrors: unknown[] = [];
        const bus = new EventBus((error) => listenerErrors.push(error));
        const api = new MqttApi({
          site: 'main-library',
          gateway: `desk-${process.pid}-${++gatewaySerial}`,
          ...linkTo(own),
          bus,
          logger: silentLogger(),
          deviceStates: () => [printerState()],
          actions: {},
        });
        await api.start();
        expect(api.connected).toBe(true);
        await own.stop();
        expect(api.connected).toBe(false);
        bus.emit('device.state', printerState({ status: 'degraded' }));
        bus.emit('device.event', { device: 'receipt-1', type: 'printer.paper_out', time: '', data: {} });
        await api.stop();
        expect(listenerErrors).toEqual([]);
        expect(bus.listenerCount()).toBe(0);
      },
    );
  });
}
