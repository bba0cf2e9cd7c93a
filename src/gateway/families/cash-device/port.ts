import type { CashChannel, CashDeviceKind } from '../../../devices/cash/index.js';
import type { CashBoxEmptying, CashBoxReport } from './cash-box.js';

/** What a payment may take from a device now: each coin or note worth at most `maxValueMinor`. */
export interface CashAcceptPlan {
  /** Who the money is for: a payment session id. Credits are journaled with it. */
  holder: string;
  currency: string;
  maxValueMinor: number;
}

export interface CashDeviceStatusView {
  device: CashDeviceKind;
  connected: boolean;
  accepting: boolean;
  /** The payment session holding the device, if any. */
  holder: string | null;
  /** What each channel takes, as the device says. */
  denominations: Array<Pick<CashChannel, 'channel' | 'currency' | 'valueMinor'>>;
  /** The values it is set to take now. */
  accepted: number[];
  /**
   * What stops it taking money as set (a jam, the cash box out or full, a tamper attempt, a fault
   * of its own), in the device's words; null when nothing does.
   */
  trouble: string | null;
}

/**
 * What workflows and the API may ask of a cash device. A device is held by
 * one payment at a time; a payout device (change hopper, recycler) would add
 * `payout`, which the ccTalk acceptors here do not have.
 */
export interface CashDevicePort {
  readonly device: CashDeviceKind;
  status(): CashDeviceStatusView;
  /**
   * Takes money for `plan.holder`: every coin or note of the currency worth at
   * most `maxValueMinor` (none when 0). Throws `cash_device_busy` when another
   * holder has the device. The hold is journaled before the device is enabled.
   */
  accept(plan: CashAcceptPlan): Promise<CashDeviceStatusView>;
  /** Stops taking money for `holder`: inhibits, reads what was in flight (credited to it), lets go. */
  release(holder: string): Promise<void>;
  /** Resets the device (staff). */
  reset(): Promise<void>;
  /** What the cash box should hold since it was last emptied. */
  cashBox(): CashBoxReport;
  /**
   * Staff emptied the cash box: who, and what they counted (the variance is kept). With
   * `expectedMinor`, what staff saw the box should hold, an emptying is refused (cash_box_changed)
   * when the box should hold another amount now: emptied by another meanwhile, or money taken. With
   * `lastEmptyingId`, the last emptying the report named (null: never emptied), one is refused alike
   * when the box was emptied since, even where it should hold the same amount (an empty box).
   */
  emptied(emptying: {
    by: string;
    countedMinor?: number | undefined;
    note?: string | undefined;
    expectedMinor?: number | undefined;
    lastEmptyingId?: number | null | undefined;
  }): CashBoxEmptying;
  /** A payout device pays out; the acceptors here cannot. */
  readonly payout?: (amountMinor: number, currency: string) => Promise<number>;
}
