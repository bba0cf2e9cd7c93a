/**
 * SIP2 requests built from what a caller means: "check out this item to this
 * patron". The terminal's own fields (institution, terminal password, location)
 * and the transaction date are filled in here, once.
 */
import type {
  FeeType,
  HoldMode,
  HoldType,
  Sip2EnumInput,
  Sip2MessageInput,
  SummaryItems,
} from '../../protocols/sip2/index.js';
import type { IlsConfig } from './config.js';

export type Sip2Date = Date | string;

export interface PatronStatusOptions {
  pin?: string;
  language?: Sip2EnumInput<'language'>;
}

export interface PatronInformationOptions {
  pin?: string;
  /** Which item list to return (AS, AT, AU, AV, BU or CD); at most one. */
  summary?: SummaryItems;
  /** 1-based range of that list (BP, BQ). */
  range?: { start: number; end: number };
  language?: Sip2EnumInput<'language'>;
}

export interface CheckoutOptions {
  pin?: string;
  feeAcknowledged?: boolean;
  /** Offline transaction the ILS must accept (store-and-forward replay). */
  noBlock?: boolean;
  /** The due date given to the patron while offline, for no-block checkouts. */
  nbDueDate?: Sip2Date;
  scRenewalPolicy?: boolean;
  itemProperties?: string;
  /** Undo a checkout just made (BI). */
  cancel?: boolean;
  transactionDate?: Sip2Date;
}

export interface CheckinOptions {
  noBlock?: boolean;
  returnDate?: Sip2Date;
  /** AP; default the configured location. */
  currentLocation?: string;
  itemProperties?: string;
  cancel?: boolean;
  transactionDate?: Sip2Date;
}

export interface RenewOptions {
  pin?: string;
  title?: string;
  feeAcknowledged?: boolean;
  thirdPartyAllowed?: boolean;
  noBlock?: boolean;
  nbDueDate?: Sip2Date;
  itemProperties?: string;
}

export interface RenewAllOptions {
  pin?: string;
  feeAcknowledged?: boolean;
}

export interface HoldOptions {
  /** Default 'add'. */
  mode?: HoldMode;
  item?: string;
  title?: string;
  pin?: string;
  expirationDate?: Sip2Date;
  pickupLocation?: string;
  holdType?: HoldType;
  feeAcknowledged?: boolean;
}

export interface FeePaidOptions {
  /** The amount as the ILS writes it: `7.50`. */
  amount: string;
  /** Default 'other'. */
  feeType?: FeeType;
  /** Default 'cash'; a code (`{ code: '05' }`) for one of the ILS's own. */
  paymentType?: Sip2EnumInput<'paymentType'>;
  /** ISO 4217, default 'USD'. */
  currency?: string;
  feeId?: string;
  transactionId?: string;
  pin?: string;
  /** When the payment was taken (a payment journaled offline is replayed with its own time). */
  transactionDate?: Sip2Date;
}

export interface BlockPatronOptions {
  /** Why the card was blocked (AL). */
  message?: string;
  cardRetained?: boolean;
  /** When the card was blocked (a block journaled offline is replayed with its own time). */
  transactionDate?: Sip2Date;
}

type Terminal = Pick<IlsConfig, 'institution' | 'terminalPassword' | 'location'>;

/** Builds requests for one terminal; `now` gives the transaction date. */
export class Sip2RequestBuilder {
  constructor(
    private readonly terminal: Terminal,
    private readonly now: () => Date,
  ) {}

  scStatus(): Sip2MessageInput<'scStatus'> {
    return { type: 'scStatus', statusCode: 'ok', maxPrintWidth: 80, protocolVersion: '2.00' };
  }

  login(user: string, password: string): Sip2MessageInput<'login'> {
    return {
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: user,
      loginPassword: password,
      locationCode: this.terminal.location,
    };
  }

  patronStatus(patron: string, options: PatronStatusOptions = {}): Sip2MessageInput<'patronStatusRequest'> {
    return {
      type: 'patronStatusRequest',
      language: options.language ?? 'unknown',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      patronPassword: options.pin ?? '',
    };
  }

  patronInformation(
    patron: string,
    options: PatronInformationOptions = {},
  ): Sip2MessageInput<'patronInformation'> {
    return {
      type: 'patronInformation',
      language: options.language ?? 'unknown',
      transactionDate: this.now(),
      summary: options.summary ?? null,
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
      ...(options.range && { startItem: String(options.range.start), endItem: String(options.range.end) }),
    };
  }

  itemInformation(item: string): Sip2MessageInput<'itemInformation'> {
    return {
      type: 'itemInformation',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      itemIdentifier: item,
      terminalPassword: this.terminal.terminalPassword,
    };
  }

