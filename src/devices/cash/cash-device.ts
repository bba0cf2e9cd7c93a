/**
 * A ccTalk coin acceptor or bill validator as a DeviceDriver. At connect it
 * checks the device answers and is the kind configured, reads what each
 * channel is worth, sets the bill operating mode, and reads the event buffer
 * once against the counter its store holds. Then it polls the buffer: every
 * reading is handed to the store, which journals it before the driver takes
 * the counter as read or routes a note held in escrow; a store that cannot
 * journal stops the device taking money until it can. Faults (jam, cash box,
 * tamper, a self-check fault) make the device degraded and are events.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportClosedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  BILL_EVENT,
  BILL_MODE,
  decodeEventBuffer,
  decodeMasterInhibit,
  decodeRouteReply,
  decodeSelfCheck,
  encodeInhibitMask,
  encodeMasterInhibit,
  faultName,
  HEADER,
  ROUTE,
  ROUTE_ERROR,
  readEvents,
} from '../../protocols/cctalk/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { Transport } from '../transport/transport.js';
import { batchOf } from './batch.js';
import { CctalkLink, type CctalkLinkOptions } from './cctalk-link.js';
import { identify, readChannels } from './identify.js';
import { CashTroubles } from './troubles.js';
import type {
  CashAcceptance,
  CashChannel,
  CashDeviceKind,
  CashEventBatch,
  CashEventStore,
  CashIdentity,
  EscrowDecision,
  EscrowRouted,
} from './types.js';

export interface CashDeviceOptions {
  id: string;
  kind: CashDeviceKind;
  transport: Transport;
  address: number;
  clock: Clock;
  logger: Logger;
  store: CashEventStore;
  /** What to do with a note held in escrow (bill validators); return it when absent. */
  decideEscrow?: (note: { channel: number; currency: string; valueMinor: number }) => EscrowDecision;
  /** Bill validators: hold notes in escrow until routed. Default true. */
  escrow?: boolean;
  pollIntervalMs?: number;
  /** Polls in a row that get no answer before the link is taken as lost. Default 3. */
  maxFailedPolls?: number;
  /** How long a tamper attempt keeps the device degraded. Default 30 s. */
  tamperHoldMs?: number;
  link?: Omit<CctalkLinkOptions, 'transport' | 'address' | 'clock' | 'logger'>;
}

const NO_ACCEPTANCE: CashAcceptance = { accepting: false, channels: [] };
/** Every this many polls the device's settings are read back. */
const VERIFY_EVERY = 5;

/** The store could not journal a reading: not a link problem, the device is still there. */
class JournalUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('the credit journal is unavailable');
  }
}

export class CctalkCashDevice extends EventEmitter implements DeviceDriver {
  readonly id: string;
  readonly kind = 'cash-device';
  readonly link: CctalkLink;
  private identity: CashIdentity | undefined;
  private channelTable = new Map<number, CashChannel>();
  private counter: number | undefined;
  private wanted: CashAcceptance = NO_ACCEPTANCE;
  private applied: CashAcceptance | undefined;
  /** The last setting of what the device takes was not answered: set it again at the next poll. */
  private unsettled = false;
  private connected = false;
  private pollTimer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  private failedPolls = 0;
  private cycles = 0;
  private readonly troubles: CashTroubles;
  private lastError: { code: string; message: string } | undefined;
  private readonly log: Logger;

  constructor(private readonly options: CashDeviceOptions) {
    super();
    this.id = options.id;
    this.log = options.logger.child({ module: 'cash-device', device: options.id });
    this.troubles = new CashTroubles(options.clock, options.id, () => this.changed());
    this.link = new CctalkLink({
      ...options.link,
      transport: options.transport,
      address: options.address,
      clock: options.clock,
      logger: this.log,
    });
    options.transport.on('close', (error) => this.onTransportClosed(error));
  }

  get deviceKind(): CashDeviceKind {
    return this.options.kind;
  }

  channels(): CashChannel[] {
    return [...this.channelTable.values()];
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    const { transport, kind } = this.options;
    await transport.open();
    try {
      await this.link.request(HEADER.simplePoll);
      const identity = await identify(this.link, kind);
      // Another device at the address since the last connection (a spare fitted while the link was
      // down): the counter read from the one before is not its counter (readBuffer says so).
      if (this.identity !== undefined && identity.serial !== this.identity.serial) this.counter = undefined;
      this.identity = identity;
      this.channelTable = await readChannels(this.link, kind);
      if (kind === 'bill-validator') {
        const mode = BILL_MODE.stacker | (this.options.escrow === false ? 0 : BILL_MODE.escrow);
        await this.link.request(HEADER.modifyBillOperatingMode, Uint8Array.of(mode));
      }
      this.applied = undefined;
      await this.selfCheck();
      await this.readBuffer();
      if (this.applied === undefined) await this.applyAcceptance();
    } catch (error) {
      await transport.close();
      throw error;
    }
    this.connected = true;
    this.failedPolls = 0;
    this.schedulePoll();
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    await this.polling?.catch(() => {});
    this.troubles.stop();
    await this.options.transport.close();
  }

