import { CarrelError } from '../../../core/errors.js';
import { readLogoFile } from '../../../core/read-up-to.js';
import { EscPosPrinter } from '../../../devices/printer/escpos-printer.js';
import { ReceiptTemplates } from '../../../devices/printer/templates.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import { PrintQueue } from '../../print-queue.js';
import type { ReceiptPrinterConfig } from './config.js';
import type { ReceiptPrinterEvents } from './events.js';
import type { PrintJobView, ReceiptPrinterPort } from './port.js';
import { localTimestamp } from './timestamp.js';

/**
 * A receipt printer at run time: ESC/POS driver on its transport, kept
 * connected by a supervisor, fed by a durable print queue. Built on start,
 * because the queue needs the database and a simulated printer's address is
 * known only once the simulator listens.
 */
export class ReceiptPrinterEntry extends SupervisedEntry<ReceiptPrinterPort, ReceiptPrinterConfig> {
  readonly port: ReceiptPrinterPort;
  private queue: PrintQueue | undefined;
  private templateSet: ReceiptTemplates;

  constructor(config: ReceiptPrinterConfig, context: FamilyContext) {
    super(config, context);
    this.port = {
      submit: (receipt) =>
        this.openQueue().submit({
          template: receipt.template,
          data: { printedAt: localTimestamp(new Date(this.context.clock.now())), ...receipt.data },
        }),
      job: (jobId): PrintJobView | undefined => this.openQueue().get(jobId),
      jobs: (filter) => this.openQueue().list(filter ?? {}),
      retry: (jobId) => this.openQueue().retry(jobId),
      templates: () => this.templateSet.list(),
    };
    this.templateSet = new ReceiptTemplates({
      columns: config.columns,
      encoding: config.encoding,
      ...(config.templates ? { directory: config.templates } : {}),
      ...(config.logo ? { logoPng: readLogoFile(config.logo, 'receipt logo') } : {}),
    });
  }

  async start(): Promise<void> {
    const { config } = this;
    const { bus, clock, logger } = this.context;
    const transport = createTransport(config.transport, this.context.simulators, { clock });
    const printer = new EscPosPrinter({
      id: config.id,
      transport,
      clock,
      logger,
      statusIntervalMs: config.statusIntervalMs,
      statusTimeoutMs: config.statusTimeoutMs,
    });
    this.queue = new PrintQueue({
      db: this.context.database(),
      printerId: config.id,
      printer,
      templates: this.templateSet,
      clock,
      logger,
      limit: config.queueLimit,
      expiryMs: config.jobExpiryMinutes * 60_000,
      emit: (type, job) =>
        emitEvent<ReceiptPrinterEvents, `printer.${typeof type}`>(
          bus,
          clock,
          config.id,
          `printer.${type}`,
          job,
        ),
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
