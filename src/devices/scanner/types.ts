import type { Symbology } from '../../protocols/scan/index.js';

/** Where an identification came from: the kind of reader that produced it. */
export type ScanSource = 'serial' | 'wedge' | 'hidpos' | 'pcsc' | 'magstripe';

/** What a scanner or card reader read, before the desk's classification rules. */
export interface ScanRead {
  source: ScanSource;
  /** `barcode`: a code was scanned; `card`: a card was swiped or presented. */
  kind: 'barcode' | 'card';
  value: string;
  symbology?: Symbology;
  /** The data as the reader sent it (prefix, suffix and symbology identifier included), when it differs from the value. */
  raw?: string;
  /** When the last byte (or the card) arrived, on the driver's clock (ms). */
  at: number;
}

/** Bytes that were not a whole, clean identification: why, never the data. */
export interface ScanRejection {
  source: ScanSource;
  code: string;
  message: string;
}

/** What a scanner driver says, beside the DeviceDriver lifecycle events. */
export interface ScannerDriverEvents {
  read: ScanRead;
  rejected: ScanRejection;
  /** A card left the reader's field. */
  card_removed: { source: ScanSource };
}

/** Counts every scanner keeps for its health record. */
export interface ScannerCounts {
  reads: number;
  rejected: number;
  /** Keystrokes dropped as typing (keyboard wedge). */
  typing: number;
  lastReadAt: string | null;
  lastRejected: string | null;
}
