import { z } from 'zod';
import { IlsError } from '../../../devices/ils/index.js';
import {
  type CirculationKind,
  CirculationRefusal,
  REFUSAL_REASONS,
  type RefusalReason,
} from '../../../gateway/circulation/reasons.js';
import type { RenewAllResult, RenewalResult } from '../../../gateway/contracts/circulation.js';
import type { KeptRefusal, RequestOutcome } from '../../../gateway/contracts/requests.js';
import { type ApiModule, operation } from '../../operations.js';
import { doneOnce, optionalRequestId, type RequestErrors } from '../../request-ids.js';

/**
 * Circulation: patrons, checkouts, checkins, renewals, holds, fee payments, item
 * information, in the library's words. Patron data goes only to kiosk and staff
 * tokens; PINs only ever travel in request bodies. A refusal is a problem (409,
 * or 422 when the request named an unknown patron, item or a wrong PIN) whose
 * `code` and `reason` are one of REFUSAL_REASONS and whose `screenMessages` are
 * the ILS's own words for the patron.
 */

// SIP2 values: no `|` (the field separator) and no control characters. A loop over the UTF-16
// units, not a spread into characters: every checkout checks three of these.
function sip2Safe(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0x7c || unit < 0x20 || unit === 0x7f) return false;
  }
  return true;
}
const SIP2_SAFE = 'must not contain | or control characters';
const sip2Text = (max: number) => z.string().min(1).max(max).refine(sip2Safe, SIP2_SAFE);

// A barcode typed or pasted with spaces around it (a scanner ending its scan with a space or a tab)
// is that card, that book: trimmed here, at the boundary; spaces inside are left to refuse. The
// PIN is the patron's own, as typed.
const barcode = (max: number) => z.string().trim().min(1).max(max).refine(sip2Safe, SIP2_SAFE);

const patron = barcode(64).describe('patron barcode or card id');
const pin = z.string().max(64).refine(sip2Safe, SIP2_SAFE).describe('the patron PIN, checked by the ILS');
const item = barcode(64).describe('item barcode');

export const patronRefSchema = z.object({ patron, pin: pin.optional() });
export const patronLookupRequestSchema = patronRefSchema;
const feeAcknowledged = z.boolean().optional().describe('the patron accepted a fee the ILS asked about');
export const checkoutRequestSchema = patronRefSchema.extend({
  item,
  feeAcknowledged,
  requestId: optionalRequestId,
});
export const checkinRequestSchema = z.object({ item, requestId: optionalRequestId });
export const renewalRequestSchema = z.union([
  patronRefSchema.extend({ item, feeAcknowledged, requestId: optionalRequestId }).strict(),
  patronRefSchema
    .extend({
      all: z.literal(true).describe('renew every loan of the patron'),
      feeAcknowledged,
      requestId: optionalRequestId,
    })
    .strict(),
]);
export const holdRequestSchema = patronRefSchema
  .extend({
    requestId: optionalRequestId,
    item: item.optional(),
    title: sip2Text(255).optional().describe('title identifier, when no particular copy is meant'),
    pickupLocation: sip2Text(32).optional().describe('branch code'),
  })
  .refine((hold) => hold.item !== undefined || hold.title !== undefined, {
    message: 'name an item or a title',
    path: ['item'],
  });
export const feePaymentRequestSchema = patronRefSchema.extend({
  amount: z
    .string()
    .regex(/^\d{1,7}(\.\d{1,2})?$/, 'a decimal amount such as 7.50')
    .describe('amount paid, as a decimal string'),
  feeId: sip2Text(64).optional().describe('pay this fee; otherwise the ILS applies it'),
  paymentType: z.enum(['cash', 'visa', 'creditCard']).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'ISO 4217 code')
    .optional(),
  requestId: optionalRequestId,
});
export const endSessionRequestSchema = patronRefSchema;

export const ilsDate = z.object({
  date: z.string().nullable().describe('ISO 8601, or null when the ILS text is not a readable date'),
  text: z.string().describe('the date as the ILS wrote it'),
});
export const money = z.object({
  amount: z.string(),
  currency: z.string().nullable(),
  type: z.string().optional(),
});
const screenMessages = z.array(z.string()).describe("the ILS's messages for the patron, to show as they are");
const printLines = z.array(z.string()).describe("the ILS's lines for the receipt");
const reason = z.enum(REFUSAL_REASONS);

const itemSchema = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string().optional().describe('available, charged, waitingOnHoldShelf, inTransit, missing, lost…'),
  dueDate: ilsDate.optional(),
  mediaType: z.string().optional(),
  permanentLocation: z.string().optional(),
  currentLocation: z.string().optional(),
  holdQueueLength: z.number().int().optional(),
  holdPickupDate: ilsDate.optional(),
  fee: money.optional(),
  securityMarker: z.string().optional(),
});

