import type { CheckinOptions, CheckoutOptions } from '../../../src/devices/ils/requests.js';
import type { IlsForReplay } from '../../../src/gateway/offline/index.js';
import {
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Body,
  type Sip2Message,
  type Sip2MessageType,
} from '../../../src/protocols/sip2/index.js';

/** Encodes and decodes a message, so the fake answers exactly what a client would decode off the wire. */
export function decoded<T extends Sip2MessageType>(input: AnySip2MessageInput & { type: T }): Sip2Message<T> {
  const result = decodeSip2Message(encodeSip2Body(input));
  if (!result.ok) throw new Error(`fake ILS built a bad message: ${result.error.message}`);
  return result.message as Sip2Message<T>;
}

export type FakeCall =
  | { op: 'itemInformation'; item: string }
  | { op: 'patronInformation'; patron: string }
  | { op: 'checkout'; patron: string; item: string; options: CheckoutOptions }
  | { op: 'checkin'; item: string; options: CheckinOptions };

/** An ILS in memory: loans by item, a call record, refusals and failures on demand. */
export class FakeIls implements IlsForReplay {
  readonly loans = new Map<string, string>();
  readonly calls: FakeCall[] = [];
  /** Screen messages of a refusal for this checkout, or undefined to accept. */
  refuseCheckout: (patron: string, item: string) => string[] | undefined = () => undefined;
  refuseCheckin: (item: string) => string[] | undefined = () => undefined;
  /** Thrown by the next call of this operation. */
  failures = new Map<FakeCall['op'], Error>();
  /** Whether 18s name the borrower (AA), as many ILSs do. */
  namesBorrower = true;

  /** The checkouts and checkins sent, in order. */
  sent(): Array<Extract<FakeCall, { op: 'checkout' | 'checkin' }>> {
    return this.calls.filter(
      (call): call is Extract<FakeCall, { op: 'checkout' | 'checkin' }> =>
        call.op === 'checkout' || call.op === 'checkin',
    );
  }

  private enter(call: FakeCall): void {
    this.calls.push(call);
    const failure = this.failures.get(call.op);
    if (failure) {
      this.failures.delete(call.op);
      throw failure;
    }
  }

  async itemInformation(item: string) {
    this.enter({ op: 'itemInformation', item });
    const borrower = this.loans.get(item);
    return {
      message: decoded({
        type: 'itemInformationResponse',
        circulationStatus: borrower === undefined ? 'available' : 'charged',
        securityMarker: 'other',
        feeType: 'other',
        transactionDate: new Date(),
        itemIdentifier: item,
        titleIdentifier: `Title of ${item}`,
        ...(borrower !== undefined && this.namesBorrower && { extraFields: [{ id: 'AA', value: borrower }] }),
      }),
    };
  }

  async patronInformation(patron: string) {
    this.enter({ op: 'patronInformation', patron });
    const charged = [...this.loans].filter(([, who]) => who === patron).map(([item]) => item);
    return {
      message: decoded({
        type: 'patronInformationResponse',
        patronStatus: {},
        language: 'english',
        transactionDate: new Date(),
        holdItemsCount: 0,
        overdueItemsCount: 0,
        chargedItemsCount: charged.length,
        fineItemsCount: 0,
        recallItemsCount: 0,
        unavailableHoldsCount: 0,
        institutionId: 'main',
        patronIdentifier: patron,
        personalName: 'Someone',
        chargedItems: charged,
      }),
    };
  }

  async checkout(patron: string, item: string, options: CheckoutOptions) {
    this.enter({ op: 'checkout', patron, item, options });
    const refusal = this.refuseCheckout(patron, item);
    if (refusal === undefined) this.loans.set(item, patron);
    return {
      message: decoded({
        type: 'checkoutResponse',
        ok: refusal === undefined,
        renewalOk: false,
        magneticMedia: 'unknown',
        desensitize: refusal === undefined,
        transactionDate: new Date(),
        institutionId: 'main',
        patronIdentifier: patron,
        itemIdentifier: item,
        titleIdentifier: `Title of ${item}`,
        dueDate: refusal === undefined ? '20260201    120000' : '',
        ...(refusal && { screenMessage: refusal }),
      }),
    };
  }

  async checkin(item: string, options: CheckinOptions) {
    this.enter({ op: 'checkin', item, options });
    const refusal = this.refuseCheckin(item);
    if (refusal === undefined) this.loans.delete(item);
    return {
      message: decoded({
        type: 'checkinResponse',
        ok: refusal === undefined,
        resensitize: true,
        magneticMedia: 'unknown',
        alert: false,
        transactionDate: new Date(),
        institutionId: 'main',
        itemIdentifier: item,
        permanentLocation: 'MAIN',
        ...(refusal && { screenMessage: refusal }),
      }),
    };
  }
}
