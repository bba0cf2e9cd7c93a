import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ilsSimulators } from '../../../simulators/ils/family.js';
import { deskApiModules, problemsOf } from '../../../src/api/desk-api.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { type ApiModule, operation } from '../../../src/api/operations.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { CarrelError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../../helpers/desk.js';
import { until } from '../../helpers/until.js';
import { fakeServices } from './fake-services.js';

interface Problem {
  type: string;
  code: string;
  title: string;
  status: number;
  detail?: string;
  [field: string]: unknown;
}

/**
 * What a kiosk or a desk page gets when the desk cannot do what it asked: the problem's status
 * and title say what kind of failure it is, its fields what to branch on — for every error code
 * the desk may answer with, not only those someone remembered to list.
 */
describe('the HTTP problem of an error the desk answers with, on the simulated desk', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startTestDesk();
  }, 30_000);

  afterAll(async () => {
    await desk?.stop();
  });

  it('a receipt printed already, asked to print again, is refused as a conflict, not a gateway error', async () => {
    const post = await fetch(`${desk.api}/api/v1/printers/receipt-1/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'checkout', data: { loans: [] } }),
    });
    expect(post.status).toBe(202);
    const job = (await post.json()) as { id: string };
    await until(async () => {
      const state = (await (await fetch(`${desk.api}/api/v1/printers/receipt-1/jobs/${job.id}`)).json()) as {
        state: string;
      };
      return state.state === 'printed' ? true : undefined;
    });
    const retry = await fetch(`${desk.api}/api/v1/printers/receipt-1/jobs/${job.id}/retry`, {
      method: 'POST',
    });
    const problem = (await retry.json()) as Problem;
    expect({ status: retry.status, code: problem.code }).toEqual({ status: 409, code: 'job_not_retryable' });
    expect(problem.title).not.toBe('Gateway error');
    expect(problem.detail).toContain('printed');
  });

  /**
   * A lookup whose answer came from the ILS but stayed unreadable however often it was asked for
   * again (97, the simulator garbling its checksum): the kiosk and IT read what happened — an
   * answer came and could not be read — and what to check, not a bare "answered unreadably".
   */
  it('says an ILS answer that could not be read came but could not be read, and what IT checks', async () => {
    const ils = desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    await waitForDevice(desk.api, 'ils', 'online');
    // Twice: a lookup whose answer was lost is asked once more (repeatable), its answer garbled too.
    ils.setFaults({ garbleAnswers: { type: 'itemInformation', times: 2 } });
    try {
      const response = await fetch(`${desk.api}/api/v1/items/31000001`);
      const problem = (await response.json()) as Problem;
      expect({ status: response.status, code: problem.code }).toEqual({
        status: 502,
        code: 'ils_bad_response',
      });
      expect(problem.title).toMatch(/ILS answered, but its answer could not be read/);
      expect(problem.title).toMatch(/errorDetection/);
      expect(problem.title).toMatch(/charset/);
    } finally {
      ils.setFaults({});
    }
  });

  /**
   * A URL no route answers — a typo, an old client's path — is answered 404 not_found, without the
   * path: a path may carry a patron's barcode or a token, and a problem detail ends up in kiosks'
   * logs, browser consoles and support tickets.
   */
  it('is a not_found problem that does not repeat the path, its patron barcode or its token', async () => {
    for (const path of ['/api/v1/patron/21000001/loans', '/api/v1/kiosk-login/tok-9f8e7d6c5b4a?pin=1234']) {
      const missing = await fetch(`${desk.api}${path}`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await missing.text();
      const problem = JSON.parse(text) as Problem;
      expect(problem).toMatchObject({ code: 'not_found', status: 404, title: 'Not found' });
      // Says what was not found in words: the method, no route.
      expect(problem.detail).toMatch(/no route/);
      expect(problem.detail).toContain('GET');
      for (const secret of ['21000001', 'tok-9f8e7d6c5b4a', '1234', '/api/v1/patron', 'kiosk-login'])
        expect(text).not.toContain(secret);
    }
  });
  /**
   * A path naming a receipt job or a gate alarm that is not there — a client's stale link, a patron's
   * barcode pasted into the wrong field of a desk tool — is answered 404 in words, without repeating
   * the id: what was pasted there may be a patron barcode or a token.
   */
  it('says a job or gate alarm is not there without repeating the id asked for', async () => {
    const asked = [
      {
        method: 'GET',
        path: '/api/v1/printers/receipt-1/jobs/21000001',
        code: 'job_not_found',
        words: /job/,
      },
      {
        method: 'POST',
        path: '/api/v1/gates/alarms/tok-9f8e7d6c5b4a/ack',
        code: 'alarm_not_found',
        words: /alarm/,
      },
    ];
    for (const { method, path, code, words } of asked) {
      const missing = await fetch(`${desk.api}${path}`, {
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      expect(missing.status, path).toBe(404);
      const text = await missing.text();
      const problem = JSON.parse(text) as Problem;
      expect(problem).toMatchObject({ code, status: 404 });
      expect(problem.detail).toMatch(words);
      for (const secret of ['21000001', 'tok-9f8e7d6c5b4a']) expect(text, path).not.toContain(secret);
    }
  });
});

/** A family the desk does not know yet, whose operation fails with a code no table lists. */
const newFamily = (error: CarrelError): ApiModule => ({
  name: 'new-family',
  operations: () => [
    operation({
      method: 'POST',
      url: '/api/v1/new-family/try',
      operationId: 'tryNewFamily',
      summary: 'fails',
      tag: 'test',
      access: ['staff'],
      response: z.object({}),
      handler: () => {
        throw error;
      },
    }),
  ],
});

describe('the HTTP problem of an error code no table maps', () => {
  let api: HttpApi | undefined;

  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });

  async function answerTo(error: CarrelError): Promise<{ status: number; problem: Problem }> {
    api = await buildHttpApi({
      modules: [...FAMILY_API_MODULES, newFamily(error)],
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: [],
      version: 'test',
    });
    const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${base}/api/v1/new-family/try`, { method: 'POST' });
    return { status: response.status, problem: (await response.json()) as Problem };
  }

  it('still carries what the error says to branch on, beside its code and words', async () => {
    const { status, problem } = await answerTo(
      new CarrelError('drawer_jammed', 'the cash drawer is jammed: 4.50 was taken, 0.50 not given back', {
        details: { takenMinor: 450, owedMinor: 50, jobStillWaiting: false },
      }),
    );
    expect(status).toBe(500);
    expect(problem).toMatchObject({
      code: 'drawer_jammed',
      status: 500,
      detail: 'the cash drawer is jammed: 4.50 was taken, 0.50 not given back',
      takenMinor: 450,
      owedMinor: 50,
      jobStillWaiting: false,
    });
  });

  it('never carries a stack, and no detail takes the place of the status, code or type', async () => {
    const { status, problem } = await answerTo(
      new CarrelError('drawer_jammed', 'jammed', {
        details: { status: 200, code: 'ok', type: 'about:blank' },
      }),
    );
    expect(status).toBe(500);
    expect(problem).toMatchObject({
      status: 500,
      code: 'drawer_jammed',
      type: 'urn:carrel:problem:drawer_jammed',
    });
    expect(JSON.stringify(problem)).not.toMatch(/\s+at |problem\.test|stack/);
  });
});

