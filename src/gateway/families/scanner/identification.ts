/**
 * The identification stream: every barcode scanned and every card read, in one
 * shape, with what the desk's rules make of it. A patron's value is the
 * patron's id: it stays inside the gateway and goes only to authenticated
 * clients that may see patron ids (src/api/families/scanner.ts).
 */
import { isoTime } from '../../../core/iso-time.js';
import type { ScanRead, ScanSource } from '../../../devices/scanner/index.js';
import type { ScannerConfig } from './config.js';

/** What the rules say an identification is. */
export type IdentificationRole = 'patron' | 'item' | 'unknown';

export interface Identification {
  source: ScanSource;
  kind: 'barcode' | 'card';
  value: string;
  symbology?: { aim: string; name: string; modifier: string };
  raw?: string;
  device: string;
  /** When the last byte (or the card) came, ISO 8601. */
  at: string;
  role: IdentificationRole;
  /** The patron's barcode, when the role is `patron` (a card mapped to its patron, or the barcode itself). */
  patron?: string;
}

export interface ScanRejectedEvent {
  source: ScanSource;
  code: string;
  message: string;
}

/** Compiled classification rules of one device. */
export class IdentificationRules {
  private readonly patron: RegExp[];
  private readonly item: RegExp[];

  constructor(private readonly rules: ScannerConfig['classify']) {
    this.patron = rules.patron.map((source) => new RegExp(source, 'u'));
    this.item = rules.item.map((source) => new RegExp(source, 'u'));
  }

  classify(read: ScanRead, device: string): Identification {
    // Made once, its keys in the order they go out; the role (and a patron's barcode) set after.
    const { source, kind, value } = read;
    const at = isoTime(read.at);
    const identification: Identification =
      read.symbology === undefined && read.raw === undefined
        ? { source, kind, value, device, at, role: 'unknown' }
        : {
            source,
            kind,
            value,
            ...(read.symbology ? { symbology: { ...read.symbology } } : {}),
            ...(read.raw !== undefined ? { raw: read.raw } : {}),
            device,
            at,
            role: 'unknown',
          };
    if (read.kind === 'card') {
      const patron =
        this.rules.cards === 'patron'
          ? read.value
          : Object.hasOwn(this.rules.cardPatrons, read.value)
            ? this.rules.cardPatrons[read.value]
            : undefined;
      if (patron !== undefined) named(identification, patron);
    } else if (matches(this.patron, read.value)) named(identification, read.value);
    else if (matches(this.item, read.value)) identification.role = 'item';
    return identification;
  }
}

function named(identification: Identification, patron: string): void {
  identification.role = 'patron';
  identification.patron = patron;
}

function matches(rules: readonly RegExp[], value: string): boolean {
  for (const rule of rules) if (rule.test(value)) return true;
  return false;
}

/**
 * May the identification name a person? A patron's barcode or any card does, and so may a barcode
 * no pattern knows (a card series the library added after its patterns were written): only what
 * the patterns call an item surely does not.
 */
export function mayNameAPerson(identification: Pick<Identification, 'role' | 'kind'>): boolean {
  return identification.role !== 'item' || identification.kind === 'card';
}
