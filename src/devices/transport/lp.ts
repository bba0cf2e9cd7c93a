import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { isatty } from 'node:tty';
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.js';
import { TransportClosedError, TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

export interface LpOptions {
  /** The USB printer class device, e.g. /dev/usb/lp0 (a pty can stand in for it in tests). */
  path: string;
  clock?: Clock;
  /** How often the device is asked for status bytes it may have sent back. */
  pollIntervalMs?: number;
  /** Longest wait before trying again while the printer's buffer is full (waits start at 1 ms and double). */
  writeRetryMs?: number;
}

const READ_SIZE = 1024;
/** Errors that mean "no bytes right now", not "the device is gone". */
const TRY_AGAIN = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/**
 * The Linux USB printer class device (usblp, /dev/usb/lp*). Bidirectional:
 * print data goes out, and ESC/POS status bytes come back on the same node.
 *
 * The node is opened O_NONBLOCK, so every read and write is a threadpool call
 * that returns at once: a read with nothing to deliver fails EAGAIN instead of
 * holding a libuv worker until the printer speaks (a blocking read on a quiet
 * printer would pin a worker forever, and four of them stall all of fs, dns and
 * zlib). Reads are polled on a named Clock interval; writes that meet a full
 * buffer (EAGAIN) retry after a short, growing wait. ENODEV/EIO (and anything else
 * unexpected) on read or write means unplugged: the transport is lost.
 */
export class LpTransport extends BaseTransport {
  readonly description: string;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly writeRetryMs: number;
  private session: LpSession | undefined;

  constructor(private readonly options: LpOptions) {
    super();
    this.description = `lp://${options.path}`;
    this.clock = options.clock ?? systemClock;
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.writeRetryMs = options.writeRetryMs ?? 20;
  }

  protected async doOpen(): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.options.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (error) {
      throw lpError(error, this.description);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isCharacterDevice())
        throw new TransportError('not_a_device', `${this.description}: not a character device`);
    } catch (error) {
      await handle.close().catch(() => {});
      throw lpError(error, this.description);
    }
    const session: LpSession = {
      handle,
      // A pty standing in for the printer reads 0 bytes once its far end hangs up;
      // usblp reads 0 bytes when the printer answered with an empty packet.
      zeroReadIsHangUp: isatty(handle.fd),
      aborted: new AbortController(),
      poll: undefined,
      reading: undefined,
      writeChain: Promise.resolve(),
    };
    session.poll = this.clock.setInterval(
      `lp-read-poll ${this.options.path}`,
      () => this.pollOnce(session),
      this.pollIntervalMs,
    );
    this.session = session;
  }

  protected doWrite(data: Uint8Array): Promise<void> {
    const session = this.session;
    if (!session) return Promise.reject(new TransportClosedError(`${this.description} is not open`));
    const bytes = Buffer.from(data);
    const written = session.writeChain.then(() => this.writeAll(session, bytes));
    session.writeChain = written.catch(() => {});
    return written;
  }

  protected async doClose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    session.poll?.cancel();
    session.aborted.abort(new TransportClosedError(`${this.description} closed`));
    // Non-blocking calls finish at once, so waiting for them is bounded.
    await session.reading;
    await session.writeChain;
    await session.handle.close().catch(() => {});
  }

  private async writeAll(session: LpSession, bytes: Buffer): Promise<void> {
    let offset = 0;
    let retryMs = 1;
    while (offset < bytes.length) {
      if (session.aborted.signal.aborted || this.session !== session)
        throw new TransportClosedError(`${this.description} closed`);
      try {
        const { bytesWritten } = await session.handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
        retryMs = 1;
      } catch (error) {
        if (!TRY_AGAIN.has((error as NodeJS.ErrnoException).code ?? '')) {
          const lostWith = lpError(error, this.description);
          if (this.session === session) this.lost(lostWith);
          throw lostWith;
        }
        await this.clock.sleep(retryMs, session.aborted.signal);
        retryMs = Math.min(retryMs * 2, this.writeRetryMs);
      }
    }
  }

  private pollOnce(session: LpSession): void {
    if (session.reading || this.session !== session) return;
    session.reading = this.drain(session).finally(() => {
      session.reading = undefined;
    });
  }

  /** Reads until the device has nothing more for now. */
  private async drain(session: LpSession): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    while (this.session === session) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await session.handle.read(buffer, 0, READ_SIZE, null));
      } catch (error) {
        if (TRY_AGAIN.has((error as NodeJS.ErrnoException).code ?? '')) return;
        if (this.session === session) this.lost(lpError(error, this.description));
        return;
      }
      if (this.session !== session) return;
      if (bytesRead === 0) {
        if (session.zeroReadIsHangUp)
          this.lost(new TransportError('peer_closed', `${this.description}: far end hung up`));
        return;
      }
      this.received(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  }
}

interface LpSession {
  handle: FileHandle;
  zeroReadIsHangUp: boolean;
  aborted: AbortController;
  poll: TimerHandle | undefined;
  reading: Promise<void> | undefined;
  writeChain: Promise<void>;
}

/** Maps errno from open/read/write on the printer node to a TransportError with a stable code. */
export function lpError(error: unknown, where: string): TransportError {
  if (error instanceof TransportError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (errno) {
    case 'ENOENT':
      return new TransportError('device_missing', `${where}: no such device (printer off or unplugged?)`, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new TransportError(
        'permission_denied',
        `${where}: permission denied; add the service user to the lp group (or install Carrel's udev rules)`,
        { cause: error },
      );
    case 'EBUSY':
      return new TransportError('device_busy', `${where}: in use by another program`, { cause: error });
    case 'ENODEV':
    case 'ENXIO':
    case 'EIO':
      return new TransportError('device_lost', `${where}: printer unplugged (${errno})`, { cause: error });
    default:
      return new TransportError(
        typeof errno === 'string' ? errno.toLowerCase() : 'link_error',
        `${where}: ${message}`,
        { cause: error },
      );
  }
}
