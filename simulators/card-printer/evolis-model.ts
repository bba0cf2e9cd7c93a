/**
 * The simulated Evolis printer's mechanism: a feeder of blank cards, a ribbon with its panels left,
 * the cover, the card in the printer (its printed panels, front and back, and the flux on its
 * magnetic stripe), the output hopper and the reject box. One method per command, through a table
 * (STYLE 8); each answers as the printer would: `OK`, a value, or an error text.
 */
import {
  decodeTrackBits,
  decompressPanel,
  type EvolisCommand,
  type EvolisFault,
  encodeTrackBits,
  FAULT_REPLIES,
  isPanelDownload,
  type Panel,
  type TextCommand,
  type TrackNumber,
  trackText,
  unpackPanel,
} from '../../src/protocols/evolis/index.js';

export interface SimulatedFaults {
  /** The card path is jammed: every sequence step fails until cleared. */
  jam: boolean;
  /** The next magstripe writes come out corrupt (a worn head, a bad card). */
  magstripeWriteErrors: number;
}

export interface PrintedCard {
  /** 1, 2, … in the order cards left the printer. */
  number: number;
  at: string;
  outcome: 'printed' | 'rejected';
  front: Panel[];
  back: Panel[];
  /** Tracks read from the card's stripe as it left (undefined: nothing written). */
  tracks: Partial<Record<TrackNumber, string>>;
}

interface CardInPrinter {
  front: Panel[];
  back: Panel[];
  side: 'front' | 'back';
  stripe: Partial<Record<TrackNumber, Uint8Array>>;
}

/** What a simulated card printer starts with, whatever its make. */
export interface CardPrinterStock {
  ribbon?: string;
  ribbonPanels?: number;
  feeder?: number;
  /** Cards between cleanings; past it the printer asks for one (and prints on). */
  cleaningInterval?: number;
  /** Printed cards kept for the page and the API. */
  keep?: number;
}

/** A card that has left a simulated printer, as the printer numbers and keeps it. */
interface LeftCard {
  number: number;
  at: string;
}

/**
 * What every simulated card printer's mechanism has, whatever its make: the ribbon and its
 * panels left, the feeder, the cover, the faults set, the counters, and the last cards out
 * (numbered in the order they left, the oldest let go past `keep`, each told to `onCard`).
 */
export abstract class CardPrinterMechanism<Card extends LeftCard> {
  ribbon: string;
  ribbonPanels: number;
  feeder: number;
  coverOpen = false;
  faults: SimulatedFaults = { jam: false, magstripeWriteErrors: 0 };
  cardsPrinted = 0;
  panelsPrinted = 0;
  cardsSinceCleaning = 0;
  readonly cleaningInterval: number;
  readonly cards: Card[] = [];
  private readonly keep: number;
  private counter = 0;
  /** Called for each card that leaves the printer. */
  onCard: (card: Card) => void = () => {};

  constructor(stock: CardPrinterStock = {}) {
    this.ribbon = stock.ribbon ?? 'ymcko';
    this.ribbonPanels = stock.ribbonPanels ?? 1000;
    this.feeder = stock.feeder ?? 100;
    this.cleaningInterval = stock.cleaningInterval ?? 1000;
    this.keep = stock.keep ?? 20;
  }

  clean(): void {
    this.cardsSinceCleaning = 0;
  }

  /** A card leaves the printer: numbered, kept with the last ones, announced. */
  protected cardLeft(card: Omit<Card, keyof LeftCard>): void {
    const left = { number: ++this.counter, at: new Date().toISOString(), ...card } as Card;
    this.cards.push(left);
    if (this.cards.length > this.keep) this.cards.shift();
    this.onCard(left);
  }
}

export type EvolisModelOptions = CardPrinterStock;

export class EvolisModel extends CardPrinterMechanism<PrintedCard> {
  readonly parameters = new Map<string, string>();
  private card: CardInPrinter | undefined;
  private staged: Partial<Record<TrackNumber, string>> = {};

