import { z } from 'zod';
import { deviceIdSchema } from '../../config/transport.js';
import { tariffSchema } from '../../print-accounts/tariff.js';

/** How a print server is reached: its queue's IPP URL, or a simulated print server's queue. */
const printServerTransport = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ipp'),
    /** The queue's URL: `ipp://cups.library.lan:631/printers/public-bw` (ipps:// for TLS). */
    url: z
      .string()
      .regex(/^(ipps?|https?):\/\/[^\s/]+\/\S*$/, 'an ipp:// or ipps:// URL with the queue path'),
    /** Who Carrel is to the server (HTTP Basic), when its policy asks; a CUPS user allowed to see owners and release jobs. */
    username: z.string().min(1).max(255).optional(),
    password: z.string().max(255).optional(),
    /**
     * On the desk's clock: how long the server's answer may take to begin (counted as a whole from
     * the request), and then pause; a job's document may take longer to arrive, but not stall.
     */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  }),
  z.strictObject({
    type: z.literal('simulator'),
    simulator: deviceIdSchema.describe('id of a print-server entry under `simulators`'),
    /** The simulated server's queue; the device id when not given. */
    queue: deviceIdSchema.optional(),
  }),
]);

/** Which patron a job belongs to, from the login the PC sent with it. */
const ownerRule = z.discriminatedUnion('rule', [
  /** The PC's login is the patron's barcode. */
  z.strictObject({ rule: z.literal('login') }),
  /** A PC booking system's user names, each to a patron barcode. */
  z.strictObject({
    rule: z.literal('table'),
    table: z.record(z.string().min(1).max(255), z.string().min(1).max(255)),
  }),
  /** Guest PCs: the job's owner is a release code the patron types at the station, then pays from their account. */
  z.strictObject({ rule: z.literal('release-code') }),
]);

export const printQueueSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('print-queue'),
  name: z.string().optional(),
  transport: printServerTransport,
  /**
   * The printer prints colour: jobs that ask for colour are charged at the colour price, and jobs that
   * leave it to the printer (`print-color-mode` auto, or not said) as their document prints — at the
   * colour price when anything on its pages is in colour (or that is not known), else at the mono price.
   */
  color: z.boolean().default(false),
  tariff: tariffSchema.prefault({}),
  owners: ownerRule.prefault({ rule: 'login' }),
  /** A held job not released within this many hours is cancelled, without charge. */
  holdHours: z
    .number()
    .min(0.001)
    .max(24 * 14)
    .default(4),
  /** A job of more pages (impressions) than this is not released. */
  maxImpressions: z.number().int().min(1).max(100_000).default(500),
  /** How often the server is asked for its jobs and printer state. */
  pollIntervalMs: z.number().int().min(100).max(60_000).default(1000),
  /**
   * What a completed job is charged for. `impressions`: what the printer reports it printed
   * (job-impressions-completed); fewer than were charged are refunded. `job-state`: a completed
   * job is charged in full, as a CUPS raw queue reports one impression for a whole document
   * (its count is not the printer's); an aborted or cancelled job is still refunded as reported.
   */
  reconcile: z.enum(['impressions', 'job-state']).default('impressions'),
  /** A job printing without progress for this long makes the queue degraded. */
  stuckAfterMinutes: z.number().min(0.01).max(1440).default(10),
});
export type PrintQueueConfig = z.infer<typeof printQueueSchema>;
