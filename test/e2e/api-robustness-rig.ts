import { request } from 'node:http';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import type { CarrelConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

/**
 * The simulated desk as test/helpers/desk.ts starts it, but with a real (debug)
 * logger whose lines are kept, so a test can check no PIN or patron barcode is
 * ever logged.
 */
export async function startLoggedDesk(
  change: (config: CarrelConfig) => CarrelConfig = (c) => c,
): Promise<TestDesk & { logText(): string }> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const desk = await startTestDesk(change, createLogger({ level: 'debug', destination }));
  return { ...desk, logText: () => lines.join('') };
}

/** One operation of the desk's OpenAPI document. */
export interface Operation {
  method: string;
  /** OpenAPI path, `{id}` style. */
  path: string;
  operationId: string;
  pathParams: string[];
  queryParams: string[];
  hasBody: boolean;
  requiredBodyFields: string[];
  /** Statuses the document says this operation can answer. */
  statuses: Set<number>;
  scopes: string[] | undefined;
  /** A WebSocket's handshake (`x-carrel-websocket`): refusals close the socket 4401/4403, not 401/403. */
  websocket: boolean;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
  responses: Record<string, unknown>;
  'x-carrel-scopes'?: string[];
  'x-carrel-websocket'?: unknown;
}

/** Every operation of `/docs/openapi.json`, so a new route is covered without a hand list. */
export async function loadOperations(api: string): Promise<Operation[]> {
  const response = await fetch(`${api}/docs/openapi.json`);
  expect(response.status).toBe(200);
  const document = (await response.json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: op.requestBody !== undefined,
        requiredBodyFields: op.requestBody?.content['application/json']?.schema.required ?? [],
        statuses: new Set(Object.keys(op.responses).map(Number)),
        scopes: op['x-carrel-scopes'],
        websocket: op['x-carrel-websocket'] !== undefined,
      });
    }
  }
  return operations;
}

/** The operation's path with each parameter replaced (raw: the caller percent-encodes). */
export function pathOf(op: Operation, value: (name: string) => string): string {
  return op.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => value(name));
}

/** A path parameter that passes validation, so body checks reach the body. */
export function plausibleParam(op: Operation, name: string): string {
  if (name === 'id' && op.path.startsWith('/api/v1/sessions/')) return '00000000-0000-4000-8000-000000000000';
  if (name === 'id') return 'receipt-1';
  if (name === 'uid') return 'E004010000000001';
  if (name === 'reader') return 'pad-1';
  if (name === 'jobId') return 'job-1';
  if (name === 'item') return '31000099';
  return 'x';
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: problem bodies are checked field by field
  json: any;
}

export interface RawRequest {
  method: string;
  /** Sent as it is: percent-encode what must be. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One request over a fresh connection, nothing normalised (no `..` folding, no re-encoding). */
export function send(api: string, raw: RawRequest): Promise<Answer> {
  const url = new URL(api);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: raw.method,
        path: raw.path,
        headers: {
          ...(raw.body !== undefined ? { 'content-length': String(Buffer.byteLength(raw.body)) } : {}),
          ...raw.headers,
        },
        agent: false,
        timeout: 10_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text,
            json,
          });
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${raw.method} ${raw.path.slice(0, 80)} hung`)));
    req.on('error', reject);
    req.end(raw.body);
  });
}

export const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Problem codes that may come with a 5xx: the ILS or a limit, never our own failure. */
const DOCUMENTED_5XX_CODES = new Set([
  'ils_offline',
  'ils_busy',
  'ils_login_refused',
  'ils_connection_lost',
  'ils_timeout',
  'ils_bad_response',
  'ils_resend_limit',
  'offline_not_allowed',
  'session_limit_reached',
  'queue_full',
  'unavailable',
]);

/**
 * The promise to IT staff: never a 500; a 5xx only when documented for the
 * operation with an ILS/limit code; every 4xx an RFC 9457 problem with a stable
 * code; nothing of `secrets` echoed in detail or errors.
 */
export function expectWellFormed(
  answer: Answer,
  what: string,
  op?: Operation,
  secrets: readonly string[] = [],
): void {
  const context = `${what} → ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) {
    expect(op?.statuses.has(answer.status), context).toBe(true);
    expect(DOCUMENTED_5XX_CODES.has(answer.json?.code), context).toBe(true);
  }
  if (answer.status >= 400) {
    expect(answer.contentType, context).toMatch(/^application\/problem\+json/);
    const problem = answer.json;
    expect(problem, context).toMatchObject({
      type: expect.stringMatching(/^urn:carrel:problem:[a-z0-9_]+$/),
      code: expect.stringMatching(/^[a-z0-9_]+$/),
      title: expect.any(String),
      status: answer.status,
    });
    expect(problem.type, context).toBe(`urn:carrel:problem:${problem.code}`);
    const echoed = JSON.stringify([problem.detail ?? '', problem.errors ?? []]);
    for (const secret of secrets) expect(echoed.includes(secret), `${context} echoes ${secret}`).toBe(false);
  }
}

