/**
 * One ccTalk request at a time over a Transport. On a single-wire line the
 * host hears its own frame first: that echo must come back byte for byte (a
 * difference is a collision, or a line that does not echo), then the reply, a
 * frame from the device's address to the host. Everything else is logged and
 * skipped: line noise, a frame with a bad checksum, a truncated frame (the
 * reply timeout ends it), a frame from another address. A failed attempt waits
 * for the line to go quiet before the next, so a late reply is never taken for
 * the answer to a later request; bytes that arrive while nothing is asked are
 * dropped as noise for the same reason.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { TransportClosedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  BROADCAST_ADDRESS,
  CctalkFramer,
  encodeFrame,
  HEADER,
  HOST_ADDRESS,
  headerName,
} from '../../protocols/cctalk/index.js';
import type { Transport } from '../transport/transport.js';
import { CashDeviceError } from './errors.js';

export interface CctalkLinkOptions {
  transport: Transport;
  /** The device's address (2 for a coin acceptor, 40 for a bill validator by default). */
  address: number;
  clock: Clock;
  logger: Logger;
  /** The line echoes what the host sends (a single-wire bus). Default true. */
  echo?: boolean;
  /** How long a reply may take after the request went out. Default 250 ms. */
  replyTimeoutMs?: number;
  /** Attempts after the first for a request that got no good reply. Default 2. */
  retries?: number;
}

/** What went wrong on the line since the link was made, for the health record. */
export interface CctalkLinkStats {
  requests: number;
  timeouts: number;
  checksumErrors: number;
  noiseBytes: number;
  wrongAddress: number;
  echoMismatches: number;
  naks: number;
  busy: number;
}

interface Reply {
  header: number;
  data: Uint8Array;
}

interface Attempt {
  echo: Uint8Array | undefined;
  echoed: number;
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

const QUIET_MS = 20;
const BUSY_PAUSE_MS = 50;

export class CctalkLink {
  readonly stats: CctalkLinkStats = {
    requests: 0,
    timeouts: 0,
    checksumErrors: 0,
    noiseBytes: 0,
    wrongAddress: 0,
    echoMismatches: 0,
    naks: 0,
    busy: 0,
  };
  private chain: Promise<unknown> = Promise.resolve();
  private attempt: Attempt | undefined;
  /** The reply of the attempt under way, as it comes: emptied as each attempt begins. */
  private readonly framer = new CctalkFramer();
  /** Requests without data (a poll of the event buffer, five times a second), each encoded once. */
  private readonly plainRequests = new Map<number, Uint8Array>();
  private lastByteAt = 0;
  private rawListener: ((chunk: Buffer) => void) | undefined;
  private readonly echo: boolean;
  private readonly replyTimeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: CctalkLinkOptions) {
    this.echo = options.echo ?? true;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 250;
    this.retries = options.retries ?? 2;
    options.transport.on('data', (chunk) => this.onData(chunk));
    options.transport.on('close', () =>
      this.fail(new TransportClosedError(`${options.transport.description} closed`)),
    );
  }

  get address(): number {
    return this.options.address;
  }

  /**
   * Sends a request to the device and resolves with the data of its ACK. NAK
   * rejects at once (`cctalk_nak`); no good reply after the retries rejects
   * with `cctalk_timeout` or `cctalk_echo_mismatch`; BUSY is asked again.
   */
  request(header: number, data?: Uint8Array): Promise<Uint8Array> {
    const frame =
      data === undefined || data.length === 0 ? this.plainRequest(header) : this.encode(header, data);
    const run = () => this.withRetries(frame, header);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }

  private plainRequest(header: number): Uint8Array {
    let frame = this.plainRequests.get(header);
    if (frame === undefined) {
      frame = this.encode(header, new Uint8Array());
      this.plainRequests.set(header, frame);
    }
    return frame;
  }

  private encode(header: number, data: Uint8Array): Uint8Array {
    return encodeFrame({ destination: this.options.address, source: HOST_ADDRESS, header, data });
  }

