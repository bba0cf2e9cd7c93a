/** What a payment holds only in memory while it collects: the PIN (never stored), its watchers, its timer. */
import type { TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PaymentEndResult, PaymentUpdate } from '../contracts/payments.js';

export interface LivePayment {
  id: string;
  pin: string | undefined;
  watchers: Set<(update: PaymentUpdate) => void>;
  idle: TimerHandle | undefined;
  ending: Promise<PaymentEndResult> | undefined;
  /** Acceptance updates one after another, so an older one never lands after a newer one. */
  offering: Promise<void>;
  /**
   * When money last came (or the payment opened), on the monotonic clock: the idle timeout runs
   * from here, whatever NTP does to the wall clock.
   */
  lastActivity: number;
}

export function livePayment(id: string, pin: string | undefined, monotonicNow: number): LivePayment {
  return {
    id,
    pin,
    watchers: new Set(),
    idle: undefined,
    ending: undefined,
    offering: Promise.resolve(),
    lastActivity: monotonicNow,
  };
}

/** Tells every watcher; one that throws is logged and the others still hear it. */
export function tellWatchers(live: LivePayment, update: PaymentUpdate, logger: Logger): void {
  for (const watcher of live.watchers) {
    try {
      watcher(update);
    } catch (error) {
      logger.warn({ err: describeError(error) }, 'payment watcher failed');
    }
  }
}
