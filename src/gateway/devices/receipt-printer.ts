import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceState } from '../../devices/device-state.js';
import { EscPosPrinter } from '../../devices/printer/escpos-printer.js';
import { ReceiptTemplates } from '../../devices/printer/templates.js';
import { createTransport, type SimulatorResolver } from '../../devices/transport/factory.js';
import type { ReceiptPrinterConfig } from '../config/schema.js';
import type { EventBus } from '../event-bus.js';
import { PrintQueue } from '../print-queue.js';
import type { PrintJobView } from '../services.js';
import type { Database } from '../storage/index.js';
import type { DeviceEntry } from './registry.js';
import { DeviceSupervisor, notStartedState } from './supervisor.js';

export interface ReceiptPrinterDeps {
  config: ReceiptPrinterConfig;
  /** The open database; asked at start, when storage is up. */
  database: () => Database;
  resolveSimulator: SimulatorResolver;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

/**
 * A receipt printer at run time: ESC/POS driver on its transport, kept
 * connected by a supervisor, fed by a durable print queue. Built on start,
 * because the queue needs the database and a simulated printer's address is
 * known only once the simulator listens.
 */
export class ReceiptPrinterEntry implements DeviceEntry {
  readonly kind = 'receipt-printer';
  private supervisor: DeviceSupervisor | undefined;
  private queue: PrintQueue | undefined;
  private templateSet: ReceiptTemplates;

  constructor(private readonly deps: ReceiptPrinterDeps) {
    const { config } = deps;
    this.templateSet = new ReceiptTemplates({
      columns: config.columns,
      encoding: config.encoding,
      ...(config.templates ? { directory: config.templates } : {}),
      ...(config.logo ? { logoPng: readLogo(config.logo) } : {}),
    });
  }

  get id(): string {
    return this.deps.config.id;
  }

  get printing() {
    return {
      submit: (receipt: { template: string; data: Record<string, unknown> }) =>
        this.openQueue().submit({
          template: receipt.template,
          data: { printedAt: localTimestamp(new Date(this.deps.clock.now())), ...receipt.data },
        }),
      job: (jobId: string): PrintJobView | undefined => this.openQueue().get(jobId),
      jobs: (filter?: { state?: PrintJobView['state'] }) => this.openQueue().list(filter ?? {}),
      retry: (jobId: string) => this.openQueue().retry(jobId),
      templates: () => this.templateSet.list(),
    };
  }

  state(): DeviceState {
    return this.supervisor?.state() ?? notStartedState(this.id, this.kind, this.deps.clock.now());
  }

  async start(): Promise<void> {
    const { config, bus, clock, logger } = this.deps;
    const transport = createTransport(config.transport, this.deps.resolveSimulator, { clock });
    const printer = new EscPosPrinter({
      id: config.id,
      transport,
      clock,
      logger,
      statusIntervalMs: config.statusIntervalMs,
      statusTimeoutMs: config.statusTimeoutMs,
    });
    this.queue = new PrintQueue({
      db: this.deps.database(),
      printerId: config.id,
      printer,
      templates: this.templateSet,
      clock,
      logger,
      limit: config.queueLimit,
      expiryMs: config.jobExpiryMinutes * 60_000,
      emit: (type, data) =>
        bus.emit('device.event', {
          device: config.id,
          type: `printer.${type}`,
          time: new Date(clock.now()).toISOString(),
          data,
        }),
    });
    const queue = this.queue;
    this.supervisor = new DeviceSupervisor({
      driver: printer,
      eventFamily: 'printer',
      clock,
      bus,
      logger,
      onReady: () => queue.printerChanged(),
    });
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.queue?.stop();
    await this.supervisor?.stop();
  }

  private openQueue(): PrintQueue {
    if (!this.queue) throw new CarrelError('unavailable', `printer "${this.id}" is not running`);
    return this.queue;
  }
}

/** `2026-11-23 14:05`, in the desk's own time zone, for receipts that do not say when they were printed. */
export function localTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function readLogo(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CarrelError(
      'logo_unreadable',
      `cannot read the receipt logo ${path}: ${(error as Error).message}`,
    );
  }
}
