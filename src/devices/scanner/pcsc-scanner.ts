import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import {
  type CardUidFormat,
  cardTypeUnsupported,
  formatCardUid,
  GET_UID_APDU,
  ScanError,
  uidFromGetData,
} from '../../protocols/scan/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import { openPcsc, type PcscContext, type PcscReader } from '../transport/pcsc.js';
import { ScanTally } from './scan-tally.js';
import type { ScanRead } from './types.js';

export interface PcscScannerOptions {
  id: string;
  clock: Clock;
  /** The reader to use: the first whose name holds this text (any reader when absent). */
  reader?: string | undefined;
  /** How the UID is written for the campus system. */
  uid: CardUidFormat;
  /** APDUs sent after GET DATA, in order (a campus-card application: SELECT, READ…); each must answer 90 00. */
  script: readonly Uint8Array[];
  /** The card's value: its UID, or the data of the script's last answer (as text or hex). */
  value: 'uid' | 'script-text' | 'script-hex';
  /** No matching reader within this long after pcscd answers: the connect fails (and is retried). */
  readerTimeoutMs: number;
  /** Opens the PC/SC context (tests may hand another; the default loads the binding). */
  open?: () => Promise<PcscContext>;
}

/**
 * A contactless (or contact) card reader through pcscd: a card put on the
 * reader is read — UID by GET DATA, then the configured APDU script — and is one
 * `read`; taking it off is `card_removed`. A card pulled mid-APDU is a rejection,
 * never half a value.
 */
export class PcscScanner extends EventEmitter implements DeviceDriver {
  readonly kind = 'scanner';
  readonly id: string;
  private context: PcscContext | undefined;
  private reader: PcscReader | undefined;
  private connected = false;
  private cardPresent = false;
  /** The UID (hex) of the card read while it lies on the reader. */
  private presentUid: string | undefined;
  /**
   * The card that lay on the reader when the link dropped: the first card seen when it comes
   * back is not identified again if it is this one (it never left; a patron did not present it).
   */
  private leftOn: string | undefined;
  /** When the reader, back, first said it held no card (driver clock, ms). */
  private emptySince: number | undefined;
  private readonly tally = new ScanTally(this);

  constructor(private readonly options: PcscScannerOptions) {
    super();
    this.id = options.id;
  }

  async connect(): Promise<void> {
    // Until the reader says otherwise: no card (one left on it is reported by its first status).
    this.cardPresent = false;
    const context = await (this.options.open ?? (() => openPcsc({ clock: this.options.clock })))();
    this.context = context;
    let timer: TimerHandle | undefined;
    try {
      this.reader = await new Promise<PcscReader>((resolve, reject) => {
        timer = this.options.clock.setTimeout(
          `pcsc-reader-${this.id}`,
          () =>
            reject(
              new TransportError(
                'pcsc_no_reader',
                `no PC/SC reader${this.options.reader ? ` named like "${this.options.reader}"` : ''} is attached`,
              ),
            ),
          this.options.readerTimeoutMs,
        );
        context.on('error', reject);
        context.on('reader', (reader) => {
          if (this.options.reader === undefined || reader.name.includes(this.options.reader)) resolve(reader);
        });
      });
    } catch (error) {
      timer?.cancel();
      context.close();
      this.context = undefined;
      throw error;
    }
    timer?.cancel();
    context.removeAllListeners('error');
    context.on('error', (error) => this.lost(error));
    const reader = this.reader;
    reader.on('card', (atr) => {
      this.cardPresent = true;
      this.readCard(reader, atr);
    });
    // Back and empty: a card left on it shows within the reader's first polls (vpcd's take a second;
    // a USB reader's first status already has it). One shown later was taken off while the
    // reader was away and is presented anew.
    reader.on('empty', () => {
      this.emptySince = this.options.clock.monotonic();
    });
    reader.on('removed', () => {
      this.cardPresent = false;
      this.presentUid = undefined;
      this.leftOn = undefined;
      this.emit('event', 'card_removed', { source: 'pcsc' });
      this.emit('condition', this.condition());
    });
    reader.on('end', () =>
      this.lost(new TransportError('pcsc_reader_gone', `reader "${reader.name}" is gone`)),
    );
    reader.on('error', (error) => this.lost(error));
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.context?.close();
    this.context = undefined;
    this.reader = undefined;
  }

