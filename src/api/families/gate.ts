/**
 * Security gates over the API: what a gate is doing (its alarm loops, its people
 * counter, its latest alarms with the item each one named), switching its alarm
 * on and off, and its counter. Alarms name items, never patrons: a patron card
 * passing a gate never alarms.
 */
import { z } from 'zod';
import { gates } from '../../gateway/families/gate/index.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiModule, operation } from '../operations.js';

const alarmSchema = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  item: z
    .object({
      id: z.string().describe('the item barcode the tag carries'),
      format: z.string(),
      isil: z.string().optional(),
      set: z.object({ part: z.number().int(), parts: z.number().int() }).optional(),
    })
    .nullable()
    .describe('null for a tag Carrel cannot read (memoryHex then holds its memory)'),
  memoryHex: z.string().nullable(),
  reason: z
    .enum(['afi', 'eas', 'reported'])
    .describe('what said it was secured: its AFI, its EAS bit, or the gate'),
  afi: z.number().int().nullable(),
  eas: z.boolean().nullable(),
  antenna: z.number().int().nullable(),
  rssi: z.number().nullable(),
  time: z.string(),
});

const alarmStateSchema = z.object({ on: z.boolean(), loops: z.number().int() });
const countsSchema = z.object({ in: z.number().int(), out: z.number().int(), time: z.string() });

const statusSchema = z.object({
  alarm: alarmStateSchema.nullable().describe('the alarm loops as last read back; null until read'),
  counts: countsSchema.nullable().describe('the people counter as last read; null until read'),
  recentAlarms: z.array(alarmSchema).describe('alarms since Carrel started, newest first (at most 50)'),
  alarms: z.number().int().describe('alarms since Carrel started'),
});

const tag = 'gates';

export const gateApi: ApiModule = {
  name: 'gates',
  problems: {
    not_a_gate: { status: 409, title: 'Device is not a security gate' },
    gate_unsupported: { status: 409, title: 'This gate cannot do that' },
    gate_no_command_link: { status: 409, title: 'The gate has no command port configured' },
    gate_not_connected: { status: 503, title: 'The gate is not connected' },
    gate_alarm_not_verified: { status: 502, title: 'The gate did not confirm its alarm state' },
    gate_counter_not_reset: { status: 502, title: 'The gate did not confirm its counter reset' },
  },
  operations: ({ ports }) => {
    const gate = (id: string) => ports.port(gates, id);
    return [
      operation({
        method: 'GET',
        url: '/api/v1/gates/:id',
        operationId: 'getGate',
        summary: 'A security gate now: its alarm loops, its people counter and its latest alarms',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        params: deviceIdParams,
        response: statusSchema,
        problems: [404, 409],
        mqtt: { action: 'gates.status', fields: { id: 'gate' } },
        handler: ({ params }) => gate(params.id).status(),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/gates/:id/alarm',
        operationId: 'setGateAlarm',
        summary: 'Switch the gate’s alarm on or off, verified by reading the gate back',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        body: z.strictObject({ on: z.boolean() }),
        response: alarmStateSchema,
        problems: [404, 409, 503],
        mqtt: { action: 'gates.alarm', fields: { id: 'gate' } },
        handler: ({ params, body }) => gate(params.id).setAlarm(body.on),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/gates/:id/counters',
        operationId: 'getGateCounters',
        summary:
          'People counted in and out by the gate since its counter was last reset (read from the gate now)',
        tag,
        access: ['staff', 'monitor'],
        params: deviceIdParams,
        response: countsSchema,
        problems: [404, 409, 503],
        mqtt: { action: 'gates.counters', fields: { id: 'gate' } },
        handler: ({ params }) => gate(params.id).counters(),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/gates/:id/counters/reset',
        operationId: 'resetGateCounters',
        summary: 'Set the gate’s people counter to zero, verified by reading it back',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        response: countsSchema,
        problems: [404, 409, 503],
        handler: ({ params }) => gate(params.id).resetCounters(),
      }),
    ];
  },
};
