/**
 * What a console command came to, as an exit status and words that say what to
 * do: 0 the ILS did it, 1 the ILS refused, 2 bad usage, 3 no answer (USAGE in
 * sip2-args.ts lists them). An answer that refuses is told from its fields; a
 * failure from its error and from what the wire saw (WireTrace).
 */
import { CarrelError, describeError, TransportError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import type { AnySip2Message } from '../../protocols/sip2/index.js';
import type { WireTrace } from './sip2-trace.js';

export const EXIT = { ok: 0, refused: 1, usage: 2, noAnswer: 3 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/**
 * Why the ILS's answer is a refusal, in words; undefined when it is not one. `pinGiven` undefined:
 * not known (a raw frame), so a CQ N refuses.
 */
export function refusalOf(message: AnySip2Message, pinGiven: boolean | undefined): string | undefined {
  const screen =
    'screenMessage' in message && message.screenMessage?.length
      ? `: ${message.screenMessage.join(' / ')}`
      : '';
  switch (message.type) {
    case 'loginResponse':
      return message.ok ? undefined : 'the ILS refused the login (94 with ok 0): check --user and --password';
    case 'acsStatus':
      return message.onlineStatus ? undefined : 'the ILS reports itself off-line (98 on-line status N)';
    case 'checkoutResponse':
    case 'renewResponse':
    case 'checkinResponse':
    case 'holdResponse':
    case 'renewAllResponse':
      return message.ok ? undefined : `the ILS refused it (ok 0)${screen}`;
    case 'itemStatusUpdateResponse':
      return message.itemPropertiesOk ? undefined : `the ILS did not store the item properties${screen}`;
    case 'endSessionResponse':
      return message.endSession ? undefined : `the ILS did not end the session${screen}`;
    case 'feePaidResponse':
      return message.paymentAccepted ? undefined : `the ILS did not accept the payment${screen}`;
    case 'patronStatusResponse':
    case 'patronEnableResponse':
    case 'patronInformationResponse':
      // A missing BL or CQ means invalid, never valid.
      if (message.validPatron !== true) return `invalid patron (BL ${flag(message.validPatron)})${screen}`;
      // CQ N to a request with no PIN (a 23's AD is required, so sent empty) refuses nothing.
      if ((pinGiven ?? message.validPatronPassword === false) && message.validPatronPassword !== true) {
        return `invalid PIN (CQ ${flag(message.validPatronPassword)})${screen}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

const flag = (value: boolean | undefined) => (value === undefined ? 'missing' : value ? 'Y' : 'N');

export interface FailureContext {
  trace: WireTrace;
  /** A login user was given. */
  loggedIn: boolean;
  timeoutMs: number;
  /** The request was sent although the ILS's BX says it does not support it. */
  unsupported?: string;
}

/** A failure as the console reports it: a stable code, words that say what to do, the exit status. */
export function explainFailure(
  error: unknown,
  context: FailureContext,
): { code: string; message: string; exit: ExitStatus } {
  const { code, message } = describeError(error);
  if (error instanceof CarrelError && error.code === 'usage') return { code, message, exit: EXIT.usage };
  if (!(error instanceof IlsError) && !(error instanceof TransportError) && !(error instanceof CarrelError)) {
    // A Node system error that reached us unwrapped (ENOTFOUND…) is a connection problem; anything else is ours.
    if ((error as NodeJS.ErrnoException | undefined)?.code === undefined) throw error;
    return { code, message, exit: EXIT.noAnswer };
  }
  switch (code) {
    case 'ils_login_refused':
      return {
        code,
        message: 'the ILS refused the login (94 with ok 0): check --user and --password',
        exit: EXIT.refused,
      };
    case 'ils_bad_request':
    case 'ils_no_user':
      return { code, message, exit: EXIT.usage };
  }
  const silent = code === 'ils_timeout' || code === 'ils_connection_lost';
  const { lastSent, answered, loginAnswered } = context.trace;
  if (silent && lastSent !== undefined && !answered) {
    const how =
      code === 'ils_timeout' ? `did not answer within ${context.timeoutMs} ms` : 'closed the connection';
    // A login never answered at all; one answered before and not now is the ILS falling silent, said as such.
    if (lastSent === '93' && !loginAnswered) {
      return {
        code: 'ils_login_unanswered',
        message:
          `the ILS accepted the connection but never answered the login (93): it ${how}. ` +
          'Is this its SIP2 port? Check --tls, --crlf, --charset and --error-detection against its SIP2 account',
        exit: EXIT.noAnswer,
      };
    }
    if (!context.loggedIn) {
      return {
        code: 'ils_login_required',
        message: `the ILS ${how} instead of answering the ${lastSent}: the ILS wants a login first (--user/--password)`,
        exit: EXIT.noAnswer,
      };
    }
    if (context.unsupported) {
      return {
        code,
        message: `${message}; the ILS's status (BX) says it does not support ${context.unsupported}`,
        exit: EXIT.noAnswer,
      };
    }
  }
  return { code, message, exit: EXIT.noAnswer };
}
