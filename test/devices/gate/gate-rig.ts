/** A FEIG gate driver, Carrel's notification listener and the simulated gate, over real TCP. */
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  type GateSimulator,
  type GateSimulatorOptions,
  startGateSimulator,
} from '../../../simulators/gate/index.js';
import { systemClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/core/logger.js';
import { FeigGate, type FeigGateOptions, NotificationListener } from '../../../src/devices/gate/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { TcpListener } from '../../../src/devices/transport/tcp-listener.js';

export type LogLine = { level: string; msg: string } & Record<string, unknown>;

/** A logger whose lines a test can read. */
export function capturedLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'info', formatters: { level: (label) => ({ level: label }) } }, stream);
  return { logger, lines };
}

export interface GateEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface Rig {
  listener: NotificationListener;
  port: number;
  logger: Logger;
  lines: LogLine[];
  /** A simulated gate dialling the listener (from `localAddress` when given). */
  simulator(options?: Partial<GateSimulatorOptions>): Promise<GateSimulator>;
  /**
   * A gate's notification connection to the listener, made as the gate makes it (it dials Carrel),
   * for the test to write frames on; closed with the rig. Half open: a gate that has not yet noticed
   * Carrel closed the connection still writes on it.
   */
  dial(): Promise<net.Socket>;
  /** A driver for a gate at `address` (default 127.0.0.1) with the simulator's command port. */
  gate(
    sim: GateSimulator | undefined,
    options?: Partial<FeigGateOptions>,
  ): { gate: FeigGate; events: GateEvent[]; disconnects: Error[] };
  close(): Promise<void>;
}

export async function startRig(options: { refusalLogWindowMs?: number } = {}): Promise<Rig> {
  const { logger, lines } = capturedLogger();
  const listener = new NotificationListener({
    listener: new TcpListener({ host: '127.0.0.1', port: 0 }),
    clock: systemClock,
    logger,
    ...options,
  });
  const { port } = await listener.start();
  const cleanups: Array<() => Promise<void>> = [];
  return {
    listener,
    port,
    logger,
    lines,
    async simulator(options = {}) {
      const sim = await startGateSimulator({
        host: '127.0.0.1',
        port,
        keepAliveMs: 100,
        reconnectMinMs: 50,
        reconnectMaxMs: 200,
        ...options,
      });
      cleanups.push(() => sim.close());
      return sim;
    },
    async dial() {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      cleanups.push(async () => void socket.destroy());
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      // Once connected, what the listener does to it (closes it, resets it) is for the test to see.
      socket.on('error', () => {});
      return socket;
    },
    gate(sim, options = {}) {
      const gate = new FeigGate({
        id: 'gate-1',
        address: '127.0.0.1',
        notifications: listener,
        ...(sim ? { commandTransport: new TcpTransport({ host: '127.0.0.1', port: sim.commandPort }) } : {}),
        clock: systemClock,
        logger,
        keepAliveTimeoutMs: 500,
        ...options,
      });
      const events: GateEvent[] = [];
      const disconnects: Error[] = [];
      gate.on('event', (type, data) => events.push({ type, data }));
      gate.on('disconnected', (error) => disconnects.push(error));
      cleanups.push(() => gate.disconnect());
      return { gate, events, disconnects };
    },
    async close() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await listener.stop();
    },
  };
}