  /**
   * Address poll (253) to every device on the bus: each answers with one raw
   * byte, its address, after 4 ms times its address. Resolves with the
   * addresses heard within `windowMs` (1100 ms covers address 255).
   */
  addressPoll(windowMs = 1100): Promise<number[]> {
    const run = async () => {
      const frame = encodeFrame({
        destination: BROADCAST_ADDRESS,
        source: HOST_ADDRESS,
        header: HEADER.addressPoll,
        data: new Uint8Array(),
      });
      await this.quiet();
      const heard: number[] = [];
      let echo = this.echo ? frame.length : 0;
      this.rawListener = (chunk) => {
        for (const byte of chunk) {
          if (echo > 0) echo--;
          else heard.push(byte);
        }
      };
      try {
        await this.options.transport.write(frame);
        await this.options.clock.sleep(windowMs);
      } finally {
        this.rawListener = undefined;
      }
      return heard;
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }

  private async withRetries(frame: Uint8Array, header: number): Promise<Uint8Array> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await this.quiet();
      this.stats.requests++;
      try {
        const reply = await this.once(frame);
        if (reply.header === HEADER.nak) {
          this.stats.naks++;
          throw new CashDeviceError('cctalk_nak', `${headerName(header)}: the device answered NAK`);
        }
        if (reply.header === HEADER.busy) {
          this.stats.busy++;
          lastError = new CashDeviceError('cctalk_busy', `${headerName(header)}: the device stayed busy`);
          await this.options.clock.sleep(BUSY_PAUSE_MS);
          continue;
        }
        return reply.data;
      } catch (error) {
        if (error instanceof CashDeviceError && error.code === 'cctalk_nak') throw error;
        if (error instanceof TransportClosedError || !this.options.transport.isOpen) throw error;
        lastError = error as Error;
        this.options.logger.debug(
          { header: headerName(header), attempt, code: (error as CashDeviceError).code },
          'ccTalk request failed; asking again',
        );
      }
    }
    throw lastError ?? new CashDeviceError('cctalk_timeout', `${headerName(header)}: no reply`);
  }

  private once(frame: Uint8Array): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const transport = this.options.transport;
      if (!transport.isOpen) {
        reject(new TransportClosedError(`${transport.description} is not open`));
        return;
      }
      const header = headerName(frame[3]!);
      const timer = this.options.clock.setTimeout(
        `cctalk-reply:${this.options.address}`,
        () => {
          this.stats.timeouts++;
          const held = this.attempt ? this.framer.pending : 0;
          this.settle(
            undefined,
            new CashDeviceError(
              'cctalk_timeout',
              `${header}: no reply within ${this.replyTimeoutMs} ms${held > 0 ? ` (${held} bytes of a truncated frame dropped)` : ''}`,
            ),
          );
        },
        this.replyTimeoutMs,
      );
      this.framer.reset();
      this.attempt = {
        echo: this.echo ? frame : undefined,
        echoed: 0,
        resolve,
        reject,
        timer,
      };
      transport.write(frame).catch((error: unknown) => this.settle(undefined, error as Error));
    });
  }

  private onData(chunk: Buffer): void {
    this.lastByteAt = this.options.clock.monotonic();
    if (this.rawListener) {
      this.rawListener(chunk);
      return;
    }
    const attempt = this.attempt;
    if (!attempt) {
      this.stats.noiseBytes += chunk.length;
      this.options.logger.debug({ bytes: chunk.length }, 'ccTalk bytes while nothing was asked: dropped');
      return;
    }
    let rest: Uint8Array = chunk;
    if (attempt.echo && attempt.echoed < attempt.echo.length) {
      const take = Math.min(rest.length, attempt.echo.length - attempt.echoed);
      for (let i = 0; i < take; i++) {
        if (rest[i] !== attempt.echo[attempt.echoed + i]) {
          this.stats.echoMismatches++;
          this.settle(
            undefined,
            new CashDeviceError('cctalk_echo_mismatch', 'the echo of the request differs from what was sent'),
          );
          return;
        }
      }
      attempt.echoed += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    for (const item of this.framer.push(rest)) {
      if (!item.ok) {
        if (item.error.code === 'cctalk_checksum') this.stats.checksumErrors++;
        else this.stats.noiseBytes++;
        this.options.logger.debug({ code: item.error.code }, `ccTalk: ${item.error.message}`);
        continue;
      }
      const { frame } = item;
      if (frame.destination !== HOST_ADDRESS || frame.source !== this.options.address) {
        this.stats.wrongAddress++;
        this.options.logger.warn(
          { from: frame.source, to: frame.destination },
          'ccTalk reply from another address than the device asked: ignored',
        );
        continue;
      }
      if (frame.header !== HEADER.ack && frame.header !== HEADER.nak && frame.header !== HEADER.busy) {
        this.stats.noiseBytes += item.bytes.length;
        continue;
      }
      this.settle({ header: frame.header, data: frame.data }, undefined);
      return;
    }
  }

  private settle(reply: Reply | undefined, error: Error | undefined): void {
    const attempt = this.attempt;
    if (!attempt) return;
    this.attempt = undefined;
    attempt.timer.cancel();
    if (reply) attempt.resolve(reply);
    else attempt.reject(error ?? new CashDeviceError('cctalk_timeout', 'no reply'));
  }

  private fail(error: Error): void {
    this.settle(undefined, error);
  }

  /** Waits (bounded) until no byte has come for QUIET_MS: what is late on the line goes first. */
  private async quiet(): Promise<void> {
    const clock = this.options.clock;
    for (let i = 0; i < 20; i++) {
      const since = clock.monotonic() - this.lastByteAt;
      if (since >= QUIET_MS) return;
      await clock.sleep(QUIET_MS - since);
    }
  }
}
