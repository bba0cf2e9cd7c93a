/**
 * PC/SC through pcscd, with the @pokusew/pcsclite binding (the one nfc-pcsc
 * builds on), loaded on first use: a desk without a card reader never needs
 * it. This is the only module that touches the binding; it offers readers as
 * small typed objects: card present or not, and APDUs in and out.
 */
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { type Clock, systemClock } from '../../core/clock.js';
import { TransportError } from '../../core/errors.js';
import { loadNative } from '../../core/native.js';

/** The part of @pokusew/pcsclite's reader used here. */
interface BindingReader extends EventEmitter {
  name: string;
  state: number;
  SCARD_STATE_PRESENT: number;
  SCARD_SHARE_SHARED: number;
  SCARD_LEAVE_CARD: number;
  connect(options: { share_mode: number }, callback: (error: Error | null, protocol: number) => void): void;
  transmit(
    data: Buffer,
    maxLength: number,
    protocol: number,
    callback: (error: Error | null, data: Buffer) => void,
  ): void;
  disconnect(disposition: number, callback: (error: Error | null) => void): void;
  close(): void;
}
interface BindingContext extends EventEmitter {
  close(): void;
}
type Binding = () => BindingContext;

/** One card reader as pcscd names it ("ACS ACR122U PICC Interface 00 00", "Virtual PCD 00 00"). */
export interface PcscReader extends EventEmitter {
  readonly name: string;
  /** A card came into the field (its ATR). */
  on(event: 'card', listener: (atr: Buffer) => void): this;
  /** The card left. */
  on(event: 'removed', listener: () => void): this;
  /** The reader's first status says no card lies on it (a reader attached, or back after it went away). */
  on(event: 'empty', listener: () => void): this;
  /** The reader is gone (unplugged, pcscd stopped). */
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** Connects to the card (shared), sends each APDU in order, disconnects leaving the card; the answers. */
  exchange(apdus: readonly Uint8Array[]): Promise<Buffer[]>;
}

