import { SerialPort } from 'serialport';
import { ByteCollector, type TakeLimit } from './byte-collector.js';

/**
 * The device side of a serial link, opened with serialport itself: what a
 * test's "far end" uses on the other pty of a socat pair (or the other end of a
 * null-modem cable).
 */
export class SerialFarEnd {
  readonly collector = new ByteCollector();
  private constructor(private readonly port: SerialPort) {
    port.on('data', this.collector.push);
    // A hang-up (socat stopped) closes the port; never let it become an uncaught 'error'.
    port.on('error', () => {});
  }

  static async open(path: string, baudRate = 9600): Promise<SerialFarEnd> {
    const port = new SerialPort({ path, baudRate, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return new SerialFarEnd(port);
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Stops reading the port, so the pty's buffers (and socat's behind them) fill
   * and the writer on the other end meets EAGAIN. Open the far end first and pause
   * it, never open it late: serialport's open flushes (TCIOFLUSH) whatever the pty
   * had queued, so bytes written before the open are lost.
   */
  pause(): void {
    this.port.pause();
  }

  resume(): void {
    this.port.resume();
  }

  take(length: number, within?: TakeLimit): Promise<Buffer> {
    return this.collector.take(length, within);
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
