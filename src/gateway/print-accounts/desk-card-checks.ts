/**
 * What the library system says of a card at the print desk, as the desk may wait for it: whether it
 * knows the card (a top-up or a transfer for a card it does not know, or says is lost, expired or
 * blocked, is refused), and — for money taken while it did not answer in time — what it says later,
 * logged for staff by the ledger entry or the transfer, never the card number.
 */
import { type Clock, withDeadline } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CirculationRefusal, RefusalReason } from '../circulation/reasons.js';
import type { PrintAccountDeposit, PrintAccountDepositResult } from '../contracts/print-accounts.js';
import { type CardNotUsableReason, cardNotUsableReason } from './card-usable.js';
import { deskTopUpRefusal, LATE_WORDS, transferRefusal } from './desk-card-refusals.js';

/** Checks a patron's card (and PIN, when given) at the ILS: the circulation service's identifyPatron. */
export type IdentifyPatron = (request: { patron: string; pin?: string }) => Promise<{
  patron: { valid: boolean; name: string; reasons?: readonly RefusalReason[]; screenMessages?: string[] };
}>;

/** Whether the library system knows a card, and the name it gives; known null: it cannot be asked now. */
export type CardAtLibrary = { known: boolean | null; name: string | null };
/**
 * What the desk hears of a card: as the API tells it, and why the library system says it cannot be
 * used for the print account (reported lost, expired, its patron blocked), if it says so.
 */
type CardAnswer = CardAtLibrary & { notUsable?: CardNotUsableReason };

/** The library system's answer as the desk waited for it (`inTime`), and whenever it comes (`late`). */
export interface CardAnswers {
  inTime: CardAnswer;
  late: Promise<CardAnswer>;
}

export interface DeskCardCheckOptions {
  identify?: IdentifyPatron;
  clock: Clock;
  logger: Logger;
  /** How long the desk waits for the library system's answer before taking it as offline. */
  deskCardCheckMs: number;
}

export class DeskCardChecks {
  constructor(private readonly options: DeskCardCheckOptions) {}

  async cardAtLibrary(patron: string): Promise<CardAtLibrary> {
    const { known, name } = (await this.ask(patron)).inTime;
    return { known, name };
  }

  /**
   * What the library system says of a card, as the desk may wait for it (`inTime`: known null
   * when it cannot be asked now, or has not answered within deskCardCheckMs), and its answer
   * whenever it comes (`late`).
   */
  ask(patron: string): Promise<CardAnswers> {
    const identify = this.options.identify;
    const unknown: CardAnswer = { known: null, name: null };
    if (!identify) return Promise.resolve({ inTime: unknown, late: Promise.resolve(unknown) });
    const late = identify({ patron }).then(
      (answer): CardAnswer => {
        if (!answer.patron.valid) return { known: false, name: null };
        const notUsable = cardNotUsableReason(answer.patron.reasons);
        return { known: true, name: answer.patron.name, ...(notUsable ? { notUsable } : {}) };
      },
      // A number SIP2 cannot carry (a field delimiter or a line break in it: a paste, a scanner's
      // suffix) is refused before it is sent (ils_bad_request): no library card has it. Taken as the
      // library system away, the cash went on an account of nobody.
      (error: unknown): CardAnswer =>
        error instanceof CarrelError &&
        (error.code === 'patron_not_found' || error.code === 'ils_bad_request')
          ? { known: false, name: null }
          : unknown,
    );
    // A hung SIP2 server holds a request for the link's whole timeout (seconds) with the cash in
    // staff hands: past the desk's own wait it is as good as offline.
    return withDeadline(
      this.options.clock,
      'print-desk-card-check',
      late,
      this.options.deskCardCheckMs,
      () => new Error('no answer in time'),
    ).then(
      (inTime) => ({ inTime, late }),
      () => ({ inTime: unknown, late }),
    );
  }

  /**
   * The library system's answers about a card a top-up at the desk is for; throws when it refuses
   * the top-up (a card it does not know, or one reported lost, expired or blocked).
   */
  async checkTopUp(patron: string, source: PrintAccountDeposit['source']): Promise<CardAnswers> {
    const card = await this.ask(patron);
    if (card.inTime.known === false)
      throw new CarrelError(
        'patron_not_found',
        'the library system does not know this card: nothing was topped up; check the number on the card (what an account already holds can still be paid out)',
      );
    const refusal = deskTopUpRefusal(card.inTime.notUsable, source);
    if (refusal) throw refusal;
    return card;
  }

  /**
   * A top-up taken unchecked: should the library system say later that it does not know the card (a
   * mistyped number) or that it would have been refused (lost, expired, blocked), staff hear
   * which entry to look at (the cash is in the drawer and on that entry) — never the card number.
   */
  followUncheckedTopUp(
    card: CardAnswers,
    result: PrintAccountDepositResult,
    source: PrintAccountDeposit['source'],
  ): void {
    if (card.inTime.known !== null) return;
    void card.late.then((answer) => {
      if (result.repeated) return;
      if (answer.known === false)
        this.options.logger.warn(
          { entry: result.entryId },
          'a top-up at the desk taken while the library system did not answer is for a card it says it does not know: check the number on the card with the patron',
        );
      else if (answer.notUsable && deskTopUpRefusal(answer.notUsable, source))
        this.options.logger.warn(
          { entry: result.entryId, reason: answer.notUsable },
          `a top-up at the desk taken while the library system did not answer is for a card it says ${LATE_WORDS[answer.notUsable]}: check the card with the patron, and refund or move the entry`,
        );
    });
  }

  /**
   * Why a transfer of ILS credit is refused for the card, as a desk top-up from that source is
   * (deskTopUpRefusal: lost, expired, blocked), in the words of a transfer; undefined when it may
   * go ahead. When the library system does not answer over SIP2 in time the transfer goes ahead,
   * as a top-up does, and staff hear later which transfer to look at should it say the card would
   * have been refused.
   */
  async transferRefusal(requestId: string, patron: string): Promise<CirculationRefusal | undefined> {
    const card = await this.ask(patron);
    if (card.inTime.known === null) {
      void card.late.then((answer) => {
        if (answer.notUsable)
          this.options.logger.warn(
            { transferRequest: requestId, reason: answer.notUsable },
            `a transfer of ILS credit made while the library system did not answer about the card is for a card it says ${LATE_WORDS[answer.notUsable]}: check the card with the patron, and pay out or move the credit`,
          );
      });
      return undefined;
    }
    return transferRefusal(card.inTime.notUsable);
  }
}
