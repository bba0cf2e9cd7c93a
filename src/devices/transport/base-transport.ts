import { EventEmitter } from 'node:events';
import { CarrelError, TransportClosedError, TransportError, unresolvedNameOf } from '../../core/errors.js';
import type { Transport } from './transport.js';

/**
 * The bookkeeping every transport shares: the open flag, exactly one `close`
 * event per open, and rejecting writes when closed. Subclasses implement the
 * three `do*` methods and call `received()` and `lost()`.
 */
export abstract class BaseTransport extends EventEmitter implements Transport {
  abstract readonly description: string;
  private state: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  /** The open in progress, so a close() meanwhile can wait for it. */
  private opening: Promise<void> | undefined;
  /** The close under way (asked for, or after the link was lost): done once the link can be opened again. */
  private closing: Promise<void> | undefined;
  /** Why the link was lost, so writes failing with it say so rather than "closed". */
  private lostWith: TransportError | undefined;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  async open(): Promise<void> {
    // A link still closing (lost, or a close() under way) is opened once it has closed.
    if (this.state === 'closing') await this.closing;
    if (this.state !== 'closed')
      throw new TransportError('already_open', `${this.description} is already open`);
    this.state = 'opening';
    this.lostWith = undefined;
    let attempt: Promise<void>;
    try {
      attempt = this.doOpen();
    } catch (error) {
      attempt = Promise.reject(error);
    }
    this.opening = attempt.catch(() => {});
    try {
      await attempt;
      this.state = 'open';
    } catch (error) {
      this.state = 'closed';
      // Not a link problem (a native module missing, say): retrying will not help, keep its code.
      if (error instanceof CarrelError && !(error instanceof TransportError)) throw error;
      throw toTransportError(error, this.description);
    } finally {
      this.opening = undefined;
    }
  }

  // Not an async function: a write is the device's promise and, only when it fails, the error said in
  // the contract's terms (one promise a write fewer on every request to the ILS).
  write(data: Uint8Array): Promise<void> {
    if (this.state !== 'open')
      return Promise.reject(new TransportClosedError(`${this.description} is not open`));
    let written: Promise<void>;
    try {
      written = this.doWrite(data);
    } catch (error) {
      return Promise.reject(this.writeFailure(error));
    }
    return written.catch((error: unknown) => {
      throw this.writeFailure(error);
    });
  }

  send(data: Uint8Array, failed: (error: Error) => void): void {
    if (this.state !== 'open') {
      const error = new TransportClosedError(`${this.description} is not open`);
      queueMicrotask(() => failed(error));
      return;
    }
    const onError = (error: unknown) => failed(this.writeFailure(error));
    try {
      this.doSend(data, onError);
    } catch (error) {
      queueMicrotask(() => onError(error));
    }
  }

  /**
   * Hands `data` to the device, calling `failed` only when that fails. By default the write's
   * promise; a transport that can do without one overrides it (SocketTransport).
   */
  protected doSend(data: Uint8Array, failed: (error: unknown) => void): void {
    this.doWrite(data).then(undefined, failed);
  }

  private writeFailure(error: unknown): Error {
    if (this.lostWith) return this.lostWith;
    if (error instanceof TransportClosedError) return error;
    if (this.state !== 'open') return new TransportClosedError(`${this.description} closed during write`);
    return toTransportError(error, this.description);
  }

  async close(): Promise<void> {
    // Closing while an open is under way waits for it, then closes what it opened.
    if (this.state === 'opening') await this.opening;
    // Already closing: done when that close is, so an open() right after finds the link closed.
    if (this.state === 'closing') return this.closing;
    if (this.state === 'closed') return;
    this.state = 'closing';
    return this.closeLink(undefined);
  }

  /** Closes the device's side and then says so (one `close` event); never rejects. */
  private closeLink(reason: TransportError | undefined): Promise<void> {
    let closed: Promise<void>;
    try {
      closed = this.doClose();
    } catch (error) {
      closed = Promise.reject(error);
    }
    const closing = closed
      .catch(() => {})
      .then(() => {
        if (this.closing === closing) this.closing = undefined;
        this.finish(reason);
      });
    this.closing = closing;
    return closing;
  }

  protected received(chunk: Buffer): void {
    if (this.state === 'open') this.emit('data', chunk);
  }

  /** The link went away underneath us. */
  protected lost(error: Error): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const reason = toTransportError(error, this.description);
    this.lostWith = reason;
    void this.closeLink(reason);
  }

  private finish(error: Error | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.emit('close', error);
  }

  protected abstract doOpen(): Promise<void>;
  protected abstract doWrite(data: Uint8Array): Promise<void>;
  protected abstract doClose(): Promise<void>;
}

export function toTransportError(error: unknown, where: string): TransportError {
  if (error instanceof TransportError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = unresolvedNameOf(error) ?? (error instanceof Error ? error.message : String(error));
  const code = typeof errno === 'string' ? errno.toLowerCase() : 'link_error';
  return new TransportError(code, `${where}: ${message}`, { cause: error });
}
