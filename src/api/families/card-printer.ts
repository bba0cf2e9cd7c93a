/**
 * Card issuing over the API, for staff: issue a card (POST /api/v1/cards), upload a photo first
 * (POST /api/v1/cards/photos, the image itself as the body), preview the card as PNG
 * (POST /api/v1/cards/preview), the issue records and cards issued per day, and each card printer's
 * condition. The patron and the card number appear only in staff answers; the family's events name neither.
 */
import { errorCodes, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CarrelError } from '../../core/errors.js';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import { PHOTO_LIMITS } from '../../gateway/families/card-printer/card-templates.js';
import { cardPrinters } from '../../gateway/families/card-printer/index.js';
import type { CardIssueRecord } from '../../gateway/families/card-printer/issue-records.js';
import type { CardPrinterPort } from '../../gateway/families/card-printer/port.js';
import { actorAsKept, actorOf } from '../http/auth.js';
import { type RouteBook, requestIssues } from '../http/routes.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiModule, detailPart, deviceGauge, operation } from '../operations.js';
import { doneOnce, inDoubtOn, optionalRequestId } from '../request-ids.js';
import { cardPageRoutes } from './card-page.js';

const tag = 'cards';

const STAFF = ['staff'] as const;

const printerField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
  .optional();

const cardRequestSchema = z.strictObject({
  /** The card printer; the desk's first when absent. */
  printer: printerField,
  /** Spaces around a typed or pasted number are not part of it; spaces inside are left to refuse. */
  patron: z.string().trim().min(1).max(64).describe('the patron barcode (spaces around it are dropped)'),
  template: z.string().max(64).optional(),
  photoId: z.string().uuid().optional(),
  number: z.enum(['patron', 'allocate']).default('patron'),
  magstripe: z.boolean().optional(),
  replaces: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'the number of the card this one replaces (lost, damaged): a card this desk issued to the same patron and not replaced yet — else the issue is refused and nothing printed (422 replaced_card_not_found, 409 replaced_card_other_patron, 409 replaced_card_already_replaced: name the newest card; 409 card_chip_being_encoded: its chip is being written now, wait for the encoding to end)',
    ),
  expiry: z.iso
    .date({ error: 'give the expiry as a date, YYYY-MM-DD (2027-06-30), as the card prints the ILS’s' })
    .optional()
    .describe(
      'printed on the card as "Valid until" instead of the ILS’s expiry date (SIP2 PA); a date, YYYY-MM-DD, as the ILS’s is printed',
    ),
  confirmExpired: z
    .boolean()
    .optional()
    .describe(
      'true issues a card to a patron whose registration has expired (the ILS’s expiry date, SIP2 PA, before today); without it such an issue is refused, 409 patron_expired, naming the date, and nothing is printed — renew the registration in the ILS first, or confirm',
    ),
  confirmNotPrinted: z
    .boolean()
    .optional()
    .describe(
      'true prints the card although the patron’s last card ended with its outcome unknown (the link to the printer failed after it was sent): staff looked in the printer’s output hopper and it is not there; without it such an issue is refused, 409 card_outcome_unknown, and nothing is printed',
    ),
  requestId: optionalRequestId,
});

const previewRequestSchema = cardRequestSchema
  .omit({ replaces: true, requestId: true, confirmExpired: true, confirmNotPrinted: true })
  .extend({
    side: z.enum(['front', 'back']).default('front'),
  });

