import { CarrelError } from '../../core/errors.js';
import type { DeviceState } from '../../devices/device-state.js';
import type { Feature } from '../feature.js';
import type { PrinterService, PrintJobView } from '../services.js';
import type { RfidPort, RfidService } from './rfid-reader.js';

/** One configured device at run time: its health record plus what its family adds (a print queue…). */
export interface DeviceEntry {
  readonly id: string;
  readonly kind: string;
  state(): DeviceState;
  /** Present on receipt printers. */
  readonly printing?: PrinterPort;
  /** Present on RFID readers. */
  readonly rfid?: RfidPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the registry needs of a printer's queue and templates. */
export interface PrinterPort {
  submit(receipt: { template: string; data: Record<string, unknown> }): PrintJobView;
  job(jobId: string): PrintJobView | undefined;
  jobs(filter?: { state?: PrintJobView['state'] }): PrintJobView[];
  retry(jobId: string): PrintJobView;
  templates(): string[];
}

/**
 * Every configured device, started in configuration order and stopped in
 * reverse. Also the printer service the API calls: it finds the device and
 * hands the call to its queue.
 */
export class DeviceRegistry implements Feature, PrinterService {
  readonly name = 'devices';
  private readonly entries = new Map<string, DeviceEntry>();

  constructor(entries: DeviceEntry[]) {
    for (const entry of entries) this.entries.set(entry.id, entry);
  }

  async start(): Promise<void> {
    for (const entry of this.entries.values()) await entry.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].reverse().map((entry) => entry.stop()));
  }

  states(): DeviceState[] {
    return [...this.entries.values()].map((entry) => entry.state());
  }

  state(id: string): DeviceState | undefined {
    return this.entries.get(id)?.state();
  }

  submit(printerId: string, receipt: { template: string; data: Record<string, unknown> }): PrintJobView {
    return this.printer(printerId).submit(receipt);
  }

  job(printerId: string, jobId: string): PrintJobView | undefined {
    return this.printer(printerId).job(jobId);
  }

  jobs(printerId: string, filter?: { state?: PrintJobView['state'] }): PrintJobView[] {
    return this.printer(printerId).jobs(filter);
  }

  retry(printerId: string, jobId: string): PrintJobView {
    return this.printer(printerId).retry(jobId);
  }

  templates(printerId: string): string[] {
    return this.printer(printerId).templates();
  }

  /** The RFID service the API calls: finds the reader and hands the call over. */
  readonly rfid: RfidService = {
    tags: (readerId) => this.reader(readerId).tags(),
    setSecurity: (readerId, uid, secured) => this.reader(readerId).setSecurity(uid, secured),
    program: (readerId, uid, request) => this.reader(readerId).program(uid, request),
  };

  private reader(id: string): RfidPort {
    const entry = this.entries.get(id);
    if (!entry) throw new CarrelError('device_not_found', `no device "${id}"`);
    if (!entry.rfid)
      throw new CarrelError('not_an_rfid_reader', `device "${id}" is a ${entry.kind}, not an RFID reader`);
    return entry.rfid;
  }

  private printer(id: string): PrinterPort {
    const entry = this.entries.get(id);
    if (!entry) throw new CarrelError('device_not_found', `no device "${id}"`);
    if (!entry.printing)
      throw new CarrelError('not_a_printer', `device "${id}" is a ${entry.kind}, not a printer`);
    return entry.printing;
  }
}
