import { afterEach } from 'vitest';
import {
  type RfidPadSimulator,
  startRfidPadSimulator,
  type TagSpec,
} from '../../../simulators/rfid-pad/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  FeigReader,
  RfidPadDevice,
  type RfidPadOptions,
  type RfidTimeouts,
  ThreeMReader,
} from '../../../src/devices/rfid/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { encodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';
import { until } from '../../helpers/until.js';
import { recordEvents } from './pad-events.js';

/** What a test closes when it ends, last opened first. */
export type Cleanups = Array<() => Promise<void> | void>;

/** The file's cleanups, run after each test (registers the `afterEach`). */
export function cleanedAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** A plain library item's memory (ISO 28560-3), as hex. */
export const itemMemory = (primaryItemId: string) =>
  Buffer.from(encodeIso28560Part3({ primaryItemId, ownerLibrary: 'DK718500' })).toString('hex');

/** The pad's inventory interval in these tests. */
export const INTERVAL_MS = 20;

/** The pad simulator speaking FEIG (or 3M, as through a serial device server) on a TCP port (0: a free one), closed with the test. */
export async function simulatorOn(
  port: number,
  tags: TagSpec[],
  cleanups: Cleanups,
  protocol: 'feig' | '3m' = 'feig',
): Promise<RfidPadSimulator> {
  const sim = await startRfidPadSimulator({ protocol, tcpPort: port, tags });
  cleanups.push(() => sim.close());
  return sim;
}

/** How the pad's reader speaks (FEIG unless said) and how long its commands may go unanswered. */
export interface PadReaderOptions {
  protocol?: 'feig' | '3m';
  timeouts?: Partial<RfidTimeouts>;
}

/** A reader driver for the pad on `port` over TCP, not opened yet. */
export function readerOn(port: number, { protocol = 'feig', timeouts }: PadReaderOptions = {}) {
  const options = {
    transport: new TcpTransport({ host: '127.0.0.1', port, clock: systemClock }),
    clock: systemClock,
    timeouts,
  };
  return protocol === 'feig' ? new FeigReader(options) : new ThreeMReader(options);
}

/** The pad on a simulator's port, connected; it is connected again whenever its link is lost. */
export async function padOn(
  port: number,
  cleanups: Cleanups,
  options: Partial<RfidPadOptions> = {},
  readerOptions: PadReaderOptions = {},
) {
  const reader = readerOn(port, readerOptions);
  const pad = new RfidPadDevice({
    id: 'pad',
    reader,
    clock: systemClock,
    logger: silentLogger(),
    inventoryIntervalMs: INTERVAL_MS,
    ...options,
  });
  const recorder = recordEvents(pad);
  let lost = 0;
  let stopped = false;
  const redial = () => {
    if (!stopped) pad.connect().catch(() => setTimeout(redial, 50));
  };
  pad.on('disconnected', () => {
    lost++;
    setTimeout(redial, 50);
  });
  cleanups.push(async () => {
    stopped = true;
    await pad.disconnect();
  });
  await pad.connect();
  const rounds = () => pad.condition().detail.rounds as number;
  /** Waits until the pad has made `n` more inventory rounds. */
  const moreRounds = async (n: number) => {
    const from = rounds();
    await until(() => (rounds() >= from + n ? true : undefined));
  };
  return {
    pad,
    reader,
    recorder,
    moreRounds,
    lost: () => lost,
    seen: () => recorder.events.map((e) => `${e.type} ${e.data.uid ?? e.data.primaryItemId}`),
  };
}
