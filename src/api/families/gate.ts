/**
 * Security gates over the API: the gates and what each is doing (its alarm loops, its people
 * counter, today's visitors and the occupancy, its latest alarms with the item each one named),
 * switching its alarm on and off, its counter, the alarm history with staff acknowledging
 * alarms, the visitor counts beside the desk statistics, and the desk's alarm page (`/gates`).
 * Alarms name items, never patrons: a patron card passing a gate never alarms.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../core/paths.js';
import { acknowledgeAlarm, alarmPage } from '../../gateway/families/gate/across-gates.js';
import { gates } from '../../gateway/families/gate/index.js';
import { actorOf, type Principal } from '../http/auth.js';
import { pageRoutes } from '../http/resources/kiosk.js';
import { deviceIdParams } from '../http/schemas.js';
import { type ApiModule, detailPart, operation } from '../operations.js';
import {
  alarmAcknowledgedSchema,
  alarmEnrichedSchema,
  alarmNotEnrichedSchema,
  alarmPageSchema,
  alarmParams,
  alarmRecordSchema,
  alarmSchema,
  alarmStateEventSchema,
  alarmStateSchema,
  alarmsQuery,
  countEventSchema,
  countsSchema,
  gateListSchema,
  statusSchema,
} from './gate-schemas.js';
import { visitorRoutes } from './gate-visitors.js';

const tag = 'gates';

/** Staff (and admin) read which item alarmed; IT's monitor link and a kiosk read when and why. */
const readsItems = (principal: Principal) =>
  principal.scopes.includes('staff') || principal.scopes.includes('admin');

/**
 * An alarm without what names its item (barcode, tag UID, tag memory): a book that alarmed at a
 * given minute says what someone carried out, which is the staff's to read, not IT's.
 */
const withoutItem = <Alarm extends object>(alarm: Alarm) => ({
  ...alarm,
  item: null,
  uid: null,
  memoryHex: null,
});

/** The desk's alarm page: static files from web/gates, built only on this API. */
const GATE_PAGE_ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'gates.js': 'text/javascript; charset=utf-8',
  'alarm-row.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'words.js': 'text/javascript; charset=utf-8',
  'visitors.js': 'text/javascript; charset=utf-8',
  'sound.js': 'text/javascript; charset=utf-8',
  'gates.css': 'text/css; charset=utf-8',
};

