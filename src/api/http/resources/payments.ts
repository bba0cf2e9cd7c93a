import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../../core/logger.js';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import type { PaymentUpdate } from '../../../gateway/contracts/payments.js';
import { CHECK_NOTE_MAX } from '../../../gateway/payments/checks.js';
import { doneOnce, optionalRequestId } from '../../request-ids.js';
import { actorOf, deskCaller, type TokenAuthenticator } from '../auth.js';
import { followRoute } from '../follow-socket.js';
import type { RouteBook } from '../routes.js';
import { deviceIdParams } from '../schemas.js';
import { patronRefSchema } from './circulation.js';

/**
 * Payments: a kiosk opens one for a patron and what they pay (fees the ILS
 * lists, or print credit), watches the money come in on the payment's
 * WebSocket, and gets the receipt when it ends (paid in full, finished, or
 * cancelled). A payment answers only to the token that opened it, and to
 * staff; it never shows the patron's barcode or PIN.
 */

const paymentId = z.uuid().describe('the payment id');
const params = z.object({ id: paymentId });
const deviceId = deviceIdParams.shape.id;
/** Minor units: whole, positive, and not absurd (the configured limits refuse more). */
const minor = z.number().int().min(1).max(100_000_000);

export const openPaymentSchema = z
  .strictObject({
    patron: patronRefSchema.shape.patron.optional(),
    patronCard: z.boolean().optional().describe('read the patron from the patron card on the pad'),
    pad: deviceId.optional(),
    pin: patronRefSchema.shape.pin,
    purpose: z.discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('fees'),
        fees: z
          .array(z.string().min(1).max(64))
          .min(1)
          .max(50)
          .describe('fee ids from patron information, each once (one listed twice: 422 fee_listed_twice)'),
      }),
      z.strictObject({ kind: z.literal('print-topup'), amountMinor: minor }),
    ]),
    amountDueMinor: minor.optional().describe('what the kiosk showed as due: refused if the fees changed'),
    requestId: optionalRequestId,
    devices: z
      .array(deviceId)
      .min(1)
      .max(8)
      .optional()
      .describe('the cash devices; the configured ones when absent (a device named twice is taken once)'),
  })
  .refine((open) => !(open.patron !== undefined && open.patronCard === true), {
    message: 'give a patron barcode or patronCard, not both',
    path: ['patronCard'],
  });

const lineSchema = z.object({
  kind: z.enum(['fee', 'print-topup', 'overpayment']),
  feeId: z.string().optional(),
  feeType: z.string().optional(),
  description: z.string().optional(),
  dueMinor: z.number().int(),
  paidMinor: z.number().int(),
  state: z.enum(['pending', 'posting', 'posted', 'journaled', 'refused', 'failed', 'unpaid']),
  transactionId: z.string().describe('the id the ILS got the payment with (BK), or the deposit request id'),
  message: z.string().optional(),
});

const creditSchema = z.object({ device: z.string(), valueMinor: z.number().int(), at: z.string() });

export const paymentSchema = z.object({
  id: z.string(),
  state: z.enum(['collecting', 'settling', 'completed', 'cancelled']),
  purpose: z.enum(['fees', 'print-topup']),
  currency: z.string(),
  patron: z.object({ name: z.string() }),
  amountDueMinor: z.number().int(),
  paidMinor: z.number().int(),
  remainingMinor: z.number().int(),
  overpaidMinor: z.number().int(),
  overpayment: z.object({
    toPrintAccountMinor: z.number().int(),
    owedToPatronMinor: z.number().int(),
    paidOutMinor: z.number().int(),
  }),
  lines: z.array(lineSchema),
  credits: z.array(creditSchema),
  uncounted: z
    .array(
      z.object({
        device: z.string(),
        reason: z.enum(['events_lost', 'event_counter_jump', 'unknown_channel', 'unknown_bill_type_stacked']),
        valueMinor: z
          .number()
          .int()
          .optional()
          .describe('what the device showed it to be worth, if anything'),
        at: z.string(),
      }),
    )
    .describe(
      'money that may have gone in uncounted (coins past the acceptor’s event buffer, a note of no known value): not in paidMinor; tell the patron to see staff, who count the cash box',
    ),
  devices: z.array(z.string()),
  accepting: z.array(z.number().int()).describe('the coin and note values the devices take now'),
  offline: z.boolean().describe('some of it is journaled and goes to the ILS when it is back'),
  startedAt: z.string(),
  expiresAt: z.string(),
  endedAt: z.string().optional(),
  endReason: z.enum(['paid', 'finished', 'cancelled', 'timeout', 'shutdown']).optional(),
  check: z
    .object({
      outcome: z.enum(['already-recorded', 'recorded-by-hand']),
      note: z.string().optional(),
      by: z.string().describe('the name of the token staff checked it with'),
      at: z.string(),
    })
    .optional()
    .describe('staff checked its failed lines at the library system: what they found, who, when'),
  payouts: z
    .array(
      z.object({
        amountMinor: z.number().int(),
        by: z.string().describe('the name of the token staff paid it out with'),
        at: z.string(),
      }),
    )
    .optional()
    .describe('cash staff handed back to the patron from what it owed them, oldest first'),
});