  get cardInPrinter(): boolean {
    return this.card !== undefined;
  }

  /** The card in the printer's stripe as a reader would see it, track by track. */
  stripe(): Partial<Record<TrackNumber, string>> {
    const out: Partial<Record<TrackNumber, string>> = {};
    for (const [track, bits] of Object.entries(this.card?.stripe ?? {}))
      try {
        out[Number(track) as TrackNumber] = decodeTrackBits(Number(track) as TrackNumber, bits);
      } catch {
        out[Number(track) as TrackNumber] = '(unreadable)';
      }
    return out;
  }

  /** The printer's standing condition, as `Rlr;p` reports it. */
  condition(): string {
    if (this.faults.jam) return FAULT_REPLIES.jam;
    if (this.coverOpen) return FAULT_REPLIES.cover_open;
    if (this.ribbonPanels <= 0) return FAULT_REPLIES.ribbon_out;
    if (this.feeder <= 0) return FAULT_REPLIES.no_card;
    if (this.cardsSinceCleaning >= this.cleaningInterval) return FAULT_REPLIES.cleaning_due;
    return 'OK';
  }

  /** Frees a jam: the card that was stuck goes to the reject box. */
  clearJam(): void {
    this.faults.jam = false;
    if (this.card) this.leave('rejected');
  }

  handle(command: EvolisCommand): string {
    if (isPanelDownload(command))
      return this.download(command.name, command.panel, command.levels, command.data);
    const handler = HANDLERS[command.name];
    return handler ? handler(this, command) : FAULT_REPLIES.bad_command;
  }

  private download(
    name: 'Db' | 'Dbc',
    panelName: Panel['name'],
    levels: Panel['levels'],
    data: Buffer,
  ): string {
    if (!this.card) return FAULT_REPLIES.bad_command;
    const blocked = this.mechanical();
    if (blocked) return blocked;
    if (this.ribbonPanels <= 0) return FAULT_REPLIES.ribbon_out;
    if (!this.ribbon.includes(panelName)) return FAULT_REPLIES.ribbon_missing;
    let panel: Panel;
    try {
      panel = name === 'Db' ? unpackPanel(panelName, levels, data) : decompressPanel(panelName, data);
    } catch {
      return FAULT_REPLIES.bad_parameter;
    }
    const side = this.card.side === 'front' ? this.card.front : this.card.back;
    side.push(panel);
    this.ribbonPanels--;
    this.panelsPrinted++;
    return 'OK';
  }

  /** The jam or the open cover that stops the mechanism, as its reply. */
  mechanical(): string | undefined {
    if (this.faults.jam) return FAULT_REPLIES.jam;
    if (this.coverOpen) return FAULT_REPLIES.cover_open;
    return undefined;
  }

  start(): string {
    const blocked = this.mechanical();
    if (blocked) return blocked;
    if (this.card) return FAULT_REPLIES.busy;
    if (this.feeder <= 0) return FAULT_REPLIES.no_card;
    this.feeder--;
    this.card = { front: [], back: [], side: 'front', stripe: {} };
    this.staged = {};
    return 'OK';
  }

  side(side: 'front' | 'back'): string {
    if (!this.card) return FAULT_REPLIES.bad_command;
    this.card.side = side;
    return 'OK';
  }

  stage(track: string | undefined, data: string | undefined): string {
    const number = Number(track) as TrackNumber;
    if (![1, 2, 3].includes(number) || data === undefined) return FAULT_REPLIES.bad_parameter;
    try {
      trackText(number, data);
    } catch {
      return FAULT_REPLIES.magstripe_data;
    }
    this.staged[number] = data;
    return 'OK';
  }

  writeStripe(): string {
    if (!this.card) return FAULT_REPLIES.bad_command;
    const blocked = this.mechanical();
    if (blocked) return blocked;
    const corrupt = this.faults.magstripeWriteErrors > 0;
    if (corrupt) this.faults.magstripeWriteErrors--;
    for (const [track, data] of Object.entries(this.staged)) {
      const bits = encodeTrackBits(Number(track) as TrackNumber, data);
      if (corrupt) bits[Math.floor(bits.length / 2)] = bits[Math.floor(bits.length / 2)]! ^ 1;
      this.card.stripe[Number(track) as TrackNumber] = Uint8Array.from([0, 0, 0, 0, ...bits, 0, 0]);
    }
    this.staged = {};
    return 'OK';
  }

