/**
 * A Magicard card printer (Rio, Tango, Enduro families) on any Transport (TCP, a serial line,
 * /dev/usb/lp*). Status queries (`REQ,STA,<key>,`) go one at a time, each answered before the next
 * (a bounded queue, a timeout per query). While idle it reads the panels left on the ribbon (DFR),
 * the cleaning prompt (CLP) and the card counter (TCQ), and reports ribbon low/out and cleaning due
 * as its condition and as events.
 *
 * A card is one job (two for a back: `DPXON` and a second page), the stripe's track data in the
 * front page's header. A Magicard answers nothing about a job, and nothing in its documented
 * protocol reads a stripe back: the card is made when its card counter goes up, the stripe is
 * `written`, never `verified`. A card not out in `printTimeoutMs` failed: the job is dropped with
 * `RST` (so it cannot print later, when nobody expects it), and the printer is `error` until its
 * counter moves again. `REJON` asks the printer to reject a card it could not make.
 */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../core/clock.js';
import { type CarrelError, PeerError, TimeoutError, TransportError } from '../../core/errors.js';
import type { TrackNumber } from '../../protocols/evolis/magstripe.js';
import {
  encodeJob,
  encodeSimpleCommand,
  encodeStatusQuery,
  imageToPlanes,
  MagicardReplyFramer,
  magstripeCommands,
  parseStatusReply,
  planesToImage,
  type StatusKey,
} from '../../protocols/magicard/index.js';
import type { DeviceCondition } from '../device.js';
import { CardPrintError } from './errors.js';
import type {
  CardJob,
  CardJobResult,
  CardPrinterDriver,
  CardPrinterStatus,
  CardRibbon,
  MagicardPrinterOptions,
} from './types.js';

interface Pending {
  key: string;
  resolve(value: string): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

/** CLP values that mean no cleaning is asked for. */
const NO_CLEANING = new Set(['', 'OFF', 'NO', '0']);

export class MagicardPrinter extends EventEmitter implements CardPrinterDriver {
  readonly kind = 'card-printer';
  readonly vendor = 'magicard';
  private readonly replies = new MagicardReplyFramer();
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private connected = false;
  private poller: TimerHandle | undefined;
  private busy = false;
  /** A job that did not come out: the printer is `error` until its card counter moves. */
  private stuck = false;
  private current: CardPrinterStatus = {
    model: 'Magicard',
    firmware: null,
    serial: null,
    ribbon: { type: null, panelsLeft: null, low: false },
    problem: null,
    cleaningDue: false,
    cardsPrinted: null,
    lastReply: null,
  };

  constructor(private readonly options: MagicardPrinterOptions) {
    super();
  }

  get id(): string {
    return this.options.id;
  }

  status(): CardPrinterStatus {
    return structuredClone(this.current);
  }

  condition(): DeviceCondition {
    const s = this.current;
    const detail = {
      model: s.model,
      firmware: s.firmware,
      serial: s.serial,
      ribbon: { ...s.ribbon },
      cleaningDue: s.cleaningDue,
      cardsPrinted: s.cardsPrinted,
      problem: s.problem,
    };
    return s.problem
      ? { status: 'degraded', reason: s.problem, detail }
      : { status: 'online', reason: null, detail };
  }

  async connect(): Promise<void> {
    const { transport } = this.options;
    this.replies.reset();
    transport.on('data', this.onData);
    transport.on('close', this.onClose);
    try {
      await transport.open();
      this.connected = true;
      this.current.serial = await this.query('MSR');
      this.current.firmware = await this.query('VRS');
      await this.poll();
    } catch (error) {
      this.connected = false;
      transport.off('data', this.onData);
      transport.off('close', this.onClose);
      await transport.close();
      throw error;
    }
    this.poller = this.options.clock.setInterval(
      `card-printer ${this.id} status`,
      () => {
        if (!this.busy && this.waiting === 0) this.poll().catch(() => {});
      },
      this.options.statusIntervalMs,
    );
  }

  async disconnect(): Promise<void> {
    this.stopPolling();
    this.connected = false;
    this.failPending(new TransportError('closed', 'the printer was disconnected'));
    this.options.transport.off('data', this.onData);
    this.options.transport.off('close', this.onClose);
    await this.options.transport.close();
  }

  /** The image on the Magicard's planes (6-bit colour, 1-bit resin black), printed on white. */
  printedImage(image: Uint8Array, ribbon: CardRibbon): Uint8Array {
    return planesToImage(imageToPlanes(image, ribbon));
  }

