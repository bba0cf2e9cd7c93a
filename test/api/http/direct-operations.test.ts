import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenConfig } from '../../../src/api/http/auth.js';
import { buildHttpApi, type HttpApi } from '../../../src/api/http/server.js';
import { FAMILY_API_MODULES } from '../../../src/app/families.js';
import { silentLogger } from '../../../src/core/logger.js';
import { AUTH, bearer, TEST_TOKENS } from './api-rig.js';
import { fakeServices } from './fake-services.js';

/**
 * The operations answered on node:http without fastify (direct-operations.ts) answer every request
 * exactly as fastify answers it: the same sequence of requests, over real TCP, to a desk with the
 * direct path and to one without, gets the same statuses, bodies and headers — the caller check,
 * validation, idempotency, refusals, malformed and oversized bodies, CORS, routing's corner cases
 * (a trailing slash, percent-encoding, a parameter too long) — and the requests the direct path
 * must leave to fastify are left to it.
 */
const SELFCHECK = 'https://selfcheck.library.example';
const JSON_TYPE = { 'content-type': 'application/json' };

interface Sent {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Sent in pieces with no content-length (chunked). */
  chunked?: boolean;
  /** Taken by the direct path (the others are fastify's). */
  direct: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Headers that differ from one answer to the next whoever sends it. */
const UNCOMPARED_HEADERS = new Set(['date', 'keep-alive']);

function send(port: number, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...sent.headers };
    if (sent.body !== undefined && !sent.chunked)
      headers['content-length'] = String(Buffer.byteLength(sent.body));
    const req = request({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers))
          if (!UNCOMPARED_HEADERS.has(name)) headers[name] = String(value);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers, body });
      });
    });
    req.on('error', reject);
    if (sent.chunked && sent.body !== undefined) {
      const half = Math.floor(sent.body.length / 2);
      req.write(sent.body.slice(0, half));
      req.end(sent.body.slice(half));
    } else req.end(sent.body);
  });
}

const apis: HttpApi[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.app.close();
});

async function desk(
  tokens: TokenConfig[],
  directOperations: boolean,
): Promise<{ api: HttpApi; port: number }> {
  const api = await buildHttpApi({
    modules: FAMILY_API_MODULES,
    services: fakeServices().services,
    logger: silentLogger(),
    tokens,
    version: 'test',
    allowedOrigins: [SELFCHECK],
    directOperations,
  });
  apis.push(api);
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return { api, port: (api.app.server.address() as { port: number }).port };
}

/** Each request to both desks in turn; the answers side by side, and how many the direct path took. */
async function bothWays(tokens: TokenConfig[], requests: Sent[]) {
  const direct = await desk(tokens, true);
  const fastify = await desk(tokens, false);
  for (const sent of requests) {
    const before = direct.api.direct.taken;
    const viaDirect = await send(direct.port, sent);
    const viaFastify = await send(fastify.port, sent);
    expect({ what: sent.what, ...viaDirect }).toEqual({ what: sent.what, ...viaFastify });
    expect({ what: sent.what, direct: direct.api.direct.taken > before }).toEqual({
      what: sent.what,
      direct: sent.direct,
    });
  }
  expect(fastify.api.direct.taken).toBe(0);
}

const checkoutBody = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ patron: 'P1', pin: '1234', item: 'I1', ...fields });

const checkout = (what: string, extra: Partial<Sent> = {}): Sent => ({
  what,
  method: 'POST',
  path: '/api/v1/checkouts',
  headers: { ...JSON_TYPE, ...AUTH.kiosk },
  body: checkoutBody(),
  direct: true,
  ...extra,
});

