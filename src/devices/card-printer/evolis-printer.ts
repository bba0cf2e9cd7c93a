/**
 * An Evolis card printer on any Transport (TCP, a serial line, /dev/usb/lp*). Commands go one at a
 * time, each answered before the next (a bounded queue, a timeout per command). While idle it polls
 * the printer's condition (`Rlr;p`), its ribbon (`Rco;l`) and cleaning counter, and reports ribbon
 * low/out, no cards, cover open, cleaning due and jams as its condition and as events.
 *
 * A card is made in one sequence: take a card (`Ss`), write and read back the magnetic stripe
 * (`Dm`, `Smw`, `Smr`) before any ink is spent, print the front (`Sr`, panels) and the back (`Sv`,
 * panels), and eject it (`Se`). A card that fails on the way goes to the reject box (`Seb`).
 *
 * The card counter (`Rco;c`, cards ejected) is read before the card is taken. A link that fails once
 * `Se` has gone out leaves the card's fate open: the printer may have ejected it. Once the link is back
 * (within `printTimeoutMs`) the counter tells: up, the card was made (issued, never printed again);
 * the same, it is still inside and goes to the reject box (`link_lost`: printing again is safe); not
 * back in time, or unread, `outcome_unknown` — staff look in the output hopper.
 */
import { PeerError, TimeoutError } from '../../core/errors.js';
import {
  command,
  compressPanel,
  type EvolisCommand,
  type EvolisFault,
  type EvolisReply,
  EvolisReplyFramer,
  encodeCommand,
  imageToPanels,
  type Panel,
  packPanel,
  panelsToImage,
  parseTrackText,
  type TrackNumber,
} from '../../protocols/evolis/index.js';
import { CardPrintError } from './errors.js';
import { PolledCardPrinter } from './polled-printer.js';
import type {
  CardJob,
  CardJobResult,
  CardPrinterProblem,
  CardPrinterStatus,
  CardRibbon,
  EvolisPrinterOptions,
} from './types.js';

export type {
  CardJob,
  CardJobResult,
  CardPrinterDriver,
  CardPrinterProblem,
  CardPrinterStatus,
  EvolisPrinterOptions,
} from './types.js';

const PROBLEMS: Partial<Record<EvolisFault, CardPrinterProblem>> = {
  ribbon_out: 'ribbon_out',
  ribbon_missing: 'ribbon_out',
  no_card: 'no_card',
  cover_open: 'cover_open',
  jam: 'jam',
};

/**
 * The panels one side of a card takes on the ribbon loaded (`Rr`): y, m, c, k and o on a colour
 * ribbon, as `imageToPanels` makes them; one on a black ribbon, or one the driver does not know.
 */
function panelsPerSide(ribbon: string | null): number {
  return ribbon?.trim().toLowerCase() === 'ymcko' ? 5 : 1;
}

export class EvolisPrinter extends PolledCardPrinter<EvolisReply, EvolisPrinterOptions> {
  readonly vendor = 'evolis';
  private readonly replies = new EvolisReplyFramer();

  constructor(options: EvolisPrinterOptions) {
    super(options, null);
  }

  protected async identify(): Promise<void> {
    const [model, firmware, serial, ribbon] = await Promise.all([
      this.read('Rtp'),
      this.read('Rfv'),
      this.read('Rsn'),
      this.read('Rr'),
    ]);
    Object.assign(this.current, { model, firmware, serial });
    this.current.ribbon.type = ribbon;
  }

  /** The image on the ribbon's panels (1-bit resin black, 32-level colour), printed on white. */
  printedImage(image: Uint8Array, ribbon: CardRibbon): Uint8Array {
    return panelsToImage(imageToPanels(image, ribbon));
  }

