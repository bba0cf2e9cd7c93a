import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttApi } from '../../../src/api/mqtt/mqtt-api.js';
import { CarrelTopics, type MqttResponse } from '../../../src/api/mqtt/topics.js';
import { defaultDeskConfig } from '../../../src/app/default-desk.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { deskMqttActions } from '../../../src/app/mqtt-feature.js';
import { silentLogger } from '../../../src/core/logger.js';
import { json, send, startLoggedDesk } from '../../e2e/api-robustness-rig.js';
import { mosquittoSkipReason, startMosquitto } from '../../helpers/mosquitto.js';
import { Observer } from './observer.js';

/**
 * Bad requests against the MQTT API of the simulated desk (embedded broker):
 * every request with a usable response topic gets a JSON error envelope with a
 * stable code, no handler crashes (`internal`), the API keeps answering, and
 * nothing retained on the broker — nor the log — holds a patron id or PIN.
 */
const PATRON = '21000001';
const PIN = 'PN-88412';
const MAX_PAYLOAD = 64 * 1024;

type Desk = Awaited<ReturnType<typeof startLoggedDesk>>;

const deep = (depth: number) => `{"transaction":"odd","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** Payloads that are not a usable request, each with what the answer's transaction must be. */
/** …and, where the client made a fixable mistake, what the answer says of it. */
const BAD_PAYLOADS: Array<{
  name: string;
  payload: string | Buffer;
  transaction: string | null;
  says?: string;
}> = [
  { name: 'not JSON', payload: '{"transaction": "x", data', transaction: null },
  { name: 'empty', payload: '', transaction: null },
  { name: 'binary', payload: Buffer.from([0xff, 0x00, 0xfe, 0xc3, 0x28]), transaction: null },
  {
    name: 'a number',
    payload: '42',
    transaction: null,
    says: 'a request is a JSON object {"transaction": "…", "data": {…}}, not a number: nothing was done',
  },
  { name: 'a string', payload: '"request"', transaction: null },
  { name: 'null', payload: 'null', transaction: null },
  {
    name: 'an array',
    payload: '[{"transaction":"t"}]',
    transaction: null,
    says: ', not an array: nothing was done',
  },
  {
    name: 'no transaction',
    payload: `{"data":{"patron":"${PATRON}","pin":"${PIN}"}}`,
    transaction: null,
    says: 'the request has no "transaction" (a string of 1 to 256 characters, echoed in the answer): nothing was done',
  },
  {
    name: 'numeric transaction',
    payload: '{"transaction":5}',
    transaction: null,
    says: '"transaction" must be a string of 1 to 256 characters, not a number: nothing was done',
  },
  {
    name: 'empty transaction',
    payload: '{"transaction":""}',
    transaction: null,
    says: 'characters, not 0: nothing',
  },
  {
    name: 'long transaction',
    payload: JSON.stringify({ transaction: 't'.repeat(300) }),
    transaction: null,
    says: 'characters, not 300: nothing',
  },
  {
    name: 'just over the limit',
    payload: JSON.stringify({ transaction: 'big', data: 'x'.repeat(MAX_PAYLOAD) }),
    transaction: 'big',
  },
];

/** Well-formed envelopes with odd data: answered ok or with a stable error, never `internal`. */
const ODD_DATA: Array<{ name: string; payload: string }> = [
  { name: 'data a string', payload: '{"transaction":"odd","data":"x"}' },
  { name: 'data an array', payload: '{"transaction":"odd","data":[1,2,3]}' },
  { name: 'data null', payload: '{"transaction":"odd","data":null}' },
  {
    name: 'prototype keys',
    payload: '{"transaction":"odd","data":{"__proto__":{"admin":true},"constructor":1}}',
  },
  {
    name: 'wrong field types',
    payload: `{"transaction":"odd","data":{"patron":{"id":["${PATRON}"]},"pin":1234,"item":true,"printer":7,"reader":null,"device":{}}}`,
  },
  {
    name: 'secrets',
    payload: `{"transaction":"odd","data":{"patron":"${PATRON}","pin":"${PIN}","item":"x"}}`,
  },
  { name: 'deeply nested', payload: deep(20_000) },
  {
    name: 'just under the limit',
    payload: JSON.stringify({ transaction: 'odd', data: { note: 'x'.repeat(MAX_PAYLOAD - 100) } }),
  },
];

function expectEnvelope(json: unknown, transaction: string | null | undefined): MqttResponse {
  const envelope = json as MqttResponse;
  expect(envelope, 'a JSON envelope').toBeTypeOf('object');
  if (transaction !== undefined) expect(envelope.transaction).toBe(transaction);
  if (envelope.status === 'ok') return envelope;
  expect(envelope.status).toBe('error');
  expect(envelope.data).toBeNull();
  expect(envelope.error?.code).toMatch(/^[a-z][a-z0-9_]*$/);
  expect(envelope.error?.code, 'a handler crashed').not.toBe('internal');
  return envelope;
}

describe('MQTT API robustness (embedded broker)', () => {
  let desk: Desk;
  let topics: CarrelTopics;
  let actions: string[];
  let url: string;
  const observers: Observer[] = [];

  let serial = 0;

  /** A client with a client id of its own (its requests and answers live under it). */
  async function observer(): Promise<Observer> {
    const o = await Observer.connect(url, { protocolVersion: 4, clientId: `robust-${++serial}` });
    observers.push(o);
    return o;
  }

  /** The client id of an observer: its requests and answers live under it. */
  const idOf = (o: Observer) => o.client.options.clientId as string;

  /** Publishes on the observer's `request/<action>` and awaits the next answer on its `response/<action>`. */
  async function ask(o: Observer, action: string, payload: string | Buffer): Promise<MqttResponse> {
    const response = topics.response(idOf(o), action).name;
    o.clear();
    await o.publish(topics.request(idOf(o), action).name, payload);
    return (await o.waitFor((m) => m.topic === response, `an answer to ${action}`)).json as MqttResponse;
  }

  beforeAll(async () => {
    desk = await startLoggedDesk();
    const config = defaultDeskConfig();
    topics = new CarrelTopics(config.site, config.gateway);
    actions = Object.keys(deskMqttActions(desk.desk.services, FAMILY_API_MODULES));
    url = desk.desk.urls().mqtt!;
  });
  afterAll(async () => {
    for (const o of observers) await o.close().catch(() => {});
    await desk?.stop();
  });

  it('answers every bad payload on every request topic with a stable error', {
    timeout: 40_000,
  }, async () => {
    expect(actions.length).toBeGreaterThan(5);
    // One client per action, all at once: each awaits its answers in turn.
    await Promise.all(
      actions.map(async (action) => {
        const o = await observer();
        await o.subscribe(topics.response(idOf(o), action).name);
        for (const bad of BAD_PAYLOADS) {
          const envelope = expectEnvelope(await ask(o, action, bad.payload), bad.transaction);
          expect(envelope.status, `${action}: ${bad.name}`).toBe('error');
          expect(envelope.error?.code, `${action}: ${bad.name}`).toBe('bad_request');
          if (bad.says) expect(envelope.error?.message, `${action}: ${bad.name}`).toContain(bad.says);
        }
        for (const odd of ODD_DATA) expectEnvelope(await ask(o, action, odd.payload), 'odd');
      }),
    );
    const o = await observer();
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    const unknown = await ask(o, 'no.such.action', '{"transaction":"u"}');
    expect(unknown.error?.code).toBe('unknown_action');
    expect((await ask(o, 'devices.list', '{"transaction":"after"}')).status).toBe('ok');
  });

  it('reads a request written with a UTF-8 byte order mark, as RFC 8259 lets a parser', async () => {
    // .NET's StreamWriter and Windows' Notepad put one before the JSON: it is no mistake in the request.
    const o = await observer();
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"transaction":"bom"}')]);
    const answer = expectEnvelope(await ask(o, 'auth.caller', marked), 'bom');
    expect(answer.status, JSON.stringify(answer)).toBe('ok');
  });

  it('says which field a renewal lacks or has wrong, over MQTT and over HTTP', async () => {
    const o = await observer();
    await o.subscribe(topics.response(idOf(o), 'circulation.renew').name);
    const renew = async (data: unknown) =>
      expectEnvelope(
        await ask(o, 'circulation.renew', JSON.stringify({ transaction: 'renew', data })),
        'renew',
      ).error?.message;
    const http = async (body: unknown) => {
      const answer = await send(desk.api, {
        method: 'POST',
        path: '/api/v1/renewals',
        ...json(body),
      });
      expect(answer.status).toBe(400);
      return JSON.stringify(answer.json);
    };
    // No item: the item is said missing.
    const none = await renew({ patron: PATRON, pin: PIN });
    expect(none).toMatch(/^data\.item: .*received undefined$/);
    expect(await http({ patron: PATRON, pin: PIN })).toMatch(
      /"path":"body\.item","message":"[^"]*undefined"/,
    );
    // An item of the wrong type: the item is what is said wrong, not a missing "all".
    const wrong = await renew({ patron: PATRON, pin: PIN, item: 5 });
    expect(wrong).toMatch(/^data\.item: .*string/);
    expect(wrong).not.toContain('data.all');
    // Both at once: said as such.
    expect(await renew({ patron: PATRON, pin: PIN, item: 'x', all: true })).toContain('"all"');
    for (const said of [none, wrong]) {
      expect(said).not.toContain(PATRON);
      expect(said).not.toContain(PIN);
    }
  });

  it('answers a mistyped request topic in its own area, drops publishers elsewhere, and keeps serving', async () => {
    // Under its own request/ but no action: let through by the broker and answered, with how it should read.
    const o = await observer();
    const area = `${topics.base}/clients/${idOf(o)}`;
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    const mistakes = [
      { topic: `${area}/request/`, answer: `${area}/response`, hint: 'request/<action>' },
      { topic: `${area}/request`, answer: `${area}/response`, hint: 'request/<action>' },
      {
        topic: `${area}/request/circulation/checkout`,
        answer: `${area}/response/circulation/checkout`,
        hint: 'request/circulation.checkout',
      },
      { topic: `${area}/request/a/b`, answer: `${area}/response/a/b`, hint: 'devices.list' },
    ];
    for (const [i, mistake] of mistakes.entries()) {
      await o.publish(mistake.topic, JSON.stringify({ transaction: `stray-${i}`, data: { pin: PIN } }));
      const answer = await o.waitFor(
        (m) => (m.json as MqttResponse).transaction === `stray-${i}`,
        `the answer on ${mistake.topic}`,
      );
      expect(answer.topic).toBe(mistake.answer);
      const envelope = expectEnvelope(answer.json, `stray-${i}`);
      expect(envelope.error?.code).toBe('unknown_action');
      expect(envelope.error?.message).toContain(mistake.hint);
    }
    expect((await ask(o, 'devices.list', '{"transaction":"still"}')).status).toBe('ok');
    // Anywhere else in the tree publishing is not allowed: the broker drops the client (3.1.1 has no refusal).
    for (const topic of [
      `${topics.base}/request/devices.list`,
      `${area}/requests/devices.list`,
      `${area}/response/devices.list`,
      `${topics.base}/clients/someone-else/request/devices.list`,
    ]) {
      const stray = await observer();
      const gone = new Promise<void>((resolve) => stray.client.once('close', () => resolve()));
      await stray.publish(topic, '{"transaction":"stray"}', { qos: 0 }).catch(() => {});
      await gone;
    }
    expect((await ask(o, 'devices.list', '{"transaction":"still here"}')).transaction).toBe('still here');
  });

  it('answers a flood of requests, each ok or busy', { timeout: 20_000 }, async () => {
    const o = await observer();
    await o.subscribe(topics.response(idOf(o), 'devices.list').name);
    const count = 400;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        o.publish(topics.request(idOf(o), 'devices.list').name, JSON.stringify({ transaction: `f-${i}` }), {
          qos: 0,
        }),
      ),
    );
    const answered = new Set<string>();
    await o.waitFor(
      (m) => {
        const envelope = m.json as MqttResponse;
        if (typeof envelope?.transaction === 'string' && envelope.transaction.startsWith('f-')) {
          expect(envelope.status === 'ok' || envelope.error?.code === 'busy').toBe(true);
          answered.add(envelope.transaction);
        }
        return answered.size === count;
      },
      'every flood answer',
      15_000,
    );
  });

  it('answers a request over the size limit with its transaction, the limit, and that nothing was done', async () => {
    // A kiosk matching answers to its requests by transaction must learn which request was too big.
    const o = await observer();
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    for (const [transaction, size] of [
      ['big-100k', 100 * 1024],
      ['big-250k', 250 * 1024],
    ] as const) {
      const payload = JSON.stringify({
        transaction,
        data: { patron: PATRON, pin: PIN, item: '31000004', note: 'x'.repeat(size) },
      });
      const envelope = expectEnvelope(await ask(o, 'circulation.checkout', payload), transaction);
      expect(envelope.error?.code).toBe('bad_request');
      expect(envelope.error?.message).toBe(
        `a request is at most ${MAX_PAYLOAD} bytes of JSON; this one is ${payload.length} bytes: nothing was done`,
      );
    }
    const patron = await ask(
      o,
      'circulation.patron',
      JSON.stringify({ transaction: 'p', data: { patron: PATRON, pin: '1234' } }),
    );
    expect(JSON.stringify(patron.data)).not.toContain('31000004');
  });

  it('disconnects a client sending a packet over the broker limit, and keeps serving', async () => {
    const big = await connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, clientId: 'big' });
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    big.publish(topics.request('big', 'devices.list').name, Buffer.alloc(300 * 1024, 0x20), { qos: 0 });
    await closed;
    await big.endAsync(true);
    const o = await observer();
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    expect((await ask(o, 'devices.list', '{"transaction":"after-big"}')).status).toBe('ok');
  });

  it('refuses or serves an MQTT 5 client without harm: the embedded broker speaks 3.1.1', async () => {
    const v5 = await connectAsync(url, {
      reconnectPeriod: 0,
      protocolVersion: 5,
      connectTimeout: 3000,
      clientId: 'v5',
    }).then(
      (client) => client,
      () => undefined,
    );
    if (v5) {
      await v5
        .publishAsync(topics.request('v5', 'devices.list').name, '{"transaction":"v5"}', {
          qos: 1,
          properties: { responseTopic: '#', correlationData: Buffer.from([0xff]) },
        })
        .catch(() => {});
      await v5.endAsync(true);
    }
    const o = await observer();
    await o.subscribe(topics.clientResponseFilter(idOf(o)));
    expect((await ask(o, 'devices.list', '{"transaction":"after-v5"}')).status).toBe('ok');
  });

  it('never keeps a retained request, and never logs its patron id or PIN', async () => {
    const sender = await observer();
    const request = JSON.stringify({ transaction: 'r', data: { patron: PATRON, pin: PIN } });
    await sender.publish(topics.request(idOf(sender), 'circulation.patron').name, request, { retain: true });
    await sender.publish(topics.request(idOf(sender), 'circulation.checkout').name, request, {
      retain: true,
    });
    const reader = await observer();
    await reader.subscribe('#');
    await reader.waitFor((m) => m.topic === topics.state().name && m.retain, 'the retained gateway state');
    // A round trip after the retained replay: everything retained has arrived.
    await reader.publish('probe/end', 'x');
    await reader.waitFor((m) => m.topic === 'probe/end', 'the probe');
    const retained = reader.messages.filter((m) => m.retain);
    expect(retained.length).toBeGreaterThan(0);
    for (const m of retained) {
      expect(m.topic).not.toContain('/request/');
      expect(m.payload.toString('utf8')).not.toContain(PATRON);
      expect(m.payload.toString('utf8')).not.toContain(PIN);
    }
    expect(desk.logText()).not.toContain(PATRON);
    expect(desk.logText()).not.toContain(PIN);
  });
});

const skipReason = mosquittoSkipReason();

describe.skipIf(skipReason !== undefined)('MQTT API robustness (MQTT 5 properties, Mosquitto)', () => {
  it('answers odd response topics on the default topic and echoes any correlation data', {
    timeout: 30_000,
  }, async () => {
    const desk = await startLoggedDesk((c) => ({ ...c, mqtt: { mode: 'off' } }) as typeof c);
    const mosquitto = await startMosquitto();
    const topics = new CarrelTopics('library', 'desk-v5');
    const api = new MqttApi({
      site: 'library',
      gateway: 'desk-v5',
      url: mosquitto.url,
      protocolVersion: 5,
      bus: desk.desk.services.bus,
      logger: silentLogger(),
      deviceStates: () => desk.desk.services.devices(),
      actions: deskMqttActions(desk.desk.services, FAMILY_API_MODULES),
    });
    const o = await Observer.connect(mosquitto.url, { protocolVersion: 5, clientId: 'kiosk-v5' });
    try {
      await api.start();
      await o.subscribe('#');
      await o.waitFor((m) => m.topic === topics.state().name, 'gateway state');
      const fallback = topics.response('kiosk-v5', 'devices.list').name;
      const odd = [
        '',
        '#',
        'replies/+',
        '$SYS/x',
        'kiosk/7/replies',
        topics.state().name,
        `${topics.base}/devices/x/state`,
        topics.request('kiosk-v5', 'devices.list').name,
        topics.response('kiosk-other', 'devices.list').name,
        `${topics.clientResponseFilter('kiosk-v5').slice(0, -1)}+`,
        `${topics.clientResponseFilter('kiosk-v5').slice(0, -1)}${'r'.repeat(600)}`,
      ];
      for (const [i, responseTopic] of odd.entries()) {
        const correlationData = Buffer.from([0xff, 0x00, i]);
        await o
          .publish(topics.request('kiosk-v5', 'devices.list').name, '{"data":1}', {
            properties: { responseTopic, correlationData },
          })
          .catch(() => {});
        const answer = await o.waitFor(
          (m) => m.topic === fallback && m.correlationData?.equals(correlationData) === true,
          `the answer for responseTopic ${JSON.stringify(responseTopic).slice(0, 40)}`,
        );
        expect(answer.correlationData).toEqual(correlationData);
        expectEnvelope(answer.json, correlationData.toString('utf8'));
      }
      // One in the client's own answers area is honoured; a huge correlation datum comes back whole.
      const replies = `${topics.base}/clients/kiosk-v5/response/screen/7`;
      const correlationData = Buffer.alloc(8 * 1024, 0xaa);
      await o.publish(topics.request('kiosk-v5', 'no.such').name, 'not json', {
        properties: { responseTopic: replies, correlationData },
      });
      const answer = await o.waitFor((m) => m.topic === replies, 'the answer on its own replies topic');
      expect(answer.correlationData).toEqual(correlationData);
      expect((answer.json as MqttResponse).error?.code).toBe('bad_request');
      // Only the gateway's own states ever landed on its state and device topics.
      const own = o.messages.filter(
        (m) => m.topic.startsWith(topics.base) && !m.topic.startsWith(`${topics.base}/clients/`),
      );
      expect(own.length).toBeGreaterThan(0);
      for (const m of own) {
        expect(m.json, m.topic).toMatchObject({ status: expect.any(String) });
        expect(m.payload.toString()).not.toContain('transaction');
      }
    } finally {
      await o.close();
      await api.stop();
      await mosquitto.stop();
      await desk.stop();
    }
  });
});
