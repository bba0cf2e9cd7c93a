/**
 * Request ids at the API's edge: an operation that changes something (a
 * checkout, a fee payment, a payout, a card) takes an optional `requestId`, and
 * the same request sent again with it — an answer lost on the way back, MQTT
 * delivering a message twice, a desk page whose click timed out — is answered
 * with what was done the first time (HTTP says so: `Idempotent-Replayed: true`),
 * not done twice. The id is the caller's own; the PIN is never kept, and must
 * match too (another PIN is another request, refused), compared through a keyed
 * hash whose key is kept apart from the database, so that it holds across restarts.
 * Over HTTP it may come as the IETF
 * `Idempotency-Key` header instead (draft-ietf-httpapi-idempotency-key-header),
 * which is what HTTP client libraries send.
 */
import { z } from 'zod';
import { CarrelError } from '../core/errors.js';
import type { KeptRefusal, RequestIdService, RequestOutcome } from '../gateway/contracts/requests.js';

import { REQUEST_ID_PATTERN } from '../gateway/requests/request-ids.js';
import { ApiProblem } from './http/problem.js';
import type { RouteInput } from './http/routes.js';

/** A client's id for a request that must not be done twice: the same id again answers what was done. */
export const requestIdSchema = z
  .string()
  .regex(REQUEST_ID_PATTERN, 'a request id is 8 to 128 printable characters (a UUID)')
  .describe('idempotency key: the same request again does nothing twice');

/** The optional field of an operation that changes something. */
export const optionalRequestId = requestIdSchema
  .optional()
  .describe(
    'idempotency key (a UUID): the same request sent again with it, after a lost answer, is answered ' +
      'with what was done the first time and not done twice',
  );

/** Says an answer is the first one given again for its request id (over MQTT: `replayed: true`). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** How a request's errors end, and a kept refusal thrown again; by default an error did nothing. */
export interface RequestErrors {
  outcomeOf(error: unknown): RequestOutcome;
  restore(kept: KeptRefusal): Error;
}

const NOTHING_DONE: RequestErrors = {
  outcomeOf: () => ({ kind: 'nothing_done' }),
  restore: (kept) => new Error(kept.message),
};

/**
 * Errors whose code says the work may have been done (a card printed that could not be recorded):
 * the request is in doubt, its id never done again; any other error did nothing.
 */
export function inDoubtOn(...codes: string[]): RequestErrors {
  return {
    outcomeOf: (error) =>
      error instanceof CarrelError && codes.includes(error.code)
        ? { kind: 'in_doubt' }
        : { kind: 'nothing_done' },
    restore: NOTHING_DONE.restore,
  };
}

/**
 * Does `work` at most once for the body's `requestId`, when it has one; without
 * one, simply does it. The path parameters are among the fields that must
 * match (a payout of another payment with the same id is another request).
 */
export function doneOnce<B extends { requestId?: string | undefined; pin?: string | undefined }, T>(
  requests: RequestIdService,
  action: string,
  input: Pick<RouteInput<unknown, unknown, B>, 'params' | 'body' | 'principal' | 'reply'>,
  work: (body: B) => Promise<T> | T,
  options: {
    errors?: RequestErrors;
    keep?: 'disk' | 'memory';
    final?: (result: T) => boolean;
    /** The answer to the request sent again, from the first (see RequestCall.again). */
    again?: (first: T) => T;
  } = {},
): Promise<T> {
  const errors = options.errors ?? NOTHING_DONE;
  const { body } = input;
  const id = body.requestId;
  if (id === undefined) return Promise.resolve(work(body));
  const { requestId: _id, pin, ...fields } = body;
  return requests.once(
    {
      caller: input.principal.name,
      requestId: id,
      action,
      fields: input.params === undefined ? fields : { params: input.params, ...fields },
      secret: pin,
      outcomeOf: errors.outcomeOf,
      restore: errors.restore,
      onReplay: () => input.reply?.header(IDEMPOTENT_REPLAYED_HEADER, 'true'),
      ...(options.keep ? { keep: options.keep } : {}),
      ...(options.final ? { final: options.final as (result: unknown) => boolean } : {}),
      ...(options.again ? { again: options.again as (first: unknown) => unknown } : {}),
    },
    async () => work(body),
  );
}

/** The header a client may send the request id in instead of the body's `requestId`. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const headerProblem = (message: string) =>
  new ApiProblem(400, 'invalid_request', 'Invalid request', 'the Idempotency-Key header is not valid', [
    { path: 'header.Idempotency-Key', message },
  ]);

/**
 * The id an `Idempotency-Key` header carries: a Structured Fields string
 * (`"8e03978e-…"`, as the draft writes it) or the bare value many clients send.
 */
export function idempotencyKeyOf(header: string): string {
  const value = header.trim();
  let key = value;
  if (value.startsWith('"')) {
    const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(value);
    if (!quoted) throw headerProblem('a quoted key must end with its quote, with only \\" and \\\\ escaped');
    key = (quoted[1] ?? '').replace(/\\(["\\])/g, '$1');
  }
  if (!REQUEST_ID_PATTERN.test(key))
    throw headerProblem('an idempotency key is 8 to 128 printable characters (a UUID), sent once');
  return key;
}

/**
 * The body of a route that takes a `requestId`, with the `Idempotency-Key`
 * header's id in it when the header is sent: the same id in both is fine,
 * two different ids are refused rather than one of them chosen.
 */
export function bodyWithIdempotencyKey(body: unknown, header: string | string[] | undefined): unknown {
  if (header === undefined) return body;
  if (Array.isArray(header)) throw headerProblem('one Idempotency-Key header, not several');
  const key = idempotencyKeyOf(header);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const given = (body as { requestId?: unknown }).requestId;
  if (given !== undefined && given !== key)
    throw headerProblem("the header and the body's requestId name two different requests");
  return { ...body, requestId: key };
}