export interface PcscContext extends EventEmitter {
  on(event: 'reader', listener: (reader: PcscReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  close(): void;
}

/** How long pcscd's socket may take to accept before it counts as not answering. */
const PCSCD_REACH_MS = 2000;

/**
 * Opens a PC/SC context on pcscd. Rejects `native_module_missing` when the binding cannot
 * load, and `pcscd_unreachable` when pcscd does not accept on its socket: the binding's
 * context constructor retries `SCardEstablishContext` in a loop on the calling thread while
 * pcscd is away, which would hold the whole daemon, so it is asked only once pcscd answers
 * (a socket-activated pcscd starts on that connection).
 */
export async function openPcsc(options: { clock?: Clock; socket?: string } = {}): Promise<PcscContext> {
  const module = await loadNative<{ default: Binding } | Binding>('@pokusew/pcsclite', 'PC/SC card readers');
  const socket = options.socket ?? pcscdSocketPath();
  const refused = await reachPcscd(options.clock ?? systemClock, socket, PCSCD_REACH_MS);
  if (refused !== undefined)
    throw new TransportError(
      'pcscd_unreachable',
      `pcscd does not answer on ${socket} (${refused}): is it installed and running? (apt-get install pcscd libccid)`,
    );
  const binding = typeof module === 'function' ? module : module.default;
  return new Context(binding());
}

class Context extends EventEmitter implements PcscContext {
  private readonly readers = new Set<Reader>();
  private closed = false;

  constructor(private readonly binding: BindingContext) {
    super();
    binding.on('reader', (raw: BindingReader) => {
      const reader = new Reader(raw);
      this.readers.add(reader);
      raw.once('end', () => this.readers.delete(reader));
      this.emit('reader', reader);
    });
    binding.on('error', (error: Error) => {
      // Closing cancels the pending status wait: that "error" is the close itself.
      if (this.closed) return;
      this.emit('error', new TransportError('pcsc_error', `PC/SC: ${error.message} (is pcscd running?)`));
    });
  }

  /**
   * Closes every reader, then the context (in that order, or the binding's close waits
   * forever). The binding's own listeners stay: its close waits for the events they handle.
   * From here on nothing is emitted; the binding is closed on the next turn of the loop, not
   * now: the binding emits a reader's status, error and end holding that reader's lock, and its
   * close takes the same lock, so a close called from a listener (a reader gone, pcscd gone)
   * waited for itself and froze the whole daemon.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const readers = [...this.readers];
    this.readers.clear();
    for (const reader of readers) reader.silence();
    setImmediate(() => {
      for (const reader of readers) reader.close();
      this.binding.close();
    });
  }
}

class Reader extends EventEmitter implements PcscReader {
  readonly name: string;
  private closed = false;
  private statusSeen = false;

  constructor(private readonly raw: BindingReader) {
    super();
    this.name = raw.name;
    raw.on('status', (status: { state: number; atr?: Buffer }) => {
      if (this.closed) return;
      const first = !this.statusSeen;
      this.statusSeen = true;
      if (first && !(status.state & raw.SCARD_STATE_PRESENT)) {
        this.emit('empty');
        return;
      }
      const changes = raw.state ^ status.state;
      if (!(changes & raw.SCARD_STATE_PRESENT)) return;
      if (status.state & raw.SCARD_STATE_PRESENT) this.emit('card', status.atr ?? Buffer.alloc(0));
      else this.emit('removed');
    });
    raw.on('end', () => {
      if (!this.closed) this.emit('end');
    });
    raw.on('error', (error: Error) => {
      // A reader no one listens to (a reader's other slot, a second reader on the desk PC) fails
      // as the context does when pcscd goes away: an 'error' with no listener would throw and
      // take the daemon down. Whoever uses a reader listens; the context says pcscd is gone.
      if (!this.closed && this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  async exchange(apdus: readonly Uint8Array[]): Promise<Buffer[]> {
    const { raw } = this;
    const protocol = await new Promise<number>((resolve, reject) =>
      raw.connect({ share_mode: raw.SCARD_SHARE_SHARED }, (error, value) =>
        error ? reject(error) : resolve(value),
      ),
    );
    const answers: Buffer[] = [];
    try {
      for (const apdu of apdus) {
        answers.push(
          await new Promise<Buffer>((resolve, reject) =>
            raw.transmit(Buffer.from(apdu), 258, protocol, (error, data) =>
              error ? reject(error) : resolve(data),
            ),
          ),
        );
      }
    } finally {
      await new Promise<void>((resolve) => raw.disconnect(raw.SCARD_LEAVE_CARD, () => resolve()));
    }
    return answers;
  }

  /** Emits nothing more (the context is closing it). */
  silence(): void {
    this.closed = true;
  }

  close(): void {
    this.closed = true;
    this.raw.close();
  }
}

/** Where pcscd listens: libpcsclite's default, or PCSCLITE_CSOCK_NAME as the library reads it. */
export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PCSCLITE_CSOCK_NAME || '/run/pcscd/pcscd.comm';
}

/** Does pcscd accept a connection on its socket? Undefined when it does, else why not (an errno). */
export function reachPcscd(clock: Clock, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const timer = clock.setTimeout(
      'pcscd-reach',
      () => {
        socket.destroy();
        resolve('ETIMEDOUT');
      },
      timeoutMs,
    );
    socket.once('connect', () => {
      timer.cancel();
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      timer.cancel();
      resolve(error.code ?? error.message);
    });
  });
}

/**
 * The readers pcscd has: every name it reports within `waitMs`, or fewer when one holding
 * `wanted` came sooner. Rejects when the binding cannot load or pcscd refuses the context.
 */
export async function listPcscReaders(
  clock: Clock,
  waitMs: number,
  wanted?: string,
  open: () => Promise<PcscContext> = () => openPcsc({ clock }),
): Promise<string[]> {
  const context = await open();
  const names: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout('pcsc-list-readers', resolve, waitMs);
      context.on('error', (error) => {
        timer.cancel();
        reject(error);
      });
      context.on('reader', (reader) => {
        names.push(reader.name);
        if (wanted === undefined || reader.name.includes(wanted)) {
          timer.cancel();
          resolve();
        }
      });
    });
  } finally {
    context.close();
  }
  return names;
}
