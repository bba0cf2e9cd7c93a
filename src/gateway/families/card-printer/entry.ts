import { CarrelError } from '../../../core/errors.js';
import { readLogoFile } from '../../../core/read-up-to.js';
import { EvolisPrinter } from '../../../devices/card-printer/evolis-printer.js';
import { MagicardPrinter } from '../../../devices/card-printer/magicard-printer.js';
import type { CardPrinterDriver, CardPrinterOptions } from '../../../devices/card-printer/types.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import { Retention } from '../../retention.js';
import { ilsLinks } from '../ils/index.js';
import { rfidReaders } from '../rfid-reader/index.js';
import { CardIssuer, type PatronLookup } from './card-issuer.js';
import { CardTemplates } from './card-templates.js';
import type { CardPrinterConfig } from './config.js';
import type { CardPrinterEvents } from './events.js';
import { cardPrinters } from './index.js';
import { type CardIssueRecord, CardIssueRecords } from './issue-records.js';
import type { CardPrinterPort } from './port.js';
import { encodePatronCard } from './rfid-encoding.js';

/**
 * A card replaced by a later one (a reprint) is not encoded: its chip would carry the number again, a
 * second working card beside the later one. The words name the later card (a reprint of a patron's
 * barcode has the same number); a forgotten record's is no longer known.
 */
function replacedCard(cardNumber: string, replacedBy: string): CarrelError {
  const later =
    replacedBy === ''
      ? 'a later card'
      : replacedBy === cardNumber
        ? `a later card with the same number (${replacedBy})`
        : `card ${replacedBy}`;
  return new CarrelError(
    'card_replaced',
    `this card was replaced by ${later}, so nothing was written: its chip would make a second working card — encode the later card’s chip, and throw this one away`,
  );
}

/** A card whose chip is being written now: what staff asked for waits for the write's outcome. */
function chipBeingEncoded(refused: 'given up' | 'encoded again'): CarrelError {
  return new CarrelError(
    'card_chip_being_encoded',
    `its chip is being encoded now, so it was not ${refused}: wait for the encoding to end — encoded, the card works; not encoded, press Encode chip or Thrown away again`,
  );
}

/**
 * A card printer at run time: its driver (Evolis or Magicard, by `driver`; anything that is a
 * CardPrinterDriver would do) on its transport, kept connected by a supervisor
 * (its condition is the device's health and retained MQTT state; its events go on the bus as
 * `card.*`), and the card issuer over it with the issue records. Built on start, when the database
 * is open and a simulated printer's address is known.
 */
export class CardPrinterEntry extends SupervisedEntry<CardPrinterPort, CardPrinterConfig> {
  readonly port: CardPrinterPort;
  private printer: CardPrinterDriver | undefined;
  private issuer: CardIssuer | undefined;
  private records: CardIssueRecords | undefined;
  private patronRetention: Retention | undefined;
  private readonly templateSet: CardTemplates;

  constructor(config: CardPrinterConfig, context: FamilyContext) {
    super(config, context);
    this.templateSet = new CardTemplates({
      directory: config.templates,
      logo: config.logo ? readLogoFile(config.logo, 'card logo') : undefined,
    });
    this.port = {
      issue: (request) => this.running().issuer.issue(request),
      preview: (request, side) => this.running().issuer.preview(request, side),
      addPhoto: (bytes) => this.running().issuer.addPhoto(bytes),
      encodeRfid: (issueId) => this.encodeRfid(issueId),
      settle: (issueId, what, options) => this.settle(issueId, what, options),
      foundInHopper: (issueId, staff) => this.foundInHopper(issueId, staff),
      issues: (limit) => this.running().records.latest(limit),
      issueRecord: (id) => this.running().records.get(id),
      perDay: (days) => this.running().records.perDay(days),
      issueCounts: (from, to) => this.running().records.countsByQuarter(from, to),
      status: () => this.running().printer.status(),
      templates: () => this.templateSet.list(),
      rfidPad: () => this.config.rfid?.reader ?? null,
      name: () => this.config.name ?? this.config.id,
    };
  }

