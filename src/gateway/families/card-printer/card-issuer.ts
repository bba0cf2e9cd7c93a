/**
 * Issuing a card, one at a time per printer: the patron from the ILS (SIP2 patron information: name,
 * expiry), the card number (the patron's barcode, or the next of the configured range), the template
 * rendered to the ribbon's panels, the issue recorded, then the card made — stripe written and read
 * back first, a card that fails going to the reject box and the next card tried, up to the configured
 * attempts — and the issue finished as issued or failed. Nothing here logs the patron or the number.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { CarrelError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { encodePng } from '../../../core/png.js';
import { CardPrintError } from '../../../devices/card-printer/errors.js';
import type { CardJob, CardPrinterDriver } from '../../../devices/card-printer/types.js';
import { CARD_HEIGHT, CARD_WIDTH, checkTrackData } from '../../../protocols/evolis/index.js';
import { readImageHeader } from '../../../protocols/image/header.js';
import {
  type CardNumbering,
  CODE39_CHARSET,
  cardNumber,
  isCardNumber,
} from '../../../protocols/library-card/card-number.js';
import type { CardTemplates } from './card-templates.js';
import { checkPhotoReadable } from './card-templates.js';
import type { CardPrinterConfig } from './config.js';
import type { CardIssueEvent } from './events.js';
import type { CardIssueRecord, CardIssueRecords } from './issue-records.js';
import type { CardIssueRequest, CardPreview } from './port.js';

/** What the issuer needs of the ILS: a patron's name and expiry. */
export type PatronLookup = (patron: string) => Promise<{ name: string; expiry: string | null }>;

export interface CardIssuerOptions {
  config: CardPrinterConfig;
  templates: CardTemplates;
  records: CardIssueRecords;
  printer: () => CardPrinterDriver;
  lookUpPatron: PatronLookup;
  /**
   * Whether the ILS already has a patron with this card number. A number the counter hands out
   * is skipped when it does: the counter only knows this database, which may be a backup restored
   * after more cards were issued, or a range another desk also issues from.
   */
  numberInUse?: (number: string) => Promise<boolean>;
  clock: Clock;
  logger: Logger;
  emit: (type: 'issued' | 'issue_failed', event: CardIssueEvent) => void;
}

/** Numbers the ILS already has, skipped in a row, before the issue is refused rather than search on. */
const MAX_NUMBERS_SKIPPED = 50;
const PHOTO_KEEP_MS = 30 * 60_000;
const PHOTOS_KEPT = 16;
/** The first try at recording an issue the database refused, and the longest wait between tries. */
const RECORD_RETRY_FIRST_MS = 1000;
const RECORD_RETRY_MAX_MS = 60_000;
const RETRIABLE = new Set(['magstripe_mismatch', 'magstripe_checksum', 'magstripe_data', 'magstripe_write']);

export class CardIssuer {
  /**
   * Uploaded photos by id, each for PHOTO_KEEP_MS on a timer of its own (a patron's photo is not
   * kept in memory past what the API promises, whether or not another upload comes), or until
   * PHOTOS_KEPT newer ones push it out. A photo let go is overwritten with zeros.
   */
  private readonly photos = new Map<string, { bytes: Buffer; expiry: TimerHandle }>();
  private chain: Promise<unknown> = Promise.resolve();
  /**
   * Cards made (or failed) whose issue the records refused to finish (a full disk, the database
   * locked past its wait), by issue id: recorded before this printer is given another card, which
   * waits until they are. One still here when Carrel stops stays `printing`, in doubt at the next start.
   */
  private readonly unrecorded = new Map<string, { template: string; outcome: IssueOutcome }>();
  /**
   * The next try at recording `unrecorded` without waiting for a print: the card on record as soon as
   * the database takes writes again, the patron's card no longer in doubt on the card page, another
   * printer of the desk free to print for them. Its delay doubles from RECORD_RETRY_FIRST_MS to
   * RECORD_RETRY_MAX_MS while the database refuses (each try without SQLite's busy wait: see
   * retryRecordingLater).
   */
  private recordRetry: TimerHandle | undefined;
  private recordRetryMs = RECORD_RETRY_FIRST_MS;
  private stopped = false;

