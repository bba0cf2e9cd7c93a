/**
 * A test's end of a SIP2 link to the ILS simulator: a raw TCP (or TLS) socket,
 * frames built and read with the SIP2 codec, nothing else.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  type Sip2Charset,
  type Sip2DecodeResult,
  Sip2Framer,
  type Sip2Message,
  type Sip2MessageType,
} from '../../../src/protocols/sip2/index.js';

export interface ClientOptions {
  charset?: Sip2Charset;
  errorDetection?: boolean;
  terminator?: '\r' | '\r\n';
  timeZone?: string;
  /** Connect with TLS, trusting this CA certificate (PEM). */
  tlsCa?: string | Buffer;
}

export interface ReceivedFrame {
  /** The frame without its terminator. */
  frame: Buffer;
  /** The terminator bytes that ended it (as far as the framer saw). */
  raw: Buffer;
}

export class Sip2TestClient {
  readonly framer = new Sip2Framer();
  /** Every byte received, in order. */
  received = Buffer.alloc(0);
  private frames: ReceivedFrame[] = [];
  private waiter: (() => void) | undefined;
  private sequence = 9;
  readonly closed: Promise<void>;
  charset: Sip2Charset;
  errorDetection: boolean;

  private constructor(
    readonly socket: Socket,
    private readonly options: ClientOptions,
  ) {
    this.charset = options.charset ?? 'utf-8';
    this.errorDetection = options.errorDetection ?? true;
    let consumed = 0;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const event of this.framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        // Find the frame's bytes and its terminator in the raw stream.
        const frame = Buffer.from(event.frame);
        const at = this.received.indexOf(frame, consumed);
        let end = at + frame.length;
        while (end < this.received.length && (this.received[end] === 13 || this.received[end] === 10)) {
          end++;
          if (this.received[end - 1] === 10) break;
        }
        this.frames.push({ frame, raw: this.received.subarray(at, end) });
        consumed = end;
      }
      this.waiter?.();
    });
    socket.on('error', () => {});
    this.closed = once(socket, 'close').then(() => {
      this.waiter?.();
    });
  }

  static async connect(port: number, options: ClientOptions = {}): Promise<Sip2TestClient> {
    if (options.tlsCa !== undefined) {
      const socket = connectTls({ host: '127.0.0.1', port, ca: options.tlsCa, servername: 'localhost' });
      const client = new Sip2TestClient(socket, options);
      await once(socket, 'secureConnect');
      return client;
    }
    const socket = connect({ host: '127.0.0.1', port });
    const client = new Sip2TestClient(socket, options);
    await once(socket, 'connect');
    return client;
  }

  encode(message: AnySip2MessageInput): Uint8Array {
    if (message.sequence === undefined) this.sequence = (this.sequence + 1) % 10;
    const sequence = message.sequence ?? this.sequence;
    return encodeSip2Message(message, {
      charset: this.charset,
      errorDetection: this.errorDetection,
      sequence,
      terminator: this.options.terminator ?? '\r',
      timeZone: this.options.timeZone ?? 'UTC',
    });
  }

  send(message: AnySip2MessageInput): void {
    this.socket.write(this.encode(message));
  }

  sendRaw(bytes: string | Uint8Array): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next frame the server sent; rejects if the link closes first. */
  async nextFrame(): Promise<ReceivedFrame> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('link closed');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
  }

  decode(frame: Uint8Array): Sip2DecodeResult<AnySip2Message> {
    return decodeSip2Message(frame, { charset: this.charset, requireErrorDetection: this.errorDetection });
  }

  /** The next message, decoded; throws on a frame the codec cannot read. */
  async next(): Promise<AnySip2Message> {
    const { frame } = await this.nextFrame();
    const result = this.decode(frame);
    if (!result.ok) throw result.error;
    return result.message;
  }

  /** Sends a request and returns its response, checked to be of the expected type. */
  async request<T extends Sip2MessageType>(message: AnySip2MessageInput, expect: T): Promise<Sip2Message<T>> {
    this.send(message);
    const response = await this.next();
    if (response.type !== expect) throw new Error(`expected ${expect}, got ${response.type}`);
    return response as Sip2Message<T>;
  }

  async login(user: string, password: string, location = 'MAIN'): Promise<boolean> {
    const response = await this.request(
      {
        type: 'login',
        uidAlgorithm: '0',
        pwdAlgorithm: '0',
        loginUserId: user,
        loginPassword: password,
        locationCode: location,
      },
      'loginResponse',
    );
    return response.ok;
  }

  get bufferedFrames(): number {
    return this.frames.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * SIP2 09 Checkin of `item` at `when` (its transaction and return date), returned at MAIN of the
 * sample library (institution RIVERSIDE), no terminal password.
 */
export function checkinMessage(item: string, when: Date): AnySip2MessageInput {
  return {
    type: 'checkin',
    noBlock: false,
    transactionDate: when,
    returnDate: when,
    currentLocation: 'MAIN',
    institutionId: 'RIVERSIDE',
    itemIdentifier: item,
    terminalPassword: '',
  };
}

/** SIP2 23 Patron Status Request for `patron` with `pin` (empty: none) at `when`, sample library. */
export function patronStatusMessage(patron: string, pin: string, when: Date): AnySip2MessageInput {
  return {
    type: 'patronStatusRequest',
    language: 'english',
    transactionDate: when,
    institutionId: 'RIVERSIDE',
    patronIdentifier: patron,
    terminalPassword: '',
    patronPassword: pin,
  };
}
