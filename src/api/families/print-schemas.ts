/** The print release and print account API's shapes (zod, so they are also the OpenAPI document's). */
import { z } from 'zod';

export { requestIdSchema } from '../request-ids.js';
/**
 * What a route that reaches the print server (IPP: CUPS or another) answers when that server fails it,
 * beside the route's own refusals: 502, the server refused (ipp_refused, ipp_not_authorized — a job's
 * document it would not give, so its pages cannot be counted) or answered unreadably (ipp_bad_answer…);
 * 503, it cannot be reached (print_queue_unavailable).
 */
export const PRINT_SERVER_PROBLEMS = [502, 503] as const;

/** Spaces around a typed or pasted card number are not part of it; spaces inside are left to refuse. */
export const patronSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .describe('the patron barcode (spaces around it are dropped)');
export const minorSchema = z.number().int().describe('minor units (cents)');
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');

export const balanceSchema = z.object({ balanceMinor: minorSchema, currency: z.string() });

export const quoteSchema = z.object({
  impressions: z.number().int(),
  freeImpressions: z.number().int(),
  priceMinor: minorSchema,
  freeMinor: minorSchema,
  amountMinor: minorSchema.describe('what the release charges'),
  currency: z.string(),
});

const problemSchema = z.object({ code: z.string(), message: z.string() });

export const jobSchema = z.object({
  queue: z.string(),
  jobId: z.number().int(),
  name: z.string(),
  pages: z.number().int().nullable(),
  copies: z.number().int(),
  sides: z.string(),
  color: z.boolean(),
  media: z.string(),
  submittedAt: z.string(),
  expiresAt: z.string(),
  state: z
    .string()
    .describe(
      'held; expired (staff only): past its hold time, still on the print server until it takes the Cancel-Job Carrel asks again each round — never released nor charged',
    ),
  quote: quoteSchema.nullable(),
  problem: problemSchema.nullable().describe('why it cannot be released now; null when it can'),
  patron: z.string().nullable().optional().describe('staff only'),
  owner: z.string().optional().describe('staff only: the login the PC sent'),
});

export const releaseSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  queue: z.string(),
  jobId: z.number().int(),
  jobName: z.string(),
  impressions: z.number().int(),
  amountMinor: minorSchema,
  refundedMinor: minorSchema,
  currency: z.string(),
  state: z.enum(['charged', 'released', 'completed', 'refunded']),
  printedImpressions: z.number().int().nullable(),
  outcome: z.string().nullable(),
  at: z.string(),
  updatedAt: z.string(),
  patron: z.string().optional().describe('staff only'),
  printer: z
    .object({
      state: z.string().describe("the job's IPP state: pending, processing or processing-stopped"),
      impressionsCompleted: z.number().int().nullable(),
      message: z.string(),
    })
    .optional()
    .describe(
      'a release at the printer not ended yet: how far the printer has got, as the desk last heard (a jammed printer holds the job part-printed)',
    ),
  restCancelled: z
    .object({
      refundedAfter: z
        .number()
        .int()
        .describe('the pages the printer had printed when the desk refunded the rest'),
      ended: z
        .boolean()
        .describe(
          'whether the printer has ended the job; until then Carrel asks the print server again to cancel the rest',
        ),
      printedAfterRefund: z
        .number()
        .int()
        .nullable()
        .describe(
          'pages printed after the refund, before the print server stopped the job (as far as it said), once the job has ended; null until then',
        ),
      chargedAfterRefundMinor: minorSchema.describe(
        "what was charged for those pages: nothing, the desk's refund stands",
      ),
      message: z.string(),
    })
    .optional()
    .describe(
      'a release the desk refunded the pages not printed of, the rest of its job cancelled at the print server: what became of the rest, whatever its state now',
    ),
  notFollowed: z
    .object({ code: z.string(), message: z.string() })
    .optional()
    .describe(
      'a release not settled (charged, or at the printer) whose print queue was taken out of the configuration since: the desk cannot ask the print server how it ends, nothing of it is refunded by itself (print_queue_not_configured), and staff refund it',
    ),
});

