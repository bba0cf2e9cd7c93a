/**
 * Payment sessions: a kiosk (or the desk) opens one for a patron and what they
 * pay for; the cash devices take only values that fit what is still due (plus
 * the overpayment allowance when the excess goes to a print account); every
 * coin and note is credited to the payment through the credit journal, which
 * commits it before anyone hears of it; the payment reads what it was paid
 * from that journal, never from a count of its own, so a restart cannot lose
 * or double a credit. Paid in full, finished or timed out, it lets the
 * devices go and settles (ending.ts, settlement.ts). A restart takes up what was left
 * collecting or settling. What a payment is for and who pays is worked out in opening.ts (the
 * patron read in patron.ts), which cash devices are free to take it and what they take in
 * cash-devices.ts, what a collecting payment holds in memory in live.ts, what staff see
 * of ended payments and pay out in staff.ts.
 */
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { CirculationService } from '../contracts/circulation.js';
import type { OfflineIntake } from '../contracts/offline.js';
import type {
  OpenPaymentRequest,
  PaymentCaller,
  PaymentCheckOutcome,
  PaymentEndResult,
  PaymentReceiptData,
  PaymentService,
  PaymentStatisticsRow,
  PaymentUpdate,
  PaymentView,
} from '../contracts/payments.js';
import type { PrintAccountDeposits } from '../contracts/print-accounts.js';
import type { EventBus } from '../event-bus.js';
import { CreditJournal } from '../families/cash-device/credit-journal.js';
import { cashDevices } from '../families/cash-device/index.js';
import { receiptPrinters } from '../families/receipt-printer/index.js';
import { listenTo, type PortLookup } from '../family.js';
import { Retention } from '../retention.js';
import { StatisticsRangeError } from '../statistics/errors.js';
import type { Database } from '../storage/index.js';
import { acceptedValues, announcePayment, claimFreeDevices, deviceBack, maxValue } from './cash-devices.js';
import { recordCheck } from './checks.js';
import type { PaymentsConfig } from './config.js';
import { type EndingDeps, endPayment, releaseEndedHolds } from './ending.js';
import { PaymentError } from './errors.js';
import { type LivePayment, livePayment, tellWatchers } from './live.js';
import { preparePayment } from './opening.js';
import { paymentReceipt } from './receipt.js';
import { owingPayments, paymentsToCheck, payOut } from './staff.js';
import { HOUR_MS, PAYMENT_STATISTICS_MAX_DAYS, paymentStatistics, QUARTER_MS } from './statistics.js';
import { PaymentStore } from './store.js';
import { paymentView } from './view.js';

export interface PaymentManagerDeps {
  circulation: CirculationService;
  devices: PortLookup;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  config: PaymentsConfig;
  db: () => Database;
  offline: OfflineIntake | undefined;
  printAccounts: PrintAccountDeposits | undefined;
  /** For the receipt. */
  library: string;
  desk: string;
}

export class PaymentManager implements PaymentService {
  readonly name = 'payments';
  private storeHandle: PaymentStore | undefined;
  private journalHandle: CreditJournal | undefined;
  private readonly live = new Map<string, LivePayment>();
  /**
   * The devices of payments opening whose holds are not all journaled yet (each device's accept
   * journals its own, one device after another, each waiting for ccTalk): device id → payment id.
   */
  private readonly opening = new Map<string, string>();
  private recovery: Promise<void> | undefined;
  private patronRetention: Retention | undefined;
  private readonly logger: Logger;

  constructor(private readonly deps: PaymentManagerDeps) {
    this.logger = deps.logger.child({ module: 'payments' });
  }

