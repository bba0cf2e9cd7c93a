import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../../core/logger.js';
import type { DeskServices } from '../../../gateway/contracts/desk.js';
import type { SessionCaller } from '../../../gateway/contracts/sessions.js';
import type { SessionUpdate } from '../../../gateway/sessions/index.js';
import { doneOnce, optionalRequestId } from '../../request-ids.js';
import { deskCaller, type Principal, type TokenAuthenticator } from '../auth.js';
import { followRoute } from '../follow-socket.js';
import { ApiProblem } from '../problem.js';
import type { RouteBook } from '../routes.js';
import { deviceIdParams, printJobSchema } from '../schemas.js';
import { checkoutRequestSchema, ilsDate, money, patronRefSchema } from './circulation.js';

/**
 * Self-check sessions: a kiosk opens one for a patron (barcode and PIN, or the
 * patron card on its pad) or for returns, watches its items live on the
 * session's WebSocket, and ends it with a receipt. A session answers only to the
 * token that opened it, and to staff; its id is unguessable.
 */

const sessionId = z.uuid().describe('the session id');
const params = z.object({ id: sessionId });
const padId = deviceIdParams.shape.id;

/**
 * `?screen=`: the kiosk screen asking, an id the page makes up and keeps across its reloads. A
 * session opened (or taken over) with one is acted on by that screen only; other screens are
 * refused `session_on_another_screen` and may take it over. Without one a request acts as always.
 */
const screenQuery = z.object({
  screen: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .optional()
    .describe('the kiosk screen asking (8–64 letters, digits, _ or -): see takeOverSession'),
});

const screenCaller = (principal: Principal, query: { screen?: string | undefined }): SessionCaller => ({
  ...deskCaller(principal),
  screen: query.screen,
});

export const openSessionSchema = z
  .strictObject({
    mode: z.enum(['checkout', 'return']),
    pad: padId.optional().describe('the RFID pad this kiosk watches'),
    auto: z.boolean().optional().describe('process items as they are placed (default true)'),
    patron: patronRefSchema.shape.patron.optional(),
    patronCard: z.boolean().optional().describe('read the patron from the patron card on the pad'),
    scanner: padId
      .optional()
      .describe('the scanner this kiosk watches: item barcodes scanned there go to the session'),
    patronScan: z
      .boolean()
      .optional()
      .describe(
        "the patron is the card or barcode scanned at the session's scanner in the last minute (used once)",
      ),
    pin: patronRefSchema.shape.pin,
    requestId: optionalRequestId,
  })
  .refine((open) => !(open.patron !== undefined && open.patronCard === true), {
    message: 'give a patron barcode or patronCard, not both',
    path: ['patronCard'],
  })
  .refine((open) => !(open.patronScan === true && (open.patron !== undefined || open.patronCard === true)), {
    message: 'give only one of a patron barcode, patronCard or patronScan',
    path: ['patronScan'],
  });

const screenMessages = z.array(z.string()).describe("the ILS's messages for the patron");

export const sessionItemSchema = z.object({
  item: z.string(),
  title: z.string().optional(),
  state: z.enum([
    'on_pad',
    'pending',
    'incomplete_set',
    'fee_required',
    'checked_out',
    'checked_in',
    'refused',
    'security_failed',
    'failed',
  ]),
  tags: z.array(z.string()),
  set: z.object({ parts: z.number().int(), onPad: z.number().int() }).optional(),
  dueDate: ilsDate.nullable().optional(),
  renewal: z.boolean().optional(),
  offline: z.boolean().optional(),
  security: z.enum(['cleared', 'set', 'kept', 'none', 'failed']).optional(),
  magneticMedia: z.boolean().optional(),
  fee: money.optional(),
  sortBin: z.string().optional(),
  alert: z.object({ type: z.string(), message: z.string() }).optional(),
  reason: z
    .string()
    .optional()
    .describe(
      'refused or failed: the refusal reason (the ILS said no, screenMessages say why), the error code, or barcode_not_sendable (a barcode scanned with a | or a control character in it: never sent, for staff)',
    ),
  message: z
    .string()
    .optional()
    .describe(
      "failed: what went wrong, in words a kiosk can show staff (the reason is its code), as POST /checkouts's problem detail says it",
    ),
  answerLost: z
    .boolean()
    .optional()
    .describe(
      'failed after the request reached the ILS and its answer was lost: it may have been done. Asked for again (POST …/items), the ILS is asked first: found done it is taken as done (nothing sent again), found not done it is done now, and while the ILS cannot say it is refused 409 item_outcome_unknown (staff look it up). A failed item without it is simply done again',
    ),
  screenMessages,
  updatedAt: z.string(),
});

