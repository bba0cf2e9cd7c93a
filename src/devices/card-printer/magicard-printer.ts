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
import { CardPrintError } from './errors.js';
import { PolledCardPrinter } from './polled-printer.js';
import type {
  CardJob,
  CardJobResult,
  CardPrinterStatus,
  CardRibbon,
  MagicardPrinterOptions,
} from './types.js';

/** CLP values that mean no cleaning is asked for. */
const NO_CLEANING = new Set(['', 'OFF', 'NO', '0']);

export class MagicardPrinter extends PolledCardPrinter<Buffer, MagicardPrinterOptions> {
  readonly vendor = 'magicard';
  private readonly replies = new MagicardReplyFramer();
  /** A job that did not come out: the printer is `error` until its card counter moves. */
  private stuck = false;

  constructor(options: MagicardPrinterOptions) {
    super(options, 'Magicard');
  }

  /**
   * A job the printer holds as the link opens is one nobody waits for: sent before a link was lost
   * (the cable pulled while its card could not come out, the feeder empty) or by a Carrel since
   * stopped. The card it makes would come out later, unasked — once staff fill the feeder, as a
   * second card after they printed again — while its issue is recorded failed: `RST` drops it first.
   */
  protected async identify(): Promise<void> {
    await this.write(encodeSimpleCommand('RST'), 'RST');
    this.current.serial = await this.query('MSR');
    this.current.firmware = await this.query('VRS');
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
    /** The card counter before the job, once any of its bytes went to the printer. */
    let sentAt: { before: number | null } | undefined;
    const magstripe = tracks.length > 0 ? 'written' : null;
    try {
      await this.refuseShortRibbon(card.back ? 2 : 1);
      const before = await this.counter();
      for (const job of jobs) {
        await this.write(job, 'print job', () => {
          sentAt = { before };
        });
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
      return { readBack: {}, magstripe, bytesSent };
    } catch (error) {
      if (error instanceof CardPrintError) throw error;
      // The job (or part of it) went out before the link failed: the printer may have made the card
      // meanwhile. Its counter, read once it is back, tells; "failed" could print a second card.
      if (
        sentAt &&
        (await this.cardMadeMeanwhile(sentAt.before, 'job', false, this.options.printTimeoutMs, async () => {
          // RST first (as `identify` sends it on connecting): a job the printer still holds is dropped
          // and cannot print later. Sent again for a link that never dropped (a garbled reply).
          await this.write(encodeSimpleCommand('RST'), 'RST');
          return this.counter();
        }))
      ) {
        this.stuck = false;
        return { readBack: {}, magstripe, bytesSent };
      }
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

  /**
   * Refuses the card before any of it goes to the printer when the ribbon has fewer panels left
   * (DFR) than the card prints, a panel a side: sent, the printer would take a card, write its
   * stripe with the patron's number and stop half-way. A printer that answers no number is not stopped.
   */
  private async refuseShortRibbon(panels: number): Promise<void> {
    const left = number(await this.query('DFR'));
    if (left !== null && left < panels) throw this.ribbonTooShort(left, panels);
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

  /** One status value, asked after everything queued before it (bounded queue, a timeout). */
  private query(key: StatusKey): Promise<string> {
    return this.enqueue(async () => {
      const body = await this.exchange(encodeStatusQuery(key), `STA,${key}`, this.options.replyTimeoutMs);
      // A reply that does not parse is the answer too: the query fails now, not at its timeout.
      try {
        return parseStatusReply(key, body);
      } catch (error) {
        this.options.logger.warn({ code: (error as CarrelError).code }, (error as Error).message);
        throw error;
      }
    });
  }

  /** Bytes the printer does not answer (a job, RST), in their turn between queries. */
  private write(bytes: Buffer, name: string, sending?: () => void): Promise<void> {
    return this.enqueue(async () => {
      if (!this.connected) throw new TransportError('not_connected', 'the printer is not connected');
      sending?.();
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

  protected resetReplies(): void {
    this.replies.reset();
  }

  protected receive(chunk: Buffer): void {
    for (const item of this.replies.push(chunk)) {
      const waiting = this.takeWaiting();
      if (!waiting) {
        this.options.logger.warn('a reply nobody asked for');
        continue;
      }
      if (item.ok) {
        waiting.resolve(item.body);
        continue;
      }
      // A garbled answer is the answer to the query waiting: it fails now, not at its timeout.
      this.options.logger.warn({ code: item.error.code }, item.error.message);
      waiting.reject(item.error);
    }
  }
}

/** A counter's text as a number; null when it is none. */
function number(text: string): number | null {
  return /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : null;
}