  async start(): Promise<void> {
    const { config } = this;
    const { bus, clock, logger } = this.context;
    if (!this.templateSet.has(config.defaultTemplate))
      throw new CarrelError('template_not_found', `no card template "${config.defaultTemplate}"`);
    const transport = createTransport(config.transport, this.context.simulators, { clock });
    const options: CardPrinterOptions = {
      id: config.id,
      transport,
      clock,
      logger,
      statusIntervalMs: config.statusIntervalMs,
      replyTimeoutMs: config.replyTimeoutMs,
      ribbonLowPanels: config.ribbonLowPanels,
      ...(config.transport.type === 'serial'
        ? { bytesPerSecond: (config.transport.baudRate ?? 9600) / 10 }
        : {}),
    };
    const printer: CardPrinterDriver =
      config.driver === 'magicard'
        ? new MagicardPrinter({ ...options, printTimeoutMs: config.printTimeoutMs })
        : new EvolisPrinter({ ...options, printTimeoutMs: config.printTimeoutMs });
    this.printer = printer;
    // The desk's printers, named in words by what the desk calls them (card_printing_elsewhere); an
    // issue of a printer no longer among them is any printer's to list and settle.
    const records = new CardIssueRecords(
      this.context.database(),
      config.id,
      () => new Map(this.context.devices.all(cardPrinters).map((entry) => [entry.id, entry.port.name()])),
    );
    this.records = records;
    this.patronRetention = new Retention({
      name: `card-issues-patrons:${config.id}`,
      forget: (before) => records.forgetPatrons(before),
      retentionDays: config.patronDataDays,
      clock,
      logger,
    });
    this.patronRetention.start();
    this.issuer = new CardIssuer({
      config,
      templates: this.templateSet,
      records: this.records,
      printer: () => printer,
      lookUpPatron: this.patronLookup(),
      numberInUse: async (number) =>
        (await this.ilsClient().patronInformation(number)).message.validPatron === true,
      clock,
      logger,
      emit: (type, event) =>
        emitEvent<CardPrinterEvents, `card.${typeof type}`>(bus, clock, config.id, `card.${type}`, event),
    });
    this.supervisor = new DeviceSupervisor({ driver: printer, eventFamily: 'card', clock, bus, logger });
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.issuer?.stop();
    this.patronRetention?.stop();
    this.patronRetention = undefined;
    await this.supervisor?.stop();
  }

  private async encodeRfid(issueId: string) {
    const { records } = this.running();
    const record = this.ownIssue(issueId, 'only an issued card is encoded');
    if (record.chipGivenUpAt !== null)
      throw new CarrelError(
        'card_chip_given_up',
        `its chip was given up at ${record.chipGivenUpAt} (the card thrown away), so nothing was written: print a new card (Reprint, which replaces it) and encode that one’s chip`,
      );
    if (record.replacedBy !== null) throw replacedCard(record.cardNumber, record.replacedBy);
    // The issue records forget a card's number some time after the issue (patronDataDays): there is
    // no number left to write, and an empty one would make a chip that names no patron.
    if (record.cardNumber === '')
      throw new CarrelError(
        'card_number_forgotten',
        `its card number is no longer kept (the issue records forget it ${this.config.patronDataDays} days after the issue), so nothing was written: print the patron a new card and encode that one’s chip`,
      );
    const rfid = this.config.rfid;
    if (!rfid)
      throw new CarrelError('rfid_not_configured', `card printer "${this.id}" has no RFID pad configured`);
    const pad = this.context.devices.port(rfidReaders, rfid.reader);
    // Marked in the records before the first wait, so no give-up, second encode or reprint replacing
    // the card (at any printer of the desk) slips in until the write has ended and its outcome is
    // recorded: the write ends as a working card or as no chip, and only then can staff tell which.
    const startedAt = new Date(this.context.clock.now()).toISOString();
    if (!records.encodingStarted(issueId, startedAt)) throw chipBeingEncoded('encoded again');
    let writing: string | undefined;
    try {
      const { uid } = await encodePatronCard(pad, record.cardNumber, {
        ...rfid,
        holdingTheNumberOnly: record.chipWriteCutShortAt !== null,
        failedChip: record.chipWriteFailedUid,
        writing: (chip) => {
          writing = chip;
        },
      });
      this.context.logger.info({ issueId }, 'card chip encoded');
      return records.encoded(issueId, uid);
    } catch (error) {
      // Failed once its write began (the card lifted, a read-back that differs): the chip may hold
      // part of the number, or all of it — not a chip to throw away, nor one another card stands in for.
      if (writing === undefined) throw error;
      records.writeFailed(issueId, writing, startedAt);
      this.context.logger.warn({ issueId }, 'card chip write failed partway');
      throw new CarrelError(
        error instanceof CarrelError ? error.code : 'rfid_write_failed',
        `${(error as Error).message} — the write began, so the chip may hold part of the card number, or all of it: lay this same card alone on the pad and press Encode chip, which writes its chip again; another card’s chip is not taken instead. If the card is destroyed, give its chip up saying so`,
        {
          cause: error,
          ...(error instanceof CarrelError && error.details ? { details: error.details } : {}),
        },
      );
    } finally {
      records.encodingEnded(issueId);
    }
  }

