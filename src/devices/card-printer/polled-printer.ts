/**
 * What every card printer driver over a Transport does alike, whatever its protocol: the link's
 * lifecycle (open, identify, first poll, a status poll while idle, lost on close or on a reply that
 * never comes), one exchange at a time through a bounded queue with a timeout each, and the
 * printer's condition and events from one status to the next.
 *
 * A driver adds its protocol: how it identifies itself, what a poll reads, how a chunk of bytes
 * becomes replies (`receive`, which hands each reply to the exchange waiting), and how a card is made.
 */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../core/clock.js';
import { TimeoutError, TransportError } from '../../core/errors.js';
import type { DeviceCondition } from '../device.js';
import { CardPrintError } from './errors.js';
import type {
  CardJob,
  CardJobResult,
  CardPrinterDriver,
  CardPrinterOptions,
  CardPrinterStatus,
  CardRibbon,
} from './types.js';

/** The exchange waiting for its reply. */
export interface WaitingReply<Reply> {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

export abstract class PolledCardPrinter<Reply, Options extends CardPrinterOptions = CardPrinterOptions>
  extends EventEmitter
  implements CardPrinterDriver
{
  readonly kind = 'card-printer';
  abstract readonly vendor: string;
  private waitingReply: WaitingReply<Reply> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  protected connected = false;
  private poller: TimerHandle | undefined;
  /** Who waits for the link to be open again, identified and polled (`whenReconnected`). */
  private readonly reconnectWaiters = new Set<(connected: boolean) => void>();
  /** A card being made: the idle poll stays out of its way. */
  protected busy = false;
  protected readonly current: CardPrinterStatus;

  constructor(
    protected readonly options: Options,
    model: string | null,
  ) {
    super();
    this.current = {
      model,
      firmware: null,
      serial: null,
      ribbon: { type: null, panelsLeft: null, low: false },
      problem: null,
      cleaningDue: false,
      cardsPrinted: null,
      lastReply: null,
    };
  }

  get id(): string {
    return this.options.id;
  }

  abstract printedImage(image: Uint8Array, ribbon: CardRibbon): Uint8Array;
  abstract printCard(card: CardJob): Promise<CardJobResult>;
  /** Reads the printer's condition and reports what changed. */
  abstract poll(): Promise<CardPrinterStatus>;
  /** Reads what the printer says it is (model, firmware, serial…), once connected. */
  protected abstract identify(): Promise<void>;
  /** Forgets any reply half read on an earlier link. */
  protected abstract resetReplies(): void;
  /** Bytes from the printer: each whole reply to `takeWaiting()`, a garbled one rejected. */
  protected abstract receive(chunk: Buffer): void;

  status(): CardPrinterStatus {
    return structuredClone(this.current);
  }

  condition(): DeviceCondition {
    const s = this.current;
    const detail = {
      model: s.model,
      firmware: s.firmware,
      serial: s.serial,
      ribbon: { ...s.ribbon }, // a copy: the record must not change with the driver's live state
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
    this.resetReplies();
    transport.on('data', this.onData);
    transport.on('close', this.onClose);
    try {
      await transport.open();
      this.connected = true;
      await this.identify();
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
    for (const waiter of [...this.reconnectWaiters]) waiter(true);
  }

  /**
   * Resolves true once the link is open again (the supervisor reconnected it: the printer identified
   * and polled), false if it is not within `withinMs`. Resolves at once when connected.
   */
  protected whenReconnected(withinMs: number): Promise<boolean> {
    if (this.connected && this.poller !== undefined) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (connected: boolean) => {
        this.reconnectWaiters.delete(waiter);
        timer.cancel();
        resolve(connected);
      };
      const waiter = (connected: boolean) => done(connected);
      const timer = this.options.clock.setTimeout(
        `card-printer ${this.id} reconnect wait`,
        () => done(false),
        withinMs,
      );
      this.reconnectWaiters.add(waiter);
    });
  }

  /**
   * Whether the printer made the card whose `sent` (its job, its eject) went out before the link
   * failed, its card counter having stood at `before`: read with `readCounter` once the link is back,
   * within `withinMs` (lost again or garbled as it is read, it is asked again while that allows). The
   * counter up, the card was made (true); the same, it was not (false: printing again is safe). Not
   * back in time, or the counter unread, nobody can tell: `outcome_unknown`, which asks staff to look
   * in the printer's output hopper, never to print again blindly (`cardTaken` as the driver's other
   * faults at that point).
   */
  protected async cardMadeMeanwhile(
    before: number | null,
    sent: string,
    cardTaken: boolean,
    withinMs: number,
    readCounter: () => Promise<number | null>,
  ): Promise<boolean> {
    const unknown = (why: string) =>
      new CardPrintError(
        'outcome_unknown',
        `the link to the printer failed after the card's ${sent} was sent, and ${why}: whether the card was made is not known — look in the printer's output hopper before printing it again`,
        cardTaken,
        false,
      );
    if (before === null) throw unknown(`its card counter was not read before the ${sent}`);
    const deadline = this.options.clock.monotonic() + withinMs;
    for (;;) {
      const left = deadline - this.options.clock.monotonic();
      if (left <= 0 || !(await this.whenReconnected(left)))
        throw unknown(`it was not back within ${withinMs} ms`);
      try {
        const after = await readCounter();
        if (after === null) throw unknown('its card counter did not read as a number');
        this.options.logger.info(
          { printed: after > before },
          `the link came back after a card's ${sent} was sent: its card counter tells`,
        );
        return after > before;
      } catch (error) {
        if (error instanceof CardPrintError) throw error;
        // Lost again as it was read, or garbled: ask again (the next link), as the deadline allows.
        await this.options.clock.sleep(Math.min(this.options.statusIntervalMs, 500));
      }
    }
  }

  async disconnect(): Promise<void> {
    // Closed on purpose (the desk stopping): nobody waits for a link that will not come back.
    for (const waiter of [...this.reconnectWaiters]) waiter(false);
    this.stopPolling();
    this.connected = false;
    this.failWaiting(new TransportError('closed', 'the printer was disconnected'));
    this.options.transport.off('data', this.onData);
    this.options.transport.off('close', this.onClose);
    await this.options.transport.close();
  }

  /**
   * The ribbon has `left` panels and the card needs `panels` (more): the status says so (out at 0,
   * low) and the card is refused before anything of it is sent — sent, the printer would take a
   * card, write its stripe with the patron's number and stop half-way.
   */
  protected ribbonTooShort(left: number, panels: number): CardPrintError {
    const before = this.status();
    this.current.ribbon.panelsLeft = left;
    this.current.ribbon.low = left <= this.options.ribbonLowPanels;
    if (left === 0) this.current.problem = 'ribbon_out';
    this.report(before, this.current);
    return new CardPrintError(
      'ribbon_out',
      left === 0
        ? 'the ribbon is used up: put in a new ribbon, then print again (no card was taken)'
        : `the ribbon has ${left} panel${left === 1 ? '' : 's'} left and this card needs ${panels}: put in a new ribbon, then print again (no card was taken)`,
      false,
      false,
    );
  }

  /** Emits the condition when the status changed, then an event per problem, low ribbon or cleaning due. */
  protected report(before: CardPrinterStatus, after: CardPrinterStatus): void {
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
    // The health record first, then the events: a listener's failure must not leave the record behind.
    if (changed) this.emit('condition', this.condition());
    for (const [type, data] of events) this.emit('event', type, data);
  }

  /** Work on the link after everything queued before it (at most `queueLimit` waiting). */
  protected enqueue<T>(work: () => Promise<T>): Promise<T> {
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

  /** Writes `bytes` and waits for the reply; none within `timeoutMs`: the printer is gone. */
  protected exchange(bytes: Buffer, name: string, timeoutMs: number): Promise<Reply> {
    if (!this.connected)
      return Promise.reject(new TransportError('not_connected', 'the printer is not connected'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(
        `card-printer ${this.id} reply`,
        () => {
          this.waitingReply = undefined;
          const error = new TimeoutError(`the card printer did not answer ${name} within ${timeoutMs} ms`);
          reject(error);
          this.lost(error);
        },
        timeoutMs,
      );
      this.waitingReply = { resolve, reject, timer };
      this.options.transport.send(bytes, (error) => {
        if (this.waitingReply?.timer === timer) {
          timer.cancel();
          this.waitingReply = undefined;
          reject(error);
        }
      });
    });
  }

  /** The exchange waiting for the reply just read, its timer stopped; undefined when none is. */
  protected takeWaiting(): WaitingReply<Reply> | undefined {
    const waiting = this.waitingReply;
    this.waitingReply = undefined;
    waiting?.timer.cancel();
    return waiting;
  }

  protected lost(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    this.stopPolling();
    this.failWaiting(error);
    this.options.transport.off('data', this.onData);
    this.options.transport.off('close', this.onClose);
    void this.options.transport.close();
    this.emit('disconnected', error);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.receive(chunk);
  };

  private readonly onClose = (error: Error | undefined): void => {
    if (!this.connected) return;
    this.lost(error ?? new TransportError('closed', 'the card printer closed the link'));
  };

  private failWaiting(error: Error): void {
    this.takeWaiting()?.reject(error);
  }

  private stopPolling(): void {
    this.poller?.cancel();
    this.poller = undefined;
  }
}
