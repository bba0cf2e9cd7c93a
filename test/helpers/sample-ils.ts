/**
 * The sample library's ILS as tests meet it: the ILS simulator on its sample fixture over TCP, and
 * a kiosk's SIP2 link to it, logged in as the sample library's kiosk1 at RIVERSIDE/MAIN.
 */
import { afterEach } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import type { IlsClient, IlsConfigInput } from '../../src/devices/ils/index.js';
import { sampleKioskClient } from './sample-kiosk.js';

// The kiosk's link alone is in sample-kiosk.ts, free of vitest for the benchmarks; the tests take it from here too.
export { sampleKioskClient, sampleKioskSettings } from './sample-kiosk.js';

export interface SampleIls {
  simulator: IlsSimulator;
  /** The kiosk's client, connected. */
  client: IlsClient;
}

/**
 * The ILS simulator on the sample library (a port of its own) and a kiosk's client connected to
 * it, both closed after each test: call at the top of a file or in a `describe`, then the function
 * it returns in a test (`settings` as for `sampleKioskClient`).
 */
export function useSampleIls(): (settings?: Partial<IlsConfigInput>) => Promise<SampleIls> {
  let simulator: IlsSimulator | undefined;
  let client: IlsClient | undefined;
  afterEach(async () => {
    await client?.disconnect();
    await simulator?.close();
    client = undefined;
    simulator = undefined;
  });
  return async (settings = {}) => {
    simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
    client = sampleKioskClient(simulator.port, settings);
    await client.connect();
    return { simulator, client };
  };
}
