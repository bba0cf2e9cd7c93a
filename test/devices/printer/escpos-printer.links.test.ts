import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { type PrinterSimulator, startPrinterSimulator } from '../../../simulators/printer/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { EscPosPrinter } from '../../../src/devices/printer/escpos-printer.js';
import { ReceiptTemplates } from '../../../src/devices/printer/templates.js';
import { LpTransport } from '../../../src/devices/transport/lp.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import type { Transport } from '../../../src/devices/transport/transport.js';

/**
 * The same driver over the other two printer links: a serial port and the Linux
 * USB printer class device. A socat pty pair stands in for the cable; the
 * simulator holds the far end.
 */
let sim: PrinterSimulator | undefined;
let pty: PtyPair | undefined;
let printer: EscPosPrinter | undefined;

afterEach(async () => {
  await printer?.disconnect();
  await sim?.close();
  await pty?.close();
  printer = sim = pty = undefined;
});

const templates = new ReceiptTemplates({ columns: 42, encoding: 'cp858' });

async function printOver(makeTransport: (path: string) => Transport): Promise<void> {
  pty = await createPtyPair();
  sim = await startPrinterSimulator({ port: 0, httpPort: 0 });
  await sim.attachSerialPath(pty.devicePath);
  printer = new EscPosPrinter({
    id: 'desk-printer',
    transport: makeTransport(pty.hostPath),
    clock: systemClock,
    logger: silentLogger(),
    statusIntervalMs: 200,
    statusTimeoutMs: 3000,
  });
  await printer.connect();
  expect(printer.condition().status).toBe('online');

  const bytes = templates.render('checkout', {
    patron: { name: 'Zoë Åström' },
    loans: [{ title: 'Över gränsen', barcode: '30001000999', dueDate: '2026-12-13' }],
  });
  await printer.print({ id: 'job-1', bytes, processId: 'AB12' });
  const [receipt] = sim.receipts();
  expect(sim.receipts()).toHaveLength(1);
  expect(receipt?.text).toContain('Zoë Åström');
  expect(receipt?.text).toContain('Över gränsen');

  // the printer's real-time status comes back over the same link
  sim.setCondition({ coverOpen: true });
  await expect.poll(() => printer?.condition().reason, { timeout: 5000 }).toBe('cover open');
}

describe('ESC/POS printer over serial and usblp links', () => {
  it('prints and reads status over a serial port (pty from socat)', async () => {
    await printOver((path) => new SerialTransport({ path, baudRate: 115200 }));
  });

  it('prints and reads status over an lp character device (a pty standing in for /dev/usb/lp0)', async () => {
    await printOver((path) => new LpTransport({ path }));
  });
});
