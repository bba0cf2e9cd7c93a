/**
 * A print desk whose jobs expire soon (a hold time of 7.2 s, the queue polled every 100 ms), and a
 * simulated print server that refuses Cancel-Job (answers client-error-not-possible) while a test
 * says so: the set-up of the tests of expired jobs the print server has not cancelled yet.
 */
import { printServerSimulators } from '../../simulators/print-server/family.js';
import type { PrintServerSimulator } from '../../simulators/print-server/simulator.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { startTestDesk, type TestDesk, waitForDevice } from './desk.js';

/** 0.002 h: a job is past its hold time 7.2 s after it was printed. */
export const HOLD_HOURS = 0.002;

/** The desk's configuration with its print queue holding jobs HOLD_HOURS, polled every 100 ms. */
export function shortHoldConfig(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    devices: config.devices.map((d) =>
      d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100, holdHours: HOLD_HOURS } : d,
    ),
  };
}

/** A desk with shortHoldConfig, its queue public-bw online. */
export async function startShortHoldDesk(): Promise<TestDesk> {
  const testDesk = await startTestDesk(shortHoldConfig);
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
  return testDesk;
}

/** The desk's simulated print server. */
export function printServer(testDesk: TestDesk): PrintServerSimulator {
  return testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
}

export interface CancelRefusal {
  /** Cancel-Jobs refused so far. */
  readonly refused: number;
  /** The print server takes Cancel-Job again, as it did before. */
  restore(): void;
}

/**
 * The print server answers Cancel-Job with an error (client-error-not-possible) while `refuse` says
 * so (it is told how many it refused already, and which job), and cancels the job otherwise.
 */
export function refuseCancels(
  testDesk: TestDesk,
  refuse: (refusedSoFar: number, jobId: number) => boolean,
): CancelRefusal {
  const model = printServer(testDesk).model;
  const cancel = model.cancel.bind(model);
  let refused = 0;
  model.cancel = (id, by) => {
    if (refuse(refused, id)) {
      refused++;
      return false;
    }
    return cancel(id, by);
  };
  return {
    get refused() {
      return refused;
    },
    restore: () => {
      model.cancel = cancel;
    },
  };
}