/**
 * An error code two families' API modules both list (`patron_not_found`: a card printed for a
 * patron, a print account topped up) reaches a client as one status and one title, whichever
 * route answered: the desk's table holds each code once, and two modules that word it apart do
 * not make a desk at all.
 */
describe('an error code two API modules both list', () => {
  it('reads the same in every module of the desk', () => {
    const modules = deskApiModules(FAMILY_API_MODULES);
    const seen = new Map<string, { status: number; title: string }>();
    for (const module of modules)
      for (const [code, problem] of Object.entries(module.problems ?? {})) {
        const before = seen.get(code);
        if (before) expect(problem, code).toEqual(before);
        seen.set(code, problem);
      }
    expect(Object.keys(problemsOf(modules)).sort()).toEqual([...seen.keys()].sort());
  });

  it('worded apart, is refused as the API is built, naming the code and both wordings', () => {
    const card: ApiModule = {
      name: 'cards',
      problems: { patron_not_found: { status: 404, title: 'Unknown patron' } },
    };
    const print: ApiModule = {
      name: 'print',
      problems: { patron_not_found: { status: 404, title: 'Unknown card' } },
    };
    expect(() => problemsOf([card, print])).toThrow(
      'the API modules list patron_not_found twice, as 404 "Unknown patron" and as 404 "Unknown card"',
    );
    expect(problemsOf([card, card])).toEqual({ patron_not_found: { status: 404, title: 'Unknown patron' } });
  });
});