  constructor(private readonly options: CardIssuerOptions) {}

  async addPhoto(bytes: Buffer): Promise<{ photoId: string; width: number; height: number }> {
    await checkPhotoReadable(bytes); // throws photo_* for what cannot be a photo, or cannot be read
    const header = readImageHeader(bytes)!;
    while (this.photos.size >= PHOTOS_KEPT) this.forgetPhoto(this.photos.keys().next().value!);
    const photoId = randomUUID();
    // The timer runs on the monotonic clock: the wall clock stepped back does not keep the photo.
    const expiry = this.options.clock.setTimeout(
      'card-photo-expiry',
      () => this.forgetPhoto(photoId),
      PHOTO_KEEP_MS,
    );
    this.photos.set(photoId, { bytes, expiry });
    return { photoId, width: header.width, height: header.height };
  }

  /**
   * The desk stopping: lets every photo go and stops trying to record what could not be (left
   * `printing`, in doubt at the next start).
   */
  stop(): void {
    this.stopped = true;
    for (const photoId of [...this.photos.keys()]) this.forgetPhoto(photoId);
    this.recordRetry?.cancel();
    this.recordRetry = undefined;
  }

  private forgetPhoto(photoId: string): void {
    const photo = this.photos.get(photoId);
    if (!photo) return;
    photo.expiry.cancel();
    photo.bytes.fill(0);
    this.photos.delete(photoId);
  }

  /**
   * The card as it would print, PNG, and the ILS's expiry date when the patron's registration has
   * expired (an issue would be refused without confirmExpired), so staff see it before they print.
   */
  async preview(
    request: Omit<CardIssueRequest, 'staff' | 'replaces'>,
    side: 'front' | 'back',
  ): Promise<CardPreview> {
    const { config } = this.options;
    const patron = await this.options.lookUpPatron(request.patron);
    const magstripe = request.magstripe ?? config.magstripe;
    if (request.number !== 'patron') this.refuseNewNumberOnStripe(magstripe);
    const number =
      request.number === 'patron'
        ? this.patronNumber(request.patron, magstripe)
        : await this.nextFreeNumber();
    const card = await this.render(request, patron, number);
    const chosen = side === 'front' ? card.front : card.back;
    if (!chosen)
      throw new CarrelError(
        'template_no_back',
        `card template "${request.template ?? config.defaultTemplate}" has no back`,
      );
    const printed = this.options.printer().printedImage(chosen, side === 'front' ? config.ribbon : 'k');
    return {
      png: encodePng(printed, CARD_WIDTH, CARD_HEIGHT),
      registrationExpired: this.isPast(patron.expiry) ? patron.expiry : null,
      cardNumber: number,
    };
  }

  issue(request: CardIssueRequest): Promise<CardIssueRecord> {
    const run = this.chain.then(() => this.issueNow(request));
    this.chain = run.catch(() => {});
    return run;
  }

  /** The next allocated number the ILS has no patron for; those it has are used up, never printed. */
  private async unusedNumber(allocate: () => string): Promise<string> {
    const inUse = this.options.numberInUse;
    for (let skipped = 0; ; skipped++) {
      const number = allocate();
      if (!inUse || !(await inUse(number))) {
        // The number itself names a patron: never in the log.
        if (skipped > 0)
          this.options.logger.warn(
            { skipped },
            'card numbers the ILS already has were skipped: was a backup restored, or does another desk issue from this range?',
          );
        return number;
      }
      if (skipped + 1 >= MAX_NUMBERS_SKIPPED)
        throw new CarrelError(
          'card_numbers_in_use',
          `the ILS already has patrons for the next ${MAX_NUMBERS_SKIPPED} card numbers of the range: ` +
            'move numbering.first past the numbers issued (was a backup restored?)',
        );
    }
  }

