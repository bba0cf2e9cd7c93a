import { deepFreeze } from '../gateway/config/load.js';
import { CURRENT_CONFIG_VERSION } from '../gateway/config/schema.js';
import { type CarrelConfig, configSchema } from './config.js';
import { SIMULATOR_FAMILIES } from './families.js';

/**
 * The simulated desk `carrel start` runs when no configuration is given: every
 * family's simulators and the devices they stand in for (each simulator kind's
 * `demo`, in the order of the family list) — the sample library's ILS over SIP2,
 * a receipt printer, the desk's RFID pad and a self-check pad, each holding two of
 * the sample library's available items, so the demo kiosk (/kiosk, or /kiosk?pad=pad-1)
 * checks something out on first use and refuses nothing — the card printer with a pad of its own
 * holding a blank card, so the first card issued is encoded at once — with HTTP and an embedded
 * MQTT broker on loopback.
 */
export function defaultDeskConfig(): CarrelConfig {
  const demos = SIMULATOR_FAMILIES.flatMap((family) => (family.demo ? [family.demo] : []));
  return deepFreeze(
    configSchema.parse({
      version: CURRENT_CONFIG_VERSION,
      site: 'library',
      gateway: 'desk-1',
      http: { host: '127.0.0.1', port: 8480 },
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 1883 },
      // The sample library's items are tagged with its ISIL: another library's book laid on a pad
      // (the reference tag V1, a Danish library's) is said to be another library's.
      sessions: {
        ownerLibraries: ['SE-RPL'],
        receipt: { library: 'Riverside Public Library', printer: 'receipt-1' },
      },
      simulators: demos.flatMap((demo) => demo.simulators),
      devices: demos.flatMap((demo) => demo.devices),
    }),
  );
}
