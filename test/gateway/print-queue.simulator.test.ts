import { EventEmitter, once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { type PrinterSimulator, startPrinterSimulator } from '../../simulators/printer/index.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { DeviceCondition } from '../../src/devices/device.js';
import { EscPosPrinter } from '../../src/devices/printer/escpos-printer.js';
import { ReceiptTemplates } from '../../src/devices/printer/templates.js';
import { TcpTransport } from '../../src/devices/transport/tcp.js';
import { PrintQueue } from '../../src/gateway/print-queue.js';
import { type Database, openDatabase } from '../../src/gateway/storage/index.js';
import { until } from '../helpers/until.js';

/**
 * The print queue, the ESC/POS driver and the printer simulator over real TCP:
 * a receipt is never dropped and never printed twice across power loss and
 * paper out. Receipts are counted in the simulator.
 */

interface Rig {
  sim: PrinterSimulator;
  printer: EscPosPrinter;
  queue: PrintQueue;
  db: Database;
  events: EventEmitter;
  stopSupervisor(): void;
}

let rig: Rig | undefined;
afterEach(async () => {
  if (!rig) return;
  rig.stopSupervisor();
  await rig.queue.stop();
  await rig.printer.disconnect();
  await rig.sim.close();
  rig.db.close();
  rig = undefined;
});

async function startRig(options: { statusIntervalMs?: number } = {}): Promise<Rig> {
  const sim = await startPrinterSimulator({ port: 0, httpPort: 0 });
  const printer = new EscPosPrinter({
    id: 'desk-printer',
    transport: new TcpTransport({ host: '127.0.0.1', port: sim.escposPort, connectTimeoutMs: 1000 }),
    clock: systemClock,
    logger: silentLogger(),
    statusIntervalMs: options.statusIntervalMs ?? 50,
    statusTimeoutMs: 2000,
    confirmTimeoutMs: 10_000,
  });
  await printer.connect();
  const db = openDatabase(':memory:');
  const events = new EventEmitter();
  const queue = new PrintQueue({
    db,
    printerId: 'desk-printer',
    printer,
    templates: new ReceiptTemplates({ columns: 42, encoding: 'cp858' }),
    clock: systemClock,
    logger: silentLogger(),
    limit: 50,
    expiryMs: 60 * 60_000,
    retryDelayMs: 100,
    emit: (type, data) => events.emit(type, data),
  });
  // What the gateway's supervisor does: reconnect after a loss, and tell the queue.
  let supervising = true;
  const reconnect = async () => {
    while (supervising) {
      try {
        await printer.connect();
        queue.printerReady();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  printer.on('disconnected', () => void reconnect());
  printer.on('condition', () => queue.printerChanged());
  rig = { sim, printer, queue, db, events, stopSupervisor: () => (supervising = false) };
  return rig;
}

function jobEvent(events: EventEmitter, type: string, jobId: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (data: Record<string, unknown>) => {
      if (data.id !== jobId) return;
      events.off(type, listener);
      resolve(data);
    };
    events.on(type, listener);
  });
}

function condition(printer: EscPosPrinter, status: DeviceCondition['status']): Promise<void> {
  if (printer.condition().status === status) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (next: DeviceCondition) => {
      if (next.status !== status) return;
      printer.off('condition', listener);
      resolve();
    };
    printer.on('condition', listener);
  });
}

/** Submits a checkout receipt for `patron` and waits until the queue says it printed. */
async function printFor(r: Rig, patron: string): Promise<string> {
  const job = r.queue.submit({ template: 'checkout', data: checkout(patron) });
  await jobEvent(r.events, 'job_printed', job.id);
  return job.id;
}

const checkout = (patron: string) => ({
  library: { name: 'Westside Library' },
  patron: { name: patron },
  printedAt: '2026-01-02 10:00',
  loans: [{ title: 'Emma', barcode: '31234000012345', dueDate: '2026-02-01' }],
});

const receiptsFor = (sim: PrinterSimulator, patron: string) =>
  sim.receipts().filter((receipt) => receipt.text.includes(patron)).length;

/** The simulator has no event for "data buffered": poll its state, bounded. */
async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  await until(() => predicate() || undefined, timeoutMs, 'condition not reached in time', 10);
}