  async printCard(card: CardJob): Promise<CardJobResult> {
    const tracks = Object.entries(card.tracks) as Array<[string, string]>;
    let jobs: Buffer[];
    try {
      jobs = this.jobs(card, tracks);
    } catch {
      // The message would name the data; the number stays out of errors and logs.
      throw new CardPrintError('magstripe_data', 'the tracks cannot go in a Magicard job', false, false);
    }
    this.busy = true;
    let bytesSent = 0;
    try {
      if (number(await this.query('DFR')) === 0)
        throw new CardPrintError('ribbon_out', 'the ribbon has no panels left', false, false);
      const before = await this.counter();
      for (const job of jobs) {
        await this.write(job, 'print job');
        bytesSent += job.length;
      }
      const rate = this.options.bytesPerSecond ?? 1_000_000;
      const deadline =
        this.options.clock.monotonic() + this.options.printTimeoutMs + Math.ceil((bytesSent / rate) * 1000);
      const every = Math.min(this.options.statusIntervalMs, 500);
      for (;;) {
        const now = await this.counter();
        if (now !== null && before !== null && now > before) break;
        if (this.options.clock.monotonic() >= deadline) throw await this.notPrinted();
        await this.options.clock.sleep(every);
      }
      this.stuck = false;
      this.current.lastReply = 'OK';
      return { readBack: {}, magstripe: tracks.length > 0 ? 'written' : null, bytesSent };
    } catch (error) {
      if (error instanceof CardPrintError) throw error;
      throw new CardPrintError(
        error instanceof TimeoutError ? 'no_reply' : error instanceof PeerError ? 'bad_reply' : 'link_lost',
        (error as Error).message,
        false,
        false,
      );
    } finally {
      this.busy = false;
      this.poll().catch(() => {});
    }
  }

  /** Reads the ribbon, the cleaning prompt and the card counter, and reports what changed. */
  async poll(): Promise<CardPrinterStatus> {
    const left = number(await this.query('DFR'));
    const cleaning = (await this.query('CLP')).trim().toUpperCase();
    const printed = number(await this.query('TCQ'));
    const before = this.status();
    const next = this.current;
    if (printed !== null && before.cardsPrinted !== null && printed !== before.cardsPrinted)
      this.stuck = false;
    next.cardsPrinted = printed;
    next.ribbon.panelsLeft = left;
    next.ribbon.low = left !== null && left <= this.options.ribbonLowPanels;
    next.cleaningDue = !NO_CLEANING.has(cleaning);
    next.problem = left === 0 ? 'ribbon_out' : this.stuck ? 'error' : null;
    next.lastReply = this.stuck ? 'a card was not printed' : 'OK';
    this.report(before, next);
    return this.status();
  }

  private jobs(card: CardJob, tracks: Array<[string, string]>): Buffer[] {
    const stripe = tracks.flatMap(([track, data]) => magstripeCommands(Number(track) as TrackNumber, data));
    const duplex = card.back !== undefined;
    const front = encodeJob({
      commands: [
        'REJON',
        `DPX${duplex ? 'ON' : 'OFF'}`,
        ...(duplex ? ['BACK'] : []),
        `OVR${card.ribbon === 'ymcko' ? 'ON' : 'OFF'}`,
        'ESS1',
        'PAG1',
        ...stripe,
      ],
      planes: imageToPlanes(card.front, card.ribbon),
    });
    if (!card.back) return [front];
    const back = encodeJob({
      commands: ['REJON', 'DPXON', 'OVROFF', 'ESS1', 'PAG2'],
      planes: imageToPlanes(card.back, 'k'),
    });
    return [front, back];
  }

  /** The card that did not come out: its job dropped, the printer marked, the fault named. */
  private async notPrinted(): Promise<CardPrintError> {
    await this.write(encodeSimpleCommand('RST'), 'RST').catch(() => {});
    const left = number(await this.query('DFR').catch(() => ''));
    const before = this.status();
    this.stuck = true;
    this.current.problem = left === 0 ? 'ribbon_out' : 'error';
    this.current.lastReply = 'a card was not printed';
    this.report(before, this.current);
    return new CardPrintError(
      left === 0 ? 'ribbon_out' : 'not_printed',
      `no card came out within ${this.options.printTimeoutMs} ms; the job was dropped`,
      false,
      false,
    );
  }

