import type { Clock } from '../../core/clock.js';
import { LpTransport } from './lp.js';
import { SerialTransport } from './serial.js';
import { TcpTransport } from './tcp.js';
import type { Transport } from './transport.js';

/**
 * What a device's `transport` config says. Declared here, not imported from the
 * gateway's config schema, so this layer does not point up; the schema's
 * `TransportConfig` (after parsing, defaults filled) is assignable to it.
 */
export type TransportSpec =
  | { type: 'tcp'; host: string; port: number; connectTimeoutMs?: number }
  | {
      type: 'serial';
      path: string;
      baudRate?: number;
      dataBits?: 7 | 8;
      parity?: 'none' | 'even' | 'odd';
      stopBits?: 1 | 2;
      rtscts?: boolean;
    }
  | { type: 'lp'; path: string }
  | { type: 'simulator'; simulator: string };

/** Where a configured simulator listens. */
export type SimulatorResolver = (simulatorId: string) => { host: string; port: number };

export interface TransportFactoryOptions {
  clock?: Clock;
}

/**
 * Builds the transport a device's config names. Nothing is opened here, and
 * native modules (serialport) load only on the first `open()`.
 */
export function createTransport(
  config: TransportSpec,
  resolveSimulator: SimulatorResolver,
  options: TransportFactoryOptions = {},
): Transport {
  switch (config.type) {
    case 'tcp':
      return new TcpTransport({
        host: config.host,
        port: config.port,
        connectTimeoutMs: config.connectTimeoutMs,
        clock: options.clock,
      });
    case 'serial':
      return new SerialTransport({
        path: config.path,
        baudRate: config.baudRate,
        dataBits: config.dataBits,
        parity: config.parity,
        stopBits: config.stopBits,
        rtscts: config.rtscts,
      });
    case 'lp':
      return new LpTransport({ path: config.path, clock: options.clock });
    case 'simulator': {
      const { host, port } = resolveSimulator(config.simulator);
      return new TcpTransport({ host, port, clock: options.clock });
    }
  }
}
