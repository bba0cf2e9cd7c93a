/**
 * Cash devices over the API: what a coin acceptor or bill validator takes and
 * whom it takes it for, its cash box (what it should hold since last emptied,
 * and the emptying staff record with the count and variance), and a reset.
 * Payments themselves are the payments module's; cash events name a payment
 * session, never a patron.
 */
import { z } from 'zod';
import { cashDevices } from '../../gateway/families/cash-device/index.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiModule, operation } from '../operations.js';

const statusSchema = z.object({
  device: z.enum(['coin-acceptor', 'bill-validator']),
  connected: z.boolean(),
  accepting: z.boolean(),
  holder: z.string().nullable().describe('the payment session taking money from it, if any'),
  denominations: z.array(
    z.object({ channel: z.number().int(), currency: z.string(), valueMinor: z.number().int() }),
  ),
  accepted: z.array(z.number().int()).describe('the values it takes now, in minor units'),
});

export const cashBoxReportSchema = z.object({
  device: z.string(),
  lastEmptied: z.object({ at: z.string(), by: z.string() }).nullable(),
  currency: z.string().nullable(),
  expectedMinor: z
    .number()
    .int()
    .describe('what the cash box should hold: every credit since the last emptying'),
  count: z.number().int(),
  byDenomination: z.array(z.object({ valueMinor: z.number().int(), count: z.number().int() })),
  unheld: z
    .object({ count: z.number().int(), valueMinor: z.number().int() })
    .describe('credited while no payment held the device: staff decide where it belongs'),
  unverified: z
    .array(
      z.object({
        id: z.number().int(),
        reason: z.string(),
        valueMinor: z.number().int().nullable(),
        at: z.string(),
      }),
    )
    .describe('money that may have gone in but could not be credited (a counter jump, an unknown note)'),
});

const emptyingSchema = z.object({
  id: z.number().int(),
  device: z.string(),
  at: z.string(),
  by: z.string(),
  expectedMinor: z.number().int(),
  currency: z.string().nullable(),
  countedMinor: z.number().int().nullable(),
  varianceMinor: z.number().int().nullable().describe('counted − expected'),
  note: z.string().nullable(),
});

const tag = 'cash devices';

export const cashDeviceApi: ApiModule = {
  name: 'cash-devices',
  problems: {
    not_a_cash_device: { status: 409, title: 'Device is not a cash device' },
    cash_device_busy: { status: 409, title: 'The cash device is taking money for another payment' },
    cash_wrong_device: { status: 409, title: 'The device is not the kind configured' },
    cctalk_timeout: { status: 504, title: 'The cash device did not answer' },
    cctalk_nak: { status: 502, title: 'The cash device refused the request' },
  },
  operations: ({ ports }) => {
    const device = (id: string) => ports.port(cashDevices, id);
    return [
      operation({
        method: 'GET',
        url: '/api/v1/cash-devices/:id',
        operationId: 'getCashDevice',
        summary:
          'A coin acceptor or bill validator: what it takes, whether it takes it now, for which payment',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        params: deviceIdParams,
        response: statusSchema,
        problems: [404, 409],
        mqtt: { action: 'cashDevices.status', fields: { id: 'device' } },
        handler: ({ params }) => device(params.id).status(),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/cash-devices/:id/cash-box',
        operationId: 'getCashBox',
        summary:
          'What the cash box should hold since it was last emptied, by denomination, and what needs a count',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        response: cashBoxReportSchema,
        problems: [404, 409],
        mqtt: { action: 'cashDevices.cashBox', fields: { id: 'device' } },
        handler: ({ params }) => device(params.id).cashBox(),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/cash-devices/:id/cash-box/emptyings',
        operationId: 'emptyCashBox',
        summary: 'Staff emptied the cash box: record who, what they counted, and the variance',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        body: z.strictObject({
          countedMinor: z.number().int().min(0).max(100_000_000).optional().describe('what staff counted'),
          note: z.string().max(500).optional(),
        }),
        response: emptyingSchema,
        status: 201,
        problems: [404, 409],
        handler: ({ params, body, principal }) =>
          device(params.id).emptied({ by: principal.name, countedMinor: body.countedMinor, note: body.note }),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/cash-devices/:id/reset',
        operationId: 'resetCashDevice',
        summary: 'Reset the device (ccTalk reset); Carrel sets what it takes again',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        response: z.object({ reset: z.literal(true) }),
        problems: [404, 409, 503, 504],
        handler: async ({ params }) => {
          await device(params.id).reset();
          return { reset: true as const };
        },
      }),
    ];
  },
};
