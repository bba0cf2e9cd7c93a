import type { Duplex } from 'node:stream';

/**
 * The serial devices (ptys, USB serial ports) a simulator plays its device on:
 * each opened with `serialport` (loaded only then), served, counted while open,
 * and closed with the simulator.
 */
export class SerialLinks {
  private readonly open = new Set<Duplex>();

  /** `lock`: open each device for this process alone (serialport's lock; off unless asked). */
  constructor(private readonly options: { lock?: boolean } = {}) {}

  /** Links open now. */
  get size(): number {
    return this.open.size;
  }

  /** Opens the device at `path` at `baudRate` and hands it to `serve` once it is open. */
  async attach(path: string, baudRate: number, serve: (serial: Duplex) => void): Promise<void> {
    const { SerialPort } = await import('serialport');
    const serial = new SerialPort({ path, baudRate, autoOpen: false, lock: this.options.lock ?? false });
    await new Promise<void>((resolve, reject) => serial.open((error) => (error ? reject(error) : resolve())));
    this.open.add(serial);
    serial.once('close', () => this.open.delete(serial));
    serve(serial);
  }

  /** Closes every link still open; resolves once each has closed. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.open].map(
        (serial) =>
          new Promise<void>((resolve) => {
            if (serial.destroyed) resolve();
            else serial.once('close', () => resolve()).destroy();
          }),
      ),
    );
  }
}