const issueRecordSchema = z.object({
  issueId: z.string(),
  device: z.string(),
  cardNumber: z.string(),
  patron: z.string(),
  template: z.string(),
  staff: z
    .string()
    .describe(
      'who issued it: the name of their token; "at this desk" on a desk without tokens (this machine only, where no one holds a token)',
    ),
  requestedAt: z.string(),
  finishedAt: z.string().nullable(),
  result: z.enum(['printing', 'issued', 'failed']),
  fault: z
    .string()
    .nullable()
    .describe(
      'why a card failed: the printer’s fault (link_lost, not_printed, ribbon_out…); outcome_unknown when the link to the printer failed after the card was sent and the printer could not be asked whether it made it — look in its output hopper before printing again, never print again blindly',
    ),
  attempts: z.number(),
  replaces: z.string().nullable(),
  replacedBy: z.string().nullable(),
  rfidUid: z
    .string()
    .nullable()
    .describe(
      'the UID of the card’s chip once its number was written there; null before, and once the record forgets the patron',
    ),
  chipEncoded: z
    .boolean()
    .describe(
      'whether the card’s number was written on its chip and read back (a working card); kept when the patron, the number and the UID are forgotten',
    ),
  /** The stripe: `verified` read back, `written` not verifiable on this printer, null none. */
  magstripe: z.enum(['verified', 'written']).nullable(),
  ilsDoneAt: z
    .string()
    .nullable()
    .describe('when staff said the card’s ILS step was done (its number given, the card replaced blocked)'),
  chipGivenUpAt: z
    .string()
    .nullable()
    .describe('when staff gave up encoding the card’s chip (the card thrown away); null: not given up'),
  chipWriteCutShortAt: z
    .string()
    .nullable()
    .describe(
      'when a write of the card’s chip began that did not end known: Carrel did not live to finish it (it stopped between writing the chip and recording it), or it failed partway (chipWriteFailedUid) — the chip may hold the number or not, neither encoded nor not until Encode chip reads it on the pad, or staff give it up saying the card is destroyed; null otherwise',
    ),
  chipWriteFailedUid: z
    .string()
    .nullable()
    .describe(
      'the chip (its UID) a write went to that failed partway, the card lifted off the pad: it may hold part of the number, or all of it; Encode chip writes that chip again whatever it holds, and takes no other chip unless it holds the number already; null once encoded or given up, when no write failed so, and once the patron is forgotten',
    ),
  foundInHopperBy: z
    .string()
    .nullable()
    .describe(
      'who said this issue’s card, its outcome unknown, was in the printer’s output hopper (found-in-hopper): the name of their token, "at this desk" on a desk without tokens; null: nobody did',
    ),
  foundInHopperAt: z.string().nullable().describe('when the card was said to be in the output hopper'),
  notInHopperBy: z
    .string()
    .nullable()
    .describe(
      'who said this issue’s card, its outcome unknown, was not in the output hopper, printing the patron’s card again (confirmNotPrinted); null: nobody did',
    ),
  notInHopperAt: z.string().nullable().describe('when the card was said not to be in the output hopper'),
});

const statusSchema = z.object({
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  serial: z.string().nullable(),
  ribbon: z.object({ type: z.string().nullable(), panelsLeft: z.number().nullable(), low: z.boolean() }),
  problem: z.string().nullable(),
  cleaningDue: z.boolean(),
  cardsPrinted: z.number().nullable(),
  lastReply: z.string().nullable(),
});

const issueEventSchema = z.object({
  issueId: z.string(),
  template: z.string(),
  result: z.enum(['issued', 'failed']),
  fault: z.string().optional(),
  attempts: z.number(),
});

/** An issue record as staff read it (a card an older Carrel recorded as issued by 'loopback' too). */
function shown(record: CardIssueRecord): CardIssueRecord {
  const staff = actorAsKept(record.staff);
  return staff === record.staff ? record : { ...record, staff };
}

function printerPort(services: DeskServices, id: string | undefined): CardPrinterPort {
  if (id !== undefined) return services.ports.port(cardPrinters, id);
  const first = services.ports.all(cardPrinters)[0];
  if (!first) throw new CarrelError('no_card_printer', 'no card printer is configured at this desk');
  return first.port;
}

/**
 * The card printer an issue is asked of: the one named, which answers only for its own issues
 * (another's is card_issue_not_found there), else the one that printed it — its pad encodes the chip.
 */
function issuePrinterPort(
  services: DeskServices,
  printer: string | undefined,
  issueId: string,
): CardPrinterPort {
  if (printer !== undefined) return services.ports.port(cardPrinters, printer);
  const first = printerPort(services, undefined);
  const device = first.issueRecord(issueId)?.device;
  return services.ports.all(cardPrinters).find((entry) => entry.id === device)?.port ?? first;
}

/** The printer named in the query of a route about one issue. */
const issueQuery = z.object({
  printer: printerField.describe(
    'the card printer asked: an issue of another printer is refused, 404 card_issue_not_found; when absent, the printer that made the card',
  ),
});

/**
 * The photo upload and the preview take and answer images, so they are registered on their own (below),
 * not as operations: described here for the OpenAPI document, the preview's registration-expired
 * header with it, so a kiosk or desk client made from the document finds them.
 */