export const gateApi: ApiModule = {
  name: 'gates',
  gauges: {
    carrel_gate_visitors_today: {
      help: 'Visitors each gate counted since midnight, by direction (in, out)',
      labelNames: ['device', 'direction'],
      *read(services) {
        for (const device of services.devices()) {
          if (device.kind !== gates.kind || device.status === 'offline') continue;
          const today = detailPart(detailPart(device.detail, 'visitors'), 'today');
          for (const direction of ['in', 'out'] as const) {
            const count = today[direction];
            if (typeof count === 'number')
              yield { labels: { device: device.device, direction }, value: count };
          }
        }
      },
    },
  },
  problems: {
    not_a_gate: { status: 409, title: 'Device is not a security gate' },
    gate_unsupported: { status: 409, title: 'This gate cannot do that' },
    gate_no_command_link: { status: 409, title: 'The gate has no command port configured' },
    gate_not_connected: { status: 503, title: 'The gate is not connected' },
    gate_not_answering: { status: 503, title: 'The gate is not answering' },
    gate_link_closed: { status: 503, title: 'The gate closed the connection to its command port' },
    gate_link_refused: { status: 503, title: 'The gate refused the connection to its command port' },
    gate_unreachable: { status: 503, title: 'The gate cannot be reached on the network' },
    gate_link_lost: { status: 503, title: "The link to the gate's command port failed" },
    gate_alarm_not_verified: { status: 502, title: 'The gate did not confirm its alarm state' },
    gate_counter_not_reset: { status: 502, title: 'The gate did not confirm its counter reset' },
    alarm_not_found: { status: 404, title: 'No such gate alarm' },
    alarm_cursor_invalid: { status: 400, title: 'Not a page cursor of the alarm history' },
  },
  events: {
    'gate.alarm': {
      summary: 'An item left (or tried to) without being lent: what its tag says, at once',
      data: alarmSchema,
    },
    'gate.alarm_enriched': {
      summary: 'What the ILS says about the item of an alarm, after the alarm',
      data: alarmEnrichedSchema,
    },
    'gate.alarm_not_enriched': {
      summary:
        'The ILS will not say what the item of an alarm is (not answered in time, not reachable): no title is coming',
      data: alarmNotEnrichedSchema,
    },
    'gate.alarm_acknowledged': {
      summary:
        'A member of staff acknowledged an alarm (the first acknowledgement): every desk PC shows it so',
      data: alarmAcknowledgedSchema,
    },
    'gate.count': {
      summary: 'The people counter moved: its reading, today’s in and out, the occupancy',
      data: countEventSchema,
    },
    'gate.alarm_state': {
      summary: 'The alarm loops as the gate reads them back',
      data: alarmStateEventSchema,
    },
  },
  operations: (services) => {
    const { ports } = services;
    const gate = (id: string) => ports.port(gates, id);
    return [
      operation({
        method: 'GET',
        url: '/api/v1/gates',
        operationId: 'listGates',
        summary: 'The security gates: each one’s health, alarm loops, visitors today and latest alarm',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        response: gateListSchema,
        mqtt: { action: 'gates.list' },
        handler: ({ principal }) => ({
          gates: ports.all(gates).map((entry) => {
            const state = services.device(entry.id) ?? entry.state();
            const status = entry.port.status();
            const lastAlarm = status.recentAlarms[0] ?? null;
            return {
              id: entry.id,
              name: entry.port.name ?? null,
              status: state.status,
              reason: state.reason,
              alarm: status.alarm,
              visitors: status.visitors,
              alarms: status.alarms,
              lastAlarm: lastAlarm && !readsItems(principal) ? withoutItem(lastAlarm) : lastAlarm,
              titleLookupMs: status.titleLookupMs,
            };
          }),
        }),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/gates/alarms',
        operationId: 'listGateAlarms',
        summary: 'The alarm history of every gate (or one), newest first, with who acknowledged each',
        tag,
        access: ['staff', 'monitor'],
        query: alarmsQuery,
        response: alarmPageSchema,
        problems: [400, 503],
        mqtt: { action: 'gates.alarms' },
        handler: ({ query }) =>
          alarmPage(ports.all(gates), {
            from: query.from === undefined ? 0 : Date.parse(query.from),
            to: query.to === undefined ? Number.MAX_SAFE_INTEGER : Date.parse(query.to),
            limit: query.limit,
            ...(query.after === undefined ? {} : { after: query.after }),
            ...(query.gate === undefined ? {} : { gate: query.gate }),
            ...(query.open ? { open: true } : {}),
          }),
      }),
      operation({
        method: 'POST',
        url: '/api/v1/gates/alarms/:alarm/ack',
        operationId: 'acknowledgeGateAlarm',
        summary:
          'Acknowledge an alarm (staff): the history keeps who and when; the first acknowledgement stands',
        tag,
        access: ['staff'],
        params: alarmParams,
        response: alarmRecordSchema,
        problems: [404, 503],
        mqtt: { action: 'gates.acknowledge' },
        // A caller of a desk without tokens (HTTP on loopback, a client of its loopback broker) is
        // kept as "at this desk": not an MQTT client id.
        handler: ({ params, principal }) =>
          acknowledgeAlarm(ports.all(gates), params.alarm, actorOf(principal)),
      }),
      operation({
        method: 'GET',
        url: '/api/v1/gates/:id',
        operationId: 'getGate',
        summary:
          'A security gate now: its alarm loops, its people counter, visitors today and its latest alarms',
        tag,
        access: ['kiosk', 'staff', 'monitor'],
        params: deviceIdParams,
        response: statusSchema,
        problems: [404, 409],
        mqtt: { action: 'gates.status', fields: { id: 'gate' } },
        handler: ({ params, principal }) => {
          const status = gate(params.id).status();
          return readsItems(principal)
            ? status
            : { ...status, recentAlarms: status.recentAlarms.map(withoutItem) };
        },
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
        summary:
          'Set the gate’s people counter to zero, verified by reading it back (what it had counted is kept)',
        tag,
        access: ['staff'],
        params: deviceIdParams,
        response: countsSchema,
        problems: [404, 409, 503],
        handler: ({ params }) => gate(params.id).resetCounters(),
      }),
    ];
  },
  routes: (app, { services, book }) => {
    visitorRoutes(app, book, services);
    pageRoutes(app, {
      mount: '/gates',
      directory: join(packageRoot(), 'web', 'gates'),
      assets: GATE_PAGE_ASSETS,
      page: 'the gate alarm page (web/gates)',
    });
  },
};
