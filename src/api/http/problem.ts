import { CarrelError } from '../../core/errors.js';
import { CirculationRefusal, INVALID_REQUEST_REASONS } from '../../gateway/circulation/reasons.js';

/**
 * An RFC 9457 problem. `type` is stable (`urn:carrel:problem:<code>`) so clients
 * can branch on it; `code` repeats the short form.
 */
export interface ProblemBody {
  type: string;
  code: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  /** A circulation refusal: the stable reason (same as `code`) and the ILS's screen messages. */
  reason?: string;
  screenMessages?: string[];
  /** `print_release_refused`: whether the print server still holds the job, so it may be printed again. */
  jobStillWaiting?: boolean;
  /** An ILS error of a change (checkout, renewal, hold, payment…) whose answer was lost: the ILS may have done it. */
  answerLost?: boolean;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Array<{ path: string; message: string }>,
    /** Fields of the problem beside the standard ones: a refusal's reason, a CarrelError's details. */
    readonly extensions?: Readonly<Record<string, unknown>>,
  ) {
    super(detail ?? title);
  }

  body(): ProblemBody {
    return {
      // An extension never takes the place of a standard member (a detail named `status`).
      ...(this.extensions ?? {}),
      type: `urn:carrel:problem:${this.code}`,
      code: this.code,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** How an error code surfaces over HTTP: its status and a title. */
export type ProblemTable = Readonly<Record<string, { status: number; title: string }>>;

/**
 * How the desk's own error codes surface over HTTP. Each device family's API
 * module brings its own (ApiModule.problems); anything unlisted from a
 * CarrelError is a 500 'Gateway error' that still carries its code, words and details.
 */
const STATUS_BY_CODE: ProblemTable = {
  not_found: { status: 404, title: 'Not found' },
  statistics_range_invalid: { status: 400, title: 'Invalid statistics range' },
  device_not_found: { status: 404, title: 'No such device' },
  invalid_state: { status: 409, title: 'Not possible in the current state' },
  unavailable: { status: 503, title: 'Service unavailable' },
  bad_request: { status: 400, title: 'Invalid request' },
  timeout: { status: 504, title: 'The device did not answer in time' },
  database_error: { status: 500, title: "The desk's database failed" },
  // A device's link (any family): the device is away or went away while it was asked.
  not_connected: { status: 503, title: 'The device is not connected' },
  not_open: { status: 503, title: 'The device is not connected' },
  peer_closed: { status: 503, title: 'The device closed its connection' },
  transport_closed: { status: 503, title: 'The connection to the device was closed' },
  connect_timeout: { status: 504, title: 'The device did not answer the connection' },
  request_id_invalid: { status: 422, title: 'The request id is not valid' },
  request_id_conflict: { status: 409, title: 'The request id was already used for something else' },
  request_in_doubt: { status: 409, title: 'The request with this id may have been done: look it up' },
  storage_full: { status: 507, title: "The desk's disk is full" },
  storage_unwritable: { status: 503, title: "The desk's database cannot be written" },
  ils_offline: { status: 503, title: 'The ILS is not reachable' },
  ils_busy: { status: 503, title: 'The ILS link is busy' },
  ils_login_refused: { status: 503, title: 'The ILS refused the login' },
  ils_connection_lost: { status: 503, title: 'The ILS connection was lost' },
  ils_timeout: { status: 504, title: 'The ILS did not answer in time' },
  ils_resend_limit: { status: 502, title: 'The ILS kept asking for the request again' },
  ils_bad_response: {
    status: 502,
    title:
      "The ILS answered, but its answer could not be read: IT should check the ILS link's errorDetection and charset",
  },
  ils_bad_request: { status: 422, title: 'The request cannot be sent to the ILS' },
  ils_connection_busy: { status: 503, title: 'The ILS link is busy' },
  ils_no_user: { status: 503, title: 'No SIP2 login user is configured' },
  offline_not_allowed: {
    status: 503,
    title: 'The ILS is not reachable and offline circulation is not allowed',
  },
  offline_limit_reached: { status: 409, title: 'The offline limit is reached' },
  offline_invalid_transaction: { status: 422, title: 'The offline transaction is not valid' },
  offline_not_found: { status: 404, title: 'No such offline transaction' },
  offline_not_in_conflict: { status: 409, title: 'The offline transaction is not in conflict' },
  // 422, not 409: the dashboard reads a 409 to "Send again" as "Settled already" and redraws the list.
  offline_replayed_after: {
    status: 422,
    title: 'Not sent again: a later transaction about the same item already reached the ILS',
  },
  offline_item_changed: {
    status: 422,
    title: 'Not sent again: the ILS shows the item checked out or in there since',
  },
  offline_item_unchecked: {
    status: 503,
    title: 'Not sent again: the ILS could not be asked where the item is now',
  },
  session_not_found: { status: 404, title: 'No such session' },
  session_ended: { status: 409, title: 'The session has ended' },
  session_limit_reached: { status: 503, title: 'Too many sessions are open' },
  pad_in_use: { status: 409, title: 'The pad is in use by another session' },
  scanner_in_use: { status: 409, title: 'The scanner is in use by another session' },
  session_on_another_screen: { status: 409, title: 'The session is shown on another screen' },
  session_screen_away: {
    status: 409,
    title: 'The session is shown on another screen that is reconnecting',
  },
  screen_required: { status: 422, title: 'Taking a session over needs the screen that takes it' },
  patron_scan_not_found: { status: 422, title: 'No patron was scanned at the scanner just now' },
  pin_required: { status: 422, title: "The patron's PIN is required" },
  patron_required: { status: 422, title: 'A patron is needed' },
  patron_card_not_found: { status: 422, title: 'No patron card is on the pad' },
  patron_card_ambiguous: { status: 422, title: 'More than one patron card is on the pad' },
  no_receipt_printer: { status: 422, title: 'No receipt printer is configured' },
  item_outcome_unknown: {
    status: 409,
    title: 'The library system may already have done this item: staff must look it up',
  },
  payment_not_found: { status: 404, title: 'No such payment' },
  payment_ended: { status: 409, title: 'The payment has ended' },
  payment_not_ended: { status: 409, title: 'The payment is still collecting' },
  amount_invalid: { status: 422, title: 'The amount is not valid' },
  amount_mismatch: { status: 409, title: 'The fees come to another amount now' },
  fee_unknown: { status: 422, title: "The patron's account lists no such fee" },
  fee_listed_twice: { status: 422, title: 'A fee is listed twice' },
  currency_mismatch: { status: 409, title: 'The fees are in another currency than this desk takes' },
  print_accounts_unavailable: { status: 503, title: 'No print accounts are wired into this desk' },
  no_cash_devices: { status: 503, title: 'No cash device can take the money' },
  payout_invalid: { status: 422, title: 'Not an amount owed back on this payment' },
  payment_nothing_to_check: { status: 409, title: 'The payment has nothing to check' },
  payment_already_checked: { status: 409, title: 'The payment was already checked' },
};

/**
 * What a refusal says beside its code and words, for a client to branch on: a circulation
 * refusal's `reason` and the ILS's `screenMessages`, a CarrelError's details (`jobStillWaiting`,
 * a payout's amounts). The HTTP problem and the MQTT error answer carry the same fields.
 */
export function problemFieldsOf(error: unknown): Readonly<Record<string, unknown>> | undefined {
  if (error instanceof ApiProblem) return error.extensions;
  if (error instanceof CirculationRefusal)
    return { reason: error.reason, screenMessages: [...error.screenMessages] };
  if (error instanceof CarrelError) return error.details;
  return undefined;
}

export function problemFromError(error: unknown, families: ProblemTable = {}): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (error instanceof CirculationRefusal) {
    // Refusals: 422 when the request named something unknown (patron, item, PIN), else 409.
    const status = INVALID_REQUEST_REASONS.has(error.reason) ? 422 : 409;
    return new ApiProblem(
      status,
      error.reason,
      'Refused by the library',
      error.message,
      undefined,
      problemFieldsOf(error),
    );
  }
  if (error instanceof CarrelError) {
    const mapped = STATUS_BY_CODE[error.code] ?? families[error.code];
    if (mapped)
      return new ApiProblem(
        mapped.status,
        error.code,
        mapped.title,
        error.message,
        undefined,
        problemFieldsOf(error),
      );
    return new ApiProblem(500, error.code, 'Gateway error', error.message, undefined, problemFieldsOf(error));
  }
  return new ApiProblem(
    500,
    'internal',
    'Internal error',
    'an unexpected error occurred; see the gateway log',
  );
}
