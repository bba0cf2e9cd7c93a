import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Receipt } from '../../../simulators/printer/receipt.js';
import { type PrinterSimulator, startPrinterSimulator } from '../../../simulators/printer/simulator.js';
import {
  decodeStatusByte,
  encodeProcessIdRequest,
  encodeProcessIdResponse,
  encodeStatusRequest,
} from '../../../src/protocols/escpos/status.js';
import {
  checkoutReceiptDocument,
  PATRON_NAME,
  receiptlineEscPos,
} from '../../protocols/escpos/receipt-documents.js';
import { connectPrinter } from './printer-client.js';

let printer: PrinterSimulator;
const sockets: Socket[] = [];

beforeEach(async () => {
  printer = await startPrinterSimulator({ port: 0, httpPort: 0, columns: 42 });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await printer.close();
});

async function client() {
  const c = await connectPrinter(printer.escposPort);
  sockets.push(c.socket);
  return c;
}

function nextReceipts(count: number): Promise<Receipt[]> {
  return new Promise((resolve) => {
    const got: Receipt[] = [];
    const onReceipt = (receipt: Receipt) => {
      got.push(receipt);
      if (got.length === count) {
        printer.off('receipt', onReceipt);
        resolve(got);
      }
    };
    printer.on('receipt', onReceipt);
  });
}

const SHORT_RECEIPT = receiptlineEscPos(
  ['Checkout receipt', 'The Hobbit | 2025-05-01', '='].join('\n'),
  'cp858',
);

