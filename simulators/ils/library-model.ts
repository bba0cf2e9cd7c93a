/**
 * The records the circulation engine keeps: patrons, items, loans, holds and
 * fees, in the library's own words. Built from a fixture by library.ts.
 */
import type {
  CirculationStatus,
  FeeType,
  Language,
  MediaType,
  PatronStatus,
  PatronStatusFlag,
  SecurityMarker,
} from '../../src/protocols/sip2/index.js';
import type { SuspendablePrivilege } from './fixture.js';

export interface Fee {
  id: string;
  type: FeeType;
  /** Outstanding amount in cents. */
  amountCents: number;
  item?: string;
  description?: string;
}

export interface Loan {
  patron: string;
  item: string;
  checkedOutAt: Date;
  due: Date;
  renewals: number;
  /** The fee this checkout charged (a rental), taken back if the checkout is cancelled. */
  feeId?: string;
  /**
   * The loan as it was before a checkout (11) of it by its patron renewed it, while nothing else has
   * happened to it: a checkin cancelling that checkout (09, BI Y) puts it back so, loan and fee kept.
   */
  beforeRenewingCheckout?: { due: Date; renewals: number; feeId?: string };
}

/** What a checkin changed, kept until the item circulates again so a checkout may cancel it (11, BI Y). */
export interface UndoableCheckin {
  loan: Loan;
  /** The overdue fine the checkin charged. */
  fineId?: string;
  onHoldShelf: Item['onHoldShelf'];
  holdQueue: Item['holdQueue'];
  transitTo: Item['transitTo'];
  currentBranch: Item['currentBranch'];
}

export interface Hold {
  patron: string;
  /** Branch code where the patron collects it. */
  pickup: string;
  placedAt: Date;
  expires?: Date;
}

export interface HoldShelfEntry {
  patron: string;
  pickup: string;
  until: Date;
}

export interface Patron {
  barcode: string;
  pin: string;
  name: string;
  email?: string;
  phone?: string;
  address?: string;
  institution: string;
  homeBranch: string;
  language: Language;
  expires?: Date;
  /** YYYY-MM-DD: PB in the 64. */
  birthDate?: string;
  /** PC in the 64. */
  patronType?: string;
  /** PI in the 64. */
  internetPrivileges?: string;
  /** Privileges withdrawn until a patron enable (25) restores them. */
  suspended: Set<SuspendablePrivilege>;
  blocked: boolean;
  blockedMessage?: string;
  cardRetained: boolean;
  /** Conditions set by the fixture (card reported lost, too many claims…), not computed. */
  flags: Partial<Record<PatronStatusFlag, boolean>>;
  fees: Fee[];
  /** Outstanding credit in cents (a refund, an overpayment), spent by debits added over REST. */
  creditCents: number;
  /** Debits added over the REST API (a transfer of credit out of the ILS), oldest first. */
  accountDebits: AccountDebit[];
}

/** A debit added to a patron's account over the REST API, as Koha keeps an account line. */
export interface AccountDebit {
  id: number;
  type: string;
  amountCents: number;
  /** What the patron's credit did not cover (also a fee, so SIP2 shows it owed). */
  outstandingCents: number;
  description: string;
  internalNote?: string;
  date: Date;
}

export interface Item {
  barcode: string;
  title: string;
  author?: string;
  mediaType: MediaType;
  institution: string;
  /** AQ; undefined for an item that belongs to no branch. */
  owningBranch?: string;
  /** AP; undefined until an item without a branch is first checked in or out. */
  currentBranch?: string;
  /** The status when neither on loan, on the hold shelf nor in transit (available, missing, lost…). */
  shelfStatus: CirculationStatus;
  securityMarker: SecurityMarker;
  magneticMedia: boolean;
  fee?: { type: FeeType; amountCents: number };
  /** Changed only through IlsLibrary (setHoldQueue), which keeps its index of holds in step. */
  readonly holdQueue: readonly Hold[];
  /** Changed only through IlsLibrary (setHoldShelf). */
  readonly onHoldShelf?: HoldShelfEntry;
  /** Where the item is travelling to, after a checkin at another branch. */
  transitTo?: string;
  parts: number;
  properties?: string;
  /** Changed only through IlsLibrary (setLoan), which keeps its index of loans in step. */
  readonly loan?: Loan;
}

export type { PatronStatus };

/** What a patron-facing answer says about the patron. */
export interface PatronStanding {
  status: PatronStatus;
  expired: boolean;
  finesCents: number;
  feesCents: number;
  totalOwedCents: number;
  /** Outstanding credit. */
  creditCents: number;
  /** What the patron owes less the credit: negative when in credit (Koha's account balance; BV shows it when > 0). */
  balanceCents: number;
  loans: Loan[];
  overdue: Loan[];
  /** Why checkout is refused, in words for the screen; empty when it is allowed. */
  checkoutBlocks: string[];
  renewalBlocks: string[];
  recallBlocks: string[];
  holdBlocks: string[];
}

/** The circulation status an item shows now. */
export function circulationStatusOf(item: Item): CirculationStatus {
  if (item.loan) return 'charged';
  if (item.onHoldShelf) return 'waitingOnHoldShelf';
  if (item.transitTo !== undefined) return 'inTransit';
  return item.shelfStatus;
}

/** Statuses that cannot be checked out. */
export const NOT_LOANABLE: ReadonlySet<CirculationStatus> = new Set([
  'onOrder',
  'inProcess',
  'claimedReturned',
  'lost',
  'missing',
  'other',
]);

export const MAGNETIC_MEDIA: ReadonlySet<MediaType> = new Set([
  'audioTape',
  'videoTape',
  'diskette',
  'bookWithDiskette',
  'bookWithAudioTape',
]);

/** Cents as SIP2 writes money: `2.50`. */
export function formatMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A SIP2 amount (`2.50`, `2`, `2.5`) in cents; undefined when it is not one. */
export function parseMoney(text: string): number | undefined {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}
