import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type IncomingRequest,
  isAcceptableResponseTopic,
  type MqttAction,
  type OutgoingResponse,
  RequestDispatcher,
} from '../../../src/api/mqtt/requests.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { createLogger, type Logger, silentLogger } from '../../../src/core/logger.js';

const topics = new CarrelTopics('main-library', 'desk-1');

function setup(
  actions: Record<string, MqttAction>,
  limits: { maxConcurrent?: number; maxQueued?: number } = {},
  logger: Logger = silentLogger(),
) {
  const clock = new ManualClock();
  const responses: OutgoingResponse[] = [];
  const dispatcher = new RequestDispatcher({
    topics,
    actions,
    logger,
    clock,
    respond: (response) => responses.push(response),
    timeoutMs: 1000,
    maxPayloadBytes: 1024,
    ...limits,
  });
  return { clock, responses, dispatcher };
}

function request(action: string, body: unknown, extra: Partial<IncomingRequest> = {}): IncomingRequest {
  return { clientId: 'kiosk-1', action, payload: Buffer.from(JSON.stringify(body)), ...extra };
}

function deferred() {
  let resolve!: (value: unknown) => void;
  const promise = new Promise<unknown>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('RequestDispatcher', () => {
  it('answers a topic that names no action on its mirror, with a hint, and never logs that topic', () => {
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const logger = createLogger({ level: 'debug', format: 'json', destination: lines });
    const { responses, dispatcher } = setup({ 'circulation.patron': async () => 'ok' }, {}, logger);
    // An MQTT 5 response topic outside the client's area is logged (at debug), its made-up action not.
    dispatcher.accept(request('patrons/21000777', { transaction: 't' }, { responseTopic: 'kiosk/replies' }));
    dispatcher.accept(request('circulation/patron', { transaction: 'u' }));
    expect(responses.map((r) => [r.topic, r.envelope.error?.code])).toEqual([
      [`${topics.base}/clients/kiosk-1/response/patrons/21000777`, 'unknown_action'],
      [`${topics.base}/clients/kiosk-1/response/circulation/patron`, 'unknown_action'],
    ]);
    expect(responses[1]!.envelope.error?.message).toContain('here request/circulation.patron');
    logger.flush();
    expect(log).toContain('responseTopic');
    expect(log).not.toContain('21000777');
  });

  it('runs at most maxConcurrent handlers, queues maxQueued, answers the rest busy', async () => {
    const gates = [deferred(), deferred(), deferred()];
    let started = 0;
    const { responses, dispatcher, clock } = setup(
      { hold: async () => gates[started++]?.promise },
      { maxConcurrent: 2, maxQueued: 1 },
    );
    for (const t of ['a', 'b', 'c', 'd']) dispatcher.accept(request('hold', { transaction: t }));
    expect(started).toBe(2);
    expect(dispatcher.pending).toBe(3);
    expect(responses.map((r) => r.envelope)).toEqual([
      expect.objectContaining({
        status: 'error',
        error: expect.objectContaining({ code: 'busy' }),
        transaction: 'd',
      }),
    ]);
    gates[0]?.resolve('done-a');
    await clock.advance(0);
    expect(started).toBe(3);
    gates[1]?.resolve('done-b');
    gates[2]?.resolve('done-c');
    await clock.advance(0);
    expect(responses.slice(1).map((r) => [r.envelope.transaction, r.envelope.data])).toEqual([
      ['a', 'done-a'],
      ['b', 'done-b'],
      ['c', 'done-c'],
    ]);
    expect(dispatcher.pending).toBe(0);
  });

  it('answers timeout when a handler hangs, and frees its slot', async () => {
    const { responses, dispatcher, clock } = setup(
      { hang: () => new Promise(() => {}) },
      { maxConcurrent: 1 },
    );
    dispatcher.accept(request('hang', { transaction: 'h-1' }));
    await clock.advance(999);
    expect(responses).toEqual([]);
    await clock.advance(1);
    expect(responses[0]?.envelope).toMatchObject({
      status: 'error',
      error: { code: 'timeout' },
      transaction: 'h-1',
    });
    expect(dispatcher.pending).toBe(0);
    expect(clock.pending()).toEqual([]);
  });

  it('refuses oversized, non-object and transaction-less payloads as bad_request', async () => {
    const { responses, dispatcher } = setup({ echo: async (data) => data });
    dispatcher.accept({ clientId: 'kiosk-1', action: 'echo', payload: Buffer.alloc(2000, 0x20) });
    dispatcher.accept(request('echo', [1, 2]));
    dispatcher.accept(request('echo', { data: 1 }));
    dispatcher.accept(request('echo', { transaction: 42 }));
    expect(responses.map((r) => r.envelope.error?.code)).toEqual([
      'bad_request',
      'bad_request',
      'bad_request',
      'bad_request',
    ]);
    expect(responses.every((r) => r.topic === topics.response('kiosk-1', 'echo').name)).toBe(true);
  });

  it('uses MQTT 5 correlation data as the transaction when the payload has none', async () => {
    const { responses, dispatcher, clock } = setup({ echo: async (data) => data });
    const own = `${topics.base}/clients/kiosk-1/response/screen-2`;
    dispatcher.accept(
      request('echo', { data: 'x' }, { correlationData: Buffer.from('c-9'), responseTopic: own }),
    );
    await clock.advance(0);
    expect(responses[0]).toEqual({
      topic: own,
      envelope: { status: 'ok', data: 'x', transaction: 'c-9' },
      correlationData: Buffer.from('c-9'),
      clientId: 'kiosk-1',
      action: 'echo',
    });
  });

  it('answers on the asker’s own topic when its MQTT 5 response topic points anywhere else', async () => {
    const { responses, dispatcher, clock } = setup({ echo: async (data) => data });
    const elsewhere = [
      `${topics.base}/clients/kiosk-2/response/echo`,
      `${topics.base}/clients/kiosk-1/request/echo`,
      topics.state().name,
      'kiosk-1/replies',
    ];
    for (const [i, responseTopic] of elsewhere.entries()) {
      dispatcher.accept(request('echo', { transaction: `t-${i}` }, { responseTopic }));
    }
    await clock.advance(0);
    expect(responses.map((r) => r.topic)).toEqual(
      elsewhere.map(() => topics.response('kiosk-1', 'echo').name),
    );
  });

  it("carries a CarrelError's details beside its code and words, as HTTP's problem does, never over them", async () => {
    const { responses, dispatcher } = setup({
      refused: async () => {
        throw new CarrelError('print_release_refused', 'the print server lost the job', {
          details: { jobStillWaiting: false, code: 'not-this', message: 'nor this' },
        });
      },
    });
    dispatcher.accept(request('refused', { transaction: 'r-1' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(responses[0]?.envelope.error).toEqual({
      code: 'print_release_refused',
      message: 'the print server lost the job',
      jobStillWaiting: false,
    });
  });

  it('drops what waits once closed', async () => {
    const gate = deferred();
    const { responses, dispatcher, clock } = setup({ hold: async () => gate.promise }, { maxConcurrent: 1 });
    dispatcher.accept(request('hold', { transaction: '1' }));
    dispatcher.accept(request('hold', { transaction: '2' }));
    dispatcher.close();
    gate.resolve('late');
    await clock.advance(0);
    expect(responses).toEqual([]);
  });
});

describe('isAcceptableResponseTopic', () => {
  it('honours plain topics in the asking client’s answers area only', () => {
    const own = `${topics.base}/clients/kiosk-1/response`;
    expect(isAcceptableResponseTopic(`${own}/x`, 'kiosk-1', topics)).toBe(true);
    expect(isAcceptableResponseTopic(`${own}/screen/2`, 'kiosk-1', topics)).toBe(true);
    expect(isAcceptableResponseTopic(`${own}/${'r'.repeat(600)}`, 'kiosk-1', topics)).toBe(false);
    expect(isAcceptableResponseTopic(`${own}/x`, 'kiosk-2', topics)).toBe(false);
    expect(isAcceptableResponseTopic(`${own}/+`, 'kiosk-1', topics)).toBe(false);
    expect(isAcceptableResponseTopic(`${topics.base}/clients/kiosk-1/request/x`, 'kiosk-1', topics)).toBe(
      false,
    );
    expect(isAcceptableResponseTopic('kiosk-1/replies', 'kiosk-1', topics)).toBe(false);
    expect(isAcceptableResponseTopic(topics.state().name, 'kiosk-1', topics)).toBe(false);
    expect(isAcceptableResponseTopic('$SYS/x', 'kiosk-1', topics)).toBe(false);
    expect(isAcceptableResponseTopic('', 'kiosk-1', topics)).toBe(false);
  });
});
