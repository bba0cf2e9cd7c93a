/**
 * The circulation service: patron lookup, checkout, checkin, renewals, holds,
 * fee payments, item information and ending a patron session, over the SIP2
 * client, answered in the library's words. It logs nothing (every request names
 * a patron); outcomes go to `onTransaction` for statistics, without patron data.
 */
import { type Clock, systemClock } from '../../core/clock.js';
import { CarrelError, describeError } from '../../core/errors.js';
import { type CheckoutOptions, type IlsClient, IlsError } from '../../devices/ils/index.js';
import { PAYMENT_TYPE, type SummaryItems } from '../../protocols/sip2/index.js';
import type {
  CheckinAnswer,
  CheckoutAnswer,
  CheckoutRequest,
  CirculationContext,
  CirculationService,
  CirculationTransaction,
  EndSessionResult,
  FeePaymentRequest,
  FeePaymentResult,
  HoldRequest,
  HoldResult,
  HoldView,
  ItemInformationResult,
  LoanView,
  OfflineAcceptance,
  PatronLoansResult,
  PatronRef,
  PatronView,
  RenewAllResult,
  RenewalRequest,
  RenewalResult,
} from '../contracts/circulation.js';
import type { OfflineIntake, OfflineOrdering } from '../contracts/offline.js';
import { OfflineError } from '../offline/errors.js';
import type { OfflineOrderingKeys } from '../offline/journal.js';
import { type FeePaymentAttempt, payFeeOnce } from './fee-payment.js';
import {
  checkinResult,
  checkoutResult,
  endSessionResult,
  holdResult,
  itemInformationResult,
  type MappingOptions,
  type PatronLists,
  patronLookupRefusal,
  patronView,
  renewAllResult,
  renewalResult,
} from './mapping.js';
import { currencyExponent, minorOf } from './money.js';
import { mayHaveBeenDone } from './outcome-unknown.js';
import { type CirculationKind, CirculationRefusal, patronReasons, type RefusalReason } from './reasons.js';

/** What a patron reads when a transaction was accepted offline. */
export const OFFLINE_SCREEN_MESSAGE =
  'Accepted offline: it will be sent to the library system when it is back';

/** What a patron reads when a fee payment was journaled for later. */
export const OFFLINE_FEE_MESSAGE = 'Payment recorded: it will be sent to the library system when it is back';

/** ILS errors that mean it could not be reached (a lost answer has already been checked by the client). */
const UNREACHABLE: ReadonlySet<string> = new Set(['ils_offline', 'ils_timeout', 'ils_connection_lost']);

export interface IlsCirculationOptions {
  /** The ILS client; throws when the ILS link is not running. */
  ils: () => IlsClient;
  /** Statistics hook: one call per request, no patron data. */
  onTransaction?: (transaction: CirculationTransaction) => void;
  /** Default terminal name for statistics. */
  terminal?: string;
  /** Most loans and holds looked up one by one for titles and due dates. */
  maxItemDetails?: number;
  /** Charged items asked for in one 63 (BP/BQ) when a patron's loans are listed; default 10. */
  loansPageSize?: number;
  /**
   * The offline journal: when given, a checkout or checkin the ILS cannot be
   * reached for is accepted into it, as its policy allows. Without it such a
   * request fails with the ILS error.
   */
  offline?: OfflineIntake;
  /**
   * The journal's backlog: every request waits for journaled work about its
   * item or patron to reach the ILS first, so an online checkin never overtakes
   * an offline checkout of the same item. Given whether or not new offline work
   * is accepted: what is already journaled must still go first.
   */
  ordering?: OfflineOrdering;
  /**
   * Where a fee payment goes when the ILS cannot be reached: the offline
   * journal, whatever its policy says of circulation (the money is taken).
   * It needs a currency and a transaction id; without it the ILS error stands.
   */
  feePayments?: OfflineIntake;
  /** For the time an offline transaction was taken. */
  clock?: Clock;
}

/** What a patron whose renewal privileges are denied may be told as the reason, most serious first. */
const WHY_NO_RENEWAL: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'card_lost',
  'card_expired',
  'patron_blocked',
  'excessive_fines',
  'too_many_overdue',
  'renewal_not_allowed',
]);

/** A patron's loans are listed in at most this many pages: an ILS that pages wrongly cannot keep us asking. */
const MAX_LOAN_PAGES = 100;