  async start(): Promise<void> {
    listenTo(this.deps.bus, cashDevices, this, (event) => {
      if (event.type === 'cash.credit' && event.data.holder !== null)
        this.credited(event.data.holder, event.device);
      if (event.type === 'cash.unverified' && event.data.holder !== null)
        this.uncounted(event.data.holder, event.device, event.data.reason);
    });
    // A device of a payment jammed or came back: its watchers see what is taken now.
    this.deps.bus.on('device.state', this, (state) => {
      if (state.kind === cashDevices.kind) this.deviceChanged(state.device);
    });
    this.recovery = this.recover().catch((error) =>
      this.logger.error({ err: describeError(error) }, 'unfinished payments could not be taken up'),
    );
    this.patronRetention ??= new Retention({
      name: 'payments-patrons',
      forget: (before) => {
        const forgotten = this.store().forgetPatrons(before);
        // secure_delete zeroed the old values in the file; the checkpoint takes their pages out of the log.
        if (forgotten > 0) this.deps.db().checkpoint();
        return forgotten;
      },
      retentionDays: this.deps.config.patronDataDays,
      clock: this.deps.clock,
      logger: this.logger,
    });
    this.patronRetention.start();
  }

  async stop(): Promise<void> {
    this.patronRetention?.stop();
    this.deps.bus.removeAllListenersOf(this);
    await this.recovery;
    // Collecting payments stay collecting: the next start lets their devices go and settles them.
    for (const live of this.live.values()) live.idle?.cancel();
    await Promise.allSettled([...this.live.values()].map((live) => live.ending));
    this.live.clear();
  }

  async open(
    request: OpenPaymentRequest,
    caller: PaymentCaller,
    options: { pinChecked?: boolean } = {},
  ): Promise<PaymentView> {
    const { id, patron, patronName, pin, plan, devices } = await preparePayment(
      request,
      caller,
      options,
      this.deps,
    );
    const free = claimFreeDevices(id, devices, this.opening, (holder) => this.hasEnded(holder));
    try {
      this.store().create(
        {
          id,
          terminal: caller.terminal,
          patron,
          patron_name: patronName,
          purpose: request.purpose.kind,
          currency: this.deps.config.currency,
          amount_due_minor: plan.amountDueMinor,
          state: 'collecting',
          devices: JSON.stringify(free.map((device) => device.id)),
          started_at: this.deps.clock.now(),
        },
        plan.lines,
      );
      const live = livePayment(id, pin, this.deps.clock.monotonic());
      this.live.set(id, live);
      this.restartIdle(live);
      this.logger.info(
        { payment: id, purpose: request.purpose.kind, due: plan.amountDueMinor },
        'payment opened',
      );
      try {
        await this.offer(id);
      } catch (error) {
        await this.end(id, 'cancelled');
        throw error;
      }
    } finally {
      for (const device of free) if (this.opening.get(device.id) === id) this.opening.delete(device.id);
    }
    const view = this.view(id);
    this.announce(view);
    return view;
  }

  get(id: string, caller: PaymentCaller): PaymentView {
    this.find(id, caller);
    return this.view(id);
  }

  /** Ended payments that still owe the patron money (staff pay it out at the desk), newest first. */
  owing(): PaymentView[] {
    return owingPayments(this.store(), (id) => this.view(id));
  }

  /** Ended payments with money whose fate is not known (a line failed), newest first: staff check them. */
  toCheck(): PaymentView[] {
    return paymentsToCheck(this.store(), (id) => this.view(id));
  }

  list(caller: PaymentCaller): PaymentView[] {
    return [...this.live.keys()].filter((id) => this.mayUse(id, caller)).map((id) => this.view(id));
  }

  finish(id: string, caller: PaymentCaller): Promise<PaymentEndResult> {
    this.collecting(id, caller);
    return this.end(id, 'finished');
  }

  cancel(id: string, caller: PaymentCaller): Promise<PaymentEndResult> {
    this.collecting(id, caller);
    return this.end(id, 'cancelled');
  }

  receipt(id: string, caller: PaymentCaller): PaymentReceiptData {
    this.ended(id, caller);
    return this.receiptData(id);
  }

