/**
 * The Transport contract. Every driver talks to its device through one of these,
 * so a test, a simulator or real hardware can stand behind it without the driver
 * knowing. Implementations: tcp, serial, lp (Linux USB printer class), mock.
 *
 * 1. `open()` resolves once bytes can flow. It rejects with a TransportError when
 *    the device cannot be reached (refused, missing, permission denied). Calling
 *    `open()` on an open transport rejects with code `already_open`.
 * 2. `write()` resolves once the bytes are handed to the OS (not when the device
 *    has acted on them). It rejects with a TransportError when the transport is
 *    not open or the link fails.
 *    `send()` is the same write, its failure told to a callback instead.
 * 3. Bytes read are delivered in order to every `data` listener, in chunks of any
 *    size: frames are the driver's business.
 * 4. `close()` cancels pending I/O: writes not yet handed to the OS reject with
 *    TransportClosedError. It is idempotent and never rejects, and resolves only
 *    once the transport can be opened again, also when a close was already under
 *    way (asked before, or after the link was lost). `open()` while the link is
 *    still closing waits for that close, then opens.
 * 5. Every successful `open()` is followed by exactly one `close` event. It
 *    carries an error when the link was lost (peer closed, cable pulled, device
 *    unplugged): any error other than TransportClosedError means "disconnected".
 *    After `close` the transport may be opened again.
 */
export interface Transport {
  /** Where this transport goes, for logs and health records: `tcp://127.0.0.1:9100`. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  /**
   * `write()` for a caller that only needs to hear of a failure (a request whose answer is what
   * it waits for): `failed` is called once, later, if and only if `write()` would have rejected,
   * with the same error. No promise is made for it.
   */
  send(data: Uint8Array, failed: (error: Error) => void): void;
  close(): Promise<void>;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: (error: Error | undefined) => void): this;
  off(event: 'data', listener: (chunk: Buffer) => void): this;
  off(event: 'close', listener: (error: Error | undefined) => void): this;
}