describe('printer simulator over TCP', () => {
  it('prints a receiptline receipt: text, alignment, barcodes, images, SVG; one receipt per cut', async () => {
    const { socket } = await client();
    const printed = nextReceipts(2);
    socket.write(receiptlineEscPos(checkoutReceiptDocument(), 'cp858'));
    const [first, second] = await printed;

    const lines = first!.text.split('\n');
    expect(lines).toContain(`${' '.repeat(13)}Checkout receipt`);
    expect(lines).toContain(`${' '.repeat(32)}Right line`);
    expect(lines).toContain('Left line');
    expect(lines.find((l) => l.startsWith('Patron:'))).toMatch(new RegExp(`^Patron: +${PATRON_NAME}$`));
    // Double-width title, centred counting each character as two columns.
    const title = lines.find((l) => l.includes('Central Library'))!;
    expect(title.indexOf('C') * 2 + 'Central Library'.length * 2).toBeLessThanOrEqual(42 + 2 * 3);
    expect(title.trimStart()).toBe('Central Library');
    expect(first!.barcodes).toEqual([
      { symbology: 'code128', data: '39200001234567' },
      { symbology: 'ean13', data: '4901234567894' },
    ]);
    expect(first!.images).toBe(2); // the PNG logo and the QR code, both sent as raster graphics
    expect(first!.svg).toMatch(/^<svg /);
    expect(first!.svg).toContain('data-symbology="code128"');
    expect(first!.svg).toContain('data-image="48x24"');
    expect(first!.svg).toContain('font-weight="bold"');
    expect(first!.svg).toContain('>Zoë Åström</text>');
    const boldRun = first!.lines.flatMap((l) => (l.kind === 'text' ? l.runs : [])).find((r) => r.bold);
    expect(boldRun?.text).toBe('Bold title');
    const bigRun = first!.lines
      .flatMap((l) => (l.kind === 'text' ? l.runs : []))
      .find((r) => r.widthScale === 2);
    expect(bigRun?.text).toContain('Central Library');
    expect(second!.text.trim()).toBe('Second receipt');
    expect(printer.receipts().map((r) => r.id)).toEqual([first!.id, second!.id]);
  });

  it('prints GS ( k QR codes and lists their data', async () => {
    const { socket } = await client();
    const printed = nextReceipts(1);
    const data = Buffer.from('https://library.example/r/42', 'latin1');
    const store = [0x1d, 0x28, 0x6b, (data.length + 3) & 0xff, (data.length + 3) >> 8, 49, 80, 48, ...data];
    socket.write(
      Uint8Array.from([
        0x1b,
        0x40,
        0x1b,
        0x61,
        1,
        ...[0x1d, 0x28, 0x6b, 3, 0, 49, 67, 4],
        ...[0x1d, 0x28, 0x6b, 3, 0, 49, 69, 49],
        ...store,
        ...[0x1d, 0x28, 0x6b, 3, 0, 49, 81, 48],
        0x0a,
        0x1d,
        0x56,
        0x42,
        0,
      ]),
    );
    const [receipt] = await printed;
    expect(receipt!.qrCodes).toEqual(['https://library.example/r/42']);
    expect(receipt!.svg).toContain('data-qr="https://library.example/r/42"');
    expect(receipt!.text).toContain('[QR https://library.example/r/42]');
  });

  it('answers DLE EOT n from the condition, for each condition', async () => {
    const { socket, replies } = await client();
    const ask = async (kind: 'printer' | 'offline' | 'error' | 'paper') => {
      socket.write(encodeStatusRequest(kind));
      return (await replies.take(1))[0]!;
    };
    expect([await ask('printer'), await ask('offline'), await ask('error'), await ask('paper')]).toEqual([
      0x12, 0x12, 0x12, 0x12,
    ]);
    printer.setCondition({ paperNearEnd: true });
    expect(await ask('paper')).toBe(0x1e);
    expect(await ask('printer')).toBe(0x12);
    printer.setCondition({ paperNearEnd: false, paperOut: true });
    expect(await ask('paper')).toBe(0x7e);
    expect(decodeStatusByte('offline', await ask('offline'))).toMatchObject({ stoppedByPaperEnd: true });
    expect(decodeStatusByte('printer', await ask('printer'))).toMatchObject({ offline: true });
    printer.setCondition({ paperOut: false, coverOpen: true });
    expect(await ask('offline')).toBe(0x16);
    expect(await ask('printer')).toBe(0x1a);
    printer.setCondition({ coverOpen: false, offline: true });
    expect(await ask('printer')).toBe(0x1a);
    expect(await ask('offline')).toBe(0x12);
  });

  it('holds print data while the paper is out and prints it when paper is loaded', async () => {
    const { socket, replies } = await client();
    printer.setCondition({ paperOut: true });
    socket.write(SHORT_RECEIPT);
    // The real-time status request after the receipt is answered even though printing is stalled.
    socket.write(encodeStatusRequest('paper'));
    expect((await replies.take(1))[0]).toBe(0x7e);
    expect(printer.receipts()).toEqual([]);
    expect(printer.state().bufferedBytes).toBeGreaterThan(0);

    const printed = nextReceipts(1);
    printer.setCondition({ paperOut: false });
    const [receipt] = await printed;
    expect(receipt!.text).toContain('Checkout receipt');
    expect(printer.state().bufferedBytes).toBe(0);
  });

  it('answers GS ( H only once everything before it has printed', async () => {
    const { socket, replies } = await client();
    printer.setCondition({ coverOpen: true });
    socket.write(SHORT_RECEIPT);
    socket.write(encodeProcessIdRequest('R001'));
    socket.write(encodeStatusRequest('offline'));
    // Replies arrive in order: the status byte first proves the process id was not sent yet.
    expect((await replies.take(1))[0]).toBe(0x16);
    expect(replies.buffered).toBe(0);

    printer.setCondition({ coverOpen: false });
    // receiptline ends every document with GS r 1 (paper sensor status, 0x00 here), then the process id.
    expect(await replies.take(8)).toEqual(Buffer.from([0x00, ...encodeProcessIdResponse('R001')]));
    expect(printer.receipts()).toHaveLength(1);
  });

  it('ESC @ resets modes: bold and size do not carry over', async () => {
    const { socket } = await client();
    const printed = nextReceipts(1);
    socket.write(Buffer.from('\x1bE\x01\x1d!\x11Big bold\n\x1b@Plain\n\x1dV\x00', 'latin1'));
    const [receipt] = await printed;
    const runs = receipt!.lines.flatMap((l) => (l.kind === 'text' ? l.runs : []));
    expect(runs.map((r) => [r.text, r.bold, r.widthScale])).toEqual([
      ['Big bold', true, 2],
      ['Plain', false, 1],
    ]);
    expect(receipt!.text).toBe('Big bold\nPlain');
  });

  it('aligns lines with ESC a within the print area set by GS L / GS W', async () => {
    const { socket } = await client();
    const printed = nextReceipts(1);
    socket.write(
      Buffer.from(
        '\x1ba\x02Right\n\x1ba\x01Mid\n\x1dL\x18\x00\x1dW\x78\x00\x1ba\x02Box\n\x1dV\x00',
        'latin1',
      ),
    );
    const [receipt] = await printed;
    // 42 columns; then a 10-column area starting at column 2: "Box" ends at column 12.
    expect(receipt!.text.split('\n')).toEqual([
      `${' '.repeat(37)}Right`,
      `${' '.repeat(20)}Mid`,
      `${' '.repeat(9)}Box`,
    ]);
  });

  it('answers GS I and GS r after printing', async () => {
    const { socket, replies } = await client();
    socket.write(Uint8Array.of(0x1d, 0x49, 1, 0x1d, 0x72, 1));
    expect([...(await replies.take(2))]).toEqual([0x20, 0x00]);
    printer.setCondition({ paperNearEnd: true });
    socket.write(Uint8Array.of(0x1d, 0x72, 1));
    expect((await replies.take(1))[0]).toBe(0x03);
  });

  it('powerOff drops connections and refuses new ones; powerOn accepts again on the same port', async () => {
    const { socket } = await client();
    const port = printer.escposPort;
    const closed = once(socket, 'close');
    await printer.powerOff();
    await closed;
    expect(printer.state().powered).toBe(false);

    const refused = connect({ host: '127.0.0.1', port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');

    await printer.powerOn();
    expect(printer.escposPort).toBe(port);
    const again = await client();
    const printed = nextReceipts(1);
    again.socket.write(SHORT_RECEIPT);
    const [receipt] = await printed;
    expect(receipt!.text).toContain('The Hobbit');
  });

  it('serves ESC/POS over any duplex stream given to attach()', async () => {
    const toPrinter = new PassThrough();
    const fromPrinter = new PassThrough();
    printer.attach(Duplex.from({ readable: toPrinter, writable: fromPrinter }));
    const printed = nextReceipts(1);
    toPrinter.write(SHORT_RECEIPT);
    toPrinter.write(encodeStatusRequest('paper'));
    const [receipt] = await printed;
    expect(receipt!.text).toContain('The Hobbit');
    const [reply] = (await once(fromPrinter, 'data')) as [Buffer];
    expect([...reply]).toContain(0x12);
  });

  it('keeps a bounded ring of recent receipts', async () => {
    await printer.close();
    printer = await startPrinterSimulator({ maxReceipts: 3 });
    const { socket } = await client();
    const printed = nextReceipts(5);
    for (let i = 1; i <= 5; i++) socket.write(Buffer.from(`Receipt ${i}\n\x1dV\x00`, 'latin1'));
    await printed;
    expect(printer.receipts().map((r) => r.text)).toEqual(['Receipt 3', 'Receipt 4', 'Receipt 5']);
    printer.clearReceipts();
    expect(printer.receipts()).toEqual([]);
  });

  it('survives garbage and an absurd length without crashing, and keeps printing', async () => {
    const { socket, replies } = await client();
    socket.write(Uint8Array.of(0x00, 0x1b, 0xff, 0x07, 0x1d, 0x28, 0x6b, 0x05, 0x00, 1, 2, 3, 4, 5));
    const printed = nextReceipts(1);
    socket.write(SHORT_RECEIPT);
    socket.write(encodeStatusRequest('printer'));
    expect((await replies.take(1))[0]).toBe(0x12);
    const [receipt] = await printed;
    expect(receipt!.text).toContain('Checkout receipt');
  });
});
