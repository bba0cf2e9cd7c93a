type NoData = Record<string, never>;

/** A card issue as its events tell it: never the patron, never the card number (it names the patron). */
export interface CardIssueEvent {
  issueId: string;
  template: string;
  result: 'issued' | 'failed';
  fault?: string;
  attempts: number;
}

/**
 * A card printer's events: its condition (from `Rlr`, the ribbon counter and the refusals it gives)
 * and the cards it issues.
 */
export interface CardPrinterEvents {
  'card.ribbon_low': { panelsLeft: number | null };
  'card.ribbon_out': { problem: 'ribbon_out' };
  'card.no_card': { problem: 'no_card' };
  'card.cover_open': { problem: 'cover_open' };
  'card.jam': { problem: 'jam' };
  'card.error': { problem: 'error' };
  'card.cleaning_due': { cardsPrinted: number | null };
  'card.ready': { was: string | null };
  'card.issued': CardIssueEvent;
  'card.issue_failed': CardIssueEvent;
  'card.offline': NoData;
}

export const CARD_PRINTER_EVENTS: ReadonlyArray<keyof CardPrinterEvents> = [
  'card.ribbon_low',
  'card.ribbon_out',
  'card.no_card',
  'card.cover_open',
  'card.jam',
  'card.error',
  'card.cleaning_due',
  'card.ready',
  'card.issued',
  'card.issue_failed',
  'card.offline',
];