const STAFF =
  'who made it: the name of their token; "at this desk" on a desk without tokens (this machine only, where no one holds a token)';

export const entrySchema = z.object({
  id: z.string(),
  requestId: z.string(),
  kind: z.enum(['deposit', 'charge', 'refund', 'payout', 'adjustment']),
  amountMinor: minorSchema,
  currency: z.string(),
  balanceMinor: minorSchema,
  source: z.string().nullable(),
  staff: z.string().nullable().describe(STAFF),
  reason: z.string().nullable(),
  queue: z.string().nullable(),
  releaseId: z.string().nullable(),
  pages: z.number().int().nullable(),
  at: z.string(),
});

export const statementSchema = balanceSchema.extend({ entries: z.array(entrySchema) });

export const transferSchema = z.object({
  transferId: z.string(),
  requestId: z.string(),
  patron: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  state: z
    .enum(['pending', 'deposited', 'failed'])
    .describe('pending: the ILS answer is awaited or was lost and is being looked up; failed: nothing moved'),
  ilsDebitId: z.string().nullable(),
  entryId: z.string().nullable(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  staff: z.string().nullable().describe(STAFF),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const reportSchema = z.object({
  date: z.string(),
  currency: z.string(),
  deposits: z.object({
    count: z.number().int(),
    totalMinor: minorSchema,
    bySource: z.record(z.string(), minorSchema),
  }),
  payouts: z.object({ count: z.number().int(), totalMinor: minorSchema }),
  refunds: z.object({ count: z.number().int(), totalMinor: minorSchema }),
  adjustments: z.object({ count: z.number().int(), totalMinor: minorSchema }),
  queues: z.array(
    z.object({
      queue: z.string(),
      chargedMinor: minorSchema,
      refundedMinor: minorSchema,
      incomeMinor: minorSchema,
      impressions: z
        .number()
        .int()
        .describe(
          'pages printed from the jobs released that day, free ones too, as the printer counted them (as the desk totals and print.pages count them)',
        ),
    }),
  ),
});

export const queueSchema = z.object({
  queue: z.string(),
  name: z.string().nullable(),
  printer: z.object({ state: z.string(), reasons: z.array(z.string()), message: z.string() }).nullable(),
  releaseBlocked: problemSchema.nullable(),
  heldJobs: z.number().int().describe('jobs held at the print server, those past their hold time too'),
  expiredHeldJobs: z
    .number()
    .int()
    .describe(
      'of them, past their hold time: the print server has not cancelled them yet (asked again each round)',
    ),
  color: z.boolean(),
  holdHours: z.number(),
});

export const sessionSchema = z.string().min(16).max(64).describe('the station session from login');

/** The daily report as CSV: one line per figure. */
export function reportCsv(report: z.infer<typeof reportSchema>): string {
  const lines = ['section,key,count,amount_minor,currency'];
  const row = (section: string, key: string, count: number | '', amount: number) =>
    lines.push([section, key, count, amount, report.currency].map(csvCell).join(','));
  row('deposits', 'total', report.deposits.count, report.deposits.totalMinor);
  for (const [source, amount] of Object.entries(report.deposits.bySource))
    row('deposits', source, '', amount);
  row('payouts', 'total', report.payouts.count, report.payouts.totalMinor);
  row('refunds', 'total', report.refunds.count, report.refunds.totalMinor);
  row('adjustments', 'total', report.adjustments.count, report.adjustments.totalMinor);
  for (const queue of report.queues) {
    row('charged', queue.queue, queue.impressions, queue.chargedMinor);
    row('refunded', queue.queue, '', queue.refundedMinor);
    row('income', queue.queue, '', queue.incomeMinor);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: string | number): string {
  const text = String(value);
  // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