  /** Makes one card; resolves once it is ejected, or rejects with CardPrintError (the card rejected). */
  async printCard(card: CardJob): Promise<CardJobResult> {
    const job = {
      ribbon: card.ribbon,
      front: imageToPanels(card.front, card.ribbon),
      back: card.back ? imageToPanels(card.back, 'k') : [],
      tracks: card.tracks,
    };
    this.busy = true;
    let taken = false;
    let bytesSent = 0;
    /** The card counter before the card was taken, once its eject (`Se`) went to the printer. */
    let ejectSent: { before: number | null } | undefined;
    let before: number | null = null;
    const readBack: CardJobResult['readBack'] = {};
    const tracks = Object.entries(job.tracks) as Array<[string, string]>;
    const magstripe = tracks.length > 0 ? 'verified' : null;
    const step = async (cmd: EvolisCommand, sending?: () => void): Promise<EvolisReply> => {
      const bytes = encodeCommand(cmd);
      bytesSent += bytes.length;
      const reply = await this.send(bytes, cmd.name, sending);
      if (reply.kind === 'error') {
        this.noteFault(reply.fault, reply.text);
        throw new CardPrintError(reply.fault, `the printer refused ${cmd.name}: ${reply.text}`, taken, false);
      }
      return reply;
    };
    try {
      await step(command('Pr', job.ribbon));
      await step(command('Pmi', 'F'));
      before = await this.cardCounter();
      await this.refuseShortRibbon(job.front.length + job.back.length);
      await this.takeCard();
      taken = true;
      if (tracks.length > 0) {
        for (const [track, data] of tracks) await step(command('Dm', track, data));
        await step(command('Smw'));
        for (const [track, data] of tracks) {
          const reply = await step(command('Smr', track));
          const text = reply.kind === 'value' ? reply.text : '';
          let read: string;
          try {
            read = parseTrackText(Number(track) as TrackNumber, text);
          } catch {
            throw new CardPrintError(
              'magstripe_mismatch',
              `track ${track} read back unreadable`,
              true,
              false,
            );
          }
          readBack[Number(track) as TrackNumber] = read;
          if (read !== data)
            throw new CardPrintError('magstripe_mismatch', `track ${track} read back differs`, true, false);
        }
      }
      await step(command('Sr'));
      for (const panel of job.front) await step(download(panel));
      if (job.back.length > 0) {
        await step(command('Sv'));
        for (const panel of job.back) await step(download(panel));
      }
      await step(command('Se'), () => {
        ejectSent = { before };
      });
      this.current.lastReply = 'OK';
      return { readBack, magstripe, bytesSent };
    } catch (error) {
      if (ejectSent && !(error instanceof CardPrintError)) {
        // The eject went out before the link failed: the printer may have made the card meanwhile.
        if (
          await this.cardMadeMeanwhile(ejectSent.before, 'eject', true, this.options.printTimeoutMs, () =>
            this.cardCounter(),
          )
        )
          return { readBack, magstripe, bytesSent };
        // Still inside: the reject box, so that it never comes out as a second card.
        const rejected = await this.reject();
        throw new CardPrintError(
          'link_lost',
          'the link to the printer failed as the card was ejected; it was not ejected (its card counter did not move), so printing it again is safe',
          true,
          rejected,
        );
      }
      const failure =
        error instanceof CardPrintError
          ? error
          : new CardPrintError(
              error instanceof TimeoutError
                ? 'no_reply'
                : error instanceof PeerError
                  ? 'bad_reply'
                  : 'link_lost',
              (error as Error).message,
              taken,
              false,
            );
      if (!taken) throw failure;
      // Not rejected (the link lost mid-card), the card stays inside: the next card's `Ss` finds it.
      const rejected = await this.reject();
      throw new CardPrintError(failure.fault, failure.message, true, rejected);
    } finally {
      this.busy = false;
      this.poll().catch(() => {});
    }
  }

  /**
   * Takes a card from the feeder (`Ss`). A printer holding a card already answers "busy": a card an
   * earlier job took and never ejected — its link lost mid-card, or the Carrel that made it stopped —
   * as no job of this driver's is under way (one card at a time). Nothing in the printer's answers
   * says whose card it is, and a memory of it would not outlive a restart: that card, half made, goes
   * to the reject box and the card is taken again, once. A reject refused (a jam, the cover open) is
   * the card's failure, in the printer's own words.
   */
  private async takeCard(): Promise<void> {
    const reply = await this.send(encodeCommand(command('Ss')), 'Ss');
    if (reply.kind === 'error' && reply.fault === 'busy') {
      this.options.logger.warn('a card left inside the printer by an earlier job goes to the reject box');
      await this.expect(command('Seb'));
      await this.expect(command('Ss'));
      return;
    }
    if (reply.kind === 'error') this.refused(command('Ss'), reply);
  }

  /**
   * Refuses the card before one is taken when the ribbon has fewer panels left (`Rco;l`) than the
   * card prints: taken, its stripe would get the patron's number and the card would go to the reject
   * box half printed, a card and the panels spent. A printer that answers no number is not stopped.
   */
  private async refuseShortRibbon(panels: number): Promise<void> {
    const text = await this.read('Rco', 'l');
    if (text === null || !/^\s*\d{1,9}\s*$/.test(text)) return;
    const left = Number(text);
    if (left < panels) throw this.ribbonTooShort(left, panels);
  }