export const patronSchema = z.object({
  patron: z.object({
    id: z.string(),
    name: z.string(),
    valid: z.boolean(),
    pinValid: z.boolean().describe('false when no PIN was given'),
    blocked: z.boolean().describe('the patron may not borrow'),
    reasons: z.array(reason).describe('what stands in the way, most serious first'),
    statusFlags: z.array(z.string()),
    expires: ilsDate.optional(),
    fines: z.object({
      total: z.string(),
      currency: z.string().nullable(),
      limit: z.string().optional(),
      items: z.array(
        z.object({
          text: z.string(),
          id: z.string().optional(),
          amount: z.string().optional(),
          description: z.string().optional(),
        }),
      ),
    }),
    loans: z.array(
      z.object({
        item: z.string(),
        title: z.string().optional(),
        dueDate: ilsDate.optional(),
        overdue: z.boolean(),
      }),
    ),
    holds: z.object({
      available: z.array(
        z.object({ item: z.string(), title: z.string().optional(), pickupBy: ilsDate.optional() }),
      ),
      unavailable: z.array(z.object({ item: z.string(), title: z.string().optional() })),
    }),
    counts: z.object({
      loans: z.number().int(),
      overdue: z.number().int(),
      holdsAvailable: z.number().int(),
      holdsUnavailable: z.number().int(),
      fines: z.number().int(),
      recalls: z.number().int().nullable(),
    }),
    limits: z.object({
      loans: z.number().int().optional(),
      overdue: z.number().int().optional(),
      holds: z.number().int().optional(),
    }),
    screenMessages,
  }),
});

const offline = z.literal(false).describe('done by the ILS now (true only when accepted offline)');

/** A checkout or checkin accepted into the offline journal while the ILS could not be reached. */
export const offlineAcceptanceSchema = z.object({
  ok: z.literal(true),
  offline: z.literal(true).describe('accepted offline: it goes to the ILS when it is back'),
  transaction: z.object({ id: z.string(), sequence: z.number().int() }).describe('the offline journal entry'),
  item: z.object({ id: z.string() }),
  dueDate: z.null().describe('none yet: the ILS sets it when the transaction is replayed'),
  screenMessages,
});

export const onlineCheckoutSchema = z.object({
  ok: z.literal(true),
  offline,
  renewal: z.boolean().describe('the patron had the item and the checkout renewed it'),
  item: itemSchema.extend({
    magneticMedia: z.boolean().optional(),
    desensitize: z.boolean().describe('unsecure the item (EAS/AFI) before it leaves'),
  }),
  screenMessages,
  printLines,
});

export const checkoutSchema = z.union([onlineCheckoutSchema, offlineAcceptanceSchema]);

export const onlineCheckinSchema = z.object({
  ok: z.literal(true),
  offline,
  item: itemSchema.extend({ magneticMedia: z.boolean().optional() }),
  sortBin: z.string().optional(),
  alert: z
    .object({
      type: z.enum(['hold', 'hold_in_transit', 'hold_ill', 'transit', 'other']),
      message: z.string(),
    })
    .optional()
    .describe('the item must not go back on the shelf'),
  resensitize: z.boolean().describe('secure the item again'),
  wasNotOnLoan: z
    .literal(true)
    .optional()
    .describe('the ILS said the item was not on loan: returned all the same, it is on the shelf'),
  screenMessages,
  printLines,
});

export const checkinSchema = z.union([onlineCheckinSchema, offlineAcceptanceSchema]);

const renewalSchema = z.object({ ok: z.literal(true), item: itemSchema, screenMessages, printLines });
const renewAllSchema = z.object({
  ok: z.literal(true),
  renewed: z.array(z.string()),
  unrenewed: z.array(z.string()),
  screenMessages,
  printLines,
});

export const holdSchema = z.object({
  ok: z.literal(true),
  available: z.boolean(),
  item: z.string().optional(),
  title: z.string().optional(),
  queuePosition: z.number().int().optional(),
  pickupLocation: z.string().optional(),
  expires: ilsDate.optional(),
  screenMessages,
  printLines,
});

const feePaymentSchema = z.object({
  accepted: z.literal(true),
  transactionId: z.string().optional(),
  verifiedAfterLostAnswer: z
    .literal(true)
    .optional()
    .describe('the answer was lost and the fee list showed the payment taken: not sent twice'),
  offline: z
    .object({ transaction: z.object({ id: z.string(), sequence: z.number().int() }) })
    .optional()
    .describe('the ILS could not be reached: journaled, sent when it is back'),
  screenMessages,
  printLines,
});

const access = ['kiosk', 'staff'] as const;
const REFUSALS = [409, 422, 503, 504];

const tag = 'circulation';

/**
 * Circulation over HTTP and MQTT (`circulation.*` actions, the same schemas and
 * scopes). A refusal over MQTT is an error envelope whose code is the reason.
 */
