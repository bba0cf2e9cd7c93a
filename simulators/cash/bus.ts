/**
 * A simulated ccTalk bus: the devices on one line, served over any duplex
 * stream (a TCP connection from a serial-over-IP converter, a pty, an
 * in-memory pair). On a single wire the host hears its own bytes back before
 * any reply, so every byte the host sends is echoed at once; then the
 * addressed device answers (a frame with the simple checksum, from its
 * address to the host's). A request with a bad checksum, or for an address no
 * device has, gets no answer. Address poll (253, broadcast) is answered by each
 * device with one raw byte, its address, after 4 ms × its address.
 *
 * Faults a test sets say what happens to the next answers: dropped, garbled
 * (a byte flipped), cut short, sent from a wrong address, after line noise, or
 * with the echo of the request corrupted (a collision on the wire).
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import {
  BROADCAST_ADDRESS,
  type CctalkFrame,
  CctalkFramer,
  encodeFrame,
  HEADER,
  headerName,
} from '../../src/protocols/cctalk/index.js';
import type { CctalkDeviceModel } from './device-model.js';

const count = z.number().int().min(0).max(1000);

export const busFaultsSchema = z.strictObject({
  /** Echo what the host sends (a single-wire bus). */
  echo: z.boolean().optional(),
  /** The next n answers are not sent (the device did what was asked). */
  dropAnswers: count.optional(),
  /** The next n requests are not heard, noise on the way to the device: not done, not answered. */
  dropRequests: count.optional(),
  /** The next n answers have one byte changed (the checksum fails). */
  garbleAnswers: count.optional(),
  /** The next n answers stop short. */
  truncateAnswers: count.optional(),
  /** The next n answers come from an address one above the device's. */
  wrongAddressAnswers: count.optional(),
  /** The next n answers come after a few bytes of line noise. */
  noiseBeforeAnswers: count.optional(),
  /** The next n echoes differ from what the host sent. */
  echoMismatches: count.optional(),
  /** Wait this long before each answer. */
  replyDelayMs: z.number().int().min(0).max(10_000).optional(),
});
export type BusFaults = Required<z.infer<typeof busFaultsSchema>>;

const NO_FAULTS: BusFaults = {
  echo: true,
  dropAnswers: 0,
  dropRequests: 0,
  garbleAnswers: 0,
  truncateAnswers: 0,
  wrongAddressAnswers: 0,
  noiseBeforeAnswers: 0,
  echoMismatches: 0,
  replyDelayMs: 0,
};

const ADDRESS_POLL_MS_PER_ADDRESS = 4;

interface Line {
  stream: Duplex;
  framer: CctalkFramer;
}

export class CctalkBus extends EventEmitter {
  private current: BusFaults = { ...NO_FAULTS };
  private readonly lines = new Set<Line>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Requests answered, by header name (what the host asked, for tests and the state page). */
  readonly answered = new Map<string, number>();

  constructor(
    readonly devices: readonly CctalkDeviceModel[],
    private readonly logger: Logger,
  ) {
    super();
  }

  faults(): BusFaults {
    return { ...this.current };
  }

  setFaults(change: Partial<BusFaults>): BusFaults {
    this.current = { ...this.current, ...busFaultsSchema.parse(change) };
    return this.faults();
  }

  get connections(): number {
    return this.lines.size;
  }

  /** Serves the bus on a stream until it closes. */
  attach(stream: Duplex): void {
    const line: Line = { stream, framer: new CctalkFramer() };
    this.lines.add(line);
    stream.on('data', (chunk: Buffer) => this.receive(line, chunk));
    stream.on('error', (error) => this.logger.debug({ err: error }, 'ccTalk line error'));
    stream.on('close', () => this.lines.delete(line));
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const line of this.lines) line.stream.destroy();
    this.lines.clear();
  }

  private receive(line: Line, chunk: Buffer): void {
    if (this.current.echo) {
      const echo = Buffer.from(chunk);
      if (this.current.echoMismatches > 0) {
        this.current.echoMismatches--;
        echo[0] = echo[0]! ^ 0x10;
      }
      write(line, echo);
    }
    for (const item of line.framer.push(chunk)) {
      if (!item.ok) {
        this.logger.debug({ code: item.error.code }, 'ccTalk request not understood; not answered');
        continue;
      }
      if (this.current.dropRequests > 0) {
        this.current.dropRequests--;
        this.logger.debug({ header: headerName(item.frame.header) }, 'fault: request not heard');
        continue;
      }
      this.dispatch(line, item.frame);
    }
  }

  private dispatch(line: Line, request: CctalkFrame): void {
    if (request.destination === BROADCAST_ADDRESS) {
      if (request.header !== HEADER.addressPoll) return;
      for (const device of this.devices)
        this.later(ADDRESS_POLL_MS_PER_ADDRESS * device.address, () =>
          write(line, Uint8Array.of(device.address)),
        );
      return;
    }
    const device = this.devices.find((candidate) => candidate.address === request.destination);
    if (!device) return;
    const answer = device.answer(request);
    if (!answer) return;
    const name = headerName(request.header);
    this.answered.set(name, (this.answered.get(name) ?? 0) + 1);
    this.emit('request', { device: device.address, header: request.header });
    let bytes = encodeFrame({
      destination: request.source,
      source: device.address,
      header: answer.header,
      data: answer.data ?? new Uint8Array(),
    });
    const faults = this.current;
    if (faults.dropAnswers > 0) {
      faults.dropAnswers--;
      this.logger.debug({ header: name }, 'fault: answer dropped');
      return;
    }
    if (faults.wrongAddressAnswers > 0) {
      faults.wrongAddressAnswers--;
      bytes = encodeFrame({
        destination: request.source,
        source: (device.address + 1) & 0xff,
        header: answer.header,
        data: answer.data ?? new Uint8Array(),
      });
    }
    if (faults.garbleAnswers > 0) {
      faults.garbleAnswers--;
      bytes = Uint8Array.from(bytes);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    }
    if (faults.truncateAnswers > 0) {
      faults.truncateAnswers--;
      bytes = bytes.slice(0, Math.max(1, bytes.length - 2));
    }
    if (faults.noiseBeforeAnswers > 0) {
      faults.noiseBeforeAnswers--;
      bytes = Uint8Array.from([0xff, 0x00, 0x5a, ...bytes]);
    }
    const reply = bytes;
    if (faults.replyDelayMs > 0) this.later(faults.replyDelayMs, () => write(line, reply));
    else write(line, reply);
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}

function write(line: Line, bytes: Uint8Array): void {
  if (line.stream.destroyed || !line.stream.writable) return;
  line.stream.write(bytes);
}
