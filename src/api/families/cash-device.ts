/**
 * Cash devices over the API: what a coin acceptor or bill validator takes and
 * whom it takes it for, its cash box (what it should hold since last emptied,
 * and the emptying staff record with the count and variance), and a reset.
 * Payments themselves are the payments module's; cash events name a payment
 * session, never a patron.
 */
import { z } from 'zod';
import type { CashDeviceEventsMap } from '../../gateway/families/cash-device/events.js';
import { cashDevices } from '../../gateway/families/cash-device/index.js';
import { actorOf } from '../http/auth.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiEvent, type ApiModule, detailPart, deviceGauge, operation } from '../operations.js';
import { doneOnce, optionalRequestId } from '../request-ids.js';

const statusSchema = z.object({
  device: z.enum(['coin-acceptor', 'bill-validator']),
  connected: z.boolean(),
  accepting: z.boolean(),
  holder: z.string().nullable().describe('the payment session taking money from it, if any'),
  denominations: z.array(
    z.object({ channel: z.number().int(), currency: z.string(), valueMinor: z.number().int() }),
  ),
  accepted: z.array(z.number().int()).describe('the values it is set to take now, in minor units'),
  trouble: z
    .string()
    .nullable()
    .describe(
      "what stops it taking money as set (a jam, the cash box out or full, a tamper attempt, a fault), in the device's words; null when nothing does",
    ),
});

const emptiedBy = z
  .string()
  .describe(
    'who emptied it: the name of their token; "at this desk" on a desk without tokens (this machine only, where no one holds a token)',
  );

export const cashBoxReportSchema = z.object({
  device: z.string(),
  lastEmptied: z
    .object({
      id: z
        .number()
        .int()
        .describe('the emptying: send it as lastEmptyingId with the emptying staff make from this report'),
      at: z.string(),
      by: emptiedBy,
    })
    .nullable(),
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
  by: emptiedBy,
  expectedMinor: z.number().int(),
  currency: z.string().nullable(),
  countedMinor: z.number().int().nullable(),
  varianceMinor: z.number().int().nullable().describe('counted − expected'),
  note: z.string().nullable(),
});

const tag = 'cash devices';

const money = {
  currency: z.string().describe('ISO 4217'),
  valueMinor: z.number().int().describe('in minor units'),
};
const holder = z
  .string()
  .nullable()
  .describe('the payment session the money is credited to; null: none held the device');

/** The cash devices' events as they leave the gateway: they name a payment session, never a patron. */
const cashEvents = {
  'cash.credit': {
    summary: 'A coin or note was taken and journaled (before this is sent)',
    data: z.object({
      id: z.number().int().describe('the credit journal entry'),
      deviceKind: statusSchema.shape.device,
      channel: z.number().int(),
      ...money,
      holder,
      at: z.string(),
    }),
  },
  'cash.unverified': {
    summary:
      'Money that may have gone in but cannot be credited (events lost past the buffer, a counter jump, an unknown note): for staff',
    data: z.object({
      id: z.number().int(),
      reason: z
        .enum(['events_lost', 'event_counter_jump', 'unknown_channel', 'unknown_bill_type_stacked'])
        .describe(
          'events_lost: more events than the buffer holds came between two reads — coins or notes never seen (no value: count the cash box)',
        ),
      channel: z.number().int().nullable(),
      currency: z.string().nullable(),
      valueMinor: z.number().int().nullable(),
      holder,
      at: z.string(),
    }),
  },
  'cash.escrow': {
    summary: 'A note in escrow was stacked (it fits the payment) or handed back',
    data: z.object({
      channel: z.number().int(),
      ...money,
      decision: z.enum(['stack', 'return']),
      outcome: z.enum(['routed', 'escrow_empty', 'failed']),
    }),
  },
  'cash.notice': {
    summary:
      'Something the device said that is not money: a coin handed back, a jam, the cash box, a code unknown',
    data: z.object({
      code: z.union([z.number().int(), z.string()]),
      name: z.string(),
      severity: z.enum(['status', 'reject', 'fault', 'fraud', 'unknown']),
    }),
  },
  'cash.acceptance': {
    summary: 'The device takes money now (for a payment, up to a value), or no longer does',
    data: z.object({
      accepting: z.boolean(),
      holder,
      maxValueMinor: z.number().int().nullable(),
      currency: z.string().nullable(),
    }),
  },
  'cash.payment': {
    summary: 'The payment holding the device: opened, each credit, ended (no patron data)',
    data: z.object({
      payment: z.string(),
      state: z.enum(['collecting', 'settling', 'completed', 'cancelled']),
      currency: z.string(),
      amountDueMinor: z.number().int(),
      paidMinor: z.number().int(),
      remainingMinor: z.number().int(),
      offline: z.boolean(),
      endReason: z.string().nullable(),
    }),
  },
} satisfies Record<keyof CashDeviceEventsMap, ApiEvent>;