  private async issueNow(request: CardIssueRequest): Promise<CardIssueRecord> {
    const { config, records, clock, logger } = this.options;
    this.recordWhatWasMade();
    const template = request.template ?? config.defaultTemplate;
    // Before anything is asked, allocated or printed: a card for the patron printing at another printer
    // (checked again as the issue is recorded), or a card that may not be replaced, refuses the issue.
    if (request.replaces !== undefined) records.checkReplaceable(request.replaces, request.patron);
    records.checkNonePrinting(request.patron);
    // The patron's last card may have been made while the printer could not be asked: a second one
    // would be a second working card. Staff look in the output hopper first, and say it is not there.
    if (!request.confirmNotPrinted && records.outcomeUnknown(request.patron))
      throw new CarrelError(
        'card_outcome_unknown',
        'the patron’s last card was sent to the printer as the link to it failed, and whether it was printed is not known, so nothing was printed: look in the printer’s output hopper — if the card is there, it is the patron’s card; if it is not, print again confirming that (confirmNotPrinted)',
      );
    const patron = await this.options.lookUpPatron(request.patron);
    if (!request.confirmExpired) this.refuseExpired(patron.expiry);
    let number: string;
    const magstripe = request.magstripe ?? config.magstripe;
    if (request.number === 'patron') number = this.patronNumber(request.patron, magstripe);
    else {
      this.refuseNewNumberOnStripe(magstripe);
      const { numbering } = config;
      number = await this.unusedNumber(() =>
        cardNumber(
          numbering as CardNumbering,
          records.allocate(this.numberingKey(), numbering.first, numbering.last),
        ),
      );
    }
    // Render before anything is recorded: a broken template or photo records nothing.
    const card = await this.render(request, patron, number);
    const job: CardJob = {
      ribbon: config.ribbon,
      front: card.front,
      back: card.back,
      tracks: magstripe ? { 2: number } : {},
    };
    const now = () => new Date(clock.now()).toISOString();
    const issueId = records.begin({
      cardNumber: number,
      patron: request.patron,
      template,
      staff: request.staff,
      replaces: request.replaces,
      magstripe,
      notInHopper: request.confirmNotPrinted,
      at: now(),
    });
    let attempts = 0;
    let fault: string | undefined;
    let stripe: 'verified' | 'written' | null = null;
    for (;;) {
      attempts++;
      try {
        stripe = (await this.options.printer().printCard(job)).magstripe;
        fault = undefined;
        break;
      } catch (error) {
        const failure =
          error instanceof CardPrintError
            ? error
            : new CardPrintError('link_lost', (error as Error).message, false, false);
        fault = failure.fault;
        logger.warn({ issueId, attempt: attempts, fault, rejected: failure.rejected }, 'card not made');
        if (!RETRIABLE.has(fault) || !failure.rejected || attempts >= config.attempts) break;
      }
    }
    const outcome: IssueOutcome = {
      result: fault ? 'failed' : 'issued',
      fault,
      magstripe: fault ? null : stripe,
      attempts,
      at: now(),
    };
    try {
      return this.finish(issueId, template, outcome);
    } catch (error) {
      // The card may be out and the records cannot say so: never answered as nothing done, which
      // would let the same request print it again (card_outcome_unrecorded leaves its request id in
      // doubt). The outcome is kept, to be recorded before this printer is given another card.
      this.unrecorded.set(issueId, { template, outcome });
      this.retryRecordingLater();
      logger.error(
        { issueId, result: outcome.result, err: error },
        'a card issue could not be recorded: no card is printed at this printer until it is',
      );
      throw unrecordedError(issueId, outcome.fault, error);
    }
  }

  /** Records an issue's outcome, announces it and logs it (no patron, no number). */
  private finish(issueId: string, template: string, outcome: IssueOutcome): CardIssueRecord {
    const record = this.options.records.finish(issueId, outcome);
    const { fault, attempts } = outcome;
    const event: CardIssueEvent = {
      issueId,
      template,
      result: record.result === 'issued' ? 'issued' : 'failed',
      attempts,
      ...(fault ? { fault } : {}),
    };
    this.options.emit(fault ? 'issue_failed' : 'issued', event);
    this.options.logger.info({ issueId, result: record.result, attempts }, 'card issue finished');
    return record;
  }