describe('PrintQueue with the printer simulator', () => {
  it('prints a submitted receipt once', async () => {
    const r = await startRig();
    const id = await printFor(r, 'Zoë Åström');
    expect(r.queue.get(id)).toMatchObject({ state: 'printed', attempts: 1 });
    expect(r.sim.receipts()).toHaveLength(1);
    expect(receiptsFor(r.sim, 'Zoë Åström')).toBe(1);
  });

  it('holds a receipt submitted while the printer is off and prints it exactly once when it is back', async () => {
    const r = await startRig();
    await printFor(r, 'Before Power');
    const lost = once(r.printer, 'disconnected');
    await r.sim.powerOff();
    await lost;

    const job = r.queue.submit({ template: 'checkout', data: checkout('While Off') });
    expect(r.queue.get(job.id)?.state).toBe('queued');
    const printed = jobEvent(r.events, 'job_printed', job.id);
    await r.sim.powerOn();
    await printed;

    await printFor(r, 'After Power');
    expect(receiptsFor(r.sim, 'Before Power')).toBe(1);
    expect(receiptsFor(r.sim, 'While Off')).toBe(1);
    expect(receiptsFor(r.sim, 'After Power')).toBe(1);
    expect(r.sim.receipts()).toHaveLength(3);
    expect(r.queue.get(job.id)).toMatchObject({ state: 'printed', attempts: 1 });
  });

  it('holds a receipt while the paper is out and prints it exactly once when paper is back', async () => {
    const r = await startRig();
    r.sim.setCondition({ paperOut: true });
    await condition(r.printer, 'degraded');

    const job = r.queue.submit({ template: 'checkout', data: checkout('Paper Out') });
    expect(r.queue.get(job.id)?.state).toBe('queued');
    expect(r.sim.state().bufferedBytes).toBe(0);
    const printed = jobEvent(r.events, 'job_printed', job.id);
    r.sim.setCondition({ paperOut: false });
    await printed;

    await printFor(r, 'Paper Back');
    expect(receiptsFor(r.sim, 'Paper Out')).toBe(1);
    expect(r.sim.receipts()).toHaveLength(2);
  });

  it('finishes a receipt the printer stalled on for paper, once', async () => {
    // Polling slowly, so the job goes out before the driver notices the paper is out.
    const r = await startRig({ statusIntervalMs: 60_000 });
    r.sim.setCondition({ paperOut: true });
    const job = r.queue.submit({ template: 'checkout', data: checkout('Stalled') });
    await waitFor(() => r.sim.state().bufferedBytes > 0);
    expect(r.queue.get(job.id)?.state).toBe('printing');
    const printed = jobEvent(r.events, 'job_printed', job.id);
    r.sim.setCondition({ paperOut: false });
    await printed;
    await printFor(r, 'Next Patron');
    expect(receiptsFor(r.sim, 'Stalled')).toBe(1);
    expect(r.sim.receipts()).toHaveLength(2);
  });

  it('never reprints by itself a receipt lost with the power mid-job; a staff retry prints it once', async () => {
    const r = await startRig({ statusIntervalMs: 60_000 });
    r.sim.setCondition({ paperOut: true });
    const job = r.queue.submit({ template: 'checkout', data: checkout('Lost Job') });
    await waitFor(() => r.sim.state().bufferedBytes > 0);
    const unconfirmed = jobEvent(r.events, 'job_unconfirmed', job.id);
    await r.sim.powerOff();
    await unconfirmed;
    r.sim.setCondition({ paperOut: false });
    await r.sim.powerOn();
    await waitFor(() => r.printer.isConnected());

    await printFor(r, 'Next Patron');
    expect(receiptsFor(r.sim, 'Lost Job')).toBe(0);
    expect(r.queue.get(job.id)).toMatchObject({ state: 'unconfirmed', attempts: 1 });

    const printed = jobEvent(r.events, 'job_printed', job.id);
    r.queue.retry(job.id);
    await printed;
    expect(receiptsFor(r.sim, 'Lost Job')).toBe(1);
    expect(r.queue.get(job.id)).toMatchObject({ state: 'printed', attempts: 2 });
  });
});
