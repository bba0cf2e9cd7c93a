/**
 * A cash device's events. Every credit is journaled before its event is
 * published; `holder` is the payment session it was credited to (null: none
 * held the device — it waits for staff in the cash box report). No patron data.
 */
import type { CashDeviceKind } from '../../../devices/cash/index.js';

export interface CashCreditEvent {
  /** The journal entry. */
  id: number;
  deviceKind: CashDeviceKind;
  channel: number;
  currency: string;
  valueMinor: number;
  holder: string | null;
  at: string;
}

export interface CashUnverifiedEvent {
  id: number;
  reason: 'events_lost' | 'event_counter_jump' | 'unknown_channel' | 'unknown_bill_type_stacked';
  channel: number | null;
  currency: string | null;
  valueMinor: number | null;
  holder: string | null;
  at: string;
}

export interface CashEscrowEvent {
  channel: number;
  currency: string;
  valueMinor: number;
  decision: 'stack' | 'return';
  outcome: 'routed' | 'escrow_empty' | 'failed';
}

/** Something the device said that is not money: a coin handed back, a jam, a cash box, a code unknown. */
export interface CashNoticeEvent {
  code: number | string;
  name: string;
  severity: 'status' | 'reject' | 'fault' | 'fraud' | 'unknown';
}

/** How the payment holding the device stands: opened, each credit, ended. No patron data. */
export interface CashPaymentEvent {
  payment: string;
  state: 'collecting' | 'settling' | 'completed' | 'cancelled';
  currency: string;
  amountDueMinor: number;
  paidMinor: number;
  remainingMinor: number;
  /** Some of it is journaled for the ILS, to be posted when it is back. */
  offline: boolean;
  endReason: string | null;
}

export interface CashDeviceEventsMap {
  'cash.credit': CashCreditEvent;
  'cash.unverified': CashUnverifiedEvent;
  'cash.escrow': CashEscrowEvent;
  'cash.notice': CashNoticeEvent;
  /** The device takes money (or no longer does). */
  /** The payment holding the device moved (the payment service tells it on each of its devices). */
  'cash.payment': CashPaymentEvent;
  'cash.acceptance': {
    accepting: boolean;
    holder: string | null;
    maxValueMinor: number | null;
    currency: string | null;
  };
}

export const CASH_DEVICE_EVENTS: ReadonlyArray<keyof CashDeviceEventsMap> = [
  'cash.credit',
  'cash.unverified',
  'cash.escrow',
  'cash.notice',
  'cash.acceptance',
  'cash.payment',
];