  async printReceipt(
    id: string,
    caller: PaymentCaller,
    printer?: string,
  ): Promise<{ printer: string; job: string }> {
    this.ended(id, caller);
    const target = printer ?? this.deps.config.printer ?? this.deps.devices.all(receiptPrinters)[0]?.id;
    if (target === undefined)
      throw new PaymentError('no_receipt_printer', 'no receipt printer is configured');
    const job = this.deps.devices.port(receiptPrinters, target).submit(this.receiptData(id));
    return { printer: target, job: job.id };
  }

  payOut(id: string, amountMinor: number, staff: string): PaymentView {
    return payOut(this.store(), (payment) => this.view(payment), {
      id,
      amountMinor,
      staff,
      at: this.deps.clock.now(),
    });
  }

  check(
    id: string,
    check: { outcome: PaymentCheckOutcome; note?: string | undefined },
    staff: string,
  ): PaymentView {
    recordCheck(this.store(), id, check, staff, this.deps.clock.now());
    this.logger.info({ payment: id, outcome: check.outcome }, 'payment checked by staff');
    return this.view(id);
  }

  watch(id: string, caller: PaymentCaller, listener: (update: PaymentUpdate) => void): () => void {
    this.find(id, caller);
    const live = this.live.get(id);
    listener({ event: 'payment', data: this.view(id) });
    if (!live) {
      const state = this.view(id).state;
      if (state === 'completed' || state === 'cancelled') {
        listener({ event: 'ended', data: this.view(id) });
        return () => {};
      }
      // Left collecting or settling by a Carrel that stopped: this start's recovery is taking it up
      // (it may wait for a cash device to come back); it has ended when that is done.
      let watching = true;
      void (this.recovery ?? Promise.resolve()).then(() => {
        if (watching) listener({ event: 'ended', data: this.view(id) });
      });
      return () => {
        watching = false;
      };
    }
    live.watchers.add(listener);
    return () => live.watchers.delete(listener);
  }

  statistics(range: { from: number; to: number; perQuarter?: boolean }): PaymentStatisticsRow[] {
    // Refused as every statistics route refuses such a range (it is not an amount).
    if (!(range.from < range.to)) throw new StatisticsRangeError('"to" must be after "from"');
    if (range.to - range.from > PAYMENT_STATISTICS_MAX_DAYS * 86_400_000)
      throw new StatisticsRangeError(`a range may span at most ${PAYMENT_STATISTICS_MAX_DAYS} days`);
    this.store(); // its schema, checks included, before it is read
    return paymentStatistics(this.deps.db(), range.from, range.to, range.perQuarter ? QUARTER_MS : HOUR_MS);
  }

  /** The payment's view, from the journals. */
  view(id: string): PaymentView {
    const row = this.store().get(id);
    if (!row) throw new PaymentError('payment_not_found', 'no such payment');
    const live = this.live.get(id);
    return paymentView(
      row,
      this.store().lines(id),
      this.journal().creditsOf(id),
      {
        accepting:
          live && row.state === 'collecting'
            ? acceptedValues(row.id, JSON.parse(row.devices) as string[], this.deps.devices)
            : [],
        expiresAt: this.expiresAt(live, row.started_at),
      },
      this.store().checkOf(id),
      this.store().payoutsOf(id),
      this.journal().uncountedOf(id),
    );
  }

  /** A credit was journaled for a payment: tell the kiosk, and take only what still fits. */
  private credited(id: string, device: string): void {
    const live = this.live.get(id);
    if (!live) {
      this.creditedAfterEnd(id, device);
      return;
    }
    const view = this.view(id);
    this.announce(view);
    const credit = view.credits.at(-1);
    if (credit)
      this.tell(live, {
        event: 'credit',
        data: {
          ...credit,
          device,
          currency: view.currency,
          paidMinor: view.paidMinor,
          remainingMinor: view.remainingMinor,
        },
      });
    this.restartIdle(live);
    if (view.state !== 'collecting' || live.ending) return;
    if (view.remainingMinor <= 0) void this.end(id, 'paid').catch(() => {});
    else
      void this.offer(id).catch((error) =>
        this.logger.warn({ payment: id, err: describeError(error) }, 'acceptance not updated'),
      );
  }

