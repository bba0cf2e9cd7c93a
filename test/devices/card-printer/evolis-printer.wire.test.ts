import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CardPrinterSimulator,
  startCardPrinterSimulator,
} from '../../../simulators/card-printer/index.js';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { EvolisPrinter } from '../../../src/devices/card-printer/evolis-printer.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';

let server: Server | undefined;
let pair: PtyPair | undefined;
let sim: CardPrinterSimulator | undefined;
let printer: EvolisPrinter | undefined;

afterEach(async () => {
  await printer?.disconnect();
  await sim?.close();
  await pair?.close();
  if (server) await new Promise((resolve) => server!.close(resolve));
  printer = server = pair = sim = undefined;
});

const options = {
  clock: systemClock,
  logger: silentLogger(),
  statusIntervalMs: 100,
  ribbonLowPanels: 10,
  printTimeoutMs: 5000,
};

describe('Evolis printer driver on the wire', () => {
  it('fails at once, with a clear code, when the printer answers garbage (not at its reply timeout)', async () => {
    server = createServer((socket) =>
      socket.on('data', () => socket.write(Buffer.from([0x01, 0xfe, 0x80, 0x0d]))),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    printer = new EvolisPrinter({
      id: 'cards-1',
      transport: new TcpTransport({ host: '127.0.0.1', port }),
      replyTimeoutMs: 60_000,
      ...options,
    });
    const started = performance.now();
    await expect(printer.connect()).rejects.toMatchObject({ code: 'evolis_garbage' });
    expect(performance.now() - started).toBeLessThan(5000);
    printer = undefined;
  });

  it('makes a card through a pseudo-terminal, as on a serial line', async () => {
    pair = await createPtyPair();
    sim = await startCardPrinterSimulator({ ribbon: 'k' });
    await sim.attachSerialPath(pair.devicePath);
    printer = new EvolisPrinter({
      id: 'cards-1',
      transport: new SerialTransport({ path: pair.hostPath, baudRate: 115200 }),
      replyTimeoutMs: 5000,
      bytesPerSecond: 11_520,
      ...options,
    });
    await printer.connect();
    const front = new Uint8Array(1016 * 648 * 4).fill(255);
    for (let y = 0; y < 648; y++) front.fill(0, y * 1016 * 4, (y * 1016 + 100) * 4); // the first 100 columns black
    const result = await printer.printCard({
      ribbon: 'k',
      front,
      tracks: { 2: '21000001' },
    });
    expect(result.readBack).toEqual({ 2: '21000001' });
    expect(sim.cards()).toMatchObject([
      { outcome: 'printed', sides: { front: ['k'], back: [] }, tracks: { 2: '21000001' } },
    ]);
  });
});