const LISTS: Array<keyof PatronLists & SummaryItems> = [
  'chargedItems',
  'overdueItems',
  'holdItems',
  'unavailableHoldItems',
  'fineItems',
];

export class IlsCirculation implements CirculationService {
  private readonly maxItemDetails: number;

  constructor(private readonly options: IlsCirculationOptions) {
    this.maxItemDetails = options.maxItemDetails ?? 50;
  }

  identifyPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }> {
    return this.run('patron', context, about(request), async (ils, mapping) => {
      const pinGiven = request.pin !== undefined && request.pin !== '';
      const answer = await ils.patronInformation(request.patron, pinGiven ? { pin: request.pin } : {});
      const refusal = patronLookupRefusal(answer.message, pinGiven);
      if (refusal) throw refusal;
      return { patron: patronView(answer.message, {}, pinGiven, mapping) };
    });
  }

  patronFees(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }> {
    return this.run('patron', context, about(request), async (ils, mapping) => {
      const pinGiven = request.pin !== undefined && request.pin !== '';
      const answer = await ils.patronInformation(request.patron, {
        ...(pinGiven ? { pin: request.pin } : {}),
        summary: 'fineItems',
      });
      const refusal = patronLookupRefusal(answer.message, pinGiven);
      if (refusal) throw refusal;
      return {
        patron: patronView(answer.message, { fineItems: answer.message.fineItems ?? [] }, pinGiven, mapping),
      };
    });
  }

  lookUpPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }> {
    return this.run('patron', context, about(request), async (ils, mapping) => {
      const pinGiven = request.pin !== undefined && request.pin !== '';
      const ask = (summary: SummaryItems) =>
        ils.patronInformation(request.patron, { ...(pinGiven ? { pin: request.pin } : {}), summary });
      const first = await ask('chargedItems');
      const refusal = patronLookupRefusal(first.message, pinGiven);
      if (refusal) throw refusal;
      const lists: PatronLists = { chargedItems: first.message.chargedItems ?? [] };
      for (const summary of LISTS.slice(1)) lists[summary] = (await ask(summary)).message[summary] ?? [];
      const patron = patronView(first.message, lists, pinGiven, mapping);
      patron.loans = await this.describeLoans(ils, patron.loans, mapping);
      patron.holds = {
        available: await this.describeHolds(ils, patron.holds.available, mapping),
        unavailable: await this.describeHolds(ils, patron.holds.unavailable, mapping),
      };
      return { patron };
    });
  }

  checkout(request: CheckoutRequest, context?: CirculationContext): Promise<CheckoutAnswer> {
    return this.run(
      'checkout',
      context,
      about(request, request.item),
      (ils, mapping): Promise<CheckoutAnswer> => {
        const options: CheckoutOptions = {};
        if (request.pin !== undefined && request.pin !== '') options.pin = request.pin;
        if (request.feeAcknowledged !== undefined) options.feeAcknowledged = request.feeAcknowledged;
        return ils
          .checkout(request.patron, request.item, options)
          .then((answer) => this.refined(ils, request, () => checkoutResult(answer.message, mapping)));
      },
      (terminal) =>
        this.acceptOffline({ kind: 'checkout', patron: request.patron, item: request.item }, terminal),
    );
  }

  checkin(request: { item: string }, context?: CirculationContext): Promise<CheckinAnswer> {
    return this.run(
      'checkin',
      context,
      about(undefined, request.item),
      (ils): Promise<CheckinAnswer> =>
        ils.checkin(request.item).then((answer) => checkinResult(answer.message)),
      (terminal) => this.acceptOffline({ kind: 'checkin', item: request.item }, terminal),
    );
  }

  renew(request: RenewalRequest & { item: string }, context?: CirculationContext): Promise<RenewalResult> {
    return this.run('renew', context, about(request, request.item), async (ils, mapping) => {
      const answer = await ils.renew(request.patron, request.item, renewalOptions(request));
      return this.refined(ils, request, () => renewalResult(answer.message, mapping));
    });
  }

  renewAll(request: RenewalRequest, context?: CirculationContext): Promise<RenewAllResult> {
    return this.run('renewAll', context, about(request), async (ils) => {
      const answer = await ils.renewAll(request.patron, renewalOptions(request));
      return this.refined(ils, request, () => renewAllResult(answer.message));
    });
  }

  patronLoans(request: PatronRef, context?: CirculationContext): Promise<PatronLoansResult> {
    return this.run('patron', context, about(request), async (ils) => {
      const pinGiven = request.pin !== undefined && request.pin !== '';
      const size = Math.max(1, this.options.loansPageSize ?? 10);
      const items: string[] = [];
      const seen = new Set<string>();
      for (let page = 0; page < MAX_LOAN_PAGES; page++) {
        const start = page * size + 1;
        const answer = await ils.patronInformation(request.patron, {
          ...(pinGiven ? { pin: request.pin } : {}),
          summary: 'chargedItems',
          range: { start, end: start + size - 1 },
        });
        const refusal = patronLookupRefusal(answer.message, pinGiven);
        if (refusal) throw refusal;
        const listed = answer.message.chargedItems ?? [];
        if (answer.message.patronStatus.renewalPrivilegesDenied) {
          // None of them can be renewed: the rest of the list is not needed.
          const reason = patronReasons(answer.message, pinGiven).find((r) => WHY_NO_RENEWAL.has(r));
          for (const item of listed) if (item !== '' && !items.includes(item)) items.push(item);
          return {
            items,
            renewalsDenied: {
              reason: reason ?? 'renewal_not_allowed',
              screenMessages: answer.message.screenMessage ?? [],
            },
          };
        }
        let added = 0;
        for (const item of listed) {
          if (item === '' || seen.has(item)) continue;
          seen.add(item);
          items.push(item);
          added++;
        }
        const count = answer.message.chargedItemsCount;
        // The last page: short, or more than asked (an ILS that sends the whole list whatever
        // BP/BQ say), or nothing new (one that sends its first page again), or all it counts.
        if (listed.length < size || listed.length > size || added === 0) break;
        if (typeof count === 'number' && items.length >= count) break;
      }
      return { items };
    });
  }

  placeHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult> {
    return this.hold('hold', request, context);
  }

  cancelHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult> {
    return this.hold('holdCancel', request, context);
  }

  payFee(request: FeePaymentRequest, context?: CirculationContext): Promise<FeePaymentResult> {
    const attempt: FeePaymentAttempt = {
      currency: request.currency,
      owedBeforeMinor: undefined,
      sent: false,
    };
    return this.run(
      'feePaid',
      context,
      about(request),
      (ils) => payFeeOnce(ils, request, attempt, (map) => this.refined(ils, request, map)),
      (terminal) => this.journalFeePayment(request, attempt, terminal),
    );
  }

  item(item: string, context?: CirculationContext): Promise<ItemInformationResult> {
    return this.run('item', context, about(undefined, item), async (ils, mapping) =>
      itemInformationResult((await ils.itemInformation(item)).message, mapping),
    );
  }

  endSession(request: PatronRef, context?: CirculationContext): Promise<EndSessionResult> {
    return this.run('endSession', context, about(request), async (ils) =>
      endSessionResult((await ils.endSession(request.patron, pinOf(request))).message),
    );
  }

  private hold(kind: 'hold' | 'holdCancel', request: HoldRequest, context?: CirculationContext) {
    return this.run(kind, context, about(request, request.item), async (ils, mapping) => {
      const answer = await ils.hold(request.patron, {
        mode: kind === 'hold' ? 'add' : 'delete',
        ...pinOf(request),
        ...(request.item !== undefined ? { item: request.item } : {}),
        ...(request.title !== undefined ? { title: request.title } : {}),
        ...(request.pickupLocation !== undefined ? { pickupLocation: request.pickupLocation } : {}),
      });
      return this.refined(ils, request, () => holdResult(answer.message, kind, mapping));
    });
  }

  /**
   * The ILS's answer mapped; a refusal whose wording names no reason is looked into. A mapped
   * answer is returned as it is, not in a promise of its own: nearly every answer is one.
   */
  private refined<T>(ils: IlsClient, patron: PatronRef, map: () => T): T | Promise<T> {
    try {
      return map();
    } catch (error) {
      return this.lookedInto(ils, patron, error);
    }
  }

  /** The patron's status (23) tells a wrong PIN, an unknown patron or a block from a plain "no". */
  private async lookedInto(ils: IlsClient, patron: PatronRef, error: unknown): Promise<never> {
    if (!(error instanceof CirculationRefusal) || error.reason !== 'refused') throw error;
    const pinGiven = patron.pin !== undefined && patron.pin !== '';
    const status = await ils.patronStatus(patron.patron, pinOf(patron)).catch(() => undefined);
    const reason = status && patronReasons(status.message, pinGiven)[0];
    if (reason === undefined) throw error;
    throw new CirculationRefusal(reason, error.screenMessages, error.kind, { title: error.title });
  }

  private async describeLoans(
    ils: IlsClient,
    loans: LoanView[],
    mapping: MappingOptions,
  ): Promise<LoanView[]> {
    const described: LoanView[] = [];
    for (const [index, loan] of loans.entries()) {
      if (index >= this.maxItemDetails) {
        described.push(loan);
        continue;
      }
      const item = await this.quietItem(ils, loan.item, mapping);
      described.push({
        ...loan,
        ...(item?.title ? { title: item.title } : {}),
        ...(item?.dueDate ? { dueDate: item.dueDate } : {}),
      });
    }
    return described;
  }

  private async describeHolds(
    ils: IlsClient,
    holds: HoldView[],
    mapping: MappingOptions,
  ): Promise<HoldView[]> {
    const described: HoldView[] = [];
    for (const [index, hold] of holds.entries()) {
      const item = index < this.maxItemDetails ? await this.quietItem(ils, hold.item, mapping) : undefined;
      described.push({
        ...hold,
        ...(item?.title ? { title: item.title } : {}),
        ...(item?.holdPickupDate ? { pickupBy: item.holdPickupDate } : {}),
      });
    }
    return described;
  }

  /** Item details for a list: a lookup that fails leaves the entry bare rather than failing the patron. */
  private async quietItem(ils: IlsClient, item: string, mapping: MappingOptions) {
    try {
      return itemInformationResult((await ils.itemInformation(item)).message, mapping).item;
    } catch (error) {
      if (error instanceof CirculationRefusal) return undefined;
      throw error;
    }
  }

  /** Journals a transaction the ILS could not be reached for; throws the journal's OfflineError when refused. */
  private acceptOffline(
    transaction: { kind: 'checkout' | 'checkin'; patron?: string; item: string },
    terminal: string,
  ): OfflineAcceptance | undefined {
    const journal = this.options.offline;
    if (!journal) return undefined;
    const clock = this.options.clock ?? systemClock;
    const accepted = journal.accept({ ...transaction, terminal, at: clock.now() });
    return {
      ok: true,
      offline: true,
      transaction: { id: accepted.id, sequence: accepted.sequence },
      item: { id: transaction.item },
      dueDate: null,
      screenMessages: [OFFLINE_SCREEN_MESSAGE],
    };
  }

  /**
   * A fee payment the ILS could not be reached for goes into the offline journal
   * (whatever the offline policy: its money is taken), with what the fee owed
   * before a 37 that may have reached the ILS, for the replay's own check.
   */
  private journalFeePayment(
    request: FeePaymentRequest,
    attempt: FeePaymentAttempt,
    terminal: string,
  ): FeePaymentResult | undefined {
    const journal = this.options.feePayments;
    const currency = attempt.currency;
    if (!journal || !currency || !request.transactionId) return undefined;
    const amountMinor = minorOf(request.amount, currencyExponent(currency));
    if (amountMinor === undefined || amountMinor <= 0) return undefined;
    if (attempt.sent && attempt.owedBeforeMinor === undefined) return undefined;
    const clock = this.options.clock ?? systemClock;
    const accepted = journal.accept({
      kind: 'feePaid',
      patron: request.patron,
      terminal,
      at: clock.now(),
      fee: {
        ...(request.feeId !== undefined ? { id: request.feeId } : {}),
        type: request.feeType ?? 'other',
        amountMinor,
        currency,
        transactionId: request.transactionId,
        // As SIP2 codes it (02 a credit card): the replay pays the ILS as the patron paid here.
        ...(request.paymentType !== undefined
          ? { paymentType: PAYMENT_TYPE.byName.get(request.paymentType)?.code }
          : {}),
        ...(attempt.sent && attempt.owedBeforeMinor !== undefined
          ? { owedBeforeMinor: attempt.owedBeforeMinor }
          : {}),
      },
    });
    return {
      accepted: true,
      transactionId: request.transactionId,
      offline: { transaction: { id: accepted.id, sequence: accepted.sequence } },
      screenMessages: [OFFLINE_FEE_MESSAGE],
      printLines: [],
    };
  }

  /**
   * Runs one request at the ILS, counted, with the offline journal's answer when the ILS cannot be
   * reached. No async frame of its own: nearly every request finds nothing journaled and goes
   * straight to the ILS, and an async function would keep its frame and registers for the whole
   * round trip (~1 KB a checkout of what a saturated desk collects).
   */
  private run<T>(
    kind: CirculationKind,
    context: CirculationContext | undefined,
    keys: OfflineOrderingKeys,
    work: (ils: IlsClient, mapping: MappingOptions) => Promise<T>,
    offline?: (terminal: string) => T | undefined,
  ): Promise<T> {
    const terminal = context?.terminal ?? this.options.terminal ?? 'desk';
    let answered: Promise<T>;
    try {
      const ils = this.client();
      // Nearly always nothing is journaled: no wait at all then (as the relay does).
      answered =
        this.options.ordering && this.options.ordering.isClear?.() !== true
          ? this.behindBacklog(keys).then(() => work(ils, { timeZone: ils.config.timeZone }))
          : work(ils, { timeZone: ils.config.timeZone });
    } catch (error) {
      answered = Promise.reject(error);
    }
    return answered.then(
      (result) => {
        this.count({ kind, terminal, outcome: 'ok' });
        return result;
      },
      (error: unknown) => this.failed(kind, terminal, error, offline),
    );
  }

  /**
   * A request that failed: the offline journal's answer when it takes it, else the error, counted —
   * saying the ILS may have done it when its answer was lost (outcome-unknown.ts).
   */
  private failed<T>(
    kind: CirculationKind,
    terminal: string,
    error: unknown,
    offline: ((terminal: string) => T | undefined) | undefined,
  ): T {
    if (offline && error instanceof IlsError && UNREACHABLE.has(error.code)) {
      const accepted = this.offlineFallback(kind, terminal, offline);
      if (accepted !== undefined) return accepted;
    }
    if (error instanceof CirculationRefusal) {
      this.count({ kind, terminal, outcome: 'refused', reason: error.reason });
    } else {
      this.count({ kind, terminal, outcome: 'failed', reason: describeError(error).code });
    }
    throw mayHaveBeenDone(kind, error);
  }

  /**
   * The offline answer, counted; undefined when there is no journal or it
   * failed for a reason of its own (the ILS error then stands). A policy
   * refusal (OfflineError) is thrown.
   */
  private offlineFallback<T>(
    kind: CirculationKind,
    terminal: string,
    offline: (terminal: string) => T | undefined,
  ): T | undefined {
    try {
      const accepted = offline(terminal);
      if (accepted !== undefined) this.count({ kind, terminal, outcome: 'ok', offline: true });
      return accepted;
    } catch (error) {
      if (!(error instanceof OfflineError)) return undefined;
      this.count({ kind, terminal, outcome: 'refused', reason: error.code });
      throw error;
    }
  }

  /** Waits for the journaled work about `keys`; the ILS stopping meanwhile is an unreachable ILS. */
  private async behindBacklog(keys: OfflineOrderingKeys): Promise<void> {
    const ordering = this.options.ordering;
    if (!ordering) return;
    if ((await ordering.settle(keys)) === 'unreachable')
      throw new IlsError('ils_offline', 'the ILS stopped answering while earlier offline work was replayed');
  }

  private client(): IlsClient {
    try {
      return this.options.ils();
    } catch (error) {
      if (error instanceof CarrelError && !(error instanceof IlsError)) {
        throw new IlsError('ils_offline', 'the ILS link is not running', { cause: error });
      }
      throw error;
    }
  }

  private count(transaction: CirculationTransaction): void {
    try {
      this.options.onTransaction?.(transaction);
    } catch {
      // Statistics must never fail a checkout.
    }
  }
}

/** What a request is about, for ordering it behind the offline backlog. */
function about(patron: PatronRef | undefined, item?: string): OfflineOrderingKeys {
  const keys: OfflineOrderingKeys = { items: item === undefined ? [] : [item] };
  if (patron) keys.patron = patron.patron;
  return keys;
}

function pinOf(request: PatronRef): { pin?: string } {
  return request.pin !== undefined && request.pin !== '' ? { pin: request.pin } : {};
}

/** A renewal's PIN and, when the kiosk said, whether the patron accepted its fee (SIP2 BO). */
function renewalOptions(request: RenewalRequest): { pin?: string; feeAcknowledged?: boolean } {
  const options: { pin?: string; feeAcknowledged?: boolean } = pinOf(request);
  if (request.feeAcknowledged !== undefined) options.feeAcknowledged = request.feeAcknowledged;
  return options;
}