  /** Which channels take money from now on; applied at once when connected, and after every reset. */
  async setAcceptance(acceptance: CashAcceptance): Promise<void> {
    this.wanted = {
      accepting: acceptance.accepting,
      channels: [...acceptance.channels].sort((a, b) => a - b),
    };
    if (this.connected) await this.applyAcceptance();
  }

  acceptance(): CashAcceptance {
    return this.applied ?? NO_ACCEPTANCE;
  }

  /**
   * Resets the device (1): its counter goes to 0, its event buffer is emptied and its inhibits go
   * with them; Carrel sets them again. What it took and was not read yet would go with the buffer:
   * it is read (and journaled) first, the device taking nothing from then until the reset.
   */
  async reset(): Promise<void> {
    await this.inhibitAll();
    await this.pollNow();
    await this.link.request(HEADER.resetDevice);
    this.applied = undefined;
    await this.pollNow();
  }

  condition(): DeviceCondition {
    const reason = this.troubles.reason();
    return {
      status: reason ? 'degraded' : 'online',
      reason,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      detail: {
        address: this.options.address,
        deviceKind: this.options.kind,
        ...(this.identity ?? {}),
        channels: this.channels().map(({ channel, currency, valueMinor }) => ({
          channel,
          currency,
          valueMinor,
        })),
        accepting: this.acceptance().accepting,
        acceptedChannels: this.acceptance().channels,
        counter: this.counter ?? null,
        line: { ...this.link.stats },
      },
    };
  }

  /** One poll now (tests, and after a reset), in turn with the timer's. */
  pollNow(): Promise<void> {
    const run = (this.polling ?? Promise.resolve()).then(() => this.readBuffer());
    this.polling = run.catch(() => {});
    return run;
  }

  private schedulePoll(): void {
    if (!this.connected) return;
    this.pollTimer = this.options.clock.setTimeout(
      `cash-poll:${this.id}`,
      () => {
        this.polling = this.pollCycle().finally(() => {
          this.polling = undefined;
          this.schedulePoll();
        });
      },
      this.options.pollIntervalMs ?? 200,
    );
  }

  private async pollCycle(): Promise<void> {
    try {
      await this.readBuffer();
      if (this.applied === undefined || this.unsettled) await this.applyAcceptance();
      if (this.troubles.has('self-check') || this.troubles.has('jam')) await this.selfCheck();
      if (++this.cycles % VERIFY_EVERY === 0) await this.verifySettings();
      this.failedPolls = 0;
    } catch (error) {
      if (error instanceof TransportClosedError || !this.connected) return;
      if (error instanceof JournalUnavailable) return;
      this.failedPolls++;
      this.note(error);
      if (this.failedPolls >= (this.options.maxFailedPolls ?? 3)) {
        this.log.warn({ polls: this.failedPolls }, 'the device stopped answering');
        this.lost(error as Error);
      }
    }
  }

  private async readBuffer(): Promise<void> {
    const header =
      this.options.kind === 'coin-acceptor'
        ? HEADER.readBufferedCreditOrErrorCodes
        : HEADER.readBufferedBillEvents;
    const buffer = decodeEventBuffer(await this.link.request(header));
    let previous = this.counter;
    let replaced: CashEventBatch['replaced'];
    if (previous === undefined) {
      const stored = this.options.store.lastCounter();
      const serial = this.identity?.serial;
      // The counter journaled was another device's: this one's is the starting point, as at first
      // sight — what its buffer shows was taken before Carrel knew it, and is not credited. (Read
      // on from the old counter, its coins would be credited to whoever holds the device, or taken
      // for money lost.)
      if (stored?.serial != null && serial !== undefined && stored.serial !== serial)
        replaced = { serial, previousSerial: stored.serial };
      else previous = stored?.counter;
    }
    const reading = readEvents(previous, buffer);
    if (reading.kind === 'none') {
      this.counter = reading.counter;
      return;
    }
    const batch = batchOf(this.options.kind, this.channelTable, previous, reading);
    if (replaced) batch.replaced = replaced;
    try {
      this.options.store.commit(batch, this.identity?.serial ?? null);
    } catch (error) {
      // Not journaled, so not read: the same events come again on the next poll. Take no money meanwhile.
      this.log.error(
        { err: describeError(error) },
        'cash events could not be journaled; the device stops taking money',
      );
      this.troubles.set('journal', 'the credit journal is unavailable');
      await this.inhibitAll().catch(() => {});
      throw new JournalUnavailable(error);
    }
    this.counter = reading.counter;
    if (this.troubles.clear('journal')) this.applied = undefined;
    if (reading.kind === 'reset' || reading.kind === 'jump') {
      this.log.warn(
        { reading: reading.kind, counter: reading.counter },
        'event counter: device reset or jumped',
      );
      this.applied = undefined;
    }
    if (replaced)
      this.log.warn(
        { serial: replaced.serial, previousSerial: replaced.previousSerial, counter: reading.counter },
        'another device at this address (its serial number differs): its counter is the starting point',
      );
    else if (reading.kind === 'baseline')
      this.log.info(
        { counter: reading.counter },
        'first sight of this device: its counter is the starting point',
      );
    this.emit('event', 'events', batch as unknown as Record<string, unknown>);
    this.takeStatuses(batch);
    for (const note of batch.escrow) await this.route(note);
    if (this.applied === undefined) await this.applyAcceptance();
  }