function describeCardImageRoutes(book: RouteBook): void {
  book.describe({
    method: 'POST',
    url: '/api/v1/cards/photos',
    operationId: 'uploadCardPhoto',
    summary:
      'Upload a patron’s photo for a card (the image itself as the body); its photoId, kept 30 minutes',
    tag,
    access: STAFF,
    query: z.object({ printer: printerField.describe('the card printer; the desk’s first when absent') }),
    body: {
      mediaTypes: ['image/jpeg', 'image/png', 'application/octet-stream'],
      description: `the photo, a JPEG or PNG image of at most ${PHOTO_LIMITS.maxBytes / 1024 / 1024} MB; what it is is read from its first bytes, whatever the content type says`,
    },
    success: {
      status: 201,
      description: 'The photo, kept for the preview and the card',
      mediaType: 'application/json',
      schema: z.object({ photoId: z.string().describe('give it as photoId to the preview and the card') }),
    },
    problems: [404, 409, 413, 415, 422],
  });
  book.describe({
    method: 'POST',
    url: '/api/v1/cards/preview',
    operationId: 'previewCard',
    summary: 'Preview one side of a patron’s card as PNG, as it would be printed',
    tag,
    access: STAFF,
    body: { schema: previewRequestSchema },
    success: {
      status: 200,
      description: 'The card’s side as PNG, as the printer would print it',
      mediaType: 'image/png',
      headers: {
        'registration-expired': {
          description:
            'only when the patron’s registration has expired (the ILS’s expiry date, SIP2 PA, before today): that date, YYYY-MM-DD, the one the card shows; printing the card is then refused (409 patron_expired) unless the issue says confirmExpired',
          schema: { type: 'string', format: 'date' },
        },
        'next-card-number': {
          description:
            'only for a card with a new number (number: allocate): the number the preview shows, the range’s next free one now; not reserved — a card issued first at another printer of the desk takes it, and this card then gets the next',
          schema: { type: 'string' },
        },
      },
    },
    problems: [400, 404, 409, 422, 503],
  });
}