  private settle(
    issueId: string,
    what: 'ils_done' | 'chip_given_up',
    options: { cardDestroyed?: boolean } = {},
  ) {
    const { records } = this.running();
    const record = this.ownIssue(issueId, 'only an issued card has an ILS step or a chip to settle');
    // An encoded chip is a working card: thrown away, it would still carry the patron's number. A
    // working card is retired by a new one replacing it, whose ILS step blocks it.
    if (what === 'chip_given_up' && record.chipEncoded)
      throw new CarrelError(
        'card_chip_encoded',
        'its chip is encoded already, so it was not given up: the card works as it is — if it is spoilt or lost, print a new card (Reprint, which replaces it) and block this one in the ILS',
      );
    // A forgotten record names no card: the page offers nothing for it, and a record an older Carrel
    // forgot lost with the chip's UID whether the chip works, so its chip is not given up either.
    if (record.cardNumber === '')
      throw new CarrelError(
        'card_number_forgotten',
        `its record was forgotten (its card number and patron with it, ${this.config.patronDataDays} days after the issue), so ${
          what === 'chip_given_up'
            ? 'its chip was not given up: whether it works may not be known any more'
            : 'its ILS step was not marked done: the step named a card number no longer kept'
        } — if the card is spoilt or lost, print the patron a new card and block the old one in the ILS`,
      );
    if (what === 'chip_given_up' && records.chipBeingEncoded(issueId)) throw chipBeingEncoded('given up');
    // A write Carrel did not live to finish may have left the number on the chip: thrown away, the card
    // could still work, and its number be issued again. The chip read on the pad settles it, or staff
    // saying the card is destroyed.
    if (what === 'chip_given_up' && record.chipWriteCutShortAt !== null && options.cardDestroyed !== true)
      throw new CarrelError(
        'card_chip_write_cut_short',
        `Carrel stopped while this card’s chip was being written, so its chip may hold the card number — a working card — and it was not given up: lay the card alone on the RFID pad and press Encode chip, which reads the chip and finishes the write; or, if the card is destroyed (cut through), give it up saying so (confirmCardDestroyed)`,
      );
    return records.settled(issueId, what, new Date(this.context.clock.now()).toISOString());
  }

  /** An issue of this printer's whose outcome was unknown, its card found in the output hopper. */
  private foundInHopper(issueId: string, staff: string): CardIssueRecord {
    const { records, issuer } = this.running();
    const record = records.get(issueId);
    // A printer taken out of the configuration has nobody else to say its card was in its hopper.
    const printerGone = record !== undefined && !records.configured(record.device);
    if (record && record.device !== this.id && !printerGone)
      throw new CarrelError(
        'card_issue_not_found',
        `that card issue is card printer "${record.device}"’s, not "${this.id}"’s: ask for it with ?printer=${record.device}, or name no printer`,
      );
    return issuer.foundInHopper(issueId, staff, { printerGone });
  }

  /**
   * An issued card of this printer's, by its issue id. The records are the desk's, so an issue
   * printed at another of its printers is found too: it is not this printer's to encode or settle
   * (its pad, its page), and is refused as not found here, as a print job at another printer is.
   */
  private ownIssue(issueId: string, onlyIssued: string): CardIssueRecord {
    const record = this.running().records.get(issueId);
    if (!record) throw new CarrelError('card_issue_not_found', 'no such card issue');
    if (record.device !== this.id)
      throw new CarrelError(
        'card_issue_not_found',
        `that card issue is card printer "${record.device}"’s, not "${this.id}"’s: ask for it with ?printer=${record.device}, or name no printer`,
      );
    if (record.result !== 'issued') throw new CarrelError('card_not_issued', onlyIssued);
    return record;
  }

  /** The desk's ILS, which cards are issued against. */
  private ilsClient() {
    const ils = this.context.devices.all(ilsLinks)[0];
    if (!ils) throw new CarrelError('ils_not_configured', 'no ILS to look the patron up in');
    return ils.port.client;
  }

  /** The patron's name and expiry from the desk's ILS (SIP2 patron information). */
  private patronLookup(): PatronLookup {
    return async (patron) => {
      const answer = await this.ilsClient().patronInformation(patron);
      const message = answer.message;
      if (!message.validPatron)
        throw new CarrelError('patron_not_found', 'the ILS does not know this patron');
      // SIP2 has no expiry in patron information; ILSs send it as the PA extension (YYYYMMDD).
      const expiry = message.extraFields?.find((field) => field.id === 'PA')?.value.slice(0, 8) ?? null;
      return {
        name: message.personalName ?? '',
        expiry:
          expiry && /^\d{8}$/.test(expiry)
            ? `${expiry.slice(0, 4)}-${expiry.slice(4, 6)}-${expiry.slice(6)}`
            : null,
      };
    };
  }

  private running(): { printer: CardPrinterDriver; issuer: CardIssuer; records: CardIssueRecords } {
    const { printer, issuer, records } = this;
    if (!printer || !issuer || !records)
      throw new CarrelError('unavailable', `card printer "${this.id}" is not running`);
    return { printer, issuer, records };
  }
}
