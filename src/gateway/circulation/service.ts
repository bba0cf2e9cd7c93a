/**
 * The circulation service: patron lookup, checkout, checkin, renewals, holds,
 * fee payments, item information and ending a patron session, over the SIP2
 * client, answered in the library's words. It logs nothing (every request names
 * a patron); outcomes go to `onTransaction` for statistics, without patron data.
 */
import { CarrelError, describeError } from '../../core/errors.js';
import { type IlsClient, IlsError } from '../../devices/ils/index.js';
import type { PaymentType, SummaryItems } from '../../protocols/sip2/index.js';
import {
  checkinResult,
  checkoutResult,
  endSessionResult,
  feePaymentResult,
  holdResult,
  itemInformationResult,
  type MappingOptions,
  type PatronLists,
  patronLookupRefusal,
  patronView,
  renewAllResult,
  renewalResult,
} from './mapping.js';
import { type CirculationKind, CirculationRefusal, patronReasons } from './reasons.js';
import type {
  CheckinResult,
  CheckoutResult,
  CirculationContext,
  CirculationTransaction,
  EndSessionResult,
  FeePaymentResult,
  HoldResult,
  HoldView,
  ItemInformationResult,
  LoanView,
  PatronView,
  RenewAllResult,
  RenewalResult,
} from './types.js';

export interface PatronRef {
  patron: string;
  pin?: string | undefined;
}

export interface CheckoutRequest extends PatronRef {
  item: string;
  feeAcknowledged?: boolean | undefined;
}

export interface HoldRequest extends PatronRef {
  item?: string | undefined;
  title?: string | undefined;
  pickupLocation?: string | undefined;
}

export interface FeePaymentRequest extends PatronRef {
  /** Decimal, e.g. `7.50`. */
  amount: string;
  feeId?: string | undefined;
  paymentType?: PaymentType | undefined;
  currency?: string | undefined;
}

export interface CirculationServiceOptions {
  /** The ILS client; throws when the ILS link is not running. */
  ils: () => IlsClient;
  /** Statistics hook: one call per request, no patron data. */
  onTransaction?: (transaction: CirculationTransaction) => void;
  /** Default terminal name for statistics. */
  terminal?: string;
  /** Most loans and holds looked up one by one for titles and due dates. */
  maxItemDetails?: number;
}

/** What the API layer calls. */
export interface CirculationApi {
  lookUpPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }>;
  checkout(request: CheckoutRequest, context?: CirculationContext): Promise<CheckoutResult>;
  checkin(request: { item: string }, context?: CirculationContext): Promise<CheckinResult>;
  renew(request: PatronRef & { item: string }, context?: CirculationContext): Promise<RenewalResult>;
  renewAll(request: PatronRef, context?: CirculationContext): Promise<RenewAllResult>;
  placeHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult>;
  cancelHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult>;
  payFee(request: FeePaymentRequest, context?: CirculationContext): Promise<FeePaymentResult>;
  item(item: string, context?: CirculationContext): Promise<ItemInformationResult>;
  endSession(request: PatronRef, context?: CirculationContext): Promise<EndSessionResult>;
}

const LISTS: Array<keyof PatronLists & SummaryItems> = [
  'chargedItems',
  'overdueItems',
  'holdItems',
  'unavailableHoldItems',
  'fineItems',
];

export class CirculationService implements CirculationApi {
  private readonly maxItemDetails: number;

  constructor(private readonly options: CirculationServiceOptions) {
    this.maxItemDetails = options.maxItemDetails ?? 50;
  }

