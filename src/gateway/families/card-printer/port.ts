import type { CardPrinterStatus } from '../../../devices/card-printer/types.js';
import type { CardIssueRecord, CardIssueRecords, IssuesPerDay } from './issue-records.js';

/** What staff ask for when they issue a card. */
export interface CardIssueRequest {
  /** The patron's barcode in the ILS. */
  patron: string;
  template?: string | undefined;
  /** A photo uploaded before (POST /api/v1/cards/photos). */
  photoId?: string | undefined;
  /** The card number: the patron's barcode, or the next from the configured range. */
  number: 'patron' | 'allocate';
  /** Write the number on the stripe (default: as configured). */
  magstripe?: boolean | undefined;
  /**
   * The card this one replaces (lost, damaged): marked replaced. Not while that card's chip is being
   * written (card_chip_being_encoded): the write would end as a second working card.
   */
  replaces?: string | undefined;
  /** Shown instead of the ILS's expiry date. */
  expiry?: string | undefined;
  /** Staff know the patron's registration has expired (the ILS's expiry date is past) and issue anyway. */
  confirmExpired?: boolean | undefined;
  /**
   * Staff looked in the printer's output hopper after the patron's last card ended with its outcome
   * unknown, and it is not there: print again. Without it such a card is refused (card_outcome_unknown).
   */
  confirmNotPrinted?: boolean | undefined;
  staff: string;
}

/** A side of the card as it would print, and whether the patron's registration has expired. */
export interface CardPreview {
  png: Buffer;
  /** The ILS's expiry date (YYYY-MM-DD) when it is before today; null while the registration runs. */
  registrationExpired: string | null;
  /**
   * The number the card shows: the patron's barcode, or for a new number the range's next free one
   * now — not reserved: a card issued first at another printer of the desk takes it.
   */
  cardNumber: string;
}

/** What a running card printer offers workflows and the API. */
export interface CardPrinterPort {
  issue(request: CardIssueRequest): Promise<CardIssueRecord>;
  /** The card as it would print (front or back), PNG; nothing is recorded or allocated. */
  preview(
    request: Omit<CardIssueRequest, 'staff' | 'replaces' | 'confirmExpired'>,
    side: 'front' | 'back',
  ): Promise<CardPreview>;
  /** Keeps an uploaded photo for a while, once it decodes; its id. Throws photo_* problems. */
  addPhoto(bytes: Buffer): Promise<{ photoId: string; width: number; height: number }>;
  /**
   * Encodes an issued card's chip on the printer's pad (the card alone on it), verified by
   * read-back. Throws card_issue_not_found (also for another printer's issue), card_not_issued,
   * card_chip_given_up (the card thrown away: nothing written), card_replaced (a later card replaced
   * it: nothing written), card_number_forgotten (the records forgot its number: nothing written),
   * card_chip_being_encoded (its chip is being written now), rfid_not_configured, rfid_* problems.
   */
  encodeRfid(issueId: string): Promise<CardIssueRecord>;
  /**
   * Notes what staff settled of an issued card, so every page of the desk stops offering it: its
   * ILS step done (`ils_done`), or its chip given up (`chip_given_up`, the card thrown away).
   * Idempotent: said again, the first time stays. Throws card_issue_not_found (also for another
   * printer's issue), card_not_issued, card_chip_encoded (a working card's chip is not given up),
   * card_chip_being_encoded (a chip being written now is not given up: its outcome is awaited),
   * card_chip_write_cut_short (a chip whose write Carrel did not live to finish may work: given up
   * only with `cardDestroyed`, staff saying the card is destroyed).
   */
  settle(
    issueId: string,
    what: 'ils_done' | 'chip_given_up',
    options?: { cardDestroyed?: boolean },
  ): CardIssueRecord;
  /**
   * Staff found the card of an issue that ended with its outcome unknown in the printer's output
   * hopper (`staff` said so: kept on the record with when): recorded issued, its ILS step and chip
   * offered as for any issued card. Throws
   * card_issue_not_found (also for another printer's issue), card_outcome_known (the issue did not
   * end with its outcome unknown), card_replaced (a later card was printed for the patron),
   * card_number_forgotten.
   */
  foundInHopper(issueId: string, staff: string): CardIssueRecord;
  issues(limit: number): CardIssueRecord[];
  /** An issue of any printer of the desk (the records are the desk's), by its id. */
  issueRecord(issueId: string): CardIssueRecord | undefined;
  perDay(days: number): IssuesPerDay[];
  /** Issues finished in [from, to) per UTC hour, by result and reprint: counts only. */
  issueCounts(from: number, to: number): ReturnType<CardIssueRecords['countsByQuarter']>;
  status(): CardPrinterStatus;
  templates(): string[];
  /** The RFID pad its cards' chips are encoded on (the `rfid` setting); null: cards without a chip. */
  rfidPad(): string | null;
  /** What the desk calls it: its `name` setting, or its id without one. Never needs it running. */
  name(): string;
}
