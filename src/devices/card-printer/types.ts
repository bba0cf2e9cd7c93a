/**
 * What a card printer driver is to the gateway (`CardPrinterDriver`), what a card job is, and what
 * the Evolis and Magicard drivers are given. A card job is the artwork, not a vendor's panels: each
 * driver turns the card image into what its printer takes, and says what that prints as (the
 * preview staff see). A printer with no open wire protocol (Zebra ZXP, Fargo) would be one more
 * `CardPrinterDriver`, bridging to its vendor's SDK.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { TrackNumber } from '../../protocols/evolis/magstripe.js';
import type { DeviceDriver } from '../device.js';
import type { Transport } from '../transport/transport.js';

/** The ribbon loaded: `ymcko` (colour, resin black, overlay) or `k` (resin black alone). */
export type CardRibbon = 'ymcko' | 'k';

/** One card printer, whoever made it: what the card-printer family's entry and card issuer use. */
export interface CardPrinterDriver extends DeviceDriver {
  /** The wire protocol (or SDK) behind the driver: `evolis`, `magicard`. */
  readonly vendor: string;
  status(): CardPrinterStatus;
  /** A card image (RGBA, 1016 × 648) as this printer prints it on the ribbon: the preview. */
  printedImage(image: Uint8Array, ribbon: CardRibbon): Uint8Array;
  /** Makes one card; resolves once it is out, or rejects with CardPrintError. */
  printCard(job: CardJob): Promise<CardJobResult>;
}

/** What a driver over a Transport is given (Evolis and Magicard alike). */
export interface CardPrinterOptions {
  id: string;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  statusIntervalMs: number;
  /** A command unanswered this long: the printer is gone (a download gets more, by its size). */
  replyTimeoutMs: number;
  /** Ribbon panels left at or under this: `ribbon_low`. */
  ribbonLowPanels: number;
  /** Link speed in bytes per second, to give a download its time (serial: baud / 10). */
  bytesPerSecond?: number;
  /** Commands waiting at most. */
  queueLimit?: number;
}

export type CardPrinterProblem = 'ribbon_out' | 'no_card' | 'cover_open' | 'jam' | 'error';

export interface CardPrinterStatus {
  model: string | null;
  firmware: string | null;
  serial: string | null;
  ribbon: { type: string | null; panelsLeft: number | null; low: boolean };
  problem: CardPrinterProblem | null;
  cleaningDue: boolean;
  cardsPrinted: number | null;
  lastReply: string | null;
}

/** One card to make: its artwork, front (on the ribbon) and back (in black), and the tracks to write. */
export interface CardJob {
  ribbon: CardRibbon;
  /** RGBA, 1016 × 648 (the card landscape at 300 dpi). */
  front: Uint8Array;
  back?: Uint8Array | undefined;
  tracks: Partial<Record<TrackNumber, string>>;
}

export interface CardJobResult {
  /** What each track read back as (empty when the printer cannot read its stripe back). */
  readBack: Partial<Record<TrackNumber, string>>;
  /**
   * The stripe: `verified` (read back equal to what was written), `written` (sent, and the printer
   * has no way to read it back), null when nothing was written.
   */
  magstripe: 'verified' | 'written' | null;
  bytesSent: number;
}

export interface EvolisPrinterOptions extends CardPrinterOptions {
  /** A link lost as a card was ejected: how long to wait for it to come back and ask whether it was. */
  printTimeoutMs: number;
}

export interface MagicardPrinterOptions extends CardPrinterOptions {
  /** A card not out this long after its job was sent has failed (a Magicard answers nothing about a job). */
  printTimeoutMs: number;
}
