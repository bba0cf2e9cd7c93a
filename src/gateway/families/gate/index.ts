/**
 * The security gate family: RFID antennas at the exit that alarm when an item
 * leaves still secured, and count people in and out. A FEIG gate reader in
 * notification mode (it dials Carrel), or an RFID reader polled at a doorway.
 * Its simulator kind is `gate`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type GateConfig, gateSchema } from './config.js';
import { GateEntry } from './entry.js';
import { GATE_EVENTS, type GateEventsMap } from './events.js';

export { type GateAlarmPolicy, type GateConfig, gateSchema } from './config.js';
export type { GateAlarmEvent, GateAlarmItem, GateEventsMap } from './events.js';
export type { GatePort, GateStatusView } from './port.js';

export const gates = deviceFamily<GateEventsMap>()({
  kind: 'gate',
  noun: 'security gate',
  wrongKindCode: 'not_a_gate',
  config: gateSchema,
  events: GATE_EVENTS,
  check: (config: GateConfig, layout, issue) => {
    if (config.transport) checkSimulatorTransport(config.transport, 'gate', layout, issue);
  },
  create: (config: GateConfig, context) => new GateEntry(config, context),
});
