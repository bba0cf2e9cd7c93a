/** The cash device driver's vocabulary: what a coin acceptor or bill validator is, holds and reports. */
import type { EventSeverity } from '../../protocols/cctalk/index.js';

export type CashDeviceKind = 'coin-acceptor' | 'bill-validator';

export interface CashIdentity {
  manufacturer: string;
  category: string;
  product: string;
  serial: number;
  software: string;
}

/** One coin position or bill type the device is programmed for, and what it is worth. */
export interface CashChannel {
  channel: number;
  /** The coin or bill id as the device sent it (`EU200A`). */
  id: string;
  currency: string;
  valueMinor: number;
}

/** Money that went into the cash box and is to be credited. */
export interface CashCreditRecord {
  channel: number;
  currency: string;
  valueMinor: number;
}

/**
 * Money that may have gone into the cash box but cannot be credited as it
 * stands: staff reconcile it with the cash box count.
 */
export interface CashUnverifiedRecord {
  /**
   * `events_lost`: the counter moved past what the buffer holds, so events (coins, notes) were never
   * seen at all — no channel, no value: the cash box must be counted. `event_counter_jump`: one the
   * buffer still showed after such a jump, new or old.
   */
  reason: 'events_lost' | 'event_counter_jump' | 'unknown_channel' | 'unknown_bill_type_stacked';
  channel?: number;
  currency?: string;
  valueMinor?: number;
}

export interface CashStatusRecord {
  code: number;
  name: string;
  severity: EventSeverity;
}

/**
 * What one read of the device's event buffer found. It is handed to the
 * store, which journals it (credits and the new counter together) before
 * anything acts on it; only then does the driver take the counter as read.
 */
export interface CashEventBatch {
  /** The counter the store held before; undefined when it never saw the device. */
  previousCounter: number | undefined;
  counter: number;
  reading: 'events' | 'reset' | 'baseline' | 'jump';
  credits: CashCreditRecord[];
  unverified: CashUnverifiedRecord[];
  /** A note held in escrow, waiting to be stacked or returned. */
  escrow: CashCreditRecord[];
  statuses: CashStatusRecord[];
  /** A jump: at least this many events were never seen. */
  missed?: number;
  /**
   * Another device answers at the address than the one whose counter the store held (its serial
   * number differs: a spare fitted): its counter is the starting point, as at first sight.
   */
  replaced?: { serial: number; previousSerial: number };
}

/** The counter the store holds for a device, and the serial number of the device it was read from. */
export interface StoredCounter {
  counter: number;
  /** null: journaled before Carrel kept the serial number. */
  serial: number | null;
}

/** Where the driver keeps its event counter and journals what it reads; synchronous and durable. */
export interface CashEventStore {
  /** The last counter committed for this device; undefined when it was never read. */
  lastCounter(): StoredCounter | undefined;
  /**
   * Journals the batch (credits and the counter, with the serial number of the device read: all
   * or nothing); throws when it cannot.
   */
  commit(batch: CashEventBatch, serial: number | null): void;
}

export type EscrowDecision = 'stack' | 'return';

/** Which channels take money now; the device takes none when `accepting` is false. */
export interface CashAcceptance {
  accepting: boolean;
  channels: number[];
}

export type EscrowRouted = CashCreditRecord & {
  route: EscrowDecision;
  outcome: 'routed' | 'escrow_empty' | 'failed';
};
