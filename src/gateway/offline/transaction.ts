/**
 * What the offline journal holds: a checkout or checkin taken while the ILS
 * could not be reached, a fee payment (SIP2 37) whose money is already in a
 * cash box, or a self-check's block of a patron's card (SIP2 01: a card it
 * kept as stolen). The input as circulation gives it, the row as stored, the view.
 */
import { z } from 'zod';
import { FEE_TYPE, type FeeType } from '../../protocols/sip2/index.js';

const text = z.string().min(1).max(255);
/** When the patron did it (ms since the epoch): replayed as the SIP2 transaction date. */
const at = z.number().int().nonnegative();

const circulationSchema = z.strictObject({
  kind: z.enum(['checkout', 'checkin']),
  patron: text.optional(),
  item: text,
  terminal: text,
  at,
});

/** A fee payment: the fee (by id, or the account when none), the amount, and its own id (BK). */
export const offlineFeeSchema = z.strictObject({
  id: text.optional(),
  /** SIP2 fee type (BT): overdue, replacement…; `other` when unknown. */
  type: z.enum([...FEE_TYPE.byName.keys()] as [FeeType, ...FeeType[]]),
  amountMinor: z.number().int().positive().max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/),
  transactionId: text,
  /**
   * What the fee (or the account) owed just before a 37 that may have reached
   * the ILS; absent while none may have (the replayer reads it before it sends).
   */
  owedBeforeMinor: z.number().int().nonnegative().optional(),
  /**
   * SIP2 payment type (BT) as its code: 00 cash, 01 VISA, 02 credit card, or a code of the ILS's
   * own, kept as it came. Absent on a payment journaled before the journal kept it: replayed as cash.
   */
  paymentType: z
    .string()
    .regex(/^[^|\r\n]{2}$/, 'two characters')
    .optional(),
});

const feePaidSchema = z.strictObject({
  kind: z.literal('feePaid'),
  patron: text,
  fee: offlineFeeSchema,
  terminal: text,
  at,
});

/** A block of the patron's card: whether the self-check kept it (card retained) and its words for it (AL). */
export const offlineBlockSchema = z.strictObject({
  cardRetained: z.boolean(),
  message: z.string().max(255),
});

const blockPatronSchema = z.strictObject({
  kind: z.literal('blockPatron'),
  patron: text,
  block: offlineBlockSchema,
  terminal: text,
  at,
});

export const offlineTransactionSchema = z.discriminatedUnion('kind', [
  circulationSchema,
  feePaidSchema,
  blockPatronSchema,
]);

export type OfflineTransactionInput = z.input<typeof offlineTransactionSchema>;
export type OfflineKind = OfflineTransactionInput['kind'];
export type OfflineFee = z.infer<typeof offlineFeeSchema>;
export type OfflineBlock = z.infer<typeof offlineBlockSchema>;

/**
 * pending: waiting for replay. replaying: being replayed (or the process died
 * while it was). done: the ILS has it. conflict: waiting for staff. discarded:
 * staff dropped it.
 */
export type OfflineState = 'pending' | 'replaying' | 'done' | 'conflict' | 'discarded';

/** How a replayed transaction was settled: sent to the ILS, or found already done there. */
export type OfflineReplayOutcome = 'sent' | 'already_done';

export interface OfflineTransaction {
  id: string;
  sequence: number;
  kind: OfflineKind;
  /** Staff-only: never log it or put it in an event. */
  patron?: string;
  /** The item; empty for a fee payment and a block. */
  item: string;
  /** A fee payment's fee and amount. */
  fee?: OfflineFee;
  /** A block's card retained flag and message. */
  block?: OfflineBlock;
  terminal: string;
  at: number;
  state: OfflineState;
  /** Replay attempts begun (a crash mid-replay counts). */
  attempts: number;
  /** done: the OfflineReplayOutcome; conflict: why (item_checked_out_to_another, patron_blocked…). */
  reason?: string;
  /** The ILS's screen message for a conflict, for staff. */
  message?: string;
  /** The error code that last stopped a replay of this transaction (ils_offline, ils_timeout…). */
  lastError?: string;
  acceptedAt: number;
  settledAt?: number;
}

export interface OfflineRow {
  sequence: number;
  id: string;
  kind: OfflineKind;
  patron: string | null;
  item: string;
  terminal: string;
  at: number;
  state: OfflineState;
  attempts: number;
  reason: string | null;
  message: string | null;
  last_error: string | null;
  accepted_at: number;
  settled_at: number | null;
  fee_id: string | null;
  fee_type: string | null;
  amount_minor: number | null;
  currency: string | null;
  transaction_id: string | null;
  owed_before_minor: number | null;
  payment_type: string | null;
  card_retained: number | null;
  block_message: string | null;
}

export function toTransaction(row: OfflineRow): OfflineTransaction {
  return {
    id: row.id,
    sequence: row.sequence,
    kind: row.kind,
    ...(row.patron !== null && { patron: row.patron }),
    item: row.item,
    ...(row.kind === 'feePaid' && { fee: feeOf(row) }),
    ...(row.kind === 'blockPatron' && {
      block: { cardRetained: row.card_retained === 1, message: row.block_message ?? '' },
    }),
    terminal: row.terminal,
    at: row.at,
    state: row.state,
    attempts: row.attempts,
    ...(row.reason !== null && { reason: row.reason }),
    ...(row.message !== null && { message: row.message }),
    ...(row.last_error !== null && { lastError: row.last_error }),
    acceptedAt: row.accepted_at,
    ...(row.settled_at !== null && { settledAt: row.settled_at }),
  };
}

function feeOf(row: OfflineRow): OfflineFee {
  return {
    ...(row.fee_id !== null && { id: row.fee_id }),
    type: (row.fee_type ?? 'other') as FeeType,
    amountMinor: row.amount_minor ?? 0,
    currency: row.currency ?? '',
    transactionId: row.transaction_id ?? '',
    ...(row.owed_before_minor !== null && { owedBeforeMinor: row.owed_before_minor }),
    ...(row.payment_type !== null && { paymentType: row.payment_type }),
  };
}
