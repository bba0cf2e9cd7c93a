import { closeSync, constants, createReadStream, fstatSync, open, type ReadStream } from 'node:fs';
import { Socket } from 'node:net';
import { TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

export interface InputDeviceOptions {
  /** A Linux input device node (/dev/input/eventN, /dev/input/by-id/…-event-kbd), or a FIFO standing in for one. */
  path: string;
}

/**
 * Reads a Linux input device (evdev) with plain `fs`: a read-only stream of
 * 24-byte `input_event` records. Writes are refused (nothing is sent to a
 * keyboard-wedge scanner).
 *
 * A character device is read by a blocking read stream: each open device holds
 * one libuv worker while it waits for keys (a desk has one or two scanners; the
 * pool has four). A FIFO (the simulator's stand-in, since this kind of machine
 * may have no uinput) is opened non-blocking and read through the event loop.
 * ENODEV (scanner unplugged) or the FIFO's writer going away loses the link.
 */
export class InputDeviceTransport extends BaseTransport {
  readonly description: string;
  private stream: ReadStream | Socket | undefined;

  constructor(private readonly options: InputDeviceOptions) {
    super();
    this.description = `evdev://${options.path}`;
  }

  protected async doOpen(): Promise<void> {
    // Raw descriptors, not FileHandles: the FIFO's socket owns its descriptor, and a
    // FileHandle collected later would close it under the socket.
    const probe = await openFd(
      this.options.path,
      constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY,
    ).catch((error: unknown) => {
      throw inputError(error, this.description);
    });
    const stat = fstatSync(probe);
    let stream: ReadStream | Socket;
    if (stat.isFIFO()) {
      stream = new Socket({ fd: probe, readable: true, writable: false });
    } else if (stat.isCharacterDevice() || stat.isFile()) {
      closeSync(probe);
      // A blocking descriptor: the read stream's reads wait in a worker for the next keys.
      const fd = await openFd(this.options.path, constants.O_RDONLY | constants.O_NOCTTY).catch(
        (error: unknown) => {
          throw inputError(error, this.description);
        },
      );
      stream = createReadStream('', { fd, highWaterMark: 24 * 64 });
    } else {
      closeSync(probe);
      throw new TransportError('not_a_device', `${this.description}: not an input device or FIFO`);
    }
    stream.on('data', (chunk: Buffer | string) => {
      if (typeof chunk !== 'string') this.received(chunk);
    });
    stream.on('error', (error: Error) => this.lost(error));
    stream.on('end', () =>
      this.lost(new TransportError('device_gone', `${this.description}: the device went away`)),
    );
    this.stream = stream;
  }

  protected async doWrite(): Promise<void> {
    throw new TransportError('read_only', `${this.description} is read-only`);
  }

  protected async doClose(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return;
    stream.removeAllListeners('data');
    stream.removeAllListeners('end');
    stream.on('error', () => {});
    // Destroying closes the descriptor (for a blocking read in a worker, once that read returns).
    stream.destroy();
  }
}

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) =>
    open(path, flags, (error, fd) => (error ? reject(error) : resolve(fd))),
  );
}

function inputError(error: unknown, where: string): TransportError {
  const errno = (error as NodeJS.ErrnoException).code ?? 'link_error';
  const hint =
    errno === 'EACCES'
      ? ' (the udev rules in systemd/99-carrel.rules give known scanners to plugdev)'
      : errno === 'ENOENT'
        ? ' (scanner not plugged in?)'
        : '';
  return new TransportError(errno.toLowerCase(), `${where}: ${(error as Error).message}${hint}`, {
    cause: error,
  });
}