  /** One command of a card's sequence, refused: its fault noted, the card failed (none taken yet). */
  private async expect(cmd: EvolisCommand): Promise<void> {
    const reply = await this.sendReply(cmd);
    if (reply.kind === 'error') this.refused(cmd, reply);
  }

  private refused(cmd: EvolisCommand, reply: Extract<EvolisReply, { kind: 'error' }>): never {
    this.noteFault(reply.fault, reply.text);
    throw new CardPrintError(reply.fault, `the printer refused ${cmd.name}: ${reply.text}`, false, false);
  }

  /** The cards ejected so far (`Rco;c`); null when the printer answers no number. */
  private async cardCounter(): Promise<number | null> {
    const text = await this.read('Rco', 'c');
    return text !== null && /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : null;
  }

  /** Sends the card in the printer to the reject box; false when the printer could not. */
  private async reject(): Promise<boolean> {
    try {
      const reply = await this.send(encodeCommand(command('Seb')), 'Seb');
      return reply.kind === 'ok';
    } catch {
      return false;
    }
  }

  /** Reads the condition, the ribbon and the cleaning counter, and reports what changed. */
  async poll(): Promise<CardPrinterStatus> {
    const [condition, ribbon, cards] = await Promise.all([
      this.sendReply(command('Rlr', 'p')),
      this.sendReply(command('Rco', 'l')),
      this.sendReply(command('Rco', 'c')),
    ]);
    const before = this.status();
    const next = this.current;
    next.lastReply = condition.kind === 'ok' ? 'OK' : condition.text;
    next.problem = condition.kind === 'error' ? (PROBLEMS[condition.fault] ?? null) : null;
    if (condition.kind === 'error' && condition.fault === 'unknown_error') next.problem = 'error';
    next.cleaningDue = condition.kind === 'error' && condition.fault === 'cleaning_due';
    const left = ribbon.kind === 'value' ? Number(ribbon.text) : Number.NaN;
    next.ribbon.panelsLeft = Number.isFinite(left) ? left : null;
    next.ribbon.low =
      next.ribbon.panelsLeft !== null && next.ribbon.panelsLeft <= this.options.ribbonLowPanels;
    // Fewer panels left than a side prints on (five on a colour ribbon): no card can be made.
    if (next.ribbon.panelsLeft !== null && next.ribbon.panelsLeft < panelsPerSide(next.ribbon.type))
      next.problem ??= 'ribbon_out';
    const printed = cards.kind === 'value' ? Number(cards.text) : Number.NaN;
    next.cardsPrinted = Number.isFinite(printed) ? printed : null;
    this.report(before, next);
    return this.status();
  }

  private noteFault(fault: EvolisFault, text: string): void {
    const problem = PROBLEMS[fault];
    if (!problem) return;
    const before = this.status();
    this.current.problem = problem;
    this.current.lastReply = text;
    this.report(before, this.current);
  }

  private async read(name: string, ...args: string[]): Promise<string | null> {
    const reply = await this.sendReply(command(name, ...args));
    return reply.kind === 'value' ? reply.text : null;
  }

  private sendReply(cmd: EvolisCommand): Promise<EvolisReply> {
    return this.send(encodeCommand(cmd), cmd.name);
  }

  /** One command, answered before the next goes (bounded queue, a timeout that grows with its size). */
  private send(bytes: Buffer, name: string, sending?: () => void): Promise<EvolisReply> {
    const rate = this.options.bytesPerSecond ?? 1_000_000;
    const timeoutMs = this.options.replyTimeoutMs + Math.ceil((bytes.length / rate) * 1000);
    return this.enqueue(() => {
      if (this.connected) sending?.();
      return this.exchange(bytes, name, timeoutMs);
    });
  }

  protected resetReplies(): void {
    this.replies.reset();
  }

  protected receive(chunk: Buffer): void {
    for (const item of this.replies.push(chunk)) {
      if (!item.ok) {
        // A garbled answer is the answer to the command waiting: it fails now, not at its timeout.
        this.options.logger.warn({ code: item.error.code }, item.error.message);
        this.takeWaiting()?.reject(item.error);
        continue;
      }
      const waiting = this.takeWaiting();
      if (!waiting) {
        this.options.logger.warn('a reply nobody asked for');
        continue;
      }
      waiting.resolve(item.reply);
    }
  }
}

/** A panel as its download: 1-bit panels compressed (`Dbc`), colour ones packed (`Db`). */
function download(panel: Panel): EvolisCommand {
  return panel.levels === 2
    ? { name: 'Dbc', panel: panel.name, levels: 2, data: compressPanel(panel) }
    : { name: 'Db', panel: panel.name, levels: panel.levels, data: packPanel(panel) };
}
