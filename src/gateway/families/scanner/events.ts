import type { Identification, ScanRejectedEvent } from './identification.js';

/**
 * A scanner's or card reader's events, whole inside the gateway (a session
 * reads the patron's barcode from them). The API edge hides every patron value
 * and every card number (src/api/families/scanner.ts).
 */
export interface ScannerEvents {
  /** A barcode scanned or a card read, classified. */
  'scanner.identified': Identification;
  /** Bytes that were not a whole, clean identification: why, never the data. */
  'scanner.rejected': ScanRejectedEvent;
  /** A card left the reader's field. */
  'scanner.card_removed': { source: Identification['source'] };
}

export const SCANNER_EVENTS: ReadonlyArray<keyof ScannerEvents> = [
  'scanner.identified',
  'scanner.rejected',
  'scanner.card_removed',
];