  /**
   * Money may have gone in for a payment without a credit (events lost past the acceptor's buffer,
   * a note of an unknown type): its kiosk is told (the view lists it), and staff by the log and the
   * cash box report. Not credited: nothing is paid from it twice.
   */
  private uncounted(id: string, device: string, reason: string): void {
    const row = this.store().get(id);
    if (!row) return;
    this.logger.warn(
      { payment: id, device, reason },
      'money may have gone in uncounted for a payment: count the cash box',
    );
    const view = this.view(id);
    this.announce(view);
    const live = this.live.get(id);
    if (live) this.tell(live, { event: 'payment', data: view });
  }

  /** Tells the watchers of the payments collecting on `device` what they take now. */
  private deviceChanged(device: string): void {
    for (const live of this.live.values()) {
      if (live.ending) continue;
      const row = this.store().get(live.id);
      if (row?.state !== 'collecting' || !(JSON.parse(row.devices) as string[]).includes(device)) continue;
      this.tell(live, { event: 'payment', data: this.view(live.id) });
    }
  }

  /**
   * Money a device took for a payment that has ended: it was out of reach when the payment let it
   * go (unplugged, its line down) and kept taking coins; read now it is back, it is owed back to
   * the patron (the view counts it from the journal), for staff to pay out.
   */
  private creditedAfterEnd(id: string, device: string): void {
    const row = this.store().get(id);
    if (row?.state !== 'completed' && row?.state !== 'cancelled') return;
    const view = this.view(id);
    this.logger.warn(
      { payment: id, device, owedMinor: view.overpayment.owedToPatronMinor - view.overpayment.paidOutMinor },
      'money taken after the payment ended: owed back to the patron, for staff',
    );
    this.announce(view);
  }

  /** Each device takes what fits: at most what is due still, plus the overpayment allowance. */
  private offer(id: string): Promise<void> {
    const live = this.live.get(id);
    const run = () => this.applyOffer(id);
    if (!live) return run();
    live.offering = live.offering.then(run, run);
    return live.offering;
  }

  private async applyOffer(id: string): Promise<void> {
    const row = this.store().get(id);
    // An ending payment lets its devices go: it must not take them again.
    if (row?.state !== 'collecting' || this.live.get(id)?.ending) return;
    const view = this.view(id);
    const max = maxValue(view.remainingMinor, this.deps.config, this.deps.printAccounts);
    for (const deviceId of JSON.parse(row.devices) as string[])
      await this.deps.devices
        .port(cashDevices, deviceId)
        .accept({ holder: id, currency: row.currency, maxValueMinor: max });
    const live = this.live.get(id);
    if (live) this.tell(live, { event: 'payment', data: this.view(id) });
  }

  /** Ends a payment once: lets the devices go (what was in flight is credited), settles, receipts. */
  private end(id: string, reason: NonNullable<PaymentView['endReason']>): Promise<PaymentEndResult> {
    const live = this.live.get(id);
    if (live?.ending) return live.ending;
    const ending = this.settleNow(id, reason, live);
    if (live) live.ending = ending;
    return ending;
  }

  private async settleNow(
    id: string,
    reason: NonNullable<PaymentView['endReason']>,
    live: LivePayment | undefined,
  ): Promise<PaymentEndResult> {
    live?.idle?.cancel();
    // An acceptance update under way lands first; none starts after this (applyOffer checks `ending`).
    await live?.offering.catch(() => {});
    const row = this.store().get(id);
    if (!row) throw new PaymentError('payment_not_found', 'no such payment');
    const paid = await endPayment(row, reason, live?.pin, this.endingDeps());
    const view = this.view(id);
    this.announce(view);
    this.logger.info(
      { payment: id, reason, paid, state: view.state, offline: view.offline },
      'payment ended',
    );
    if (live) {
      this.tell(live, { event: 'ended', data: view });
      this.live.delete(id);
    }
    return { payment: view, receipt: this.receiptData(id) };
  }

