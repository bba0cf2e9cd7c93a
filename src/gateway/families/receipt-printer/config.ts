import { z } from 'zod';
import { deviceIdSchema, transportSchema } from '../../config/transport.js';

export const receiptPrinterSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('receipt-printer'),
  name: z.string().optional(),
  transport: transportSchema,
  /** Characters per line at the normal font: 42 on 80 mm paper, 32 on 58 mm. */
  columns: z.number().int().min(24).max(64).default(42),
  /** Code page for accented names; see the receiptline encodings. */
  encoding: z
    .enum(['cp437', 'cp850', 'cp852', 'cp858', 'cp860', 'cp863', 'cp865', 'cp866', 'cp1252', 'multilingual'])
    .default('cp858'),
  /** How often the real-time status (DLE EOT) is polled. */
  statusIntervalMs: z.number().int().min(100).max(60_000).default(1000),
  /** A status query unanswered for this long means the printer is gone. */
  statusTimeoutMs: z.number().int().min(100).max(60_000).default(1500),
  /** Jobs waiting at most; more are refused with queue_full. */
  queueLimit: z.number().int().min(1).max(10_000).default(200),
  /** A job still waiting after this long is reported as expired, not printed late. */
  jobExpiryMinutes: z
    .number()
    .int()
    .min(1)
    .default(24 * 60),
  /** Directory of receipt templates overriding the built-in ones. */
  templates: z.string().optional(),
  /** PNG logo printed where a template says {{{logo}}}. */
  logo: z.string().optional(),
});
export type ReceiptPrinterConfig = z.infer<typeof receiptPrinterSchema>;
