import { afterAll, beforeAll } from 'vitest';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { callApi } from './api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from './desk.js';

/**
 * The simulated desk for one `describe` (started in its `beforeAll`, stopped in its `afterAll`) with
 * its card printer writing magnetic stripes or not (`magstripe`), its numbering changed by
 * `numbering`, and — when `ilsFixture` gives one (called in `beforeAll`) — the ILS simulator on that
 * fixture file; `change` changes the config further (tokens, a second printer). Handed over once
 * `cards-1` and the devices in `alsoOnline` are online (asked with `token` on a desk with tokens).
 */
export function cardPrinterDesk(
  options: {
    magstripe?: boolean;
    numbering?: Record<string, unknown>;
    ilsFixture?: () => string;
    change?: (config: CarrelConfig) => CarrelConfig;
    alsoOnline?: readonly string[];
    token?: string;
  } = {},
) {
  let testDesk: TestDesk;
  beforeAll(async () => {
    const fixture = options.ilsFixture?.();
    testDesk = await startTestDesk((base) => {
      const config = options.change?.(base) ?? base;
      return {
        ...config,
        devices: config.devices.map((device) =>
          device.kind === 'card-printer' && device.id === 'cards-1'
            ? {
                ...device,
                ...(options.magstripe === undefined ? {} : { magstripe: options.magstripe }),
                ...(options.numbering ? { numbering: { ...device.numbering, ...options.numbering } } : {}),
              }
            : device,
        ) as typeof config.devices,
        simulators: config.simulators.map((simulator) =>
          simulator.kind === 'ils' && fixture ? { ...simulator, fixture } : simulator,
        ) as typeof config.simulators,
      };
    });
    for (const device of ['cards-1', ...(options.alsoOnline ?? [])])
      await waitForDevice(testDesk.api, device, 'online', 15_000, options.token);
  }, 30_000);
  afterAll(async () => {
    await testDesk?.stop();
  });
  return {
    /** The started desk. */
    desk: () => testDesk,
    api: () => testDesk.api,
    call: (method: 'GET' | 'POST', path: string, body?: unknown) =>
      callApi(`${testDesk.api}/api/v1`, method, path, body),
    /** The cards the simulated printer (`card-printer-sim`, unless another is named) has printed so far. */
    cards: (simulator = 'card-printer-sim') =>
      testDesk.desk.simulators.handle(cardPrinterSimulators, simulator)!.cards(),
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
