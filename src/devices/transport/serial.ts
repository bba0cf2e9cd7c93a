import { read as fsRead } from 'node:fs';
import { promisify } from 'node:util';
import { CarrelError, TransportClosedError, TransportError } from '../../core/errors.js';
import { loadNative } from '../../core/native.js';
import { BaseTransport } from './base-transport.js';

/**
 * The part of serialport's bindings-interface Carrel uses. The real binding
 * (bindings-cpp, loaded lazily) and `MockBinding` from @serialport/binding-mock
 * both fit it, so a test injects the mock and nothing native is loaded.
 */
export interface SerialBinding {
  open(options: SerialOpenOptions): Promise<SerialBindingPort>;
  list(): Promise<SerialPortInfo[]>;
}

export interface SerialBindingPort {
  readonly isOpen: boolean;
  /** Resolves with at least one byte; rejects with `canceled: true` once closed, any other error = disconnected. */
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }>;
  /** Never called while a write is pending. */
  write(buffer: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  rtscts: boolean;
  /** Take an exclusive lock so two programs never share a port. */
  lock: boolean;
}

export interface SerialPortInfo {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface SerialOptions {
  path: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  rtscts?: boolean;
  /** Stand-in for the real binding (tests). When absent, serialport is loaded on first open. */
  binding?: SerialBinding;
}

type SerialportModule = { SerialPort: { binding: SerialBinding; list(): Promise<SerialPortInfo[]> } };

const READ_SIZE = 4096;
const readFd = promisify(fsRead);

/** What bindings-cpp's Linux and macOS ports expose beyond the interface. */
interface UnixBindingPort extends SerialBindingPort {
  fd: number | null;
  poller: { once(event: 'readable', callback: (error: Error | null) => void): unknown };
}

function isUnixPort(port: SerialBindingPort): port is UnixBindingPort {
  const candidate = port as Partial<UnixBindingPort>;
  return typeof candidate.fd === 'number' && typeof candidate.poller?.once === 'function';
}

const canceled = () => Object.assign(new Error('port closed'), { canceled: true });

/**
 * Reads a unix tty the way bindings-cpp does (non-blocking read, wait for
 * readable on EAGAIN) except for one thing: a read of 0 bytes means the tty
 * hung up (USB adapter gone, or the socat behind a pty stopped). bindings-cpp
 * retries such reads at once, forever, spinning a CPU and never reporting the
 * loss; here it is an error, so the transport is lost.
 */
async function readUnixPort(port: UnixBindingPort, buffer: Buffer, length: number): Promise<number> {
  for (;;) {
    const fd = port.fd;
    if (fd === null) throw canceled();
    try {
      const { bytesRead } = await readFd(fd, buffer, 0, length, null);
      if (bytesRead > 0) return bytesRead;
      if (port.fd === null) throw canceled();
      throw Object.assign(new Error('the tty hung up'), { code: 'EHANGUP' });
    } catch (error) {
      if (port.fd === null) throw canceled();
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR') throw error;
    }
    await new Promise<void>((resolve, reject) =>
      port.poller.once('readable', (error) => (error ? reject(error) : resolve())),
    );
  }
}

/** A serial port: RS-232 readers, USB-serial adapters, ptys from simulators. */
export class SerialTransport extends BaseTransport {
  readonly description: string;
  private port: SerialBindingPort | undefined;
  /** Writes go to the binding one at a time, in order. */
  private writeChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: SerialOptions) {
    super();
    this.description = `serial://${options.path}`;
  }

  protected async doOpen(): Promise<void> {
    const binding = this.options.binding ?? (await realBinding());
    const {
      path,
      baudRate = 9600,
      dataBits = 8,
      parity = 'none',
      stopBits = 1,
      rtscts = false,
    } = this.options;
    let port: SerialBindingPort;
    try {
      port = await binding.open({ path, baudRate, dataBits, parity, stopBits, rtscts, lock: true });
    } catch (error) {
      throw serialError(error, this.description);
    }
    this.port = port;
    this.writeChain = Promise.resolve();
    void this.readLoop(port);
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new TransportClosedError(`${this.description} is not open`));
    const chunk = Buffer.from(data);
    const written = this.writeChain.then(() => {
      if (this.port !== port || !port.isOpen) throw new TransportClosedError(`${this.description} closed`);
      return port.write(chunk);
    });
    this.writeChain = written.catch(() => {});
    return written.catch((error: unknown) => {
      if (this.port === port && !isCanceled(error)) this.lost(serialError(error, this.description));
      throw error;
    });
  }

  protected async doClose(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await port.close().catch(() => {});
  }

  private async readLoop(port: SerialBindingPort): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    while (this.port === port) {
      try {
        const bytesRead = isUnixPort(port)
          ? await readUnixPort(port, buffer, READ_SIZE)
          : (await port.read(buffer, 0, READ_SIZE)).bytesRead;
        if (this.port !== port) return;
        if (bytesRead > 0) this.received(Buffer.from(buffer.subarray(0, bytesRead)));
      } catch (error) {
        if (this.port === port && !isCanceled(error)) this.lost(serialError(error, this.description));
        return;
      }
    }
  }
}

/** The serial ports this machine has, as serialport sees them (needs udevadm on Linux). */
export async function listSerialPorts(binding?: SerialBinding): Promise<SerialPortInfo[]> {
  const source = binding ?? (await realBinding());
  try {
    return await source.list();
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n', 1)[0] ?? '') : String(error);
    throw new CarrelError(
      'serial_list_failed',
      `listing serial ports failed: ${reason}; it needs udevadm from Debian's udev`,
      { cause: error },
    );
  }
}

async function realBinding(): Promise<SerialBinding> {
  const serialport = await loadNative<SerialportModule>('serialport', 'serial port devices');
  return serialport.SerialPort.binding;
}

function isCanceled(error: unknown): boolean {
  return (
    (error as { canceled?: unknown } | undefined)?.canceled === true || error instanceof TransportClosedError
  );
}

/**
 * Turns what the binding threw into a TransportError with a stable code. The
 * native binding puts strerror() text in the message and sets no `code`, so both
 * are checked.
 */
export function serialError(error: unknown, where: string): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const has = (code: string, text: RegExp) => errno === code || text.test(message);
  const detail = message.replace(/^Error:?\s*/, '');
  if (has('ENOENT', /no such file or directory/i))
    return new TransportError('device_missing', `${where}: no such device (unplugged, or wrong path?)`, {
      cause: error,
    });
  if (has('EACCES', /permission denied/i))
    return new TransportError(
      'permission_denied',
      `${where}: permission denied; add the service user to the dialout group (or install Carrel's udev rules)`,
      { cause: error },
    );
  if (has('EBUSY', /cannot lock port|resource temporarily unavailable|device or resource busy/i))
    return new TransportError('device_busy', `${where}: in use by another program`, { cause: error });
  if (has('ENOTTY', /inappropriate ioctl/i))
    return new TransportError('not_a_serial_port', `${where}: not a serial port (${detail})`, {
      cause: error,
    });
  if (has('ENXIO', /no such device/i) || has('ENODEV', /no such device/i))
    return new TransportError('device_missing', `${where}: device went away (${detail})`, { cause: error });
  if (has('EHANGUP', /hung up/i) || has('EIO', /i\/o error/i) || has('EBADF', /bad file descriptor/i))
    return new TransportError('device_lost', `${where}: device went away (${detail})`, { cause: error });
  return new TransportError(
    typeof errno === 'string' ? errno.toLowerCase() : 'link_error',
    `${where}: ${detail}`,
    { cause: error },
  );
}
