import type { TimerHandle } from '../../../core/clock.js';
import { CarrelError, describeError } from '../../../core/errors.js';
import {
  type CashEventBatch,
  CctalkCashDevice,
  type EscrowDecision,
  type EscrowRouted,
} from '../../../devices/cash/index.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { DEFAULT_ADDRESS } from '../../../protocols/cctalk/index.js';
import { DetailedDriver } from '../../devices/detailed-driver.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import { CashBox, type CashBoxReport } from './cash-box.js';
import type { CashDeviceConfig } from './config.js';
import { CreditJournal, type CreditRow } from './credit-journal.js';
import type { CashDeviceEventsMap } from './events.js';
import type { CashAcceptPlan, CashDevicePort, CashDeviceStatusView } from './port.js';

/**
 * A coin acceptor or bill validator at run time: the ccTalk driver kept
 * connected by a supervisor, its readings journaled in the credit journal
 * (with the payment holding the device) before anything acts on them, its
 * credits, escrow decisions and troubles published as `cash.*` events once
 * journaled. A note in escrow is stacked only when it fits what the holder's
 * payment still takes; anything else goes back to the patron.
 */
export class CashDeviceEntry extends SupervisedEntry<CashDevicePort, CashDeviceConfig> {
  readonly port: CashDevicePort;
  private driver: CctalkCashDevice | undefined;
  private journalHandle: CreditJournal | undefined;
  private plan: CashAcceptPlan | undefined;
  private detailed: DetailedDriver | undefined;
  /** The cash box's fill as of the last credit or emptying, for the health record (read often, computed on change). */
  private fill: CashBoxFill | undefined;
  /** Letting a holder go again, the device having been out of reach. */
  private releaseRetry: TimerHandle | undefined;
  private stopped = false;

  constructor(config: CashDeviceConfig, context: FamilyContext) {
    super(config, context);
    this.port = {
      device: config.device,
      status: () => this.status(),
      accept: (plan) => this.accept(plan),
      release: (holder) => this.release(holder),
      reset: () => this.connectedDriver().reset(),
      cashBox: () => new CashBox(this.database(), this.id).report(),
      emptied: ({ by, countedMinor, note, expectedMinor, lastEmptyingId }) => {
        const emptying = new CashBox(this.database(), this.id).emptied(
          by,
          this.context.clock.now(),
          countedMinor,
          note,
          { expectedMinor, lastEmptyingId },
        );
        this.cashBoxChanged();
        return emptying;
      },
    };
  }

  async start(): Promise<void> {
    const { clock, logger, simulators, bus } = this.context;
    const journal = this.journal();
    const held = journal.holder(this.id);
    const driver = new CctalkCashDevice({
      id: this.id,
      kind: this.config.device,
      transport: createTransport(this.config.transport, simulators, { clock }),
      address:
        this.config.address ??
        DEFAULT_ADDRESS[this.config.device === 'coin-acceptor' ? 'coinAcceptor' : 'billValidator'],
      clock,
      logger,
      escrow: this.config.escrow,
      pollIntervalMs: this.config.pollIntervalMs,
      tamperHoldMs: this.config.tamperHoldSeconds * 1000,
      link: { echo: this.config.echo, replyTimeoutMs: this.config.replyTimeoutMs },
      store: {
        lastCounter: () => journal.lastCounter(this.id),
        commit: (batch, serial) => this.commit(batch, serial),
      },
      decideEscrow: (note) => this.decideEscrow(note),
    });
    driver.on('event', (type: string, data: unknown) => {
      if (type === 'escrow_routed') this.onEscrowRouted(data as EscrowRouted);
    });
    this.driver = driver;
    if (held)
      logger.info(
        { device: this.id },
        'held by a payment when Carrel stopped; it takes no money until asked again',
      );
    this.fill = fillOf(new CashBox(this.database(), this.id).report(), this.config.cashBoxCapacity);
    // The cash box's fill is in the device's health record, and moves it.
    this.detailed = new DetailedDriver(driver, () => ({ cashBox: this.fill ?? null }));
    this.supervisor = new DeviceSupervisor({
      driver: this.detailed,
      eventFamily: undefined,
      clock,
      bus,
      logger,
    });
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseRetry?.cancel();
    await this.supervisor?.stop();
  }

