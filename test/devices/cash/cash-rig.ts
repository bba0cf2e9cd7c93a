/** A cash device driver against the simulated ccTalk bus, with an in-memory event store that can be made to fail. */

import { type CashSimulator, startCashSimulator } from '../../../simulators/cash/simulator.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import {
  type CashDeviceKind,
  type CashEventBatch,
  type CashEventStore,
  CctalkCashDevice,
  type EscrowDecision,
  type StoredCounter,
} from '../../../src/devices/cash/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import type { Transport } from '../../../src/devices/transport/transport.js';
import { untilNotFalse } from '../../helpers/until.js';

export class MemoryEventStore implements CashEventStore {
  counter: number | undefined;
  readonly batches: CashEventBatch[] = [];
  failing = false;

  /** The serial number of the device the counter was read from. */
  serial: number | null = null;

  lastCounter(): StoredCounter | undefined {
    return this.counter === undefined ? undefined : { counter: this.counter, serial: this.serial };
  }

  commit(batch: CashEventBatch, serial: number | null): void {
    if (this.failing) throw new Error('disk full');
    this.batches.push(structuredClone(batch));
    this.counter = batch.counter;
    this.serial = serial;
  }

  credited(): number[] {
    return this.batches.flatMap((batch) => batch.credits.map((credit) => credit.valueMinor));
  }
}

export const until = <T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> =>
  untilNotFalse(probe, timeoutMs);

export interface CashRig {
  sim: CashSimulator;
  device: CctalkCashDevice;
  store: MemoryEventStore;
  escrowDecisions: EscrowDecision[];
  close(): Promise<void>;
}

export async function cashRig(
  kind: CashDeviceKind,
  options: {
    sim?: CashSimulator;
    store?: MemoryEventStore;
    transport?: (sim: CashSimulator) => Transport;
    decide?: EscrowDecision;
    pollIntervalMs?: number;
  } = {},
): Promise<CashRig> {
  const sim = options.sim ?? (await startCashSimulator({ escrowTimeoutMs: 60_000 }));
  const store = options.store ?? new MemoryEventStore();
  const escrowDecisions: EscrowDecision[] = [];
  const device = new CctalkCashDevice({
    id: kind === 'coin-acceptor' ? 'coins-1' : 'notes-1',
    kind,
    address: kind === 'coin-acceptor' ? 2 : 40,
    transport: options.transport?.(sim) ?? new TcpTransport({ host: '127.0.0.1', port: sim.port }),
    clock: systemClock,
    logger: silentLogger(),
    store,
    pollIntervalMs: options.pollIntervalMs ?? 20,
    link: { replyTimeoutMs: 100 },
    decideEscrow: () => {
      const decision = options.decide ?? 'stack';
      escrowDecisions.push(decision);
      return decision;
    },
  });
  return {
    sim,
    device,
    store,
    escrowDecisions,
    async close() {
      await device.disconnect().catch(() => {});
      if (!options.sim) await sim.close();
    },
  };
}
