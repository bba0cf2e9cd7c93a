/**
 * The cash device family: coin acceptors and bill validators of payment
 * kiosks and desks, ccTalk on a serial line. One kind, `cash-device`, with a
 * `device` field saying which. Its simulator kind is `cash`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type CashDeviceConfig, cashDeviceSchema } from './config.js';
import { CASH_DEVICE_EVENTS, type CashDeviceEventsMap } from './events.js';

export { CashBox, type CashBoxEmptying, type CashBoxReport } from './cash-box.js';
export { type CashDeviceConfig, cashDeviceSchema } from './config.js';
export { CreditJournal, type CreditRow } from './credit-journal.js';
export type * from './events.js';
export type { CashAcceptPlan, CashDevicePort, CashDeviceStatusView } from './port.js';

export const cashDevices = deviceFamily<CashDeviceEventsMap>()({
  kind: 'cash-device',
  inWords: 'a cash device',
  wrongKindCode: 'not_a_cash_device',
  config: cashDeviceSchema,
  events: CASH_DEVICE_EVENTS,
  check: (config: CashDeviceConfig, layout, issue) => {
    checkSimulatorTransport(config.transport, 'cash', layout, issue);
  },
  create: async (config: CashDeviceConfig, context) =>
    new (await import('./entry.js')).CashDeviceEntry(config, context),
});