  // The two requests of every self-check: optional fields are set on the one object rather than
  // spread in from objects made for them (no temporary object, no copy, one shape per use).
  checkout(patron: string, item: string, options: CheckoutOptions = {}): Sip2MessageInput<'checkout'> {
    const request: Sip2MessageInput<'checkout'> = {
      type: 'checkout',
      scRenewalPolicy: options.scRenewalPolicy ?? false,
      noBlock: options.noBlock ?? false,
      transactionDate: options.transactionDate ?? this.now(),
      nbDueDate: options.nbDueDate ?? null,
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      itemIdentifier: item,
      terminalPassword: this.terminal.terminalPassword,
    };
    if (options.itemProperties !== undefined) request.itemProperties = options.itemProperties;
    if (options.pin !== undefined) request.patronPassword = options.pin;
    if (options.feeAcknowledged !== undefined) request.feeAcknowledged = options.feeAcknowledged;
    if (options.cancel !== undefined) request.cancel = options.cancel;
    return request;
  }

  checkin(item: string, options: CheckinOptions = {}): Sip2MessageInput<'checkin'> {
    const now = this.now();
    const request: Sip2MessageInput<'checkin'> = {
      type: 'checkin',
      noBlock: options.noBlock ?? false,
      transactionDate: options.transactionDate ?? now,
      returnDate: options.returnDate ?? now,
      currentLocation: options.currentLocation ?? this.terminal.location,
      institutionId: this.terminal.institution,
      itemIdentifier: item,
      terminalPassword: this.terminal.terminalPassword,
    };
    if (options.itemProperties !== undefined) request.itemProperties = options.itemProperties;
    if (options.cancel !== undefined) request.cancel = options.cancel;
    return request;
  }

  renew(patron: string, item: string | undefined, options: RenewOptions = {}): Sip2MessageInput<'renew'> {
    return {
      type: 'renew',
      thirdPartyAllowed: options.thirdPartyAllowed ?? false,
      noBlock: options.noBlock ?? false,
      transactionDate: this.now(),
      nbDueDate: options.nbDueDate ?? null,
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
      ...(item !== undefined && { itemIdentifier: item }),
      ...(options.title !== undefined && { titleIdentifier: options.title }),
      ...(options.itemProperties !== undefined && { itemProperties: options.itemProperties }),
      ...(options.feeAcknowledged !== undefined && { feeAcknowledged: options.feeAcknowledged }),
    };
  }

  renewAll(patron: string, options: RenewAllOptions = {}): Sip2MessageInput<'renewAll'> {
    return {
      type: 'renewAll',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
      ...(options.feeAcknowledged !== undefined && { feeAcknowledged: options.feeAcknowledged }),
    };
  }

  hold(patron: string, options: HoldOptions = {}): Sip2MessageInput<'hold'> {
    return {
      type: 'hold',
      holdMode: options.mode ?? 'add',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.expirationDate !== undefined && { expirationDate: options.expirationDate }),
      ...(options.pickupLocation !== undefined && { pickupLocation: options.pickupLocation }),
      ...(options.holdType !== undefined && { holdType: options.holdType }),
      ...(options.pin !== undefined && { patronPassword: options.pin }),
      ...(options.item !== undefined && { itemIdentifier: options.item }),
      ...(options.title !== undefined && { titleIdentifier: options.title }),
      ...(options.feeAcknowledged !== undefined && { feeAcknowledged: options.feeAcknowledged }),
    };
  }

  feePaid(patron: string, options: FeePaidOptions): Sip2MessageInput<'feePaid'> {
    return {
      type: 'feePaid',
      transactionDate: options.transactionDate ?? this.now(),
      feeType: options.feeType ?? 'other',
      paymentType: options.paymentType ?? 'cash',
      currencyType: options.currency ?? 'USD',
      feeAmount: options.amount,
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
      ...(options.feeId !== undefined && { feeIdentifier: options.feeId }),
      ...(options.transactionId !== undefined && { transactionId: options.transactionId }),
    };
  }

  blockPatron(patron: string, options: BlockPatronOptions = {}): Sip2MessageInput<'blockPatron'> {
    return {
      type: 'blockPatron',
      cardRetained: options.cardRetained ?? false,
      transactionDate: options.transactionDate ?? this.now(),
      institutionId: this.terminal.institution,
      blockedCardMessage: options.message ?? '',
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
    };
  }

  patronEnable(patron: string, options: { pin?: string } = {}): Sip2MessageInput<'patronEnable'> {
    return {
      type: 'patronEnable',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
    };
  }

  itemStatusUpdate(item: string, properties: string): Sip2MessageInput<'itemStatusUpdate'> {
    return {
      type: 'itemStatusUpdate',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      itemIdentifier: item,
      terminalPassword: this.terminal.terminalPassword,
      itemProperties: properties,
    };
  }

  endSession(patron: string, options: { pin?: string } = {}): Sip2MessageInput<'endPatronSession'> {
    return {
      type: 'endPatronSession',
      transactionDate: this.now(),
      institutionId: this.terminal.institution,
      patronIdentifier: patron,
      terminalPassword: this.terminal.terminalPassword,
      ...(options.pin !== undefined && { patronPassword: options.pin }),
    };
  }
}
