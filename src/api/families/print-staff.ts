/**
 * The print desk's staff operations (staff scope): every held job with its
 * owner, a patron's account and releases ("where is my job?"), deposits for
 * cash, refunds, payouts, corrections, and the daily cash report. Patron
 * barcodes travel in request bodies, never in URLs (which reach logs).
 */
import { z } from 'zod';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import { actorAsKept, actorOf } from '../http/auth.js';
import type { ReplyControl } from '../http/routes.js';
import { type ApiOperation, operation } from '../operations.js';
import { IDEMPOTENT_REPLAYED_HEADER } from '../request-ids.js';
import {
  currencySchema,
  entrySchema,
  jobSchema,
  minorSchema,
  patronSchema,
  releaseSchema,
  reportSchema,
  requestIdSchema,
  statementSchema,
  transferSchema,
} from './print-schemas.js';

const tag = 'print accounts';
const reasonSchema = z.string().min(1).max(500);
/** A day of the calendar: 2026-11-36 or 30 February is refused, never read as the day it rolls over to. */
export const dateQuery = z.object({
  date: z.iso.date('a day of the calendar, as YYYY-MM-DD (such as 2026-12-06)'),
});

export function staffOperations({ printAccounts }: DeskServices): ApiOperation[] {
  return [
    operation({
      method: 'GET',
      url: '/api/v1/print/jobs',
      operationId: 'listHeldPrintJobs',
      summary:
        'Every held job on every queue, with its owner and patron; a job past its hold time that the print server has not cancelled yet is listed too, state expired, problem print_job_expired, no quote',
      tag,
      access: ['staff'],
      response: z.object({ jobs: z.array(jobSchema) }),
      handler: async () => ({ jobs: await printAccounts.allHeldJobs() }),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/accounts/find',
      operationId: 'findPrintAccount',
      summary: "A patron's balance, statement, releases and held jobs",
      tag,
      access: ['staff'],
      body: z.strictObject({
        patron: patronSchema,
        limit: z.number().int().min(1).max(1000).optional(),
        card: z
          .boolean()
          .optional()
          .describe(
            'also ask the library system whether it knows the card (one request to it): the answer has `card`',
          ),
      }),
      response: z.object({
        statement: statementSchema,
        releases: z.array(releaseSchema),
        jobs: z.array(jobSchema),
        transfers: z
          .array(transferSchema)
          .describe('transfers of ILS credit into this account, newest first'),
        card: z
          .object({ known: z.boolean().nullable(), name: z.string().nullable() })
          .optional()
          .describe(
            'whether the library system knows the card, and the name it gives (known null: it cannot be asked now) — a mistyped number has an account too, of nobody',
          ),
      }),
      handler: async ({ body }) => ({
        ...(body.card ? { card: await printAccounts.cardAtLibrary(body.patron) } : {}),
        statement: statementAsKept(printAccounts.statement(body.patron, body.limit ?? 100)),
        releases: printAccounts.releases({ patron: body.patron, limit: body.limit ?? 50 }),
        jobs: await printAccounts.heldJobs(body.patron, { expiring: true }),
        transfers: printAccounts
          .ilsTransfers({ patron: body.patron, limit: body.limit ?? 50 })
          .map(withStaffAsKept),
        transfersConfigured: printAccounts.ilsTransfersConfigured,
      }),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/accounts/deposit',
      operationId: 'depositPrintAccount',
      summary:
        'Tops up a print account (cash at the desk, a transfer…), idempotent by requestId; a card the library system says it does not know is refused, 404 patron_not_found, and one it says was reported lost, 409 card_lost, or (except a correction, source adjustment) expired or blocked, 409 card_expired or patron_blocked, nothing topped up (one it cannot be asked about now, or that it does not answer about within printAccounts.deskCardCheckMs, is topped up)',
      tag,
      access: ['staff'],
      status: 201,
      body: z.strictObject({
        requestId: requestIdSchema,
        patron: patronSchema,
        amountMinor: minorSchema,
        currency: currencySchema,
        source: z.enum(['cash-desk', 'payment-device', 'ils-transfer', 'adjustment']).default('cash-desk'),
        note: z.string().max(200).optional(),
      }),
      response: z.object({
        entryId: z.string(),
        balanceMinor: minorSchema,
        currency: z.string(),
        repeated: z.boolean(),
      }),
      problems: [404, 409, 422],
      handler: async ({ body, principal, reply }) =>
        saidIfRepeated(
          reply,
          await printAccounts.depositAtDesk({
            ...body,
            staff: actorOf(principal),
            ...(body.note ? { note: body.note } : {}),
          }),
        ),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/accounts/transfers',
      operationId: 'transferFromIls',
      summary:
        "Moves the patron's credit at the ILS into the print account (where an ILS account API is configured), idempotent by requestId; a card the library system says was reported lost, expired or blocked is refused, 409 card_lost, card_expired or patron_blocked, nothing debited at the ILS",
      tag,
      access: ['staff'],
      status: 201,
      body: z.strictObject({
        requestId: requestIdSchema,
        patron: patronSchema,
        amountMinor: minorSchema,
        currency: currencySchema.optional(),
      }),
      response: z.object({
        transferId: z.string(),
        requestId: z.string(),
        amountMinor: minorSchema,
        currency: z.string(),
        entryId: z.string().describe('the print ledger deposit (source ils-transfer)'),
        ilsDebitId: z.string().describe("the ILS's debit that took the credit there"),
        balanceMinor: minorSchema,
        repeated: z.boolean(),
      }),
      problems: [402, 404, 409, 422, 502, 503],
      handler: async ({ body, principal, reply }) =>
        saidIfRepeated(
          reply,
          await printAccounts.transferFromIls({
            requestId: body.requestId,
            patron: body.patron,
            amountMinor: body.amountMinor,
            staff: actorOf(principal),
            ...(body.currency ? { currency: body.currency } : {}),
          }),
        ),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/print/accounts/transfers',
      operationId: 'listIlsTransfers',
      summary:
        'Transfers of ILS credit into print accounts, newest first; state=pending or failed finds those to look into',
      tag,
      access: ['staff'],
      query: z.object({
        state: z.enum(['pending', 'deposited', 'failed']).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(50),
      }),
      response: z.object({ transfers: z.array(transferSchema) }),
      handler: ({ query }) => ({
        transfers: printAccounts
          .ilsTransfers({
            limit: query.limit,
            ...(query.state ? { state: query.state } : {}),
          })
          .map(withStaffAsKept),
      }),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/accounts/payout',
      operationId: 'payOutPrintAccount',
      summary:
        'Pays the whole balance out (closing the account), idempotent by requestId; refused 409 print_release_unsettled while a job of the patron may still be refunded',
      tag,
      access: ['staff'],
      body: z.strictObject({
        requestId: requestIdSchema,
        patron: patronSchema,
        reason: reasonSchema.optional(),
        amountMinor: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            'The balance the desk said it pays out. When the balance is another (a job charged or a top-up meanwhile), nothing is paid: 409 print_balance_changed',
          ),
      }),
      response: entrySchema,
      problems: [409, 422],
      handler: async ({ body, principal, reply }) =>
        withStaffAsKept(
          await printAccounts.payout({
            requestId: body.requestId,
            patron: body.patron,
            staff: actorOf(principal),
            onReplay: replayed(reply),
            ...(body.reason ? { reason: body.reason } : {}),
            ...(body.amountMinor !== undefined ? { amountMinor: body.amountMinor } : {}),
          }),
        ),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/accounts/adjust',
      operationId: 'adjustPrintAccount',
      summary: 'A correction with a reason (negative takes money out), idempotent by requestId',
      tag,
      access: ['staff'],
      body: z.strictObject({
        requestId: requestIdSchema,
        patron: patronSchema,
        amountMinor: minorSchema,
        currency: currencySchema,
        reason: reasonSchema,
      }),
      response: entrySchema,
      problems: [409, 422],
      handler: async ({ body, principal, reply }) =>
        withStaffAsKept(
          await printAccounts.adjust({ ...body, staff: actorOf(principal), onReplay: replayed(reply) }),
        ),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/releases/refund',
      operationId: 'refundPrintRelease',
      summary:
        'Refunds a released job in full (no amount) or in part, with a reason; a release whose outcome the print server has not told yet (state charged) is refused, 409 print_release_outcome_unknown',
      tag,
      access: ['staff'],
      body: z.strictObject({
        requestId: requestIdSchema,
        releaseId: z.string().min(1).max(64),
        amountMinor: minorSchema.optional(),
        reason: reasonSchema,
      }),
      response: releaseSchema,
      problems: [404, 409, 422],
      handler: ({ body, principal, reply }) =>
        printAccounts.refund({
          requestId: body.requestId,
          releaseId: body.releaseId,
          reason: body.reason,
          staff: actorOf(principal),
          onReplay: replayed(reply),
          ...(body.amountMinor !== undefined ? { amountMinor: body.amountMinor } : {}),
        }),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/print/releases',
      operationId: 'listPrintReleases',
      summary: 'The latest releases at every station, with their outcome',
      tag,
      access: ['staff'],
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }),
      response: z.object({ releases: z.array(releaseSchema) }),
      handler: ({ query }) => ({ releases: printAccounts.releases({ limit: query.limit ?? 50 }) }),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/print/reports/daily',
      operationId: 'printDailyReport',
      summary: 'The cash report of one day: deposits by source, payouts, refunds, income per queue',
      tag,
      access: ['staff'],
      query: dateQuery,
      response: reportSchema,
      problems: [400],
      handler: ({ query }) => printAccounts.dailyReport(query.date),
    }),
  ];
}

/**
 * As every request sent again with its id, an answer given again for it says so: HTTP's
 * `Idempotent-Replayed: true` (a desk page or script tells a lost answer
 * found from money moved now).
 */
function replayed(reply: ReplyControl | undefined): () => void {
  return () => reply?.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
}

/** A deposit or a transfer answered again (`repeated`), said so as every replayed answer. */
function saidIfRepeated<T extends { repeated: boolean }>(reply: ReplyControl | undefined, answer: T): T {
  if (answer.repeated) replayed(reply)();
  return answer;
}

/**
 * Who made an entry or a transfer as staff read it: a caller of a desk without tokens is kept as
 * 'at this desk' (actorOf), and what an older Carrel kept for it ('loopback') reads so too.
 */
export function withStaffAsKept<T extends { staff: string | null }>(record: T): T {
  return record.staff === null ? record : { ...record, staff: actorAsKept(record.staff) };
}

/** A statement whose entries say who made them as staff read it (withStaffAsKept). */
export function statementAsKept<T extends { entries: Array<{ staff: string | null }> }>(statement: T): T {
  return { ...statement, entries: statement.entries.map(withStaffAsKept) };
}
