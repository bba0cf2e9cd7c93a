/**
 * A self-check's fee payment (37) through the relay, never lost nor taken twice. SIP2 has no way
 * to ask whether the ILS has a payment, so the patron's fee list (63 with fine items) is read just
 * before the 37 goes out. When the 37 went out and its answer was lost (a timeout, the link
 * dropped, an answer that stayed unreadable however often asked for), the list is read again:
 * - the fee owes the payment less: the ILS took it, and the self-check gets the 38 Y the ILS
 *   would have sent;
 * - it owes the same: the ILS never had it, and the 37 is sent once more;
 * - the ILS cannot be asked, or the fee changed meanwhile: the payment goes to the offline journal
 *   with what the fee owed before, and the self-check gets a 38 Y saying so. Its cash is in the
 *   self-check's box; a 38 N would hand it back to a patron whose payment the ILS may have, and a
 *   self-check asking again would have it paid twice. The journal's replay reads the fee list
 *   before it sends anything (fee-replay.ts): taken, nothing is sent; not taken, it is; changed,
 *   staff decide.
 * A 37 that never left (the ILS unreachable before it was written) is answered offline as any
 * request is (38 N: nothing happened); one the ILS could not read (96 past the limit, the first time
 * or sent once more) is refused saying so (38 N: nothing happened there either). One whose answer is lost with nothing to check it against
 * (the ILS gives no amount owed, or no journal) is refused, and staff told in the log.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import {
  type AnySip2MessageInput,
  formatSip2Date,
  type Sip2Message,
  type Sip2VerbatimBody,
} from '../../protocols/sip2/index.js';
import { feeSnapshot, owed, paymentCheck } from '../circulation/fee-check.js';
import { currencyExponent, minorOf } from '../circulation/money.js';
import { OFFLINE_FEE_MESSAGE } from '../circulation/service.js';
import type { Sip2RelayAccount } from './config.js';
import type { IlsForRelay, RelaySessionContext } from './session-context.js';

/** What a self-check is told of a payment whose answer was lost and which could not be checked. */
export const RELAY_FEE_UNCHECKED_MESSAGE = 'Payment not confirmed: please see staff';

type FeePaid = Sip2Message<'feePaid'>;
type Exchange = Awaited<ReturnType<IlsForRelay['exchange']>>;

/**
 * How the payment was settled: the ILS's own answer (`verbatim` when it may be passed on), or one
 * the relay wrote after a lost answer — found taken (`verified`), journaled, or not checkable.
 */
export type RelayedFeePayment =
  | { from: 'ils'; exchange: Exchange }
  | { from: 'verified' | 'journaled' | 'unchecked'; answer: AnySip2MessageInput };

/**
 * Sends a self-check's 37, reading the fee list before it and again when its answer is lost.
 * Rejects with the ILS error when nothing was sent (the relay answers offline: 38 N).
 */
export async function relayFeePayment(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: FeePaid,
  asItCame?: Sip2VerbatimBody,
): Promise<RelayedFeePayment> {
  const ils = context.ilsFor(account);
  // Nothing is sent when this fails: the ILS cannot be reached, and the payment is refused.
  const before = await readOwed(ils, request);
  try {
    return { from: 'ils', exchange: await ils.exchange(request, asItCame) };
  } catch (error) {
    if (!(error instanceof IlsError) || !error.answerLost) throw error;
    return afterLostAnswer(context, account, ils, request, before, error, asItCame);
  }
}

interface OwedBefore {
  /** What the fee (or the account, with no fee id) owed; undefined when the 64 did not say. */
  owedMinor: number | undefined;
  currency: string | undefined;
  exponent: number;
}

/** The patron's fee list (63 with fine items), read as the 37 would be: its AO, AC and AD. */
async function readOwed(ils: IlsForRelay, request: FeePaid): Promise<OwedBefore> {
  const answer = (await ils.exchange(feeListRequest(request))).message;
  const listed = answer.type === 'patronInformationResponse' ? answer : undefined;
  const currency = currencyOf(request.currencyType) ?? currencyOf(listed?.currencyType);
  const exponent = currencyExponent(currency);
  const owedMinor = listed ? owed(feeSnapshot(listed, exponent), feeIdOf(request)) : undefined;
  return { owedMinor, currency, exponent };
}

function feeListRequest(request: FeePaid): AnySip2MessageInput {
  return {
    type: 'patronInformation',
    language: 'unknown',
    transactionDate: request.transactionDate,
    summary: 'fineItems',
    institutionId: request.institutionId,
    patronIdentifier: request.patronIdentifier,
    ...(request.terminalPassword !== undefined ? { terminalPassword: request.terminalPassword } : {}),
    ...(request.patronPassword !== undefined ? { patronPassword: request.patronPassword } : {}),
  } as AnySip2MessageInput;
}

