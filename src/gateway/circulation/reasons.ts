/**
 * Why the ILS said no, as a stable reason code a kiosk can branch on. SIP2 has
 * no refusal codes: a refusal is an ok flag of 0 (or N), the patron-status
 * flags, BL/CQ validity and free-text screen messages (AF). Reasons are read
 * from the fields first and from the ILS's wording second; the wording itself
 * always travels with the refusal, so the patron sees what the library wrote.
 */
import { CarrelError } from '../../core/errors.js';
import type { PatronStatus } from '../../protocols/sip2/index.js';

export const REFUSAL_REASONS = [
  // The patron
  'patron_not_found',
  'invalid_pin',
  'card_expired',
  'card_lost',
  'patron_blocked',
  'excessive_fines',
  'too_many_items',
  'too_many_overdue',
  'renewal_not_allowed',
  'hold_not_allowed',
  // The item
  'item_not_found',
  'item_not_circulating',
  'item_on_hold_for_another',
  'already_checked_out',
  'checked_out_to_another',
  'not_checked_out',
  'renewal_limit',
  'fee_required',
  // Holds
  'hold_exists',
  'hold_not_found',
  'hold_limit',
  'invalid_pickup_location',
  // Payments
  'invalid_amount',
  'fee_not_found',
  'payment_refused',
  // Nothing more precise could be read
  'refused',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Reasons that say the request named something that is not there or not valid (422); the rest are conflicts with the patron's or item's state (409). */
export const INVALID_REQUEST_REASONS: ReadonlySet<RefusalReason> = new Set<RefusalReason>([
  'patron_not_found',
  'invalid_pin',
  'item_not_found',
  'invalid_pickup_location',
  'invalid_amount',
  'fee_not_found',
]);

export type CirculationKind =
  | 'patron'
  | 'checkout'
  | 'checkin'
  | 'renew'
  | 'renewAll'
  | 'hold'
  | 'holdCancel'
  | 'feePaid'
  | 'item'
  | 'endSession';

/**
 * The ILS refused a circulation request. `code` is the reason; `screenMessages` are the ILS's own
 * words; `title`, the item's title when the refusal names it (AJ of a refused renewal), so that
 * nobody has to look it up.
 */
export class CirculationRefusal extends CarrelError {
  readonly title: string | undefined;

  constructor(
    readonly reason: RefusalReason,
    readonly screenMessages: readonly string[],
    readonly kind: CirculationKind,
    options: { title?: string | undefined; message?: string | undefined } = {},
  ) {
    super(
      reason,
      options.message ??
        (screenMessages.length > 0 ? screenMessages.join(' ') : `the ILS refused the ${kind}`),
    );
    this.title = options.title === '' ? undefined : options.title;
  }
}

/**
 * The ILS's wording, most specific first. These are the phrasings the simulator and
 * the common ILSs (Koha, Evergreen, Symphony, Alma, Polaris) use in AF.
 */
const WORDING: ReadonlyArray<readonly [RegExp, RefusalReason]> = [
  [
    /\b(invalid|incorrect|wrong|bad)\s+(pin|password|passcode)\b|\bpin (is )?(invalid|incorrect)/i,
    'invalid_pin',
  ],
  [
    /\b(unknown|invalid|no such)\s+(patron|borrower|user|card)\b|\b(patron|borrower|user) not found\b/i,
    'patron_not_found',
  ],
  [
    /\b(unknown|invalid|no such)\s+(item|barcode|copy)\b|\b(item|barcode|copy) not found\b/i,
    'item_not_found',
  ],
  [/\bunknown fee\b|\bfee not found\b/i, 'fee_not_found'],
  [/\bexpired\b/i, 'card_expired'],
  [/\b(card|patron)\s+(reported\s+)?lost\b|\blost card\b/i, 'card_lost'],
  [
    /\bon hold for another\b|\b(reserved|requested) (for|by) another\b|\bhold for another patron\b/i,
    'item_on_hold_for_another',
  ],
  [
    /\balready checked out to you\b|\balready (on loan|charged) to (you|this patron)\b/i,
    'already_checked_out',
  ],
  [/\bchecked out to another\b|\bon loan to another\b|\bcharged to another\b/i, 'checked_out_to_another'],
  [/\bnot checked out to you\b|\bnot (on loan|charged) to (you|this patron)\b/i, 'not_checked_out'],
  [
    /\brenewal limit\b|\btoo many renewals\b|\bmaximum (number of )?renewals\b|\bno (more )?renewals left\b/i,
    'renewal_limit',
  ],
  [
    /\bfee of\b|\bfee applies\b|\bfee (must|needs to) be acknowledged\b|\brental (fee|charge)\b/i,
    'fee_required',
  ],
  [
    /\bcannot be (borrowed|checked out|loaned)\b|\bnot (for loan|loanable|circulating)\b|\bnon-?circulating\b|\breference only\b/i,
    'item_not_circulating',
  ],
  [/\balready have a hold\b|\bhold already (exists|placed)\b/i, 'hold_exists'],
  [/\bno hold to (cancel|change)\b|\bhold not found\b/i, 'hold_not_found'],
  [/\bhold limit\b|\btoo many holds\b/i, 'hold_limit'],
  [/\b(unknown|invalid) pick-?up location\b/i, 'invalid_pickup_location'],
  [/\binvalid amount\b|\bmore than (is )?owed\b|\bpayments are taken in\b/i, 'invalid_amount'],
  // Before the block's words: "Renewals suspended, please see staff" is about renewing, not the card.
  [/\bholds? (not allowed|suspended|blocked|denied)\b/i, 'hold_not_allowed'],
  [/\brenewals? (not allowed|suspended|blocked|denied)\b/i, 'renewal_not_allowed'],
  [
    /\b(fines?|fees?)\b.*\b(too high|exceed|limit|outstanding)\b|\bexcessive (fines|fees)\b/i,
    'excessive_fines',
  ],
  [/\bloan limit\b|\btoo many items\b|\bmaximum (number of )?(items|loans)\b/i, 'too_many_items'],
  [/\btoo many overdue\b|\boverdue (items|limit)\b/i, 'too_many_overdue'],
  [/\bblocked\b|\bbarred\b|\bborrowing not allowed\b|\bsee staff\b/i, 'patron_blocked'],
];

/** The first reason the ILS's screen messages name, in the order they were sent. */
export function reasonFromWording(screenMessages: readonly string[]): RefusalReason | undefined {
  for (const message of screenMessages) {
    for (const [pattern, reason] of WORDING) if (pattern.test(message)) return reason;
  }
  return undefined;
}

interface PatronAnswer {
  validPatron?: boolean;
  validPatronPassword?: boolean;
  patronStatus: PatronStatus;
  screenMessage?: string[];
}

/**
 * Everything that stands in the patron's way, most serious first, from a 24 or 64:
 * BL missing or N is an unknown patron; CQ missing or N when a PIN was given is a
 * wrong PIN; then the status flags, with the wording telling an expired card or a
 * block apart (SIP2 has no flag for either).
 */
export function patronReasons(answer: PatronAnswer, pinGiven: boolean): RefusalReason[] {
  if (answer.validPatron !== true) return ['patron_not_found'];
  if (pinGiven && answer.validPatronPassword !== true) return ['invalid_pin'];
  const status = answer.patronStatus;
  const words = answer.screenMessage ?? [];
  const reasons = new Set<RefusalReason>();
  if (status.cardReportedLost) reasons.add('card_lost');
  for (const message of words) {
    const reason = reasonFromWording([message]);
    if (reason === 'card_expired' || reason === 'patron_blocked') reasons.add(reason);
  }
  if (status.excessiveOutstandingFines || status.excessiveOutstandingFees) reasons.add('excessive_fines');
  if (status.tooManyItemsCharged) reasons.add('too_many_items');
  if (status.tooManyItemsOverdue) reasons.add('too_many_overdue');
  if (status.chargePrivilegesDenied && reasons.size === 0) reasons.add('patron_blocked');
  if (!status.chargePrivilegesDenied) {
    if (status.renewalPrivilegesDenied) reasons.add('renewal_not_allowed');
    if (status.holdPrivilegesDenied) reasons.add('hold_not_allowed');
  }
  return [...reasons];
}
