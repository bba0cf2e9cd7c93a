/**
 * The simulated cash devices of a payment kiosk (STYLE 7): a ccTalk coin
 * acceptor (address 2) and a bill validator with escrow (address 40) on one
 * bus, served over TCP (as a serial-over-IP converter gives it) and, when
 * asked, on a pty (socat) — with the echo of a single-wire line. Coins and
 * notes are dropped in, jams and cash box troubles set, answers dropped or
 * garbled through the control API.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { DEFAULT_ADDRESS } from '../../src/protocols/cctalk/index.js';
import { SerialLinks } from '../common/serial-links.js';
import { BillValidatorModel, type NoteInsertion, type StackerState } from './bill-validator.js';
import { type BusFaults, CctalkBus } from './bus.js';
import { CoinAcceptorModel, type CoinInsertion } from './coin-acceptor.js';
import { startControlServer } from './control-server.js';
import { CURRENCY_TABLES, type SimulatedCurrency } from './denominations.js';

export interface CashSimulatorOptions {
  /** Where the ccTalk TCP port and the control API listen; 127.0.0.1 by default. */
  host?: string;
  /** The ccTalk TCP port; 0 (default) picks a free one. */
  port?: number;
  /** The control API; 0 (default) picks a free one; undefined: none. */
  httpPort?: number | undefined;
  currency?: SimulatedCurrency;
  /** The coin acceptor's address; null for a bus without one. */
  coinAddress?: number | null;
  /** The bill validator's address; null for a bus without one. */
  billAddress?: number | null;
  /** A note left in escrow this long goes back to the patron. */
  escrowTimeoutMs?: number;
  logger?: Logger;
}

export interface CashSimulatorState {
  port: number;
  currency: string;
  connections: number;
  coinAcceptor: (ReturnType<CoinAcceptorModel['snapshot']> & { jammed: boolean }) | null;
  billValidator:
    | (ReturnType<BillValidatorModel['snapshot']> & {
        stacker: StackerState;
        jammed: boolean;
        escrow: { valueMinor: number } | null;
        returned: number;
      })
    | null;
  faults: BusFaults;
  answered: Record<string, number>;
}

export interface CashSimulator {
  readonly port: number;
  readonly httpUrl: string;
  readonly currency: SimulatedCurrency;
  readonly bus: CctalkBus;
  readonly coinAcceptor: CoinAcceptorModel | undefined;
  readonly billValidator: BillValidatorModel | undefined;
  insertCoin(valueMinor: number): CoinInsertion;
  insertNote(valueMinor: number): NoteInsertion;
  setFaults(change: Partial<BusFaults>): BusFaults;
  state(): CashSimulatorState;
  /** Serves the bus on any stream (an in-memory pair). */
  attach(stream: Duplex): void;
  /** Opens a pty or serial device with serialport (loaded only now) and serves the bus on it. */
  attachSerialPath(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startCashSimulator(options: CashSimulatorOptions = {}): Promise<CashSimulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger()).child({ module: 'cash-sim' });
  const currency = options.currency ?? 'EUR';
  const table = CURRENCY_TABLES[currency];
  const coinAddress = options.coinAddress === undefined ? DEFAULT_ADDRESS.coinAcceptor : options.coinAddress;
  const billAddress = options.billAddress === undefined ? DEFAULT_ADDRESS.billValidator : options.billAddress;
  const coin = coinAddress === null ? undefined : new CoinAcceptorModel(coinAddress, table);
  const bill = billAddress === null ? undefined : new BillValidatorModel(billAddress, table);
  const bus = new CctalkBus([...(coin ? [coin] : []), ...(bill ? [bill] : [])], logger);
  const escrowTimeoutMs = options.escrowTimeoutMs ?? 10_000;
  const serialLinks = new SerialLinks();
  const sockets = new Set<Socket>();
  let escrowTimer: NodeJS.Timeout | undefined;

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    bus.attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const simulator: CashSimulator = {
    port,
    httpUrl: '',
    currency,
    bus,
    coinAcceptor: coin,
    billValidator: bill,
    insertCoin(valueMinor) {
      if (!coin) throw new RangeError('this bus has no coin acceptor');
      const result = coin.insert(valueMinor);
      logger.info({ valueMinor, accepted: result.accepted }, 'coin inserted');
      return result;
    },
    insertNote(valueMinor) {
      if (!bill) throw new RangeError('this bus has no bill validator');
      const result = bill.insert(valueMinor);
      if (result.accepted && result.escrow) {
        clearTimeout(escrowTimer);
        escrowTimer = setTimeout(() => {
          if (bill.escrowTimeout()) logger.info('escrow timed out: note returned');
        }, escrowTimeoutMs);
      }
      logger.info({ valueMinor, accepted: result.accepted }, 'note inserted');
      return result;
    },
    setFaults: (change) => bus.setFaults(change),
    state: () => describe(port, currency, bus, coin, bill),
    attach: (stream) => bus.attach(stream),
    attachSerialPath: (path) => serialLinks.attach(path, 9600, (stream) => bus.attach(stream)),
    async close() {
      clearTimeout(escrowTimer);
      bus.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await serialLinks.close();
      await control?.close();
    },
  };
  let control: { url: string; close(): Promise<void> } | undefined;
  try {
    if (options.httpPort !== undefined) {
      control = await startControlServer(simulator, { host, port: options.httpPort });
      Object.assign(simulator, { httpUrl: control.url });
    }
  } catch (error) {
    await simulator.close();
    throw error;
  }
  return simulator;
}

function describe(
  port: number,
  currency: string,
  bus: CctalkBus,
  coin: CoinAcceptorModel | undefined,
  bill: BillValidatorModel | undefined,
): CashSimulatorState {
  return {
    port,
    currency,
    connections: bus.connections,
    coinAcceptor: coin ? { ...coin.snapshot(), jammed: coin.jammed } : null,
    billValidator: bill
      ? {
          ...bill.snapshot(),
          stacker: bill.stacker,
          jammed: bill.jammed,
          escrow: bill.escrow ? { valueMinor: bill.escrow.valueMinor } : null,
          returned: bill.returned,
        }
      : null,
    faults: bus.faults(),
    answered: Object.fromEntries(bus.answered),
  };
}