async function afterLostAnswer(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  ils: IlsForRelay,
  request: FeePaid,
  before: OwedBefore,
  lost: IlsError,
  asItCame?: Sip2VerbatimBody,
): Promise<RelayedFeePayment> {
  const amountMinor = minorOf(request.feeAmount, before.exponent);
  const now = await ils.exchange(feeListRequest(request)).then(
    (exchange) =>
      exchange.message.type === 'patronInformationResponse'
        ? owed(feeSnapshot(exchange.message, before.exponent), feeIdOf(request))
        : undefined,
    () => undefined,
  );
  const check = amountMinor === undefined ? 'unknown' : paymentCheck(before.owedMinor, now, amountMinor);
  const { logger } = context;
  if (check === 'taken') {
    logger.info({ code: lost.code }, 'fee payment answer lost: the fee list shows it taken');
    return { from: 'verified', answer: answerOf(context, request, true, []) };
  }
  if (check === 'not_taken') {
    logger.info({ code: lost.code }, 'fee payment answer lost: not taken, sent once more');
    try {
      return { from: 'ils', exchange: await ils.exchange(request, asItCame) };
    } catch (error) {
      // Not written this time either: nothing happened at all, and the offline refusal says so.
      // Not read (96): nothing happened either — the fee list said the first was not taken, and the
      // ILS read no copy of this one — so it is refused in words (relaying.ts), never journaled.
      if (!(error instanceof IlsError) || !error.requestSent || error.code === 'ils_resend_limit')
        throw error;
      lost = error;
    }
  }
  return journaled(context, account, request, before, amountMinor, lost);
}

/** The payment into the offline journal with what the fee owed before, for its replay's check. */
function journaled(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: FeePaid,
  before: OwedBefore,
  amountMinor: number | undefined,
  lost: IlsError,
): RelayedFeePayment {
  const { logger, journal } = context;
  const feeId = feeIdOf(request);
  const transactionId = request.transactionId || `relay-${randomUUID()}`;
  if (
    journal &&
    before.owedMinor !== undefined &&
    before.currency !== undefined &&
    amountMinor !== undefined &&
    amountMinor > 0
  ) {
    try {
      journal.accept({
        kind: 'feePaid',
        patron: request.patronIdentifier,
        terminal: account?.kioskUser ?? 'sip2-relay',
        at: context.clock.now(),
        fee: {
          ...(feeId !== undefined ? { id: feeId } : {}),
          type: request.feeType.name ?? 'other',
          amountMinor,
          currency: before.currency,
          transactionId,
          owedBeforeMinor: before.owedMinor,
          paymentType: request.paymentType.code,
        },
      });
      logger.warn(
        { code: lost.code, transactionId },
        'fee payment answer lost and the ILS cannot tell: journaled, checked against the fee list when replayed',
      );
      return { from: 'journaled', answer: answerOf(context, request, true, [OFFLINE_FEE_MESSAGE]) };
    } catch (error) {
      logger.error({ error: describeError(error), transactionId }, 'fee payment could not be journaled');
    }
  }
  logger.error(
    { code: lost.code, transactionId, amount: request.feeAmount },
    'fee payment answer lost with nothing to check it against: staff must see whether the ILS has it',
  );
  return { from: 'unchecked', answer: answerOf(context, request, false, [RELAY_FEE_UNCHECKED_MESSAGE]) };
}

/** A 38 as the ILS writes it: accepted or not, now in the ILS's zone, AO, AA, BK echoed. */
function answerOf(
  context: RelaySessionContext,
  request: FeePaid,
  accepted: boolean,
  screenMessage: string[],
): AnySip2MessageInput {
  return {
    type: 'feePaidResponse',
    paymentAccepted: accepted,
    transactionDate: formatSip2Date(new Date(context.clock.now()), { timeZone: context.timeZone }),
    institutionId: request.institutionId,
    patronIdentifier: request.patronIdentifier,
    ...(request.transactionId !== undefined ? { transactionId: request.transactionId } : {}),
    ...(screenMessage.length > 0 ? { screenMessage } : {}),
  };
}

function feeIdOf(request: FeePaid): string | undefined {
  return request.feeIdentifier !== undefined && request.feeIdentifier !== ''
    ? request.feeIdentifier
    : undefined;
}

function currencyOf(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed && /^[A-Z]{3}$/.test(trimmed) ? trimmed : undefined;
}