  private async counter(): Promise<number | null> {
    return number(await this.query('TCQ'));
  }

  private report(before: CardPrinterStatus, after: CardPrinterStatus): void {
    const events: Array<[string, Record<string, unknown>]> = [];
    if (before.problem !== after.problem)
      events.push(
        after.problem ? [after.problem, { problem: after.problem }] : ['ready', { was: before.problem }],
      );
    if (!before.ribbon.low && after.ribbon.low)
      events.push(['ribbon_low', { panelsLeft: after.ribbon.panelsLeft }]);
    if (!before.cleaningDue && after.cleaningDue)
      events.push(['cleaning_due', { cardsPrinted: after.cardsPrinted }]);
    const changed =
      before.problem !== after.problem ||
      before.ribbon.low !== after.ribbon.low ||
      before.cleaningDue !== after.cleaningDue ||
      before.ribbon.panelsLeft !== after.ribbon.panelsLeft ||
      before.cardsPrinted !== after.cardsPrinted;
    if (changed) this.emit('condition', this.condition());
    for (const [type, data] of events) this.emit('event', type, data);
  }

  /** One status value, asked after everything queued before it (bounded queue, a timeout). */
  private query(key: StatusKey): Promise<string> {
    return this.enqueue(() => this.exchange(key));
  }

  /** Bytes the printer does not answer (a job, RST), in their turn between queries. */
  private write(bytes: Buffer, name: string): Promise<void> {
    return this.enqueue(async () => {
      if (!this.connected) throw new TransportError('not_connected', 'the printer is not connected');
      const rate = this.options.bytesPerSecond ?? 1_000_000;
      const ms = this.options.replyTimeoutMs + Math.ceil((bytes.length / rate) * 1000);
      const timer = this.options.clock.setTimeout(
        `card-printer ${this.id} write`,
        () => this.lost(new TimeoutError(`the card printer did not take the ${name} within ${ms} ms`)),
        ms,
      );
      try {
        await this.options.transport.write(bytes);
      } finally {
        timer.cancel();
      }
    });
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const limit = this.options.queueLimit ?? 64;
    if (this.waiting >= limit)
      return Promise.reject(new TransportError('queue_full', 'too many commands waiting'));
    this.waiting++;
    const run = this.chain.then(work);
    this.chain = run.catch(() => {});
    return run.finally(() => {
      this.waiting--;
    });
  }

  private exchange(key: StatusKey): Promise<string> {
    if (!this.connected)
      return Promise.reject(new TransportError('not_connected', 'the printer is not connected'));
    const timeoutMs = this.options.replyTimeoutMs;
    return new Promise<string>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(
        `card-printer ${this.id} reply`,
        () => {
          this.pending = undefined;
          const error = new TimeoutError(`the card printer did not answer STA,${key} within ${timeoutMs} ms`);
          reject(error);
          this.lost(error);
        },
        timeoutMs,
      );
      this.pending = { key, resolve, reject, timer };
      this.options.transport.write(encodeStatusQuery(key)).catch((error: Error) => {
        if (this.pending?.timer === timer) {
          timer.cancel();
          this.pending = undefined;
          reject(error);
        }
      });
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const item of this.replies.push(chunk)) {
      const pending = this.pending;
      if (!pending) {
        this.options.logger.warn('a reply nobody asked for');
        continue;
      }
      this.pending = undefined;
      pending.timer.cancel();
      // A garbled answer is the answer to the query waiting: it fails now, not at its timeout.
      try {
        if (!item.ok) throw item.error;
        pending.resolve(parseStatusReply(pending.key, item.body));
      } catch (error) {
        this.options.logger.warn({ code: (error as CarrelError).code }, (error as Error).message);
        pending.reject(error as Error);
      }
    }
  };

  private readonly onClose = (error: Error | undefined): void => {
    if (!this.connected) return;
    this.lost(error ?? new TransportError('closed', 'the card printer closed the link'));
  };

  private lost(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    this.stopPolling();
    this.failPending(error);
    this.options.transport.off('data', this.onData);
    this.options.transport.off('close', this.onClose);
    void this.options.transport.close();
    this.emit('disconnected', error);
  }

  private failPending(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.timer.cancel();
    pending?.reject(error);
  }

  private stopPolling(): void {
    this.poller?.cancel();
    this.poller = undefined;
  }
}

/** A counter's text as a number; null when it is none. */
function number(text: string): number | null {
  return /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : null;
}