  private database() {
    return this.context.database();
  }

  private journal(): CreditJournal {
    const db = this.context.database();
    if (!this.journalHandle) this.journalHandle = new CreditJournal(db);
    return this.journalHandle;
  }

  /** Journals a reading (the driver waits for it), then tells the bus. */
  private commit(batch: CashEventBatch, serial: number | null): void {
    const now = this.context.clock.now();
    const rows = this.journal().commit(this.id, this.config.device, batch, now, serial);
    if (rows.length > 0) this.cashBoxChanged();
    for (const row of rows) this.publishRow(row);
    for (const status of batch.statuses) this.emit('cash.notice', status);
    if (batch.reading === 'jump')
      this.emit('cash.notice', {
        code: 'events_lost',
        name:
          (batch.missed ?? 1) > 0
            ? `event counter jumped: at least ${batch.missed ?? 1} event(s) never seen; count the cash box`
            : 'event counter went to 0 with events still in its buffer (it must go 255 → 1): they are not credited; count the cash box',
        severity: 'fault',
      });
    if (batch.reading === 'reset')
      this.emit('cash.notice', { code: 'device_reset', name: 'the device was reset', severity: 'status' });
    if (batch.replaced)
      this.emit('cash.notice', {
        code: 'device_replaced',
        name: `another device answers here (serial number ${batch.replaced.serial}, was ${batch.replaced.previousSerial}): counting starts from its own counter; money it took before Carrel knew it is not credited`,
        severity: 'status',
      });
  }

  private cashBoxChanged(): void {
    try {
      this.fill = fillOf(new CashBox(this.database(), this.id).report(), this.config.cashBoxCapacity);
    } catch (error) {
      this.context.logger.warn({ device: this.id, err: describeError(error) }, 'cash box fill not read');
      return;
    }
    this.detailed?.keptChanged();
  }

  private publishRow(row: CreditRow): void {
    const at = new Date(row.at).toISOString();
    if (row.kind === 'credit')
      this.emit('cash.credit', {
        id: row.id,
        deviceKind: row.device_kind,
        channel: row.channel ?? 0,
        currency: row.currency ?? '',
        valueMinor: row.value_minor ?? 0,
        holder: row.holder,
        at,
      });
    else
      this.emit('cash.unverified', {
        id: row.id,
        reason: row.reason as CashDeviceEventsMap['cash.unverified']['reason'],
        channel: row.channel,
        currency: row.currency,
        valueMinor: row.value_minor,
        holder: row.holder,
        at,
      });
  }

  private decideEscrow(note: { currency: string; valueMinor: number }): EscrowDecision {
    const plan = this.plan;
    if (!plan || this.journal().holder(this.id) !== plan.holder) return 'return';
    return note.currency === plan.currency && note.valueMinor <= plan.maxValueMinor ? 'stack' : 'return';
  }

  private onEscrowRouted(routed: EscrowRouted): void {
    this.emit('cash.escrow', {
      channel: routed.channel,
      currency: routed.currency,
      valueMinor: routed.valueMinor,
      decision: routed.route,
      outcome: routed.outcome,
    });
  }

  private async accept(plan: CashAcceptPlan): Promise<CashDeviceStatusView> {
    const journal = this.journal();
    const holder = journal.holder(this.id);
    if (holder !== null && holder !== plan.holder)
      throw new CarrelError(
        'cash_device_busy',
        `cash device "${this.id}" is taking money for another payment`,
      );
    journal.hold(this.id, plan.holder, this.context.clock.now());
    this.plan = plan;
    const driver = this.driver;
    if (driver) {
      const channels = driver
        .channels()
        .filter((channel) => channel.currency === plan.currency && channel.valueMinor <= plan.maxValueMinor)
        .map((channel) => channel.channel);
      try {
        await driver.setAcceptance({ accepting: channels.length > 0, channels });
      } catch (error) {
        // Not answered now: the acceptance is set at its next poll, or when it connects again.
        this.context.logger.warn({ device: this.id, err: describeError(error) }, 'acceptance not set');
      }
    }
    this.emit('cash.acceptance', {
      accepting: plan.maxValueMinor > 0,
      holder: plan.holder,
      maxValueMinor: plan.maxValueMinor,
      currency: plan.currency,
    });
    return this.status();
  }

