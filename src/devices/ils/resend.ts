/**
 * Which failed ILS requests the pool sends again, once: a request that provably never
 * left (its connection could not be opened, or was found closed before the write), on
 * whatever connection comes free; and one whose answer was lost only when the ILS may
 * safely see it twice. A checkout, checkin, renewal, hold or fee payment whose answer
 * was lost is never sent again here: the client checks first (lost-answer.ts).
 */
import { SIP2_MESSAGES } from '../../protocols/sip2/index.js';
import type { Sip2Request } from './connection.js';
import { IlsError } from './errors.js';

/** Requests the ILS may safely receive twice: status, login, lookups, end session. */
const REPEATABLE = new Set(['99', '93', '23', '63', '17', '35', '25', '19', '01']);

/** Errors of requests whose connection could not be opened: nothing of them left. */
const unopened = new WeakSet<object>();

/**
 * The error a request hears when its connection could not be opened (refused, timed out,
 * its login unanswered or refused): the request never left, so no answer of it is lost,
 * whatever the open's own error says. Marked so that the pool may send it on another.
 */
export function neverSent(error: unknown): unknown {
  const said =
    error instanceof IlsError && error.requestSent
      ? new IlsError(error.code, `no ILS connection could be opened: ${error.message}`, { cause: error })
      : error;
  if (typeof said === 'object' && said !== null) unopened.add(said);
  return said;
}

/** Whether a request that failed so may be sent once more: it never left, or it may be repeated. */
export function mayResend(request: Sip2Request, error: unknown): boolean {
  if (typeof error === 'object' && error !== null && unopened.has(error)) return true;
  if (!(error instanceof IlsError)) return false;
  if (error.code === 'ils_connection_lost' && !error.requestSent) return true;
  return error.answerLost && request.type !== 'raw' && REPEATABLE.has(SIP2_MESSAGES[request.type].code);
}

/** Whether a retry's failure says nothing of the first try: it never left either. */
export function neverLeft(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && unopened.has(error)) return true;
  return error instanceof IlsError && !error.requestSent;
}

/**
 * What the caller hears when a request sent once more failed too. A retry that never left says
 * nothing of the first request, whose answer may be lost: the first error stands, its words saying
 * the retry too. Both answers lost: the retry's error, saying the first. Either way the caller
 * waited for both, and hears so — not "no answer within 10000 ms" after 20 s.
 */
export function askedTwice(first: unknown, again: unknown): unknown {
  if (!(first instanceof IlsError) || !(again instanceof IlsError) || !first.answerLost)
    return neverLeft(again) ? first : again;
  if (neverLeft(again))
    return new IlsError(
      first.code,
      `${first.message}; asked once more, it could not be sent (${again.message})`,
      {
        requestSent: first.requestSent,
        cause: first,
      },
    );
  if (!again.answerLost) return again;
  return new IlsError(
    again.code,
    `${again.message} when asked a second time; the first time: ${first.message}`,
    {
      requestSent: true,
      cause: again,
    },
  );
}
