import { TransportError } from '../../core/errors.js';
import { BaseTransport } from './base-transport.js';

/**
 * A per-test transport: records what the driver writes and lets the test inject
 * reads, refuse opens and drop the link. Never global: each test makes its own.
 */
export class MockTransport extends BaseTransport {
  readonly description: string;
  readonly writes: Buffer[] = [];
  /** Fails the next `open()` with this error when set. */
  refuseOpen: Error | undefined;
  /** Called on every write; a test can answer the driver from here. */
  onWrite: ((data: Buffer, transport: MockTransport) => void) | undefined;
  opens = 0;

  constructor(description = 'mock://device') {
    super();
    this.description = description;
  }

  /** Everything written so far, in one buffer. */
  written(): Buffer {
    return Buffer.concat(this.writes);
  }

  /** The device sends these bytes. */
  inject(bytes: Uint8Array | string): void {
    this.received(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  }

  /** The link fails underneath the driver. */
  drop(error: Error = new TransportError('peer_closed', `${this.description}: link dropped`)): void {
    this.lost(error);
  }

  protected async doOpen(): Promise<void> {
    this.opens++;
    const refusal = this.refuseOpen;
    if (refusal) throw refusal;
  }

  protected async doWrite(data: Uint8Array): Promise<void> {
    const copy = Buffer.from(data);
    this.writes.push(copy);
    this.onWrite?.(copy, this);
  }

  protected async doClose(): Promise<void> {}
}