const checkSchema = z.strictObject({
  outcome: z
    .enum(['already-recorded', 'recorded-by-hand'])
    .describe(
      'already-recorded: the library system (or the print account) has the payment; ' +
        'recorded-by-hand: staff recorded it there by hand',
    ),
  note: z
    .string()
    .max(CHECK_NOTE_MAX)
    .regex(/^[^\p{Cc}]*$/u, 'a note is one line of text, without control characters')
    .optional()
    .describe("staff's own short note (not the patron's name: it is kept with the payment)"),
  requestId: optionalRequestId,
});

const endSchema = z.object({
  payment: paymentSchema,
  receipt: z.object({ template: z.literal('payment'), data: z.record(z.string(), z.unknown()) }),
});

export function paymentRoutes(
  app: FastifyInstance,
  book: RouteBook,
  services: DeskServices,
  auth: TokenAuthenticator,
  log: Logger,
): void {
  const { payments } = services;
  const access = ['kiosk', 'staff'] as const;
  const tag = 'payments';

  book.add(app, {
    method: 'POST',
    url: '/api/v1/payments',
    operationId: 'openPayment',
    summary:
      "Open a payment: a patron's fees (by their ids in patron information) or a print-account top-up; the cash devices take what fits",
    tag,
    access,
    body: openPaymentSchema,
    response: paymentSchema,
    status: 201,
    problems: [404, 409, 422, 503],
    handler: (input) =>
      doneOnce(services.requests, 'payments.open', input, ({ requestId: _id, ...body }) =>
        payments.open(body, deskCaller(input.principal)),
      ),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/payments',
    operationId: 'listPayments',
    summary: "Payments collecting now: a kiosk sees its own, staff see every kiosk's",
    tag,
    access,
    response: z.object({ payments: z.array(paymentSchema) }),
    handler: ({ principal }) => ({ payments: payments.list(deskCaller(principal)) }),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/payments/:id',
    operationId: 'getPayment',
    summary: 'One payment: what is due, what was inserted, how each fee was posted',
    tag,
    access,
    params,
    response: paymentSchema,
    problems: [404],
    handler: ({ params, principal }) => payments.get(params.id, deskCaller(principal)),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/payments/:id/finish',
    operationId: 'finishPayment',
    summary: 'No more money: the fees are paid in order with what was inserted; the receipt as data',
    tag,
    access,
    params,
    response: endSchema,
    problems: [404, 409],
    handler: ({ params, principal }) => payments.finish(params.id, deskCaller(principal)),
  });

  book.add(app, {
    method: 'DELETE',
    url: '/api/v1/payments/:id',
    operationId: 'cancelPayment',
    summary: 'The patron walked away: cancelled if nothing was inserted, else settled as finished',
    tag,
    access,
    params,
    response: endSchema,
    problems: [404, 409],
    handler: ({ params, principal }) => payments.cancel(params.id, deskCaller(principal)),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/payments/:id/receipt',
    operationId: 'getPaymentReceipt',
    summary: "An ended payment's receipt as data (the payment template): to show, or to e-mail",
    tag,
    access,
    params,
    response: endSchema.shape.receipt,
    problems: [404, 409],
    handler: ({ params, principal }) => payments.receipt(params.id, deskCaller(principal)),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/payments/:id/receipt',
    operationId: 'printPaymentReceipt',
    summary: "Print an ended payment's receipt on the desk's receipt printer (or the one named)",
    tag,
    access,
    params,
    body: z.strictObject({ printer: deviceId.optional() }),
    response: z.object({ printer: z.string(), job: z.string() }),
    status: 201,
    problems: [404, 409, 422],
    handler: ({ params, body, principal }) =>
      payments.printReceipt(params.id, deskCaller(principal), body.printer),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/payments/owed',
    operationId: 'listPaymentsOwing',
    summary:
      'Ended payments that still owe the patron money (an excess, a fee the ILS refused, coins read after the end), for staff to pay out',
    tag,
    access: ['staff'],
    response: z.object({ payments: z.array(paymentSchema) }),
    handler: () => ({ payments: payments.owing() }),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/payments/to-check',
    operationId: 'listPaymentsToCheck',
    summary:
      "Ended payments with money whose fate is not known — a fee payment the ILS may or may not have taken, a top-up not credited (a line failed) — for staff to check the patron's account",
    tag,
    access: ['staff'],
    response: z.object({ payments: z.array(paymentSchema) }),
    handler: () => ({ payments: payments.toCheck() }),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/payments/:id/payouts',
    operationId: 'payOutOverpayment',
    summary: 'Staff paid an overpayment back from the desk: recorded with who did it',
    tag,
    access: ['staff'],
    params,
    body: z.strictObject({ amountMinor: minor, requestId: optionalRequestId }),
    response: paymentSchema,
    status: 201,
    problems: [404, 409, 422],
    handler: (input) =>
      doneOnce(services.requests, 'payments.payOut', input, (body) =>
        payments.payOut(input.params.id, body.amountMinor, actorOf(input.principal)),
      ),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/payments/:id/check',
    operationId: 'checkPayment',
    summary:
      'Staff checked a payment on the to-check list at the library system: it had the money already, or they recorded it by hand; recorded with who did it, and the payment leaves the list',
    tag,
    access: ['staff'],
    params,
    body: checkSchema,
    response: paymentSchema,
    status: 201,
    problems: [404, 409, 422],
    handler: (input) =>
      doneOnce(services.requests, 'payments.check', input, (body) =>
        payments.check(
          input.params.id,
          { outcome: body.outcome, ...(body.note !== undefined ? { note: body.note } : {}) },
          actorOf(input.principal),
        ),
      ),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/stats/payments',
    operationId: 'getPaymentStatistics',
    summary: 'Payments per hour: cash taken (coins, notes), fees paid by type, print top-ups. No patron data',
    tag,
    access: ['staff', 'monitor'],
    query: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }),
    response: z.object({
      rows: z.array(
        z.object({
          hour: z.string(),
          currency: z.string(),
          cashTakenMinor: z.number().int(),
          cashTakenByDeviceMinor: z.record(z.string(), z.number().int()),
          coins: z.number().int(),
          notes: z.number().int(),
          feesPaidMinor: z.record(z.string(), z.number().int()),
          topUpsMinor: z.number().int(),
          payments: z.number().int(),
        }),
      ),
    }),
    problems: [400],
    handler: ({ query }) => ({
      rows: payments.statistics({ from: Date.parse(query.from), to: Date.parse(query.to) }),
    }),
  });

  // The payment's live updates: each credit once journaled, the acceptance, the end.
  followRoute<PaymentUpdate>(app, book, auth, log, {
    url: '/api/v1/payments/:id/events',
    what: 'payment',
    id: paymentId,
    access,
    document: {
      operationId: 'followPayment',
      summary: 'The money coming in for a payment, live (WebSocket)',
      tag: 'payments',
      messages: {
        description:
          'The payment as it is (payment), then each coin or note once journaled (credit, with what is paid and ' +
          'what remains) and the payment at each change, and last the payment ended (ended), after which the ' +
          'socket closes 1000.',
        schema: z.discriminatedUnion('event', [
          z.object({ event: z.literal('payment'), data: paymentSchema }),
          z.object({
            event: z.literal('credit'),
            data: creditSchema.extend({
              currency: z.string(),
              paidMinor: z.number().int(),
              remainingMinor: z.number().int(),
            }),
          }),
          z.object({ event: z.literal('ended'), data: paymentSchema }),
        ]),
      },
    },
    watch: (id, principal, send) => payments.watch(id, deskCaller(principal), send),
  });
}