export const cashDeviceApi: ApiModule = {
  name: 'cash-devices',
  gauges: {
    carrel_cash_box_items: deviceGauge(
      cashDevices.kind,
      'Coins or notes in each cash device’s cash box since it was last emptied, as counted',
      (detail) => detailPart(detail, 'cashBox').count,
    ),
    carrel_cash_box_capacity_items: deviceGauge(
      cashDevices.kind,
      'Coins or notes each cash device’s cash box holds (its cashBoxCapacity; absent when not configured)',
      (detail) => detailPart(detail, 'cashBox').capacity,
    ),
    carrel_cash_box_fill_ratio: deviceGauge(
      cashDevices.kind,
      'How full each cash device’s cash box is: coins or notes since it was last emptied ÷ its cashBoxCapacity (absent when not configured)',
      (detail) => detailPart(detail, 'cashBox').fillRatio,
    ),
  },
  problems: {
    not_a_cash_device: { status: 409, title: 'Device is not a cash device' },
    cash_device_busy: { status: 409, title: 'The cash device is taking money for another payment' },
    cash_box_changed: { status: 409, title: 'The cash box is not what was seen in it' },
    cash_wrong_device: { status: 409, title: 'The device is not the kind configured' },
    cctalk_timeout: { status: 504, title: 'The cash device did not answer' },
    cctalk_nak: { status: 502, title: 'The cash device refused the request' },
    cctalk_busy: { status: 503, title: 'The cash device stayed busy' },
    cctalk_echo_mismatch: { status: 502, title: 'The cash device line did not echo the request' },
    cctalk_bad_reply: { status: 502, title: 'The cash device answered unreadably' },
  },
  events: cashEvents,
  operations: ({ ports, requests }) => {
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
        summary:
          'Staff emptied the cash box: record who, what they counted, and the variance; with lastEmptyingId and expectedMinor, refused (409 cash_box_changed) when the box was emptied or took money since staff read it',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        body: z.strictObject({
          countedMinor: z.number().int().min(0).max(100_000_000).optional().describe('what staff counted'),
          expectedMinor: z
            .number()
            .int()
            .min(0)
            .optional()
            .describe(
              'what the cash box report said the box should hold when staff emptied it (its expectedMinor). When it should hold another amount now — another emptying, or money taken, meanwhile — nothing is recorded: 409 cash_box_changed. Without it the emptying is recorded whatever the box held (older clients)',
            ),
          lastEmptyingId: z
            .number()
            .int()
            .min(1)
            .nullable()
            .optional()
            .describe(
              "the last emptying the cash box report named when staff emptied it (its lastEmptied.id; null when it said never). When the box was emptied since — an empty box counted twice, two desks emptying it from one screen, where expectedMinor is the same — nothing is recorded: 409 cash_box_changed, with the box's lastEmptyingId now",
            ),
          note: z.string().max(500).optional(),
          requestId: optionalRequestId,
        }),
        response: emptyingSchema,
        status: 201,
        problems: [404, 409],
        handler: (input) =>
          doneOnce(requests, 'cash.emptied', input, (body) =>
            device(input.params.id).emptied({
              by: actorOf(input.principal),
              countedMinor: body.countedMinor,
              note: body.note,
              expectedMinor: body.expectedMinor,
              lastEmptyingId: body.lastEmptyingId,
            }),
          ),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/cash-devices/:id/reset',
        operationId: 'resetCashDevice',
        summary:
          'Reset the device (ccTalk reset); what it took and Carrel had not read yet is credited first (the reset empties its event buffer), and Carrel sets what it takes again',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        response: z.object({ reset: z.literal(true) }),
        problems: [404, 409, 502, 503, 504],
        handler: async ({ params }) => {
          await device(params.id).reset();
          return { reset: true as const };
        },
      }),
    ];
  },
};
