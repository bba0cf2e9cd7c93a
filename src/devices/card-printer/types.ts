/** What the Evolis driver is given, what it reports and what a card job is. */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Panel, TrackNumber } from '../../protocols/evolis/index.js';
import type { Transport } from '../transport/transport.js';

export interface EvolisPrinterOptions {
  id: string;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  statusIntervalMs: number;
  /** A command unanswered this long: the printer is gone (a panel download gets more, by its size). */
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

/** One card to make: its panels, front and back, and the tracks to write and verify. */
export interface CardJob {
  ribbon: string;
  front: Panel[];
  back: Panel[];
  tracks: Partial<Record<TrackNumber, string>>;
}

export interface CardJobResult {
  /** What each track read back as. */
  readBack: Partial<Record<TrackNumber, string>>;
  bytesSent: number;
}