export const circulationApi: ApiModule = {
  name: 'circulation',
  operations: ({ circulation, requests }) => [
    operation({
      method: 'POST',
      url: '/api/v1/patrons/lookup',
      operationId: 'lookUpPatron',
      summary: 'A patron: standing, loans, holds, fines and the ILS screen messages (PIN checked when given)',
      tag,
      access: [...access],
      body: patronLookupRequestSchema,
      response: patronSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.patron' },
      handler: ({ body, principal }) => circulation.lookUpPatron(body, { terminal: principal.name }),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/checkouts',
      operationId: 'checkOut',
      summary: 'Check out an item to a patron; the answer says the due date and whether to desensitize',
      tag,
      access: [...access],
      body: checkoutRequestSchema,
      response: checkoutSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.checkout' },
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.checkout',
          input,
          (body) => circulation.checkout(body, { terminal: input.principal.name }),
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/checkins',
      operationId: 'checkIn',
      summary: 'Check in an item; the answer says where it goes (sort bin, hold or transit alert)',
      tag,
      access: [...access],
      body: checkinRequestSchema,
      response: checkinSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.checkin' },
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.checkin',
          input,
          (body) => circulation.checkin(body, { terminal: input.principal.name }),
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/renewals',
      operationId: 'renew',
      summary: 'Renew one loan ({item}) or every loan of the patron ({all: true})',
      tag,
      access: [...access],
      body: renewalRequestSchema,
      response: z.union([renewalSchema, renewAllSchema]),
      problems: REFUSALS,
      mqtt: [
        { action: 'circulation.renew' },
        { action: 'circulation.renewAll', input: (data) => ({ ...data, all: true }) },
      ],
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.renew',
          input,
          (body): Promise<RenewalResult | RenewAllResult> => {
            const context = { terminal: input.principal.name };
            const who = { patron: body.patron, pin: body.pin, feeAcknowledged: body.feeAcknowledged };
            return 'item' in body
              ? circulation.renew({ ...who, item: body.item }, context)
              : circulation.renewAll(who, context);
          },
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/holds',
      operationId: 'placeHold',
      summary: 'Place a hold on an item or a title',
      tag,
      access: [...access],
      body: holdRequestSchema,
      response: holdSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.hold' },
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.hold',
          input,
          (body) => circulation.placeHold(body, { terminal: input.principal.name }),
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/holds/cancel',
      operationId: 'cancelHold',
      summary: 'Cancel a hold of the patron on an item or a title',
      tag,
      access: [...access],
      body: holdRequestSchema,
      response: holdSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.holdCancel' },
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.holdCancel',
          input,
          (body) => circulation.cancelHold(body, { terminal: input.principal.name }),
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/fees/payments',
      operationId: 'payFee',
      summary: 'Record a payment towards the patron’s fees (one fee by id, or as the ILS applies it)',
      tag,
      access: [...access],
      body: feePaymentRequestSchema,
      response: feePaymentSchema,
      problems: REFUSALS,
      mqtt: { action: 'circulation.feePaid' },
      handler: (input) =>
        doneOnce(
          requests,
          'circulation.feePaid',
          input,
          (body) => circulation.payFee(body, { terminal: input.principal.name }),
          { errors: circulationErrors },
        ),
    }),

    operation({
      method: 'GET',
      url: '/api/v1/items/:item',
      operationId: 'getItem',
      summary: 'An item: title, circulation status, due date, hold queue, location, fee',
      tag,
      access: [...access],
      params: z.object({ item }),
      response: z.object({ item: itemSchema, screenMessages }),
      problems: REFUSALS,
      mqtt: { action: 'circulation.item' },
      handler: ({ params, principal }) => circulation.item(params.item, { terminal: principal.name }),
    }),

    operation({
      method: 'POST',
      url: '/api/v1/patrons/end-session',
      operationId: 'endPatronSession',
      summary: 'End the patron’s session with the ILS (when the patron walks away)',
      tag,
      access: [...access],
      body: endSessionRequestSchema,
      response: z.object({ ended: z.boolean(), screenMessages }),
      problems: [503, 504],
      mqtt: { action: 'circulation.endSession' },
      handler: ({ body, principal }) => circulation.endSession(body, { terminal: principal.name }),
    }),
  ],
};

/**
 * A refusal is the ILS's answer and is kept; a request whose answer was lost (none came, or none
 * could be read, 97) may have been done. One the ILS could not read (96 past the limit) went out
 * but was neither read nor done: nothing done, so the same id is tried again.
 */
const circulationErrors: RequestErrors = { outcomeOf, restore: refusalOf };

function outcomeOf(error: unknown): RequestOutcome {
  if (error instanceof CirculationRefusal)
    return {
      kind: 'refusal',
      kept: {
        code: error.reason,
        message: error.message,
        details: { screenMessages: [...error.screenMessages], kind: error.kind },
      },
    };
  if (error instanceof IlsError && error.answerLost) return { kind: 'in_doubt' };
  return { kind: 'nothing_done' };
}

function refusalOf(kept: KeptRefusal): Error {
  const messages = kept.details?.screenMessages;
  return new CirculationRefusal(
    kept.code as RefusalReason,
    Array.isArray(messages) ? messages.map(String) : [],
    (kept.details?.kind ?? 'checkout') as CirculationKind,
  );
}
