import { CarrelError } from '../../core/errors.js';

export type IlsErrorCode =
  /** The wait queue for a pool connection is full. */
  | 'ils_busy'
  /** The pool is not connected (never connected, disconnected, or the ILS is unreachable). */
  | 'ils_offline'
  /** No answer within the request timeout. */
  | 'ils_timeout'
  /** The connection went away while a request was under way. */
  | 'ils_connection_lost'
  /** The ILS refused the login (94 with ok 0). */
  | 'ils_login_refused'
  /** The ILS kept asking for the request again (96) past the limit. */
  | 'ils_resend_limit'
  /** Answers kept arriving unreadable after asking for them again (97) past the limit. */
  | 'ils_bad_response'
  /** The request could not be encoded (a value too long, a `|` in a value…). */
  | 'ils_bad_request';

/**
 * An ILS request that did not get its answer. `requestSent` says whether the
 * request may have reached the ILS: when it did and no answer came
 * (`answerLost`), the ILS may have acted on it — a checkout must be checked,
 * not blindly re-sent.
 */
export class IlsError extends CarrelError {
  readonly requestSent: boolean;

  constructor(
    override readonly code: IlsErrorCode,
    message: string,
    options: { requestSent?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.requestSent = options.requestSent ?? false;
  }

  /** The request went out and its answer never came back. */
  get answerLost(): boolean {
    return this.requestSent && (this.code === 'ils_timeout' || this.code === 'ils_connection_lost');
  }
}
