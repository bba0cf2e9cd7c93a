import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type PrinterSimulator, startPrinterSimulator } from '../../../simulators/printer/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import type { DeviceCondition } from '../../../src/devices/device.js';
import { EscPosPrinter } from '../../../src/devices/printer/escpos-printer.js';
import { ReceiptTemplates } from '../../../src/devices/printer/templates.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { until } from '../../helpers/until.js';

/** The driver against the printer simulator over real TCP on 127.0.0.1. */

let sim: PrinterSimulator | undefined;
let printer: EscPosPrinter | undefined;
afterEach(async () => {
  await printer?.disconnect();
  await sim?.close();
  printer = undefined;
  sim = undefined;
});

async function start(
  options: {
    statusIntervalMs?: number;
    confirmTimeoutMs?: number;
    logger?: ReturnType<typeof silentLogger>;
  } = {},
) {
  sim = await startPrinterSimulator({ port: 0, httpPort: 0 });
  printer = new EscPosPrinter({
    id: 'desk-printer',
    transport: new TcpTransport({ host: '127.0.0.1', port: sim.escposPort }),
    clock: systemClock,
    logger: options.logger ?? silentLogger(),
    statusIntervalMs: options.statusIntervalMs ?? 50,
    statusTimeoutMs: 2000,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
  });
  await printer.connect();
  return { sim, printer };
}

function nextCondition(driver: EscPosPrinter, status: DeviceCondition['status']): Promise<DeviceCondition> {
  return new Promise((resolve) => {
    const listener = (condition: DeviceCondition) => {
      if (condition.status !== status) return;
      driver.off('condition', listener);
      resolve(condition);
    };
    driver.on('condition', listener);
  });
}

/** The simulator has no event for "data buffered": poll its state, bounded. */
async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  await until(() => predicate() || undefined, timeoutMs, 'condition not reached in time', 10);
}

const templates = new ReceiptTemplates({ columns: 42, encoding: 'cp858' });
const receipt = (name: string) =>
  templates.render('checkout', {
    library: { name: 'Westside Library' },
    patron: { name },
    printedAt: '2026-01-02 10:00',
    loans: [{ title: 'Emma', barcode: '31234000012345', dueDate: '2026-02-01' }],
  });

describe('EscPosPrinter against the printer simulator', () => {
  it('connects, prints a receipt and resolves once the simulator has printed it', async () => {
    const { sim, printer } = await start();
    expect(printer.condition().status).toBe('online');
    await printer.print({ id: 'job-1', bytes: receipt('Zoë Åström'), processId: 'A001' });
    const printed = sim.receipts();
    expect(printed).toHaveLength(1);
    expect(printed[0]!.text).toContain('Zoë Åström');
    expect(printed[0]!.text).toContain('Westside Library');
  });

  it('follows the simulator paper and cover into condition and events', async () => {
    const { sim, printer } = await start();
    const events: string[] = [];
    printer.on('event', (type) => events.push(type));
    const degraded = nextCondition(printer, 'degraded');
    sim.setCondition({ paperOut: true });
    expect((await degraded).reason).toBe('paper out');
    await expect(printer.print({ id: 'j', bytes: receipt('x'), processId: 'A002' })).rejects.toMatchObject({
      code: 'not_ready',
    });
    const online = nextCondition(printer, 'online');
    sim.setCondition({ paperOut: false });
    await online;
    expect(events).toEqual(['paper_out', 'paper_ok', 'recovered']);
    expect(sim.receipts()).toHaveLength(0);
  });

  it('keeps waiting for confirmation while the paper is out and resolves when it is back', async () => {
    // Polling slowly, so the job is sent before the driver notices the paper is out.
    const { sim, printer } = await start({ statusIntervalMs: 60_000, confirmTimeoutMs: 60_000 });
    sim.setCondition({ paperOut: true });
    let done = false;
    const job = printer.print({ id: 'j', bytes: receipt('Ann'), processId: 'A003' }).then(() => {
      done = true;
    });
    await waitFor(() => sim.state().bufferedBytes > 0);
    expect(done).toBe(false);
    expect(sim.receipts()).toHaveLength(0);
    sim.setCondition({ paperOut: false });
    await job;
    expect(sim.receipts()).toHaveLength(1);
  });

  it('logs a printer switched off as one warn line with the reason, no stack trace', async () => {
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const logger = createLogger({ level: 'info', format: 'json', destination: lines });
    for (const statusIntervalMs of [60_000, 50]) {
      // Switched off between two status polls, and while the printer is being polled.
      log = '';
      const { sim, printer } = await start({ statusIntervalMs, logger });
      const disconnected = once(printer, 'disconnected');
      await sim.powerOff();
      await disconnected;
      const warned = log
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.level === 'warn');
      expect(warned.length, log).toBeGreaterThan(0);
      for (const line of warned) {
        expect(line.msg).toMatch(/^receipt printer (disconnected|stopped answering): \S/);
        expect(JSON.stringify(line), 'no stack trace').not.toMatch(/stack|\\n\s+at /);
      }
      await printer.disconnect();
      await sim.close();
    }
  });

  it('reports unconfirmed when the printer loses power with the job buffered, and disconnected', async () => {
    const { sim, printer } = await start({ statusIntervalMs: 60_000 });
    sim.setCondition({ paperOut: true });
    const job = printer.print({ id: 'j', bytes: receipt('Ann'), processId: 'A004' });
    const outcome = expect(job).rejects.toMatchObject({ code: 'unconfirmed' });
    await waitFor(() => sim.state().bufferedBytes > 0);
    const disconnected = once(printer, 'disconnected');
    await sim.powerOff();
    await outcome;
    await disconnected;
    expect(printer.isConnected()).toBe(false);
    await sim.powerOn();
    await printer.connect();
    expect(printer.isConnected()).toBe(true);
  });
});