  readStripe(track: string | undefined): string {
    if (!this.card) return FAULT_REPLIES.bad_command;
    const number = Number(track) as TrackNumber;
    const bits = this.card.stripe[number];
    if (![1, 2, 3].includes(number)) return FAULT_REPLIES.bad_parameter;
    if (!bits) return FAULT_REPLIES.magstripe_data;
    try {
      return trackText(number, decodeTrackBits(number, bits));
    } catch {
      return FAULT_REPLIES.magstripe_checksum;
    }
  }

  eject(outcome: 'printed' | 'rejected'): string {
    if (!this.card) return FAULT_REPLIES.bad_command;
    if (this.faults.jam) return FAULT_REPLIES.jam;
    this.leave(outcome);
    return 'OK';
  }

  private leave(outcome: 'printed' | 'rejected'): void {
    const card = this.card!;
    this.card = undefined;
    const tracks = this.stripeOf(card);
    if (outcome === 'printed') {
      this.cardsPrinted++;
      this.cardsSinceCleaning++;
    }
    this.cardLeft({ outcome, front: card.front, back: card.back, tracks });
  }

  private stripeOf(card: CardInPrinter): Partial<Record<TrackNumber, string>> {
    const saved = this.card;
    this.card = card;
    const tracks = this.stripe();
    this.card = saved;
    return tracks;
  }

  counters(key: string | undefined): string {
    switch (key) {
      case 'c':
        return String(this.cardsPrinted);
      case 'p':
        return String(this.panelsPrinted);
      case 'a':
        return String(this.cardsSinceCleaning);
      case 'l':
        return String(Math.max(0, this.ribbonPanels));
      default:
        return FAULT_REPLIES.bad_parameter;
    }
  }

  /** The faults a control API may set, by Carrel's names. */
  static readonly FAULTS: readonly EvolisFault[] = [
    'no_card',
    'ribbon_out',
    'cover_open',
    'magstripe_write',
    'jam',
  ];
}

type Handler = (model: EvolisModel, command: TextCommand) => string;
const setting: Handler = (model, command) => {
  model.parameters.set(command.name, command.args.join(';'));
  return 'OK';
};

/** One handler per command the simulated printer knows; any other is `ERR CMD`. */
const HANDLERS: Record<string, Handler> = {
  Pr: (model, command) =>
    command.args[0] && model.ribbon.startsWith(command.args[0])
      ? setting(model, command)
      : FAULT_REPLIES.ribbon_missing,
  Pmi: setting,
  Pc: setting,
  Pl: setting,
  Ps: setting,
  Pem: setting,
  Pwr: setting,
  Pmc: setting,
  Pmd: setting,
  Pmt: setting,
  Pmtc: setting,
  Ss: (model) => model.start(),
  Sr: (model) => model.side('front'),
  Sv: (model) => model.side('back'),
  Se: (model) => model.eject('printed'),
  Seb: (model) => model.eject('rejected'),
  Scs: () => 'OK',
  Srs: (model) => {
    if (model.cardInPrinter && !model.faults.jam) model.eject('rejected');
    return 'OK';
  },
  Dm: (model, command) => model.stage(command.args[0], command.args.slice(1).join(';')),
  Smw: (model) => model.writeStripe(),
  Smr: (model, command) => model.readStripe(command.args[0]),
  Rfv: () => '1.0.0-carrel-sim',
  Rsn: () => 'SIM0000001',
  Rtp: () => 'Evolis Primacy (Carrel simulator)',
  Rr: (model) => model.ribbon,
  Rlr: (model) => model.condition(),
  Rco: (model, command) => model.counters(command.args[0]),
};