export const cardPrinterApi: ApiModule = {
  name: 'cards',
  gauges: {
    carrel_card_printer_ribbon_panels_left: deviceGauge(
      cardPrinters.kind,
      'Panels left on each card printer’s ribbon, as the printer reports them',
      (detail) => detailPart(detail, 'ribbon').panelsLeft,
    ),
    carrel_card_printer_ribbon_low: deviceGauge(
      cardPrinters.kind,
      '1 while a card printer’s ribbon is low (at or below its ribbonLowPanels), 0 otherwise',
      (detail) => detailPart(detail, 'ribbon').low,
    ),
    carrel_card_printer_cleaning_due: deviceGauge(
      cardPrinters.kind,
      '1 while a card printer asks to be cleaned (it prints on, less well), 0 otherwise',
      (detail) => detail.cleaningDue,
    ),
  },
  problems: {
    not_a_card_printer: { status: 409, title: 'Device is not a card printer' },
    no_card_printer: { status: 404, title: 'No card printer is configured' },
    template_not_found: { status: 404, title: 'No such card template' },
    template_no_back: { status: 404, title: 'The card template has no back' },
    template_missing_field: { status: 422, title: 'The card template names a field Carrel does not fill' },
    template_broken: { status: 422, title: 'The card template is not SVG that can be rendered' },
    photo_not_an_image: { status: 415, title: 'The photo is not a PNG or JPEG image' },
    photo_too_large: { status: 413, title: 'The photo is too large' },
    photo_unreadable: { status: 422, title: 'The photo cannot be read' },
    photo_not_found: { status: 404, title: 'No such photo' },
    card_number_invalid: { status: 422, title: 'The card number cannot be printed or encoded' },
    card_number_unprintable: { status: 422, title: 'The card number cannot be drawn as a barcode' },
    card_range_exhausted: { status: 409, title: 'Every card number of the configured range is used' },
    card_numbers_in_use: { status: 409, title: 'The ILS already has patrons for the next card numbers' },
    replaced_card_not_found: { status: 422, title: 'The card replaced is not one this desk issued' },
    replaced_card_other_patron: { status: 409, title: 'The card replaced was issued to another patron' },
    replaced_card_already_replaced: { status: 409, title: 'The card replaced was already replaced' },
    patron_not_found: { status: 404, title: 'The ILS does not know this patron' },
    patron_expired: { status: 409, title: 'The patron’s registration has expired' },
    card_outcome_unknown: { status: 409, title: 'The patron’s last card may have been printed' },
    card_printing_elsewhere: { status: 409, title: 'A card for this patron is printing at another printer' },
    card_outcome_unrecorded: { status: 503, title: 'The card’s outcome could not be recorded' },
    card_records_failing: { status: 503, title: 'Carrel cannot record cards now' },
    ils_not_configured: { status: 503, title: 'No ILS is configured' },
    card_request_invalid: { status: 400, title: 'The card request is not valid' },
    card_issue_not_found: { status: 404, title: 'No such card issue' },
    card_not_issued: { status: 409, title: 'The card was not issued' },
    card_outcome_known: { status: 409, title: 'The card’s outcome is known' },
    card_chip_given_up: { status: 409, title: 'The card’s chip was given up' },
    card_chip_encoded: { status: 409, title: 'The card’s chip is encoded already' },
    card_replaced: { status: 409, title: 'The card was replaced by a later card' },
    card_number_forgotten: { status: 409, title: 'The card’s number is no longer kept' },
    card_chip_being_encoded: { status: 409, title: 'The card’s chip is being encoded now' },
    card_chip_write_cut_short: {
      status: 409,
      title: 'The card’s chip may be encoded: its write was cut short',
    },
    card_being_replaced: { status: 409, title: 'A card replacing this one is being printed now' },
    rfid_not_configured: { status: 409, title: 'This card printer has no RFID pad configured' },
    rfid_no_card: { status: 409, title: 'No card on the RFID pad' },
    rfid_card_not_alone: { status: 409, title: 'More than one tag on the RFID pad' },
    rfid_not_a_card: { status: 409, title: 'The tag on the RFID pad is not a new card' },
    rfid_verify_failed: { status: 502, title: 'The card’s chip did not read back what was written' },
  },
  events: {
    'card.issued': {
      summary: 'A card was issued (its stripe verified); never the patron or number',
      data: issueEventSchema,
    },
    'card.issue_failed': {
      summary: 'A card issue failed (cards that failed went to the reject box)',
      data: issueEventSchema,
    },
  },
  operations: (services) => [
    operation({
      method: 'POST',
      url: '/api/v1/cards',
      operationId: 'issueCard',
      summary:
        'Issue a library card: look the patron up, render the template, print, encode and verify, record; a patron whose registration has expired only with confirmExpired',
      tag,
      access: STAFF,
      body: cardRequestSchema,
      response: issueRecordSchema,
      mqtt: { action: 'cards.issue' },
      handler: async (input) =>
        shown(
          await doneOnce(
            services.requests,
            'cards.issue',
            input,
            ({ printer, requestId: _id, ...request }) =>
              printerPort(services, printer).issue({ ...request, staff: actorOf(input.principal) }),
            { errors: inDoubtOn('card_outcome_unrecorded') },
          ),
        ),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/cards/:issueId/rfid',
      operationId: 'encodeCardChip',
      summary:
        'Encode an issued card’s RFID chip on its printer’s pad (the card alone on it), verified by read-back; never writes over an item’s tag or another card, nor encodes a card whose chip was given up (409 card_chip_given_up), a card a later card replaced (409 card_replaced), a card whose number the records no longer keep (409 card_number_forgotten), a chip being encoded now (409 card_chip_being_encoded), a blank chip for a card whose write Carrel did not live to finish (409 card_chip_write_cut_short: only a chip holding its number settles it) or a card while a new card replacing it is being printed (409 card_being_replaced)',
      tag,
      access: STAFF,
      params: z.object({ issueId: z.string().uuid() }),
      query: issueQuery,
      response: issueRecordSchema,
      problems: [404, 409, 502, 503],
      mqtt: { action: 'cards.encode_rfid' },
      handler: async ({ params, query }) =>
        shown(await issuePrinterPort(services, query.printer, params.issueId).encodeRfid(params.issueId)),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/cards/:issueId/ils-done',
      operationId: 'cardIlsStepDone',
      summary:
        'Say an issued card’s ILS step is done (its number given to the patron, the card it replaces blocked), so no desk page shows it again; said twice, the first time stays; a card whose record was forgotten has no step left (409 card_number_forgotten)',
      tag,
      access: STAFF,
      params: z.object({ issueId: z.string().uuid() }),
      query: issueQuery,
      response: issueRecordSchema,
      problems: [404, 409, 503],
      mqtt: { action: 'cards.ils_done' },
      handler: ({ params, query }) =>
        shown(issuePrinterPort(services, query.printer, params.issueId).settle(params.issueId, 'ils_done')),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/cards/:issueId/chip-given-up',
      operationId: 'giveUpCardChip',
      summary:
        'Give up encoding an issued card’s chip (the card thrown away), so no desk page offers it again; said twice, the first time stays; a chip encoded already is not given up (409 card_chip_encoded), nor one being encoded now (409 card_chip_being_encoded), nor one whose write Carrel did not live to finish unless the body says the card is destroyed (409 card_chip_write_cut_short), nor one whose record was forgotten (409 card_number_forgotten: an older Carrel forgot with its UID whether it works)',
      tag,
      access: STAFF,
      params: z.object({ issueId: z.string().uuid() }),
      query: issueQuery,
      body: z
        .strictObject({
          confirmCardDestroyed: z
            .boolean()
            .optional()
            .describe(
              'true gives up a chip whose write was cut short (chipWriteCutShortAt), staff saying the card is destroyed: whatever its chip holds, no one carries it',
            ),
        })
        .optional(),
      response: issueRecordSchema,
      problems: [400, 404, 409, 503],
      mqtt: { action: 'cards.give_up_chip' },
      handler: ({ params, query, body }) =>
        shown(
          issuePrinterPort(services, query.printer, params.issueId).settle(params.issueId, 'chip_given_up', {
            cardDestroyed: body?.confirmCardDestroyed === true,
          }),
        ),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/cards/:issueId/found-in-hopper',
      operationId: 'cardFoundInHopper',
      summary:
        'Say the card of an issue whose outcome was unknown (outcome_unknown: the link to the printer failed after the card was sent) is in the printer’s output hopper: the issue is recorded issued, its number the patron’s card, its ILS step and chip offered as for any issued card; refused for an issue whose outcome is known (409 card_outcome_known), one the patron was printed a later card after (409 card_replaced: cut this one through) and one whose record was forgotten (409 card_number_forgotten)',
      tag,
      access: STAFF,
      params: z.object({ issueId: z.string().uuid() }),
      query: issueQuery,
      body: z.strictObject({ requestId: optionalRequestId }).optional(),
      response: issueRecordSchema,
      problems: [400, 404, 409, 503],
      mqtt: { action: 'cards.found_in_hopper' },
      handler: async (input) =>
        shown(
          await doneOnce(
            services.requests,
            'cards.found_in_hopper',
            { ...input, body: input.body ?? {} },
            () =>
              issuePrinterPort(services, input.query.printer, input.params.issueId).foundInHopper(
                input.params.issueId,
                actorOf(input.principal),
              ),
          ),
        ),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/cards/:issueId',
      operationId: 'getCardIssue',
      summary:
        'One card issue (staff: it names its patron): its outcome, its stripe, its steps settled, who found its card in the output hopper or said it was not there',
      tag,
      access: STAFF,
      params: z.object({ issueId: z.string().uuid() }),
      query: issueQuery,
      response: issueRecordSchema,
      problems: [404, 503],
      mqtt: { action: 'cards.get_issue' },
      handler: ({ params, query }) => {
        const port = issuePrinterPort(services, query.printer, params.issueId);
        const record = port.issueRecord(params.issueId);
        if (!record) throw new CarrelError('card_issue_not_found', 'no such card issue');
        if (query.printer !== undefined && record.device !== query.printer)
          throw new CarrelError(
            'card_issue_not_found',
            `that card issue is card printer "${record.device}"’s, not "${query.printer}"’s: ask for it with ?printer=${record.device}, or name no printer`,
          );
        return shown(record);
      },
    }),
    operation({
      method: 'GET',
      url: '/api/v1/cards',
      operationId: 'listCardIssues',
      summary: 'The latest card issues of a card printer (staff: they name patrons)',
      tag,
      access: STAFF,
      query: z.object({ printer: printerField, limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: z.object({ issues: z.array(issueRecordSchema) }),
      handler: ({ query }) => ({
        issues: printerPort(services, query.printer).issues(query.limit).map(shown),
      }),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/cards/stats',
      operationId: 'cardIssueStats',
      summary: 'Cards issued (and issues failed) per day',
      tag,
      access: ['staff', 'monitor'],
      query: z.object({ printer: printerField, days: z.coerce.number().int().min(1).max(366).default(31) }),
      response: z.object({
        days: z.array(z.object({ day: z.string(), issued: z.number(), failed: z.number() })),
      }),
      handler: ({ query }) => ({ days: printerPort(services, query.printer).perDay(query.days) }),
    }),
    operation({
      method: 'GET',
      url: '/api/v1/card-printers/:id',
      operationId: 'cardPrinterStatus',
      summary:
        'A card printer: model, ribbon, problem, cleaning, counters, the pad its cards’ chips are encoded on',
      tag,
      access: ['staff', 'monitor'],
      params: deviceIdParams,
      response: statusSchema.extend({
        templates: z.array(z.string()),
        rfidPad: z.string().nullable().describe('the RFID pad cards’ chips are encoded on; null: no chip'),
      }),
      mqtt: { action: 'cards.printer_status', fields: { id: 'printer' } },
      handler: ({ params }) => {
        const port = services.ports.port(cardPrinters, params.id);
        return { ...port.status(), templates: port.templates(), rfidPad: port.rfidPad() };
      },
    }),
  ],
  routes: (app, { services, auth, book }) => {
    describeCardImageRoutes(book);
    cardPageRoutes(app);
    app.register(async (scope: FastifyInstance) => {
      // Who is calling is settled before the body is read, as for the operations: 401/403 before any 400.
      scope.addHook('onRequest', (request, _reply, done) => {
        try {
          auth.authorize(request.headers.authorization, STAFF);
        } catch (error) {
          done(error as Error);
          return;
        }
        done();
      });
      // A photo is bytes whatever type it came as (image/gif, image/heic, none, text/plain — the desk's
      // parser refuses that as not JSON, server.ts): read from its first bytes, a refusal in words.
      scope.removeContentTypeParser('text/plain');
      for (const type of [['image/jpeg', 'image/png', 'application/octet-stream'], '*'])
        scope.addContentTypeParser(
          type,
          { parseAs: 'buffer', bodyLimit: PHOTO_LIMITS.maxBytes },
          (_request, body, done) => done(null, body),
        );
      scope.setErrorHandler((error) => {
        if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
          throw new CarrelError(
            'photo_too_large',
            `a card photo may be at most ${PHOTO_LIMITS.maxBytes / 1024 / 1024} MB`,
          );
        throw error;
      });
      scope.post('/api/v1/cards/photos', async (request, reply) => {
        const printer =
          typeof (request.query as { printer?: unknown }).printer === 'string'
            ? (request.query as { printer: string }).printer
            : undefined;
        if (!Buffer.isBuffer(request.body))
          throw new CarrelError(
            'photo_not_an_image',
            'send the photo itself as the body (image/jpeg or image/png)',
          );
        const added = await printerPort(services, printer).addPhoto(request.body);
        reply.code(201);
        return added;
      });
      scope.post('/api/v1/cards/preview', async (request, reply) => {
        // Bytes: the body came as another type than JSON (a form post, JSON sent as text/plain), the desk's 415.
        if (Buffer.isBuffer(request.body)) throw new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE();
        const parsed = previewRequestSchema.safeParse(request.body ?? {});
        if (!parsed.success)
          throw new CarrelError(
            'card_request_invalid',
            requestIssues(parsed.error)
              .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
              .join('; '),
          );
        const { printer, side, ...preview } = parsed.data;
        const port = printerPort(services, printer);
        const { png, registrationExpired, cardNumber } = await port.preview(preview, side);
        reply.type('image/png').header('cache-control', 'no-store');
        // A new number is not reserved by a preview: said, so the page can say it beside the card.
        if (preview.number === 'allocate') reply.header('next-card-number', cardNumber);
        // A date gone by on the card, and Print refused without confirmExpired: said, so the page warns staff.
        if (registrationExpired) reply.header('registration-expired', registrationExpired);
        return png;
      });
    });
  },
};