  /**
   * Inhibits the device and reads what was in the coin path, then lets the holder go. A device out
   * of reach (unplugged, its line down) goes on taking coins on its own: the hold stays, so what it
   * took is credited to the holder when its buffer is read, and it is let go then (tried every second).
   */
  private async release(holder: string): Promise<void> {
    const journal = this.journal();
    if (journal.holder(this.id) !== holder) return;
    this.plan = undefined;
    this.releaseRetry?.cancel();
    this.releaseRetry = undefined;
    const driver = this.driver;
    let reached = false;
    if (driver?.isConnected) {
      try {
        await driver.setAcceptance({ accepting: false, channels: [] });
        // What was already in the coin path is credited to the holder, not to nobody.
        await driver.pollNow();
        reached = true;
      } catch (error) {
        this.context.logger.warn(
          { device: this.id, err: describeError(error) },
          'release: device not reached; held until what it took is read',
        );
      }
    } else await driver?.setAcceptance({ accepting: false, channels: [] }).catch(() => {});
    if (!reached && driver) {
      if (!this.stopped)
        this.releaseRetry = this.context.clock.setTimeout(
          `cash-release:${this.id}`,
          () => void this.release(holder).catch(() => {}),
          1000,
        );
      return;
    }
    journal.release(this.id, holder);
    this.emit('cash.acceptance', { accepting: false, holder: null, maxValueMinor: null, currency: null });
  }

  private status(): CashDeviceStatusView {
    const driver = this.driver;
    const acceptance = driver?.acceptance();
    const channels = driver?.channels() ?? [];
    return {
      device: this.config.device,
      connected: this.supervisor?.isConnected ?? false,
      accepting: acceptance?.accepting ?? false,
      holder: this.journalHandle?.holder(this.id) ?? null,
      denominations: channels.map(({ channel, currency, valueMinor }) => ({ channel, currency, valueMinor })),
      accepted: channels
        .filter((channel) => acceptance?.channels.includes(channel.channel))
        .map((channel) => channel.valueMinor),
      trouble: driver?.condition().reason ?? null,
    };
  }

  private connectedDriver(): CctalkCashDevice {
    if (!this.driver || !this.supervisor?.isConnected)
      throw new CarrelError('unavailable', `cash device "${this.id}" is not connected`);
    return this.driver;
  }

  private emit<T extends keyof CashDeviceEventsMap>(type: T, data: CashDeviceEventsMap[T]): void {
    emitEvent<CashDeviceEventsMap, T>(this.context.bus, this.context.clock, this.id, type, data);
  }
}

/** From this share of its capacity a cash box is near full: time to empty it. */
export const CASH_BOX_NEAR_FULL = 0.9;

/**
 * What the health record says of the cash box: what should be in it since it was last emptied, and
 * with a cashBoxCapacity configured, how full that is.
 */
interface CashBoxFill {
  count: number;
  expectedMinor: number;
  currency: string | null;
  /** Readings that may have put money in without a credit: the box needs counting. */
  unverified: number;
  lastEmptied: string | null;
  /** How many coins or notes it holds (cashBoxCapacity); absent when not configured. */
  capacity?: number;
  /** count ÷ capacity (above 1 when more went in than it should hold). */
  fillRatio?: number;
  /** At or above 90 % of its capacity: empty it before the device refuses money. */
  nearFull?: boolean;
}

function fillOf(report: CashBoxReport, capacity: number | undefined): CashBoxFill {
  const fill: CashBoxFill = {
    count: report.count,
    expectedMinor: report.expectedMinor,
    currency: report.currency,
    unverified: report.unverified.length,
    lastEmptied: report.lastEmptied?.at ?? null,
  };
  if (capacity === undefined) return fill;
  const fillRatio = report.count / capacity;
  return { ...fill, capacity, fillRatio, nearFull: fillRatio >= CASH_BOX_NEAR_FULL };
}
