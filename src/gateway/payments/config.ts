import { z } from 'zod';
import { deviceIdSchema } from '../../core/config-values.js';

const minor = z.number().int().min(0);

/**
 * Payments at the desk and the kiosk: the currency taken, what happens to
 * money inserted beyond what is due, the limits on what one payment may be.
 */
export const paymentsSchema = z.strictObject({
  /** ISO 4217: the devices take only this, and the ILS's fees must be in it. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR'),
  /**
   * Money beyond what is due: `print-account` lets the devices take coins and notes up to
   * `maxOverpaymentMinor` more and puts the excess on the patron's print account; `refuse`
   * takes only what fits (a coin that slips in anyway is owed back to the patron, for staff).
   */
  overpayment: z.enum(['print-account', 'refuse']).default('refuse'),
  maxOverpaymentMinor: minor.max(100_000).default(2000),
  /** The most one payment may be for. */
  maxAmountMinor: minor.min(1).max(10_000_000).default(50_000),
  /** Print-account top-ups: the least and the most. */
  minTopUpMinor: minor.min(1).default(100),
  maxTopUpMinor: minor.min(1).max(1_000_000).default(5000),
  /** A payment no money came for this long is finished with what was inserted. */
  idleTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
  /** Refuse a payment without the patron's PIN. */
  requirePin: z.boolean().default(false),
  /** The cash devices a payment takes money on when the kiosk names none; every cash device when unset. */
  devices: z.array(deviceIdSchema).optional(),
  /** The receipt printer for printed payment receipts; the sessions' when unset. */
  printer: deviceIdSchema.optional(),
  /**
   * A payment's patron (barcode, name) and the ILS's messages about it are forgotten this many
   * days after it ended, once nothing of it is left to do: no money owed back, no line failed or
   * still to post. The amounts stay, for the cash reports.
   */
  patronDataDays: z.number().int().min(1).max(3650).default(90),
});

export type PaymentsConfig = z.infer<typeof paymentsSchema>;
