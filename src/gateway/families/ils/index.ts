/**
 * The ILS family: the SIP2 link to the library system, as an ordinary device
 * (`kind: ils`), over TCP, TLS or an `ils` simulator. One per desk: circulation,
 * offline mode and the SIP2 relay all go through it.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type IlsDeviceConfig, ilsDeviceSchema } from './config.js';
import { ILS_EVENTS, type IlsEvents } from './events.js';

export {
  type IlsDeviceConfig,
  type IlsTransportConfig,
  ilsDeviceSchema,
  ilsTransportSchema,
} from './config.js';
export { type IlsPort, reconnectBackoff } from './entry.js';
export type { IlsEvents } from './events.js';

export const ilsLinks = deviceFamily<IlsEvents>()({
  kind: 'ils',
  inWords: 'an ILS',
  wrongKindCode: 'not_an_ils',
  config: ilsDeviceSchema,
  events: ILS_EVENTS,
  check: (config: IlsDeviceConfig, layout, issue) => {
    checkSimulatorTransport(config.transport, 'ils', layout, issue);
    const first = layout.devices.find((device) => device.kind === 'ils');
    if (first && first.id !== config.id)
      issue(['kind'], `one ILS per desk: "${first.id}" is already this desk's ILS`);
  },
  doctor: async (config, context) => (await import('./doctor.js')).ilsDoctor(config, context),
  create: async (config: IlsDeviceConfig, context) =>
    new (await import('./entry.js')).IlsLinkEntry(config, context),
});
