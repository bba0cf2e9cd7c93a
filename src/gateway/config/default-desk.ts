import { deepFreeze } from './load.js';
import { type CarrelConfig, type CarrelConfigInput, configSchema } from './schema.js';

/**
 * The simulated desk `carrel start` runs when no configuration is given: the sample
 * library's ILS over SIP2, a receipt printer, the desk's RFID pad (holding the ISO 28560
 * reference tags V1 and V2) and a self-check pad holding two of the sample library's
 * available items, so the demo kiosk (/kiosk) checks something out on first use. Each is
 * backed by its simulator, with HTTP and an embedded MQTT broker on loopback.
 */
export function defaultDeskConfig(): CarrelConfig {
  const input: CarrelConfigInput = {
    version: 1,
    site: 'library',
    gateway: 'desk-1',
    http: { host: '127.0.0.1', port: 8480 },
    mqtt: { mode: 'embedded', host: '127.0.0.1', port: 1883 },
    simulators: [
      { id: 'ils-sim', kind: 'ils', port: 0 },
      { id: 'printer-sim', kind: 'printer', port: 0, httpPort: 0 },
      { id: 'pad-sim', kind: 'rfid-pad', port: 0, httpPort: 0, tags: ['V1', 'V2'] },
      {
        id: 'selfcheck-sim',
        kind: 'rfid-pad',
        port: 0,
        httpPort: 0,
        // Middlemarch and Dune, on the shelf in the sample library (secured, AFI 0x07).
        tags: [{ item: '31000004' }, { item: '31000005' }],
      },
    ],
    sessions: { receipt: { library: 'Riverside Public Library', printer: 'receipt-1' } },
    ils: {
      simulator: 'ils-sim',
      user: 'kiosk1',
      password: 'kiosk1pw',
      location: 'MAIN',
      institution: 'RIVERSIDE',
      // The sample library's ILS writes its SIP2 local times in its own zone (the fixture's
      // library.timeZone), whatever the desk machine's zone is.
      timeZone: 'Europe/Stockholm',
    },
    devices: [
      {
        id: 'receipt-1',
        kind: 'receipt-printer',
        name: 'Desk receipt printer',
        transport: { type: 'simulator', simulator: 'printer-sim' },
      },
      {
        id: 'pad-1',
        kind: 'rfid-reader',
        name: 'Desk RFID pad',
        protocol: 'feig',
        transport: { type: 'simulator', simulator: 'pad-sim' },
      },
      {
        id: 'selfcheck-1',
        kind: 'rfid-reader',
        name: 'Self-check pad',
        protocol: 'feig',
        transport: { type: 'simulator', simulator: 'selfcheck-sim' },
      },
    ],
  };
  return deepFreeze(configSchema.parse(input));
}
