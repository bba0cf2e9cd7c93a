/**
 * The ILS simulator and a test client connected to it over real TCP, both closed after each test.
 */
import { afterEach } from 'vitest';
import type { IlsFixtureInput } from '../../../simulators/ils/fixture.js';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import type { ManualClock } from '../../../src/core/clock.js';
import { type ClientOptions, Sip2TestClient } from './sip2-client.js';

/**
 * For the file or `describe` that calls this (it registers the `afterEach` that closes them):
 * `start(fixture, clock, options)` starts the simulator on `fixture` and `clock` and connects a test
 * client to it; `simulator()` is the one started last in the test.
 */
export function simulatorLinkPerTest() {
  let simulator: IlsSimulator | undefined;
  let client: Sip2TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await simulator?.close();
    client = undefined;
    simulator = undefined;
  });
  return {
    async start(
      fixture: string | IlsFixtureInput,
      clock: ManualClock,
      options: ClientOptions = {},
    ): Promise<Sip2TestClient> {
      simulator = await startIlsSimulator({ fixture, clock });
      client = await Sip2TestClient.connect(simulator.port, options);
      return client;
    },
    simulator(): IlsSimulator {
      if (!simulator) throw new Error('no ILS simulator was started in this test');
      return simulator;
    },
  };
}
