/**
 * The release station's operations (kiosk scope): log in with card and PIN,
 * see held jobs with their cost, release them, see the balance and what was
 * charged, log out. Every call after login carries the station session, never
 * the patron's card number or PIN again. A station with coin and note
 * acceptors tops the balance up there: a payment for the patron logged in.
 */
import { z } from 'zod';
import type { DeskServices } from '../../gateway/contracts/desk.js';
import { deskCaller } from '../http/auth.js';
import { paymentSchema } from '../http/resources/payments.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiOperation, operation } from '../operations.js';
import { doneOnce, IDEMPOTENT_REPLAYED_HEADER, optionalRequestId } from '../request-ids.js';
import {
  balanceSchema,
  jobSchema,
  PRINT_SERVER_PROBLEMS,
  patronSchema,
  releaseSchema,
  requestIdSchema,
  sessionSchema,
  statementSchema,
} from './print-schemas.js';
import { statementAsKept } from './print-staff.js';

const tag = 'print release';
const releaseCodeSchema = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe('a release code typed at the station');

export function stationOperations({ printAccounts, payments, requests }: DeskServices): ApiOperation[] {
  return [
    operation({
      method: 'POST',
      url: '/api/v1/print/station/login',
      operationId: 'printStationLogin',
      summary:
        'A patron logs in at a release station with card number and PIN (checked over SIP2), or with the patron card on an RFID pad; a card the library system says is reported lost, expired or blocked is refused (409 card_lost, card_expired, patron_blocked, with its reason and the screen messages), nobody logged in',
      tag,
      access: ['kiosk', 'staff'],
      body: z
        .strictObject({
          patron: patronSchema.optional(),
          pad: z.string().min(1).max(64).optional().describe('an RFID pad with the patron card on it'),
          pin: z
            .string()
            .max(64)
            .optional()
            .describe("the card's PIN, checked over SIP2: without it nobody is logged in (422 pin_required)"),
        })
        .refine((login) => login.patron !== undefined || login.pad !== undefined, {
          message: 'give a card number (patron) or a pad with the patron card on it',
          path: ['patron'],
        })
        .refine((login) => login.patron === undefined || login.pad === undefined, {
          message: 'give a card number (patron) or a pad with the patron card on it, not both',
          path: ['pad'],
        }),
      response: z.object({ session: z.string(), name: z.string(), balance: balanceSchema }),
      problems: [401, 404, 409, 422, 503, 504],
      handler: ({ body }) =>
        printAccounts.stationLogin({
          ...(body.patron !== undefined ? { patron: body.patron } : {}),
          ...(body.pad !== undefined ? { pad: body.pad } : {}),
          ...(body.pin ? { pin: body.pin } : {}),
        }),
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/logout',
      operationId: 'printStationLogout',
      summary: 'Ends a station session',
      tag,
      access: ['kiosk', 'staff'],
      body: z.strictObject({ session: sessionSchema }),
      response: z.object({ ended: z.boolean() }),
      handler: ({ body }) => {
        printAccounts.stationLogout(body.session);
        return { ended: true };
      },
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/jobs',
      operationId: 'printStationJobs',
      summary: "The logged-in patron's held jobs with pages and cost, and the balance",
      tag,
      access: ['kiosk', 'staff'],
      body: z.strictObject({ session: sessionSchema, releaseCode: releaseCodeSchema }),
      response: z.object({ balance: balanceSchema, jobs: z.array(jobSchema) }),
      problems: [401, 503],
      handler: async ({ body }) => {
        const patron = printAccounts.stationPatron(body.session);
        const jobs = await printAccounts.heldJobs(
          patron,
          body.releaseCode ? { releaseCode: body.releaseCode } : {},
        );
        return { balance: printAccounts.balance(patron), jobs };
      },
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/release',
      operationId: 'printStationRelease',
      summary: 'Charges and releases one held job (idempotent by requestId)',
      tag,
      access: ['kiosk', 'staff'],
      body: z.strictObject({
        session: sessionSchema,
        requestId: requestIdSchema,
        queue: z.string().min(1).max(64),
        jobId: z.number().int().positive(),
        releaseCode: releaseCodeSchema,
      }),
      response: z.object({ release: releaseSchema, balance: balanceSchema }),
      problems: [401, 402, 404, 409, 422, ...PRINT_SERVER_PROBLEMS],
      handler: async ({ body, reply }) => {
        const patron = printAccounts.stationPatron(body.session);
        const release = await printAccounts.release({
          requestId: body.requestId,
          patron,
          queue: body.queue,
          jobId: body.jobId,
          ...(body.releaseCode ? { releaseCode: body.releaseCode } : {}),
          // As every request sent again with its id: HTTP says the answer is the first one's.
          onReplay: () => reply?.header(IDEMPOTENT_REPLAYED_HEADER, 'true'),
        });
        return { release, balance: printAccounts.balance(patron) };
      },
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/topup',
      operationId: 'printStationTopUp',
      summary:
        "Opens a payment that tops up the logged-in patron's print balance with coins and notes (the PIN was checked at login); it is followed and ended as every payment: GET /api/v1/payments/:id, POST …/finish, DELETE (what was inserted is credited)",
      tag,
      access: ['kiosk', 'staff'],
      status: 201,
      body: z.strictObject({
        session: sessionSchema,
        amountMinor: z.number().int().min(1).max(100_000_000).describe('the top-up, in minor units (cents)'),
        devices: z
          .array(deviceIdParams.shape.id)
          .min(1)
          .max(8)
          .optional()
          .describe("the station's cash devices; the desk's payment devices when absent"),
        requestId: optionalRequestId,
      }),
      response: paymentSchema,
      problems: [401, 404, 409, 422, 503, 504],
      handler: (input) => {
        const patron = printAccounts.stationPatron(input.body.session);
        return doneOnce(requests, 'print.station.topup', input, (body) =>
          payments.open(
            {
              patron,
              purpose: { kind: 'print-topup', amountMinor: body.amountMinor },
              ...(body.devices ? { devices: body.devices } : {}),
            },
            deskCaller(input.principal),
            { pinChecked: true },
          ),
        );
      },
    }),
    operation({
      method: 'POST',
      url: '/api/v1/print/station/account',
      operationId: 'printStationAccount',
      summary: "The logged-in patron's balance, what was charged and refunded, and their releases",
      tag,
      access: ['kiosk', 'staff'],
      body: z.strictObject({ session: sessionSchema }),
      response: z.object({ statement: statementSchema, releases: z.array(releaseSchema) }),
      problems: [401, 503],
      handler: ({ body }) => {
        const patron = printAccounts.stationPatron(body.session);
        return {
          statement: statementAsKept(printAccounts.statement(patron, 20)),
          releases: printAccounts.releases({ patron, limit: 20 }),
        };
      },
    }),
  ];
}