  private async route(note: CashEventBatch['escrow'][number]): Promise<void> {
    const decision: EscrowDecision =
      note.valueMinor > 0 && this.options.decideEscrow ? this.options.decideEscrow(note) : 'return';
    let outcome: EscrowRouted['outcome'] = 'routed';
    try {
      const reply = decodeRouteReply(
        await this.link.request(
          HEADER.routeBill,
          Uint8Array.of(decision === 'stack' ? ROUTE.stack : ROUTE.returnBill),
        ),
      );
      if (reply === ROUTE_ERROR.escrowEmpty) outcome = 'escrow_empty';
      else if (reply !== 'routed') outcome = 'failed';
    } catch (error) {
      this.note(error);
      outcome = 'failed';
    }
    const routed: EscrowRouted = { ...note, route: decision, outcome };
    this.emit('event', 'escrow_routed', routed as unknown as Record<string, unknown>);
  }

  private takeStatuses(batch: CashEventBatch): void {
    for (const status of batch.statuses) {
      if (this.options.kind === 'bill-validator') {
        if (status.code === BILL_EVENT.stackerRemoved) this.troubles.set('stacker', 'cash box removed');
        else if (status.code === BILL_EVENT.stackerFull) this.troubles.set('stacker', 'cash box full');
        else if (status.code === BILL_EVENT.stackerInserted || status.code === BILL_EVENT.stackerOk)
          this.troubles.clear('stacker');
      }
      const stacker =
        this.options.kind === 'bill-validator' &&
        (status.code === BILL_EVENT.stackerRemoved || status.code === BILL_EVENT.stackerFull);
      if (status.severity === 'fault' && !stacker) this.troubles.set('jam', status.name);
      if (status.severity === 'fraud') this.troubles.tamper(status.name, this.options.tamperHoldMs ?? 30_000);
      if (status.severity === 'unknown')
        this.log.warn({ code: status.code, event: status.name }, 'unknown event code');
    }
  }

  private async selfCheck(): Promise<void> {
    const check = decodeSelfCheck(await this.link.request(HEADER.performSelfCheck));
    if (check.fault === 0) this.troubles.clear('self-check', 'jam');
    else this.troubles.set('self-check', faultName(check.fault));
  }

  /**
   * Sets what the device takes. One that did not answer both requests may take something else than
   * `applied` says (a request lost on the line): the next poll sets it again — it left an acceptor
   * refusing every coin of a payment while it answered every poll. Requests go one at a time, so
   * the last to end says whether the device is set as asked.
   */
  private async applyAcceptance(): Promise<void> {
    const wanted = this.troubles.has('journal') ? NO_ACCEPTANCE : this.wanted;
    const mask = wanted.channels.reduce((bits, channel) => bits | (1 << (channel - 1)), 0);
    try {
      await this.link.request(HEADER.modifyInhibitStatus, encodeInhibitMask(wanted.accepting ? mask : 0));
      await this.link.request(
        HEADER.modifyMasterInhibitStatus,
        encodeMasterInhibit(wanted.accepting && mask !== 0),
      );
    } catch (error) {
      this.unsettled = true;
      throw error;
    }
    this.unsettled = false;
    const before = this.applied;
    this.applied = wanted;
    if (before?.accepting !== wanted.accepting || before?.channels.join() !== wanted.channels.join())
      this.changed();
  }

  /**
   * A device reset while its counter was still 0 does not show in the counter:
   * its master inhibit, read back now and then, does.
   */
  private async verifySettings(): Promise<void> {
    const accepting = decodeMasterInhibit(await this.link.request(HEADER.requestMasterInhibitStatus));
    const applied = this.applied;
    if (applied && accepting !== (applied.accepting && applied.channels.length > 0)) {
      this.log.warn({ accepting }, 'the device lost its settings (a reset?); setting them again');
      this.applied = undefined;
      await this.applyAcceptance();
    }
  }

  private async inhibitAll(): Promise<void> {
    await this.link.request(HEADER.modifyMasterInhibitStatus, encodeMasterInhibit(false));
    this.applied = NO_ACCEPTANCE;
  }

  private note(error: unknown): void {
    const described = describeError(error);
    this.lastError = described;
    this.log.debug({ code: described.code }, `ccTalk: ${described.message}`);
  }

  private changed(): void {
    if (this.connected) this.emit('condition', this.condition());
  }

  private lost(error: Error): void {
    if (!this.connected) return;
    this.connected = false;
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    void this.options.transport.close();
    this.emit('disconnected', error);
  }

  private onTransportClosed(error: Error | undefined): void {
    if (!this.connected) return;
    this.lost(error ?? new TransportClosedError(`${this.options.transport.description} closed`));
  }
}
