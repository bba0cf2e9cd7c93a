import { z } from 'zod';
import { deviceIdSchema, transportSchema } from '../../config/transport.js';

/**
 * A coin acceptor or bill validator of a payment kiosk or desk, speaking
 * ccTalk (simple checksum) on a serial line, a serial-over-IP converter, or a
 * simulator. One transport per device.
 */
export const cashDeviceSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('cash-device'),
  name: z.string().optional(),
  /** What it is: it must say so itself (ccTalk equipment category). */
  device: z.enum(['coin-acceptor', 'bill-validator']),
  protocol: z.literal('cctalk').default('cctalk'),
  /** Its ccTalk address; 2 for a coin acceptor and 40 for a bill validator when absent. */
  address: z.number().int().min(2).max(255).optional(),
  /** ccTalk is 9600 8N1 on a serial line. */
  transport: transportSchema,
  /** The line echoes what Carrel sends (single-wire ccTalk); false for an interface that strips it. */
  echo: z.boolean().default(true),
  /** How often the event buffer is read; ccTalk devices keep five events, so keep this well under a second. */
  pollIntervalMs: z.number().int().min(50).max(1000).default(200),
  /** How long a reply may take. */
  replyTimeoutMs: z.number().int().min(20).max(5000).default(250),
  /** Bill validators: hold each note in escrow until Carrel stacks or returns it. */
  escrow: z.boolean().default(true),
  /**
   * How many coins or notes its cash box (stacker) holds. With it, the health record and /metrics
   * say how full the box is (what was credited since staff last recorded it emptied, against this),
   * and the box is near full from 90 %: empty it before the device refuses money.
   */
  cashBoxCapacity: z
    .number({ error: 'how many coins or notes the cash box holds: a whole number such as 500' })
    .int('how many coins or notes the cash box holds: a whole number such as 500')
    .min(1, 'a cash box holds at least one coin or note')
    .max(100_000, 'at most 100000 coins or notes: count the box’s coins or notes, not its value')
    .optional(),
  /** How long a tamper attempt keeps the device degraded. */
  tamperHoldSeconds: z.number().int().min(0).max(3600).default(30),
});
export type CashDeviceConfig = z.infer<typeof cashDeviceSchema>;