  /**
   * Records the outcomes the records refused before (`unrecorded`), or refuses the issue asked for
   * now, printing nothing: what was made must be on record before another card is.
   */
  private recordWhatWasMade(): void {
    for (const [issueId, { template, outcome }] of this.unrecorded) {
      try {
        this.finish(issueId, template, outcome);
      } catch (error) {
        throw new CarrelError(
          'card_records_failing',
          'a card made at this printer earlier could not be recorded in Carrel’s database, and still cannot be (a full disk, or the database locked), so nothing was printed: tell IT, and print the card once the database works again',
          { cause: error },
        );
      }
      this.unrecorded.delete(issueId);
    }
  }

  /** Tries `recordWhatWasMade` again after the backoff's next delay, unless a try is waiting already. */
  private retryRecordingLater(): void {
    if (this.recordRetry || this.stopped) return;
    const delay = this.recordRetryMs;
    this.recordRetry = this.options.clock.setTimeout(
      'card-issue-record-retry',
      () => {
        this.recordRetry = undefined;
        try {
          // Without SQLite's busy wait: a try against a database another process holds locked
          // would otherwise hold the desk's event loop for 5 s each time. Before the printer's next
          // card, recordWhatWasMade still waits as any write does.
          this.options.records.withoutBusyWait(() => this.recordWhatWasMade());
          this.recordRetryMs = RECORD_RETRY_FIRST_MS;
          this.options.logger.info('the card issues the database refused before are recorded now');
        } catch {
          this.recordRetryMs = Math.min(delay * 2, RECORD_RETRY_MAX_MS);
          this.options.logger.warn(
            { unrecorded: this.unrecorded.size, retryInMs: this.recordRetryMs },
            'card issues still cannot be recorded: Carrel’s database refuses the write',
          );
          this.retryRecordingLater();
        }
      },
      delay,
    );
  }

  /**
   * Staff found the card of an issue whose outcome was unknown in the printer's output hopper: the
   * issue is recorded issued (`CardIssueRecords.foundInHopper`), with who said so (`staff`, never
   * logged) and when, and announced as any card issued. Its stripe is the one its issue asked for, as
   * the printer makes one (an Evolis read it back before its eject went out, a Magicard only writes
   * it); none for a card issued without one.
   */
  foundInHopper(issueId: string, staff: string, { printerGone = false } = {}): CardIssueRecord {
    const { config, records, clock, logger } = this.options;
    const record = records.foundInHopper(issueId, {
      // A card of a printer taken out of the configuration: whether that one read its stripe back
      // is not known, so the stripe is said written, not verified.
      printerStripe: !printerGone && this.options.printer().vendor === 'evolis' ? 'verified' : 'written',
      configuredStripe: config.magstripe,
      staff,
      at: new Date(clock.now()).toISOString(),
    });
    this.options.emit('issued', {
      issueId,
      template: record.template,
      result: 'issued',
      attempts: record.attempts,
    });
    logger.info({ issueId }, 'a card whose outcome was unknown was found in the output hopper: issued');
    return record;
  }

  /**
   * A patron whose registration has expired (the ILS's expiry date before today, the desk's day)
   * is not issued a card unless staff confirm: the card would print a date gone by, and the ILS
   * refuses such a patron's loans until the registration is renewed there.
   */
  private refuseExpired(expiry: string | null): void {
    if (this.isPast(expiry))
      throw new CarrelError(
        'patron_expired',
        // Said after the problem's title ("The patron’s registration has expired"), not again.
        `it ended on ${expiry}, the ILS’s expiry date: renew it in the library system first, or confirm to issue the card anyway`,
      );
  }

