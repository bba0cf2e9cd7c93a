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
  /**
   * Answers kept arriving unreadable after asking for them again (97) past the limit: the ILS had
   * the request and may have done it, so its answer counts as lost (`answerLost`).
   */
  | 'ils_bad_response'
  /** The request could not be encoded (a value too long, a `|` in a value…). */
  | 'ils_bad_request';

/** How a request that went out can end with no answer we can read. */
const LOST_ANSWERS: ReadonlySet<IlsErrorCode> = new Set([
  'ils_timeout',
  'ils_connection_lost',
  'ils_bad_response',
]);

/**
 * An ILS request that did not get its answer. `requestSent` says whether the
 * request may have reached the ILS: when it did and no answer came, or none that
 * could be read (`answerLost`), the ILS may have acted on it — a checkout must be
 * checked, not blindly re-sent.
 */
export class IlsError extends CarrelError {
  readonly requestSent: boolean;

  constructor(
    override readonly code: IlsErrorCode,
    message: string,
    options: {
      requestSent?: boolean;
      cause?: unknown;
      details?: Readonly<Record<string, boolean | number | string>>;
    } = {},
  ) {
    super(code, message, {
      ...(options.cause !== undefined && { cause: options.cause }),
      ...(options.details !== undefined && { details: options.details }),
    });
    this.requestSent = options.requestSent ?? false;
  }

  /**
   * The request went out and its answer never came back, or came back unreadable however often it
   * was asked for (97): either way the ILS may have done it, and nobody here knows.
   */
  get answerLost(): boolean {
    return this.requestSent && LOST_ANSWERS.has(this.code);
  }
}
