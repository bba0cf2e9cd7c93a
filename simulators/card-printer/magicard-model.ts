/**
 * The simulated Magicard printer's mechanism: a feeder of blank cards, a ribbon with its panels left
 * (DFR), the cover, the jobs it holds, the output hopper and the reject box. A job prints as soon
 * as the printer can (cards in the feeder, cover shut, no jam, ribbon left; a duplex front waits
 * for its back page); until then it is held, and `RST` drops it. A card whose stripe the encoder
 * could not write goes to the reject box (`REJON`) and the job is tried on the next card. Status
 * queries answer from the counters; nothing answers a job.
 */
import type { TrackNumber } from '../../src/protocols/evolis/magstripe.js';
import {
  encodeStatusReply,
  type MagicardJob,
  type MagicardMessage,
  magstripeOf,
  type Plane,
  statusQueryKey,
} from '../../src/protocols/magicard/index.js';
import { CardPrinterMechanism } from './evolis-model.js';

export interface MagicardPrintedCard {
  number: number;
  at: string;
  outcome: 'printed' | 'rejected';
  front: Plane[];
  back: Plane[];
  /** What the stripe holds (nothing when it was not written, or written wrong). */
  tracks: Partial<Record<TrackNumber, string>>;
}

export class MagicardModel extends CardPrinterMechanism<MagicardPrintedCard> {
  readonly serial = 'MC0001234';
  readonly firmware = 'F2.1.0 (Carrel simulator)';
  /** Jobs received and not printed yet. */
  readonly held: MagicardJob[] = [];
  /** Jobs dropped by RST, and jobs the printer could not read. */
  dropped = 0;
  private last: Partial<Record<TrackNumber, string>> = {};

  /** A Magicard holds no card between jobs. */
  get cardInPrinter(): boolean {
    return false;
  }

  /** The last card's stripe. */
  stripe(): Partial<Record<TrackNumber, string>> {
    return { ...this.last };
  }

  /** What its display would say. */
  condition(): string {
    if (this.faults.jam) return 'CARD JAM';
    if (this.coverOpen) return 'LID OPEN';
    if (this.ribbonPanels <= 0) return 'DYE FILM END';
    if (this.feeder <= 0) return 'NO CARD';
    if (this.held.length > 0) return 'PRINTING';
    return 'READY';
  }

  clearJam(): void {
    this.faults.jam = false;
    this.run();
  }

  /** A job or command from the host; the bytes to answer, if any. */
  handle(message: MagicardMessage): Buffer | undefined {
    if (message.kind === 'job') this.held.push(message.job);
    else {
      const key = statusQueryKey(message.text);
      if (key !== undefined) {
        this.run();
        return encodeStatusReply(key, this.value(key));
      }
      if (message.text === 'RST,') {
        this.dropped += this.held.length;
        this.held.length = 0;
      }
    }
    this.run();
    return undefined;
  }

  private value(key: string): string {
    switch (key) {
      case 'MSR':
        return this.serial;
      case 'VRS':
        return this.firmware;
      case 'TCQ':
        return String(this.cardsPrinted);
      case 'CCQ':
        return String(this.cardsSinceCleaning);
      case 'DFR':
        return String(Math.max(0, this.ribbonPanels));
      case 'CLP':
        return this.cardsSinceCleaning >= this.cleaningInterval ? 'ON' : 'OFF';
      default:
        return '';
    }
  }

  /** Prints what it holds, for as long as it can. */
  run(): void {
    while (this.held.length > 0) {
      const front = this.held[0]!;
      const duplex = front.commands.includes('DPXON') && !front.commands.includes('PAG2');
      if (duplex && this.held.length < 2) return;
      const sides = duplex ? 2 : 1;
      if (this.faults.jam || this.coverOpen || this.feeder <= 0 || this.ribbonPanels < sides) return;
      let tracks: Partial<Record<TrackNumber, string>>;
      try {
        tracks = magstripeOf(front.commands);
      } catch {
        this.held.shift();
        this.dropped++;
        continue;
      }
      this.feeder--;
      if (Object.keys(tracks).length > 0 && this.faults.magstripeWriteErrors > 0) {
        this.faults.magstripeWriteErrors--;
        this.leave('rejected', [], [], {});
        continue;
      }
      const back = duplex ? this.held[1]!.planes : [];
      this.held.splice(0, sides);
      this.ribbonPanels -= sides;
      this.panelsPrinted += sides;
      this.cardsPrinted++;
      this.cardsSinceCleaning++;
      this.leave('printed', front.planes, back, tracks);
    }
  }

  private leave(
    outcome: MagicardPrintedCard['outcome'],
    front: Plane[],
    back: Plane[],
    tracks: Partial<Record<TrackNumber, string>>,
  ): void {
    this.last = tracks;
    this.cardLeft({ outcome, front, back, tracks });
  }
}