  lookUpPatron(request: PatronRef, context?: CirculationContext): Promise<{ patron: PatronView }> {
    return this.run('patron', context, async (ils, mapping) => {
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

  checkout(request: CheckoutRequest, context?: CirculationContext): Promise<CheckoutResult> {
    return this.run('checkout', context, async (ils, mapping) => {
      const answer = await ils.checkout(request.patron, request.item, {
        ...pinOf(request),
        ...(request.feeAcknowledged !== undefined ? { feeAcknowledged: request.feeAcknowledged } : {}),
      });
      return this.refined(ils, request, () => checkoutResult(answer.message, mapping));
    });
  }

  checkin(request: { item: string }, context?: CirculationContext): Promise<CheckinResult> {
    return this.run('checkin', context, async (ils) =>
      checkinResult((await ils.checkin(request.item)).message),
    );
  }

  renew(request: PatronRef & { item: string }, context?: CirculationContext): Promise<RenewalResult> {
    return this.run('renew', context, async (ils, mapping) => {
      const answer = await ils.renew(request.patron, request.item, pinOf(request));
      return this.refined(ils, request, () => renewalResult(answer.message, mapping));
    });
  }

  renewAll(request: PatronRef, context?: CirculationContext): Promise<RenewAllResult> {
    return this.run('renewAll', context, async (ils) => {
      const answer = await ils.renewAll(request.patron, pinOf(request));
      return this.refined(ils, request, () => renewAllResult(answer.message));
    });
  }

  placeHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult> {
    return this.hold('hold', request, context);
  }

  cancelHold(request: HoldRequest, context?: CirculationContext): Promise<HoldResult> {
    return this.hold('holdCancel', request, context);
  }

  payFee(request: FeePaymentRequest, context?: CirculationContext): Promise<FeePaymentResult> {
    return this.run('feePaid', context, async (ils) => {
      // SIP2 wants a currency on every payment: the patron's account says which, when the caller does not.
      const currency = request.currency ?? (await this.patronCurrency(ils, request));
      const answer = await ils.feePaid(request.patron, {
        amount: request.amount,
        ...pinOf(request),
        ...(request.feeId !== undefined ? { feeId: request.feeId } : {}),
        ...(request.paymentType !== undefined ? { paymentType: request.paymentType } : {}),
        ...(currency !== undefined ? { currency } : {}),
      });
      return this.refined(ils, request, () => feePaymentResult(answer.message));
    });
  }

  item(item: string, context?: CirculationContext): Promise<ItemInformationResult> {
    return this.run('item', context, async (ils, mapping) =>
      itemInformationResult((await ils.itemInformation(item)).message, mapping),
    );
  }

  endSession(request: PatronRef, context?: CirculationContext): Promise<EndSessionResult> {
    return this.run('endSession', context, async (ils) =>
      endSessionResult((await ils.endSession(request.patron, pinOf(request))).message),
    );
  }

  private hold(kind: 'hold' | 'holdCancel', request: HoldRequest, context?: CirculationContext) {
    return this.run(kind, context, async (ils, mapping) => {
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

  private async patronCurrency(ils: IlsClient, patron: PatronRef): Promise<string | undefined> {
    const currency = (await ils.patronStatus(patron.patron, pinOf(patron))).message.currencyType?.trim();
    return currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  }

  /**
   * A refusal whose wording names no reason is looked into: the patron's status
   * (23) tells a wrong PIN, an unknown patron or a block from a plain "no".
   */
  private async refined<T>(ils: IlsClient, patron: PatronRef, map: () => T): Promise<T> {
    try {
      return map();
    } catch (error) {
      if (!(error instanceof CirculationRefusal) || error.reason !== 'refused') throw error;
      const pinGiven = patron.pin !== undefined && patron.pin !== '';
      const status = await ils.patronStatus(patron.patron, pinOf(patron)).catch(() => undefined);
      const reason = status && patronReasons(status.message, pinGiven)[0];
      if (reason === undefined) throw error;
      throw new CirculationRefusal(reason, error.screenMessages, error.kind);
    }
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

  private async run<T>(
    kind: CirculationKind,
    context: CirculationContext | undefined,
    work: (ils: IlsClient, mapping: MappingOptions) => Promise<T>,
  ): Promise<T> {
    const terminal = context?.terminal ?? this.options.terminal ?? 'desk';
    try {
      const ils = this.client();
      const result = await work(ils, { timeZone: ils.config.timeZone });
      this.count({ kind, terminal, outcome: 'ok' });
      return result;
    } catch (error) {
      if (error instanceof CirculationRefusal) {
        this.count({ kind, terminal, outcome: 'refused', reason: error.reason });
      } else {
        this.count({ kind, terminal, outcome: 'failed', reason: describeError(error).code });
      }
      throw error;
    }
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

function pinOf(request: PatronRef): { pin?: string } {
  return request.pin !== undefined && request.pin !== '' ? { pin: request.pin } : {};
}
