/**
 * One self-check request to the ILS and back: behind the offline backlog of its
 * item or patron, through the account's ILS link, and when the ILS cannot be
 * reached the offline answer (journaled or refused), and when the ILS could not
 * read it (96) a refusal in words, and when its answer could not be read (97) one
 * saying it may have been done; each relayed transaction counted for the desk
 * statistics.
 */
import { describeError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import type {
  AnySip2Message,
  AnySip2MessageInput,
  Sip2Message,
  Sip2VerbatimBody,
} from '../../protocols/sip2/index.js';
import type { OfflineOrdering } from '../contracts/offline.js';
import type { Sip2RelayAccount } from './config.js';
import { type RelayedFeePayment, relayFeePayment } from './fee-payment.js';
import type { RELAY_REFUSALS } from './offline.js';
import type { IlsForRelay, RelaySessionContext } from './session-context.js';
import { countedKind, type RelayAnswerSource, type RelayTransaction } from './statistics.js';

export interface RelayedAnswer {
  /**
   * The ILS's answer as decoded, its sequence number the ILS's own (the ILS
   * link's request's): the self-check's answer carries the self-check's (answers.ts).
   */
  answer: AnySip2MessageInput;
  source: RelayAnswerSource;
  /** The ILS's answer body as it came, when the answer may be passed on as is (answers.ts). */
  verbatim?: Sip2VerbatimBody | undefined;
}

const FROM_ILS: RelayAnswerSource = Object.freeze({ offline: false });

/**
 * The relay's own answer to a request, built only when needed: `offline` while the ILS cannot be
 * reached (offline.ts's offlineRefusal), `unread` when the ILS could not read it (unreadRefusal),
 * `unsure` when the ILS's answer could not be read (unsureRefusal).
 */
export type RelayRefusal = (why: keyof typeof RELAY_REFUSALS) => AnySip2MessageInput;

/**
 * Requests that only ask (status, patron, item, end of session): an answer of theirs that could
 * not be read changed nothing at the ILS, and is answered offline as an unreachable ILS is. A fee
 * payment is not one, but its own path (fee-payment.ts) settles an unreadable answer from the fee
 * list: what it throws was never done.
 */
const NOTHING_DONE: ReadonlySet<AnySip2Message['type']> = new Set([
  'scStatus',
  'patronStatusRequest',
  'patronInformation',
  'itemInformation',
  'endPatronSession',
  'feePaid',
]);

/**
 * The ILS's answer, or the offline one (journaled or `refusal('offline')`, built only
 * then) when the ILS cannot be reached. Throws the IlsError `ils_bad_request` of a request the ILS
 * link cannot carry: that is the relay's problem, not the ILS being down.
 * Neither the request nor the answer is copied: the ILS link numbers its
 * requests itself, whatever sequence number the self-check's carries, and
 * writes the request as it came (`asItCame`, the decoder's verbatim body) when
 * encoding it would write the same.
 */
export function relayToIls(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: AnySip2Message,
  refusal: RelayRefusal,
  asItCame?: Sip2VerbatimBody,
): Promise<RelayedAnswer> {
  if (request.type === 'feePaid') return relayedFeePayment(context, account, request, refusal, asItCame);
  let exchange: ReturnType<IlsForRelay['exchange']>;
  try {
    // Most of the time nothing is journaled to wait behind: no wait, no promise of its own, then.
    const ordering = context.ordering;
    exchange =
      ordering && ordering.isClear?.() !== true
        ? behindBacklog(ordering, request).then(() => context.ilsFor(account).exchange(request, asItCame))
        : context.ilsFor(account).exchange(request, asItCame);
  } catch (error) {
    return answeredOffline(context, account, request, refusal, error);
  }
  // One `then`, no async frame: a self-check's request makes one of these each.
  return exchange.then(fromIls, (error: unknown) =>
    answeredOffline(context, account, request, refusal, error),
  );
}

function fromIls(exchange: Awaited<ReturnType<IlsForRelay['exchange']>>): RelayedAnswer {
  return { answer: exchange.message, source: FROM_ILS, verbatim: exchange.verbatim };
}

/**
 * A fee payment: its fee list read before the 37 and again when its answer is lost
 * (fee-payment.ts), so the self-check is never told "not accepted" of money the ILS may have.
 */
async function relayedFeePayment(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: Sip2Message<'feePaid'>,
  refusal: RelayRefusal,
  asItCame?: Sip2VerbatimBody,
): Promise<RelayedAnswer> {
  let paid: RelayedFeePayment;
  try {
    if (context.ordering && context.ordering.isClear?.() !== true)
      await behindBacklog(context.ordering, request);
    paid = await relayFeePayment(context, account, request, asItCame);
  } catch (error) {
    return answeredOffline(context, account, request, refusal, error);
  }
  if (paid.from === 'ils') return fromIls(paid.exchange);
  if (paid.from === 'verified') return { answer: paid.answer, source: FROM_ILS };
  return { answer: paid.answer, source: { offline: true, errorCode: `fee_payment_${paid.from}` } };
}

/** What an answer that stayed unreadable (97, ils_bad_response) is, and what IT checks. */
const UNREADABLE_ANSWER =
  'the ILS answered, but its answer could not be read even when asked for again (97): check that ' +
  "the ILS device's errorDetection (checksums) and charset are what the ILS's SIP2 account uses, " +
  'and the line between them';

/**
 * The ILS could not be reached: the offline answer. A request the link cannot carry is thrown; one
 * the ILS could not read is refused (refusedUnread), never answered offline; one whose answer could
 * not be read is answered offline only where the journal takes it, else not sure (`unsure`).
 */
async function answeredOffline(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: AnySip2Message,
  refusal: RelayRefusal,
  error: unknown,
): Promise<RelayedAnswer> {
  if (error instanceof IlsError && error.code === 'ils_bad_request') throw error;
  if (error instanceof IlsError && error.code === 'ils_resend_limit')
    return refusedUnread(context, request, refusal, error);
  const said = { error: describeError(error), type: request.type };
  // The ILS answered, unreadably: it may have done the request. What the journal takes is replayed
  // against what the ILS shows (a checkout or checkin looked up first, a second block harmless);
  // anything else is answered not sure, never "offline, nothing done".
  const unreadable = error instanceof IlsError && error.code === 'ils_bad_response';
  const unsure = unreadable && !NOTHING_DONE.has(request.type);
  if (unsure) context.logger.warn(said, "the ILS's answer could not be read (97), and it may have done it");
  // A lookup's answer came, unreadable: the ILS is there, so not "unreachable", and IT has something to check.
  else if (unreadable) context.logger.warn(said, `${UNREADABLE_ANSWER}: answering offline`);
  else context.logger.warn(said, 'ILS unreachable: answering offline');
  const source: RelayAnswerSource = { offline: true, errorCode: said.error.code };
  const notSure = (): RelayedAnswer => ({
    answer: refusal('unsure'),
    source: { offline: false, failed: said.error.code },
  });
  if (request.type === 'blockPatron' && context.journal && account)
    return journaledBlock(context, account, request, refusal, source);
  if (request.type !== 'scStatus' && context.onOffline && account) {
    const outcome = await context.onOffline(request, account, context.timeZone);
    if ('answer' in outcome) return { answer: outcome.answer, source };
    if (unsure) return notSure();
    // Refused by the journal: counted with its reason, not the ILS error that sent it there.
    return { answer: refusal('offline'), source: { offline: true, errorCode: outcome.refused } };
  }
  return unsure ? notSure() : { answer: refusal('offline'), source };
}

/**
 * The ILS kept asking for the request again (96): it is there, but could not read it (its error says
 * what to check: errorDetection, charset), so nothing was done there. SIP2's 96 asks the sender to
 * send the same bytes again, which the relay did (maxResends); passed on, it would tell the
 * self-check its own request was damaged on the line, and the self-check, sending it again to the
 * same end, would go offline after its retries and lend on its own. So the request is refused in
 * words (its refusal, AF ILS_COULD_NOT_READ_MESSAGE; a 12 with desensitize N), the answer a
 * self-check acts on at once, sending the patron to staff. Never journaled: the replay would meet
 * the same 96, and a checkout taken offline lets the item leave as a loan the ILS never made.
 * Counted as failed (ils_resend_limit), not offline.
 */
function refusedUnread(
  context: RelaySessionContext,
  request: AnySip2Message,
  refusal: RelayRefusal,
  error: IlsError,
): RelayedAnswer {
  const said = { error: describeError(error), type: request.type };
  if (request.type === 'blockPatron')
    context.logger.error(
      said,
      'the ILS could not read the block of a patron card (96): refused, staff must block the card at the ILS',
    );
  else context.logger.warn(said, 'the ILS could not read the request (96): refused, not answered offline');
  return { answer: refusal('unread'), source: { offline: false, failed: error.code } };
}

/** What a self-check is told of a block of a card the journal took while the ILS is down. */
export const RELAY_BLOCK_JOURNALED_MESSAGE = 'Card blocked: the library system will be told when it is back';

/**
 * A block of a patron's card (01) while the ILS is down: journaled whatever the offline policy,
 * for the replay to send when the ILS is back (a card the self-check kept as stolen must not stay
 * usable there), and answered with the offline 24 (privileges denied) saying so. A journal that
 * will not take it gets the refusal, its reason counted.
 */
function journaledBlock(
  context: RelaySessionContext,
  account: Sip2RelayAccount,
  request: Sip2Message<'blockPatron'>,
  refusal: RelayRefusal,
  source: RelayAnswerSource,
): RelayedAnswer {
  try {
    context.journal?.accept({
      kind: 'blockPatron',
      patron: request.patronIdentifier,
      terminal: account.kioskUser,
      at: context.clock.now(),
      block: { cardRetained: request.cardRetained, message: request.blockedCardMessage },
    });
  } catch (error) {
    const { code } = describeError(error);
    context.logger.error({ code }, 'block of a patron card not journaled: staff must block it at the ILS');
    return { answer: refusal('offline'), source: { offline: true, errorCode: code } };
  }
  const answer = refusal('offline');
  if (answer.type !== 'patronStatusResponse') return { answer, source };
  return { answer: { ...answer, screenMessage: [RELAY_BLOCK_JOURNALED_MESSAGE] }, source };
}

/**
 * Waits for the offline journal's work about the request's item or patron to
 * reach the ILS, so a self-check never overtakes it; an ILS that stops
 * answering meanwhile is treated as unreachable (the offline answer).
 */
async function behindBacklog(ordering: OfflineOrdering, request: AnySip2Message): Promise<void> {
  const fields = request as { patronIdentifier?: unknown; itemIdentifier?: unknown };
  const item =
    typeof fields.itemIdentifier === 'string' && fields.itemIdentifier !== ''
      ? fields.itemIdentifier
      : undefined;
  const patron =
    typeof fields.patronIdentifier === 'string' && fields.patronIdentifier !== ''
      ? fields.patronIdentifier
      : undefined;
  if (item === undefined && patron === undefined) return;
  const outcome = await ordering.settle({ items: item === undefined ? [] : [item], patron });
  if (outcome === 'unreachable')
    throw new IlsError('ils_offline', 'the ILS stopped answering while earlier offline work was replayed');
}

/** A counted request that got no answer at all (the relay's own failure). */
export function countFailure(
  context: RelaySessionContext,
  account: Sip2RelayAccount | undefined,
  request: AnySip2Message,
  error: unknown,
): void {
  const kind = countedKind(request);
  if (kind === undefined || !account) return;
  countTransaction(context, {
    kind,
    terminal: account.kioskUser,
    outcome: 'failed',
    reason: describeError(error).code,
  });
}

/** Statistics never fail a relayed request: a listener that throws or rejects is logged and ignored. */
export function countTransaction(
  context: RelaySessionContext,
  transaction: RelayTransaction | undefined,
): void {
  const listener = context.onTransaction;
  if (!transaction || !listener) return;
  const ignore = (error: unknown) =>
    context.logger.debug({ error: describeError(error) }, 'relayed transaction not counted');
  try {
    const result: unknown = listener(transaction);
    if (result instanceof Promise) result.catch(ignore);
  } catch (error) {
    ignore(error);
  }
}
