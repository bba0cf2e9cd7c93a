import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import type { OfflineTransaction } from '../../../gateway/offline/index.js';
import type { RouteBook } from '../routes.js';

/**
 * The offline journal for staff: what was taken while the ILS could not be
 * reached, how its replay went, and the conflicts staff must settle. Patron
 * ids are shown to staff tokens only; a monitor sees the rest.
 */

const STATES = ['pending', 'replaying', 'done', 'conflict', 'discarded'] as const;

export const offlineTransactionViewSchema = z.object({
  id: z.string(),
  sequence: z.number().int().describe('the order transactions are replayed in'),
  kind: z.enum(['checkout', 'checkin', 'feePaid', 'blockPatron']),
  patron: z.string().optional().describe('staff tokens only'),
  item: z.string().describe('the item; empty for a fee payment and a block'),
  fee: z
    .object({
      id: z.string().optional(),
      type: z.string(),
      amountMinor: z.number().int(),
      currency: z.string(),
      transactionId: z.string(),
      owedBeforeMinor: z.number().int().optional(),
      paymentType: z
        .string()
        .optional()
        .describe('SIP2 payment type code (BT): 00 cash, 01 VISA, 02 credit card; absent when not kept'),
    })
    .optional()
    .describe('a fee payment: the fee, the amount in minor units, its transaction id'),
  block: z
    .object({ cardRetained: z.boolean(), message: z.string() })
    .optional()
    .describe("a block of the patron's card: whether the self-check kept it, and its words for it"),
  terminal: z.string(),
  at: z.string().describe('when the patron did it (ISO 8601)'),
  state: z.enum(STATES),
  attempts: z.number().int(),
  reason: z
    .string()
    .optional()
    .describe('done: sent or already_done; conflict: why (item_checked_out_to_another…)'),
  message: z.string().optional().describe("the ILS's words for a conflict"),
  lastError: z.string().optional().describe('what last stopped a replay (ils_offline, ils_timeout…)'),
  acceptedAt: z.string(),
  settledAt: z.string().optional(),
});

export const offlineSummarySchema = z.object({
  pending: z.number().int(),
  replaying: z.number().int(),
  conflict: z.number().int(),
  done: z.number().int(),
  discarded: z.number().int(),
  outstanding: z.number().int().describe('pending + replaying + conflict: what counts against the limit'),
});

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'not a valid transaction id') });

type View = z.infer<typeof offlineTransactionViewSchema>;

function view(tx: OfflineTransaction, withPatron: boolean): View {
  const { patron, at, acceptedAt, settledAt, ...rest } = tx;
  return {
    ...rest,
    ...(withPatron && patron !== undefined ? { patron } : {}),
    at: new Date(at).toISOString(),
    acceptedAt: new Date(acceptedAt).toISOString(),
    ...(settledAt !== undefined ? { settledAt: new Date(settledAt).toISOString() } : {}),
  };
}

export function offlineRoutes(app: FastifyInstance, book: RouteBook, services: DeskServices): void {
  const { offline } = services;
  const tag = 'offline';

  book.add(app, {
    method: 'GET',
    url: '/api/v1/offline/transactions',
    operationId: 'listOfflineTransactions',
    summary: 'Transactions taken while the ILS was away, in replay order; filter by state (conflict…)',
    tag,
    access: ['staff', 'monitor'],
    query: z.object({ state: z.enum(STATES).optional() }),
    response: z.object({ transactions: z.array(offlineTransactionViewSchema) }),
    problems: [503],
    handler: ({ query, principal }) => {
      const withPatron = principal.scopes.includes('staff') || principal.scopes.includes('admin');
      const filter = query.state === undefined ? {} : { state: query.state };
      return { transactions: offline.transactions(filter).map((tx) => view(tx, withPatron)) };
    },
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/offline/summary',
    operationId: 'getOfflineSummary',
    summary: 'How many offline transactions are waiting, in conflict, done or discarded',
    tag,
    access: ['staff', 'monitor'],
    response: offlineSummarySchema,
    problems: [503],
    handler: () => offline.counts(),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/offline/transactions/:id/resolve',
    operationId: 'resolveOfflineTransaction',
    summary: "Settle a conflict: 'retry' replays it again, 'discard' drops it (kept as discarded)",
    tag,
    access: ['staff'],
    params: idParams,
    body: z.object({ action: z.enum(['retry', 'discard']) }),
    response: offlineTransactionViewSchema,
    problems: [404, 409, 422, 503],
    handler: async ({ params, body }) => view(await offline.resolve(params.id, body.action), true),
  });
}
