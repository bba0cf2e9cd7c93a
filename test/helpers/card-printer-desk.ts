import { afterAll, beforeAll } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { callApi } from './api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from './desk.js';

/**
 * The simulated desk for one `describe` (started in its `beforeAll`, stopped in its `afterAll`) with
 * its card printer writing magnetic stripes or not (`magstripe`), its numbering changed by
 * `numbering`, and — when `ilsFixture` gives one (called in `beforeAll`) — the ILS simulator on that
 * fixture file; handed over once `cards-1` is online.
 */
export function cardPrinterDesk(options: {
  magstripe: boolean;
  numbering: Record<string, unknown>;
  ilsFixture?: () => string;
}) {
  let testDesk: TestDesk;
  beforeAll(async () => {
    const fixture = options.ilsFixture?.();
    testDesk = await startTestDesk((config) => ({
      ...config,
      devices: config.devices.map((device) =>
        device.kind === 'card-printer'
          ? {
              ...device,
              magstripe: options.magstripe,
              numbering: { ...device.numbering, ...options.numbering },
            }
          : device,
      ) as typeof config.devices,
      simulators: config.simulators.map((simulator) =>
        simulator.kind === 'ils' && fixture ? { ...simulator, fixture } : simulator,
      ) as typeof config.simulators,
    }));
    await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
  }, 30_000);
  afterAll(async () => {
    await testDesk?.stop();
  });
  return {
    api: () => testDesk.api,
    call: (method: 'GET' | 'POST', path: string, body?: unknown) =>
      callApi(`${testDesk.api}/api/v1`, method, path, body),
    /** The cards the simulated printer has printed so far. */
    cards: () => testDesk.desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!.cards(),
  };
}

/**
 * `config` with a second card printer beside the desk's `cards-1`: `id` on a simulator of its own
 * (the desk's again, without the card pad, a Magicard when `make` says so), without a chip encoder.
 */
export function withSecondCardPrinter(
  config: CarrelConfig,
  { id = 'cards-2', make = 'evolis' }: { id?: string; make?: 'evolis' | 'magicard' } = {},
): CarrelConfig {
  const sim = config.simulators.find((simulator) => simulator.kind === 'card-printer')!;
  const printer = config.devices.find((device) => device.kind === 'card-printer')!;
  const { encoderPad: _pad, ...secondSim } = sim as typeof sim & { encoderPad?: string };
  const { rfid: _rfid, ...second } = printer as typeof printer & { rfid?: unknown };
  const simulator = `${sim.id}-${id}`;
  return {
    ...config,
    simulators: [
      ...config.simulators,
      { ...secondSim, id: simulator, ...(make === 'magicard' ? { model: 'magicard' } : {}) },
    ],
    devices: [
      ...config.devices,
      {
        ...second,
        id,
        name: 'Back office card printer',
        ...(make === 'magicard' ? { driver: 'magicard' } : {}),
        transport: { type: 'simulator', simulator },
      },
    ],
  } as CarrelConfig;
}