  condition(): DeviceCondition {
    return {
      status: 'online',
      reason: null,
      detail: {
        source: 'pcsc',
        reader: this.reader?.name ?? null,
        cardPresent: this.cardPresent,
        ...this.tally.counts,
      },
    };
  }

  private async readCard(reader: PcscReader, atr: Buffer | undefined): Promise<void> {
    let value: string;
    let uidHex: string;
    try {
      const answers = await reader.exchange([GET_UID_APDU, ...this.options.script]);
      const getData = answers[0]!;
      // No UID for it: the card's ATR says what card it is, in words (never for a cut-off answer).
      if (atr && atr.length > 0 && getData.length >= 2 && getData.subarray(-2).toString('hex') !== '9000')
        throw cardTypeUnsupported(atr, getData.subarray(-2).toString('hex').toUpperCase());
      const uid = uidFromGetData(getData);
      uidHex = formatCardUid(uid, { format: 'hex', byteOrder: 'as-read' });
      value =
        this.options.value === 'uid'
          ? formatCardUid(uid, this.options.uid)
          : scriptValue(answers, this.options.value);
    } catch (error) {
      this.leftOn = undefined;
      const rejection =
        error instanceof ScanError
          ? error
          : new ScanError(
              'card_uid_unreadable',
              `the card could not be read (taken off mid-read?): ${describeError(error).message}`,
            );
      this.tally.rejected({ source: 'pcsc', code: rejection.code, message: rejection.message });
      return;
    }
    this.presentUid = uidHex;
    const leftOn = this.leftOn;
    const emptySince = this.emptySince;
    this.leftOn = undefined;
    this.emptySince = undefined;
    const stillThere =
      emptySince === undefined || this.options.clock.monotonic() - emptySince < LEFT_ON_SHOWS_WITHIN_MS;
    if (uidHex === leftOn && stillThere) {
      this.emit('condition', this.condition());
      return;
    }
    const at = this.options.clock.now();
    const read: ScanRead = {
      source: 'pcsc',
      kind: 'card',
      value,
      at,
      ...(value !== uidHex ? { raw: uidHex } : {}),
    };
    this.tally.read(read);
  }

  private lost(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    this.leftOn = this.cardPresent ? this.presentUid : undefined;
    this.emptySince = undefined;
    // With the reader gone nothing says a card is on it: health must not go on saying so.
    this.cardPresent = false;
    this.presentUid = undefined;
    this.context?.close();
    this.context = undefined;
    this.emit('disconnected', error);
  }
}

/**
 * How long after a reader comes back saying it holds no card the card that lay on it when it went
 * away may still show up as left lying there (and so not be identified again). Later it is a card
 * put down anew.
 */
const LEFT_ON_SHOWS_WITHIN_MS = 5000;

/** The script's last answer: its data (without SW 90 00), as text or hex. */
function scriptValue(answers: Buffer[], form: 'script-text' | 'script-hex'): string {
  for (const answer of answers.slice(1)) {
    const sw = answer
      .subarray(answer.length - 2)
      .toString('hex')
      .toUpperCase();
    if (answer.length < 2 || sw !== '9000')
      throw new ScanError(
        'card_uid_unreadable',
        `the card answered ${sw || 'nothing'} to the campus-card script`,
      );
  }
  const last = answers[answers.length - 1]!;
  const data = last.subarray(0, last.length - 2);
  if (data.length === 0)
    throw new ScanError('card_uid_unreadable', "the campus-card script's last answer holds no data");
  if (form === 'script-hex') return data.toString('hex').toUpperCase();
  // Fixed-length fields are padded with zero bytes or spaces.
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0x00 || data[end - 1] === 0x20)) end--;
  const text = data.subarray(0, end).toString('latin1');
  if (!/^[\x20-\x7e]+$/.test(text))
    throw new ScanError('card_uid_unreadable', 'the campus-card data is not printable text');
  return text;
}