const renewalSchema = z.object({
  item: z.string(),
  title: z.string().optional(),
  ok: z.boolean().describe('renewed: dueDate is the new due date'),
  dueDate: ilsDate.optional(),
  reason: z
    .string()
    .optional()
    .describe('not renewed: the refusal reason (the ILS said no, screenMessages say why), or the error code'),
  message: z
    .string()
    .optional()
    .describe(
      "not renewed: why, in words a kiosk can show (reason is its code) — the words POST /renewals's problem detail gives for the same refusal or failure; for a loan not tried, that it was not sent and why",
    ),
  answerLost: z
    .boolean()
    .optional()
    .describe(
      "sent to the ILS and its answer lost: it may have been renewed. It is never sent again (each renewal spends one of the loan's renewals): staff look it up",
    ),
  notTried: z
    .boolean()
    .optional()
    .describe(
      "not sent: the ILS stopped answering (reason: its error code) or the session ended (session_ended) before this loan's turn; nothing changed, and renewing the loans again tries it",
    ),
  screenMessages,
});

export const sessionSchema = z.object({
  id: z.string(),
  mode: z.enum(['checkout', 'return']),
  state: z.enum(['open', 'ended']),
  pad: z.string().nullable(),
  scanner: z.string().nullable(),
  auto: z.boolean(),
  patron: z
    .object({
      name: z.string(),
      blocked: z.boolean(),
      reasons: z.array(z.string()),
      fines: z.object({ total: z.string(), currency: z.string().nullable() }),
      counts: z.object({ loans: z.number(), overdue: z.number(), holdsAvailable: z.number() }),
      screenMessages,
    })
    .nullable(),
  items: z.array(sessionItemSchema),
  unreadableTags: z
    .array(
      z.object({
        uid: z.string(),
        reason: z
          .string()
          .describe(
            'why, as a code for staff: rfid_unknown_format, rfid_crc_invalid (its data damaged), rfid_no_item_id, rfid_item_id_not_sendable (a | or a control character in it), rfid_other_library (another library owns it: sessions.ownerLibraries), a read error…',
          ),
        ownerLibrary: z
          .string()
          .optional()
          .describe('with rfid_other_library: the owner library (ISIL) the tag names'),
      }),
    )
    .describe('tags on the pad that are no item: neither lent nor returned, the patron takes it to the desk'),
  renewals: z.array(renewalSchema).describe('every renewal asked in this session, in order'),
  renewing: z
    .object({ done: z.number().int(), total: z.number().int() })
    .optional()
    .describe(
      "the patron's loans being renewed one by one now (POST …/renewals with no item): how many of how many have come back; each joins renewals as it does, with a session update",
    ),
  startedAt: z.string(),
  lastActivityAt: z.string(),
  expiresAt: z
    .string()
    .describe('when the session ends if nothing happens, on the wall clock as Carrel read it'),
  expiresInMs: z
    .number()
    .int()
    .min(0)
    .describe(
      "how long until then, in ms, as the view was made (0 once ended): count it down on the screen's monotonic clock (performance.now()), not from expiresAt on its wall clock, which NTP may step",
    ),
  inactivityTimeoutMs: z
    .number()
    .int()
    .min(0)
    .describe(
      'how long the session is kept with nothing happening, in ms (sessions.inactivityTimeoutSeconds): what activity sets expiresInMs back to',
    ),
  endedAt: z.string().optional(),
  endReason: z.enum(['ended', 'cancelled', 'timeout', 'shutdown']).optional(),
  endMessage: z
    .string()
    .optional()
    .describe(
      'ended: why, in words a kiosk can show (endReason is its code); after a timeout or a cancel, that what was done stays done and what still waited on the pad was not',
    ),
});

