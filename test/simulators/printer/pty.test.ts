import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import type { Receipt } from '../../../simulators/printer/receipt.js';
import { type PrinterSimulator, startPrinterSimulator } from '../../../simulators/printer/simulator.js';
import { encodeStatusRequest } from '../../../src/protocols/escpos/status.js';
import { PATRON_NAME, receiptlineEscPos } from '../../protocols/escpos/receipt-documents.js';
import { ReplyReader } from './printer-client.js';

let printer: PrinterSimulator | undefined;
let pair: PtyPair | undefined;
let host: SerialPort | undefined;

afterEach(async () => {
  if (host?.isOpen) await new Promise<void>((resolve) => host!.close(() => resolve()));
  await printer?.close();
  await pair?.close();
});

describe('printer simulator on a pty pair (socat)', () => {
  it('prints what the host end writes and answers DLE EOT on the same line', async () => {
    pair = await createPtyPair();
    printer = await startPrinterSimulator();
    await printer.attachSerialPath(pair.devicePath);

    host = new SerialPort({ path: pair.hostPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => host!.open((error) => (error ? reject(error) : resolve())));
    const replies = new ReplyReader(host);

    const printed = new Promise<Receipt>((resolve) => printer!.once('receipt', resolve));
    host.write(Buffer.from(receiptlineEscPos(`Serial slip\nPatron: | ${PATRON_NAME}\n=`, 'cp858')));
    const receipt = await printed;
    expect(receipt.text).toContain('Serial slip');
    expect(receipt.text).toContain(PATRON_NAME);

    printer.setCondition({ paperOut: true });
    // receiptline's trailing GS r 1 answers 0x00 first; then the real-time paper status.
    host.write(Buffer.from(encodeStatusRequest('paper')));
    expect([...(await replies.take(2))]).toEqual([0x00, 0x7e]);
  });
});