describe('operations answered without fastify', () => {
  it('answer as fastify does: callers, validation, idempotency, refusals and bodies it cannot take', async () => {
    const big = checkoutBody({ padding: 'x'.repeat(300 * 1024) });
    await bothWays(TEST_TOKENS, [
      checkout('a checkout'),
      checkout('with a request id', { body: checkoutBody({ requestId: 'request-0001' }) }),
      checkout('the same request again: a replay', { body: checkoutBody({ requestId: 'request-0001' }) }),
      checkout('the same id, another item', {
        body: checkoutBody({ requestId: 'request-0001', item: 'I2' }),
      }),
      checkout('an Idempotency-Key header', {
        headers: { ...JSON_TYPE, ...AUTH.kiosk, 'idempotency-key': 'request-0002' },
      }),
      checkout('a header and a body naming two requests', {
        headers: { ...JSON_TYPE, ...AUTH.kiosk, 'idempotency-key': 'request-0003' },
        body: checkoutBody({ requestId: 'request-0004' }),
      }),
      checkout('no token', { headers: JSON_TYPE }),
      checkout('an unknown token', { headers: { ...JSON_TYPE, ...bearer('not-a-token-at-all') } }),
      checkout('a token without the scope', { headers: { ...JSON_TYPE, ...AUTH.monitor } }),
      checkout('a field missing', { body: JSON.stringify({ patron: 'P1' }) }),
      checkout('an unknown field', { body: checkoutBody({ extra: 1 }) }),
      checkout('a key that is a barcode', { body: checkoutBody({ '21000001': 1 }) }),
      checkout('refused by the library', { body: checkoutBody({ item: 'REFUSED' }) }),
      checkout('a refusal with a request id', {
        body: checkoutBody({ item: 'REFUSED', requestId: 'request-0005' }),
      }),
      checkout('the refusal sent again: the same refusal, replayed', {
        body: checkoutBody({ item: 'REFUSED', requestId: 'request-0005' }),
      }),
      checkout('an unknown patron', { body: checkoutBody({ patron: 'P9' }) }),
      checkout('a wrong PIN', { body: checkoutBody({ pin: '0000' }) }),
      checkout('malformed JSON', { body: '{"patron":' }),
      checkout('an empty body', { body: '' }),
      checkout('a JSON array', { body: '[1,2]' }),
      checkout('a JSON string', { body: '"P1"' }),
      checkout('__proto__', { body: '{"patron":"P1","__proto__":{"admin":true}}' }),
      checkout('constructor.prototype', { body: '{"constructor":{"prototype":{"admin":true}}}' }),
      checkout('__proto__ written with escapes', {
        body: '{"patron":"P1","\\u005f_pr\\u006fto__":{"admin":true}}',
      }),
      checkout('constructor written with escapes', {
        body: '{"\\u0063onstructor":{"prototype":{"admin":true}}}',
      }),
      checkout('the words as values, not keys', { body: checkoutBody({ item: '__proto__ constructor' }) }),
      checkout('a byte-order mark first', { body: `\uFEFF${checkoutBody({ item: 'I4' })}` }),
      checkout('too large, its length said', { body: big, direct: false }),
      checkout('too large, sent in chunks', { body: big, chunked: true }),
      checkout('in chunks', { body: checkoutBody({ item: 'I3' }), chunked: true }),
      checkout('JSON in capitals', { headers: { 'content-type': 'APPLICATION/JSON', ...AUTH.kiosk } }),
      checkout('JSON, utf-8', {
        headers: { 'content-type': 'application/json; charset=utf-8', ...AUTH.kiosk },
      }),
      checkout('JSON in latin-1', {
        headers: { 'content-type': 'application/json; charset=iso-8859-1', ...AUTH.kiosk },
        direct: false,
      }),
      checkout('text', { headers: { 'content-type': 'text/plain', ...AUTH.kiosk }, direct: false }),
      checkout('no content type', { headers: AUTH.kiosk, direct: false }),
      checkout('a query string', { path: '/api/v1/checkouts?terminal=x' }),
      checkout('a trailing slash', { path: '/api/v1/checkouts/', direct: false }),
      checkout('percent-encoded', { path: '/api/v1/check%6Futs' }),
      checkout('a path in capitals', { path: '/API/V1/CHECKOUTS', direct: false }),
      checkout('from the allowed origin', { headers: { ...JSON_TYPE, ...AUTH.kiosk, origin: SELFCHECK } }),
      checkout('from another origin', {
        headers: { ...JSON_TYPE, ...AUTH.kiosk, origin: 'https://elsewhere.example' },
      }),
      {
        what: 'a receipt: a path parameter, 202 and a Location',
        method: 'POST',
        path: '/api/v1/printers/receipt-1/receipts',
        headers: { ...JSON_TYPE, ...AUTH.staff },
        body: JSON.stringify({ template: 'checkout', data: { patron: { name: 'Zoë' } } }),
        direct: true,
      },
      {
        what: 'a receipt for an unknown template',
        method: 'POST',
        path: '/api/v1/printers/receipt-1/receipts',
        headers: { ...JSON_TYPE, ...AUTH.staff },
        body: JSON.stringify({ template: 'nope' }),
        direct: true,
      },
      {
        what: 'a path parameter too long',
        method: 'POST',
        path: `/api/v1/printers/${'r'.repeat(101)}/receipts`,
        headers: { ...JSON_TYPE, ...AUTH.staff },
        body: JSON.stringify({ template: 'checkout' }),
        direct: false,
      },
      {
        what: 'a DELETE',
        method: 'DELETE',
        path: '/api/v1/sessions/no-such-session',
        headers: { ...JSON_TYPE, ...AUTH.kiosk },
        body: '{}',
        direct: true,
      },
      {
        what: 'no such route',
        method: 'POST',
        path: '/api/v1/nothing-here',
        headers: { ...JSON_TYPE, ...AUTH.kiosk },
        body: '{}',
        direct: false,
      },
      {
        what: 'a read',
        method: 'GET',
        path: '/api/v1/devices',
        headers: AUTH.monitor,
        direct: false,
      },
    ]);
  });

  it('refuse a body poisoning an object however its keys are written, and take the rest', async () => {
    const { api, port } = await desk(TEST_TOKENS, true);
    const poisoned = [
      '{"patron":"P1","__proto__":{"admin":true}}',
      '{"patron":"P1","\\u005f\\u005Fproto__":{"admin":true}}',
      '{"patron":"P1","constructor" :{"prototype":{"admin":true}}}',
      '{"patron":"P1","constru\\u0063tor":{"prototype":{"admin":true}}}',
    ];
    for (const body of poisoned) {
      const answer = await send(port, checkout(body, { body }));
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
    }
    const fine = [checkoutBody({ item: 'constructor' }), `\uFEFF${checkoutBody({ item: 'I5' })}`];
    for (const body of fine) {
      const answer = await send(port, checkout(body, { body }));
      expect({ body, status: answer.status }).toEqual({ body, status: 200 });
    }
    expect(api.direct.taken).toBe(poisoned.length + fine.length);
  });

  it('answer a tokenless desk as fastify does, after its browser guard', async () => {
    await bothWays(
      [],
      [
        checkout('a checkout from this machine', { headers: JSON_TYPE }),
        checkout('a page of another site', {
          headers: { ...JSON_TYPE, origin: 'https://evil.example' },
          direct: false,
        }),
        checkout('a host that is not this machine', {
          headers: { ...JSON_TYPE, host: 'carrel.example' },
          direct: false,
        }),
      ],
    );
  });
});