  /** Whether the ILS's expiry date is before today, the desk's day (no date: it never expires). */
  private isPast(expiry: string | null): expiry is string {
    if (expiry === null) return false;
    const now = new Date(this.options.clock.now());
    const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    return expiry < today;
  }

  /**
   * The patron's barcode as the card's number: printable in the desk's symbology and, on a card
   * with a stripe (`magstripe`: the request's choice, else the desk's), fit for track 2 — digits
   * only — before any card is spent on it. A card without a stripe needs only the first.
   */
  private patronNumber(patron: string, magstripe: boolean): string {
    const { symbology } = this.options.config.numbering;
    const printable =
      symbology === 'codabar'
        ? /^\d{1,24}$/.test(patron)
        : [...patron].every((ch) => CODE39_CHARSET.includes(ch));
    // Never the barcode itself in what is said: it names the patron.
    if (!printable) throw new CarrelError('card_number_invalid', unprintable(patron, symbology, magstripe));
    if (magstripe)
      try {
        checkTrackData(2, patron);
      } catch {
        // Never the barcode itself: it names the patron.
        throw new CarrelError(
          'card_number_invalid',
          /^\d*$/.test(patron)
            ? `the patron’s barcode is ${patron.length} digits, and magstripe track 2 holds at most 37: issue the card without a stripe (magstripe: false), or give it a new number (number: allocate)`
            : 'the patron’s barcode cannot go on magstripe track 2, which holds digits only (at most 37): issue the card without a stripe (magstripe: false), or give it a new number (number: allocate)',
        );
      }
    return patron;
  }

  /**
   * A new number on a stripe: track 2 holds digits only (ISO 7811), and a Code 39 number has a
   * letter in it — in a prefix with letters, or as its mod-43 check character, a letter or a sign
   * for most numbers. Such a card would fail its stripe and go to the reject box, the next one too:
   * refused before a number is allocated or a card taken.
   */
  private refuseNewNumberOnStripe(magstripe: boolean): void {
    const { numbering } = this.options.config;
    if (!magstripe || numbering.symbology !== 'code39') return;
    throw new CarrelError(
      'card_number_invalid',
      /^\d*$/.test(numbering.prefix)
        ? 'a new card number cannot go on the magnetic stripe: the printer numbers its cards in Code 39, whose check character is most often a letter or a sign, and track 2 holds digits only — issue the card without a stripe (magstripe: false), or number cards in Codabar (numbering.symbology: codabar)'
        : 'a new card number cannot go on the magnetic stripe: the printer’s numbering prefix has letters, and track 2 holds digits only — issue the card without a stripe (magstripe: false), or number cards with a digits-only prefix in Codabar (numbering.symbology: codabar)',
    );
  }

  /** The counter's key of the configured range. */
  private numberingKey(): string {
    const { numbering } = this.options.config;
    return `${numbering.symbology}:${numbering.prefix}:${numbering.sequenceDigits}`;
  }

  /**
   * The number a card with a new number would get now, for its preview, allocating nothing: the
   * counter's next, past those the ILS already has (as the issue skips them). Not reserved — a card
   * issued first at another printer of the desk takes it — so the preview says so beside it.
   */
  private async nextFreeNumber(): Promise<string> {
    const { numbering } = this.options.config;
    const inUse = this.options.numberInUse;
    const next = this.options.records.peek(this.numberingKey(), numbering.first, numbering.last);
    if (next === null)
      throw new CarrelError(
        'card_range_exhausted',
        `every card number of ${this.numberingKey()} up to ${numbering.last} is used`,
      );
    for (let sequence = next; sequence <= numbering.last; sequence++) {
      const number = cardNumber(numbering as CardNumbering, sequence);
      if (!isCardNumber(numbering as CardNumbering, number))
        throw new CarrelError('card_number_invalid', 'the configured numbering makes no valid numbers');
      if (!inUse || !(await inUse(number))) return number;
      if (sequence - next + 1 >= MAX_NUMBERS_SKIPPED)
        throw new CarrelError(
          'card_numbers_in_use',
          `the ILS already has patrons for the next ${MAX_NUMBERS_SKIPPED} card numbers of the range: ` +
            'move numbering.first past the numbers issued (was a backup restored?)',
        );
    }
    throw new CarrelError(
      'card_range_exhausted',
      `every card number of ${this.numberingKey()} up to ${numbering.last} is used`,
    );
  }