/** Bodies that are not an object of the right shape, by name. */
export function malformedBodies(): Array<{ name: string; contentType: string; body: string | Buffer }> {
  const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
  const deepArray = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const tooBig = JSON.stringify({ patron: 'x'.repeat(256 * 1024) });
  const jsonType = 'application/json';
  return [
    { name: 'not JSON', contentType: jsonType, body: '{"patron": 21000001, pin: 1234' },
    { name: 'truncated', contentType: jsonType, body: '{"patron":"21000001","pin":"1234"' },
    { name: 'empty', contentType: jsonType, body: '' },
    { name: 'array', contentType: jsonType, body: '[]' },
    { name: 'string', contentType: jsonType, body: '"checkout"' },
    { name: 'number', contentType: jsonType, body: '42' },
    { name: 'null', contentType: jsonType, body: 'null' },
    { name: 'true', contentType: jsonType, body: 'true' },
    { name: 'deeply nested object', contentType: jsonType, body: deep },
    { name: 'deeply nested array', contentType: jsonType, body: deepArray },
    { name: '__proto__ key', contentType: jsonType, body: '{"__proto__":{"admin":true},"item":"1"}' },
    { name: 'constructor key', contentType: jsonType, body: '{"constructor":{"prototype":{"x":1}}}' },
    { name: '200 KB string fields', contentType: jsonType, body: wideFields('x'.repeat(200 * 1024)) },
    { name: 'just over the body limit', contentType: jsonType, body: tooBig },
    { name: 'invalid UTF-8', contentType: jsonType, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
    { name: 'text/plain', contentType: 'text/plain', body: '{"item":"31000001"}' },
    { name: 'form', contentType: 'application/x-www-form-urlencoded', body: 'item=31000001' },
    { name: 'xml', contentType: 'application/xml', body: '<item>31000001</item>' },
    { name: 'json with bad charset', contentType: 'application/json; charset=ebcdic', body: '[]' },
    { name: 'garbage content type', contentType: '\u00e9/\u00e9;;;=', body: '[]' },
  ];
}

/** Every field name the API uses, set to one value. */
function wideFields(value: unknown): string {
  return JSON.stringify(Object.fromEntries(FIELD_NAMES.map((name) => [name, value])));
}

export const FIELD_NAMES = [
  'patron',
  'pin',
  'item',
  'title',
  'pickupLocation',
  'amount',
  'feeId',
  'currency',
  'paymentType',
  'all',
  'feeAcknowledged',
  'template',
  'data',
  'secured',
  'format',
  'primaryItemId',
  'isil',
  'set',
  'typeOfUsage',
  'lock',
  'mode',
  'pad',
  'auto',
  'patronCard',
  'receipt',
  'printer',
  'action',
];

/** Strings that SIP2, the ILS charsets, JSON and logs find hard. */
export const AWKWARD_STRINGS = [
  '\ud800',
  'a\udc00b',
  '\u0000',
  'a|b',
  '|AO|AA21000001',
  '\r\n99',
  '\t',
  '\x7f',
  '\x1b[31m',
  '\u202eRTL \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627',
  '\u{1F4DA}\u{1F469}\u200d\u{1F4BB}',
  '\ufeff',
  '\u2028\u2029',
  'Zo\u00eb \u00c5str\u00f6m',
  '\u4e66',
  ' ',
  '',
  '0'.repeat(65),
  '9'.repeat(64),
  '1e400',
  '-0',
  '../../etc/passwd',
  '%00',
  '{{patron.name}}',
];