  private receiptData(id: string) {
    return paymentReceipt(this.view(id), {
      library: this.deps.library,
      desk: this.deps.desk,
      now: this.deps.clock.now(),
    });
  }

  /** After a restart: payments left collecting or settling are let go of and settled with what they were paid. */
  private async recover(): Promise<void> {
    for (const row of this.store().unfinished()) {
      for (const deviceId of JSON.parse(row.devices) as string[])
        await deviceBack(deviceId, this.deps.devices, this.deps.clock);
      this.logger.info({ payment: row.id, state: row.state }, 'payment taken up after a restart');
      await this.end(row.id, 'shutdown');
    }
    await releaseEndedHolds({ ...this.endingDeps(), clock: this.deps.clock });
  }

  private endingDeps(): EndingDeps {
    return {
      circulation: this.deps.circulation,
      store: this.store(),
      offline: this.deps.offline,
      printAccounts: this.deps.printAccounts,
      config: this.deps.config,
      logger: this.logger,
      now: () => this.deps.clock.now(),
      devices: this.deps.devices,
      journal: this.journal(),
    };
  }

  /**
   * When the idle timeout ends, on the wall clock as it reads now: the time left is monotonic. A
   * payment no longer collecting here (ended, or left by a Carrel that stopped) from its stored start.
   */
  private expiresAt(live: LivePayment | undefined, startedAt: number): number {
    const idleMs = this.deps.config.idleTimeoutSeconds * 1000;
    if (!live) return startedAt + idleMs;
    return this.deps.clock.now() + live.lastActivity + idleMs - this.deps.clock.monotonic();
  }

  private restartIdle(live: LivePayment): void {
    live.idle?.cancel();
    live.lastActivity = this.deps.clock.monotonic();
    live.idle = this.deps.clock.setTimeout(
      'payment-idle',
      () => void this.end(live.id, 'timeout').catch(() => {}),
      this.deps.config.idleTimeoutSeconds * 1000,
    );
  }

  private announce(view: PaymentView): void {
    announcePayment(this.deps.bus, this.deps.clock, view);
  }

  private tell(live: LivePayment, update: PaymentUpdate): void {
    tellWatchers(live, update, this.logger);
  }

  private ended(id: string, caller: PaymentCaller): void {
    const row = this.find(id, caller);
    if (row.state !== 'completed' && row.state !== 'cancelled')
      throw new PaymentError('payment_not_ended', 'the receipt is made once the payment has ended');
  }

  private collecting(id: string, caller: PaymentCaller): void {
    const row = this.find(id, caller);
    if (row.state !== 'collecting' || !this.live.has(id))
      throw new PaymentError('payment_ended', 'the payment has ended');
  }

  private find(id: string, caller: PaymentCaller) {
    const row = this.store().get(id);
    // Another terminal's payment is as good as absent: its id says nothing to another kiosk.
    if (!row || !(caller.staff || row.terminal === caller.terminal))
      throw new PaymentError('payment_not_found', 'no such payment');
    return row;
  }

  private hasEnded(id: string): boolean {
    const state = this.store().get(id)?.state;
    return state === 'completed' || state === 'cancelled';
  }

  private mayUse(id: string, caller: PaymentCaller): boolean {
    return caller.staff || this.store().get(id)?.terminal === caller.terminal;
  }

  private store(): PaymentStore {
    if (!this.storeHandle) this.storeHandle = new PaymentStore(this.deps.db());
    return this.storeHandle;
  }

  private journal(): CreditJournal {
    if (!this.journalHandle) this.journalHandle = new CreditJournal(this.deps.db());
    return this.journalHandle;
  }
}