  /** The card's artwork, front and back (RGBA 1016 × 648), from its template. */
  private async render(
    request: Omit<CardIssueRequest, 'staff' | 'replaces'>,
    patron: { name: string; expiry: string | null },
    number: string,
  ): Promise<{ front: Uint8Array; back: Uint8Array | undefined }> {
    const { config, templates } = this.options;
    let photo: Buffer | undefined;
    if (request.photoId !== undefined) {
      const stored = this.photos.get(request.photoId)?.bytes;
      // A copy: the upload is overwritten when it expires or is pushed out, which may be mid-render.
      photo = stored && Buffer.from(stored);
      if (!photo) throw new CarrelError('photo_not_found', 'no such photo (uploads are kept 30 minutes)');
    }
    const rendered = await templates.render(
      request.template ?? config.defaultTemplate,
      {
        name: patron.name,
        expiry: request.expiry ?? patron.expiry ?? '',
        cardNumber: number,
        library: config.library,
      },
      config.numbering.symbology,
      photo,
    );
    return { front: rendered.front, back: rendered.back };
  }
}

type IssueOutcome = Parameters<CardIssueRecords['finish']>[1];

const DATABASE_REFUSED =
  'Carrel’s database refused the write (a full disk, or the database locked): tell IT. No other card is printed at this printer until it is recorded';

/**
 * The error for a card whose outcome Carrel could not record, in words by what became of it: one
 * that may be out (printed, or the link lost as it was sent) leaves its request in doubt
 * (card_outcome_unrecorded), one the printer did not make is nothing done (card_records_failing).
 */
function unrecordedError(issueId: string, fault: string | undefined, cause: unknown): CarrelError {
  if (fault !== undefined && fault !== 'outcome_unknown')
    return new CarrelError(
      'card_records_failing',
      `the printer did not make the card, and Carrel could not record that, so nothing was issued: print the card again once IT has made the database work. ${DATABASE_REFUSED}`,
      { cause, details: { issueId } },
    );
  const made =
    fault === undefined
      ? 'the card was printed, but Carrel could not record it: give the patron the card from the output hopper — it is their card — and do not print it again'
      : 'the link to the printer failed after the card was sent, so whether it was made is not known, and Carrel could not record that either: look in the printer’s output hopper — if the card is there, it is the patron’s card; do not print it again before IT has looked';
  return new CarrelError('card_outcome_unrecorded', `${made}. ${DATABASE_REFUSED}`, {
    cause,
    details: { issueId },
  });
}

/** Track 2's capacity in digits (ISO 7811). */
const TRACK_2_DIGITS = 37;

/**
 * Why the patron's barcode cannot be the card's number in the desk's symbology, and what to do:
 * a Codabar number on the card is 1 to 24 digits (and, with a stripe, a barcode longer than track 2
 * holds says so too); Code 39 prints 0–9, A–Z, space and - . $ / + % only.
 */
function unprintable(patron: string, symbology: 'codabar' | 'code39', magstripe: boolean): string {
  const instead = 'give the card a new number (number: allocate)';
  if (symbology === 'code39')
    return `the patron’s barcode has a character Code 39 cannot print (it prints 0–9, A–Z, space and - . $ / + %): ${instead}`;
  if (!/^\d+$/.test(patron))
    return `the patron’s barcode is not digits only, and a Codabar card number is digits: ${instead}, or number cards in Code 39 (numbering.symbology: code39)`;
  const stripe =
    magstripe && patron.length > TRACK_2_DIGITS
      ? ` (and magstripe track 2 holds at most ${TRACK_2_DIGITS})`
      : '';
  return `the patron’s barcode is ${patron.length} digits, and a Codabar number on the card holds at most 24${stripe}: ${instead}`;
}