/** An item's states that are a checkout's (or return's) last word: the ILS did it, or said no or what it costs. */
const FINAL_ITEM_STATES: ReadonlySet<string> = new Set([
  'checked_out',
  'checked_in',
  'refused',
  'fee_required',
]);

const receiptData = { template: z.enum(['checkout', 'checkin']), data: z.record(z.string(), z.unknown()) };

export const sessionEndSchema = z.object({
  session: sessionSchema,
  ils: z
    .union([z.object({ ended: z.boolean(), screenMessages }), z.object({ error: z.string() })])
    .nullable(),
  receipt: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('printed'), printer: z.string(), job: printJobSchema }),
    z.object({ kind: z.literal('data'), ...receiptData }),
    z.object({
      kind: z.literal('print_failed'),
      error: z.object({ code: z.string(), message: z.string() }),
      ...receiptData,
    }),
    z.object({ kind: z.literal('none') }),
  ]),
});

export function sessionRoutes(
  app: FastifyInstance,
  book: RouteBook,
  services: DeskServices,
  auth: TokenAuthenticator,
  log: Logger,
): void {
  const { sessions } = services;
  const access = ['kiosk', 'staff'] as const;

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions',
    operationId: 'openSession',
    summary:
      'Open a self-check session: checkout (a patron by barcode and PIN, or by the patron card on the pad) or return',
    tag: 'sessions',
    access,
    query: screenQuery,
    body: openSessionSchema,
    response: sessionSchema,
    status: 201,
    problems: [404, 409, 422, 503],
    // A session does not outlive the process, and its answer names the patron: kept in memory only.
    handler: (input) =>
      doneOnce(
        services.requests,
        'sessions.open',
        input,
        ({ requestId: _id, ...body }) => sessions.open(body, screenCaller(input.principal, input.query)),
        {
          keep: 'memory',
          // Sent again, the session it opened as it is now: ended since, 409 session_ended with its id.
          again: (opened) => sessions.openedAgain(opened.id, screenCaller(input.principal, input.query)),
        },
      ),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/sessions',
    operationId: 'listSessions',
    summary: "Sessions open now (and just ended): a kiosk sees its own, staff see every kiosk's",
    tag: 'sessions',
    access,
    response: z.object({ sessions: z.array(sessionSchema) }),
    handler: ({ principal }) => ({ sessions: sessions.list(deskCaller(principal)) }),
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/sessions/summary',
    operationId: 'summarizeSessions',
    summary:
      'How many self-check sessions are open, by mode and by pad: counts only, no patron (for monitoring)',
    tag: 'sessions',
    access: ['monitor', 'staff'],
    response: z.object({
      open: z.number().int(),
      byMode: z.object({ checkout: z.number().int(), return: z.number().int() }),
      byPad: z
        .record(z.string(), z.number().int())
        .describe('open sessions per pad; "none" for a session without one'),
    }),
    handler: () => {
      const open = sessions.list({ terminal: 'monitoring', staff: true }).filter((s) => s.state === 'open');
      const byMode = { checkout: 0, return: 0 };
      const byPad: Record<string, number> = {};
      for (const session of open) {
        byMode[session.mode]++;
        const pad = session.pad ?? 'none';
        byPad[pad] = (byPad[pad] ?? 0) + 1;
      }
      return { open: open.length, byMode, byPad };
    },
  });

  book.add(app, {
    method: 'GET',
    url: '/api/v1/sessions/:id',
    operationId: 'getSession',
    summary: 'One session with every item and its state',
    tag: 'sessions',
    access,
    params,
    response: sessionSchema,
    problems: [404],
    handler: ({ params, principal }) => sessions.get(params.id, deskCaller(principal)),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions/:id/items',
    operationId: 'processSessionItem',
    summary:
      'Check out (or return) one item by barcode: scanned, waiting on the pad, or again with a fee accepted',
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    body: z.strictObject({
      item: checkoutRequestSchema.shape.item,
      feeAcknowledged: checkoutRequestSchema.shape.feeAcknowledged,
      // Or the Idempotency-Key header, as on every other route that lends: the same id for another
      // item is refused rather than lent under it.
      requestId: optionalRequestId,
    }),
    response: sessionItemSchema,
    // 409 item_outcome_unknown: an item whose answer was lost, the ILS unable to say whether it was done.
    problems: [404, 409],
    handler: (input) =>
      doneOnce(
        services.requests,
        'sessions.item',
        input,
        ({ requestId: _id, ...body }) =>
          sessions.processItem(input.params.id, body, screenCaller(input.principal, input.query)),
        // Kept in memory like the session's other calls. An item not yet done or refused (waiting
        // for its set's other parts, failed before the ILS had it, its answer lost) is not kept:
        // asked again under its id, the session takes it up where it stands, never lending it twice.
        { keep: 'memory', final: (item) => FINAL_ITEM_STATES.has(item.state) },
      ),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions/:id/renewals',
    operationId: 'renewInSession',
    summary:
      "Renew one of the patron's loans ({item}); with no item, the loans she had before this session, one by one (a 29 each, in the library system's order; not the items borrowed in this session, nor one renewed already in it), each joining the session's renewals as it comes back (with `renewing` and a session update), the loans after not sent when the library system stops answering (notTried); a patron whose renewals the library system denies (its patron status: a blocked card, fines over the limit) refused at once, 409 with the reason and its words, no loan asked; or every loan at once with the library system's Renew All ({all: true}, message 65: the items borrowed in this session too)",
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    body: z
      .strictObject({
        item: checkoutRequestSchema.shape.item.optional(),
        all: z
          .literal(true)
          .optional()
          .describe(
            'Renew All (SIP2 65): every loan the patron has at the library system, those borrowed in this session too, in one request',
          ),
        feeAcknowledged: z
          .boolean()
          .optional()
          .describe(
            'the patron accepted the fee the library system asked to renew this loan (with item) or her loans (with all)',
          ),
        // Each renewal spends one of the loan's: sent again after a lost answer, it is not sent twice.
        requestId: optionalRequestId,
      })
      .refine((renew) => !(renew.item !== undefined && renew.all === true), {
        message: 'give an item or all, not both',
        path: ['all'],
      })
      .refine(
        (renew) => renew.feeAcknowledged === undefined || renew.item !== undefined || renew.all === true,
        {
          message: 'a fee is accepted for a loan named (item) or for all: name it',
          path: ['feeAcknowledged'],
        },
      ),
    response: z.object({
      renewals: z
        .array(renewalSchema)
        .describe('the renewals this request asked for (none when she has no earlier loan to renew)'),
    }),
    problems: [404, 409, 422],
    handler: (input) =>
      doneOnce(
        services.requests,
        'sessions.renew',
        input,
        async ({ requestId: _id, ...body }) => ({
          renewals: await sessions.renew(input.params.id, body, screenCaller(input.principal, input.query)),
        }),
        { keep: 'memory' },
      ),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions/:id/keep-alive',
    operationId: 'keepSessionAlive',
    summary:
      "The patron is still there (a kiosk's 'I am still here'): the inactivity end is pushed back; reading the session does not",
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    response: sessionSchema,
    problems: [404, 409],
    handler: ({ params, query, principal }) => sessions.keepAlive(params.id, screenCaller(principal, query)),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions/:id/take-over',
    operationId: 'takeOverSession',
    summary:
      'Show the session on this screen (?screen=) from now on: a kiosk page back after its browser crashed, or staff moving it on purpose (force); refused while the screen holding it is connected, unless force. That screen is sent `moved` and its socket closed 4409',
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    body: z.strictObject({
      force: z
        .boolean()
        .optional()
        .describe('take it even from a screen still connected (on purpose: that screen is told)'),
    }),
    response: sessionSchema,
    problems: [404, 409, 422],
    handler: ({ params, query, body, principal }) =>
      sessions.takeOver(params.id, body, screenCaller(principal, query)),
  });

  book.add(app, {
    method: 'POST',
    url: '/api/v1/sessions/:id/end',
    operationId: 'endSession',
    summary:
      'End the session: the ILS is told, and the receipt is printed, returned as data (for e-mail), or not made. Sent again asking the same receipt (its answer lost), with or without a requestId, it answers as the first time while the ended session is kept (5 minutes), the receipt printed once; another receipt, or a session that ended another way, is 409 session_ended',
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    body: z.strictObject({
      receipt: z.enum(['print', 'data', 'none']),
      printer: padId.optional().describe('the receipt printer; the configured one when absent'),
      // Sent again after a lost answer, the kiosk hears the receipt of the first (printed once).
      requestId: optionalRequestId,
    }),
    response: sessionEndSchema,
    problems: [404, 409],
    handler: (input) =>
      doneOnce(
        services.requests,
        'sessions.end',
        input,
        ({ requestId: _id, ...body }) =>
          sessions.end(input.params.id, body, screenCaller(input.principal, input.query)),
        { keep: 'memory' },
      ),
  });

  book.add(app, {
    method: 'DELETE',
    url: '/api/v1/sessions/:id',
    operationId: 'cancelSession',
    summary:
      'Cancel the session: the ILS is told, no receipt. Sent again (its answer lost), it answers as the first time while the ended session is kept (5 minutes); a session that ended another way is 409 session_ended with its endReason and endMessage',
    tag: 'sessions',
    access,
    params,
    query: screenQuery,
    response: sessionEndSchema,
    problems: [404, 409],
    handler: ({ params, query, principal }) => sessions.cancel(params.id, screenCaller(principal, query)),
  });

  // The session's live updates. Browsers cannot set headers on a WebSocket: the token may come as ?access_token=.
  // With ?screen=, the holding screen's feed keeps it held; a screen it moved from gets `moved`, closed 4409.
  followRoute<SessionUpdate>(app, book, auth, log, {
    url: '/api/v1/sessions/:id/events',
    what: 'session',
    id: sessionId,
    access,
    document: {
      operationId: 'followSession',
      summary: "The session's items and state, live (WebSocket)",
      tag: 'sessions',
      query: screenQuery,
      messages: {
        description:
          'The session as it is (session), then each item as it is checked out or returned (item) and the ' +
          'session at each change, and last the session ended (ended), after which the socket closes 1000; ' +
          'a screen the session was moved from hears moved, and the socket closes 4409.',
        schema: z.discriminatedUnion('event', [
          z.object({ event: z.literal('session'), data: sessionSchema }),
          z.object({ event: z.literal('item'), data: sessionItemSchema }),
          z.object({ event: z.literal('ended'), data: sessionSchema }),
          z.object({ event: z.literal('moved'), data: z.object({ id: sessionId }) }),
        ]),
      },
    },
    watch: (id, principal, send, query) => {
      const screen = screenQuery.safeParse(query);
      if (!screen.success)
        throw new ApiProblem(400, 'invalid_request', 'Invalid request', 'the screen is not a screen id');
      return sessions.watch(id, screenCaller(principal, screen.data), send);
    },
    closeAfter: {
      event: 'moved',
      code: 4409,
      reason: 'session moved to another screen',
      why: 'the session was taken over by another screen (after its moved message)',
    },
  });
}