/**
 * A POST whose body is not JSON (a form post from `curl -d`, XML) is refused
 * 415 as every other error is: a problem saying in words what the desk takes, never repeating the
 * Content-Type the client sent (a header a script may have filled with anything).
 */
describe('a request body of a type the desk does not take', () => {
  let api: HttpApi | undefined;

  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });

  it('is a 415 problem naming application/json, without the Content-Type sent', async () => {
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: fakeServices().services,
      logger: silentLogger(),
      tokens: [],
      version: 'test',
    });
    const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'text/x-patron-21000001; charset=utf-8',
      'application/xml; pin=1234',
    ]) {
      const response = await fetch(`${base}/api/v1/checkouts`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: 'patron=21000001&pin=1234&item=31000005',
      });
      expect(response.status, contentType).toBe(415);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await response.text();
      const problem = JSON.parse(text) as Problem;
      expect(problem).toMatchObject({
        type: 'urn:carrel:problem:unsupported_media_type',
        code: 'unsupported_media_type',
        status: 415,
      });
      expect(problem.title).toMatch(/media type/i);
      expect(problem.detail).toContain('application/json');
      for (const sent of ['x-www-form', 'x-patron', '21000001', 'xml', '1234'])
        expect(text, contentType).not.toContain(sent);
    }
  });
});

/**
 * `fetch(url, {method: 'POST', body: JSON.stringify(request)})` without a Content-Type header sends
 * the JSON as `text/plain;charset=UTF-8`. The desk takes JSON only: it says so (415, send
 * Content-Type: application/json) instead of a 400 about the body's fields, which sent a kiosk
 * developer looking at fields that were right. A route that takes no body still answers an
 * empty (or any) text/plain POST, as fetch sends one with `body: ''`.
 */
describe('a JSON body sent as text/plain (fetch without a Content-Type)', () => {
  let api: HttpApi | undefined;

  afterEach(async () => {
    await api?.app.close();
    api = undefined;
  });

  async function start(): Promise<{ base: string; services: ReturnType<typeof fakeServices> }> {
    const services = fakeServices();
    api = await buildHttpApi({
      modules: FAMILY_API_MODULES,
      services: services.services,
      logger: silentLogger(),
      tokens: [],
      version: 'test',
    });
    return { base: await api.app.listen({ host: '127.0.0.1', port: 0 }), services };
  }

  it('is the 415 saying to send Content-Type: application/json, nothing done', async () => {
    const { base, services } = await start();
    const checkout = { patron: '21000001', pin: '1234', item: '31000005' };
    for (const request of [
      // What fetch sends for a string body with no header of its own.
      { body: JSON.stringify(checkout) },
      { body: JSON.stringify(checkout), headers: { 'content-type': 'text/plain' } },
      { body: JSON.stringify(checkout), headers: { 'content-type': 'Text/Plain; charset=utf-8' } },
    ]) {
      const response = await fetch(`${base}/api/v1/checkouts`, { method: 'POST', ...request });
      const text = await response.text();
      expect(response.status, text).toBe(415);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(text) as Problem;
      expect(problem.code).toBe('unsupported_media_type');
      expect(problem.detail).toContain('Content-Type: application/json');
      for (const sent of ['21000001', '1234', 'string']) expect(text).not.toContain(sent);
    }
    const receipt = await fetch(`${base}/api/v1/printers/receipt-1/receipts`, {
      method: 'POST',
      body: JSON.stringify({ template: 'checkout', data: {} }),
    });
    expect(receipt.status).toBe(415);
    expect(services.submitted).toEqual([]);
    // The card preview, a route of its own beside the card photos (which take any type).
    const preview = await fetch(`${base}/api/v1/cards/preview`, {
      method: 'POST',
      body: JSON.stringify({ patron: '21000001' }),
    });
    expect(preview.status).toBe(415);
    expect(((await preview.json()) as Problem).code).toBe('unsupported_media_type');
  });

  it('leaves a route that takes no body answering a text/plain POST, empty or not', async () => {
    const { base } = await start();
    const job = (await (
      await fetch(`${base}/api/v1/printers/receipt-1/receipts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template: 'checkout', data: {} }),
      })
    ).json()) as { id: string };
    for (const body of ['', '{}']) {
      const retry = await fetch(`${base}/api/v1/printers/receipt-1/jobs/${job.id}/retry`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body,
      });
      expect(retry.status, JSON.stringify(body)).toBe(202);
      expect(((await retry.json()) as { id: string }).id).toBe(job.id);
    }
  });
});
