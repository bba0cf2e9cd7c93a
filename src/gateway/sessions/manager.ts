/**
 * Self-check sessions on this desk: opens them (patron by barcode and PIN, or by
 * the patron card on the pad), routes each pad's tag events to the one session
 * that watches it, ends them (end-session to the ILS, a receipt printed or handed
 * back), and ends the ones nobody touched for the inactivity timeout.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, type TimerHandle, withDeadline } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isPatronCard } from '../../protocols/rfid/index.js';
import type { CirculationService, PatronView } from '../contracts/circulation.js';
import type {
  EndSessionRequest,
  OpenSessionRequest,
  SessionCaller,
  SessionEndReason,
  SessionEndResult,
  SessionItemView,
  SessionPatronView,
  SessionRenewalView,
  SessionRenewRequest,
  SessionService,
  SessionUpdate,
  SessionView,
} from '../contracts/sessions.js';
import type { EventBus } from '../event-bus.js';
import { receiptPrinters } from '../families/receipt-printer/index.js';
import { type RfidReaderEvents, type RfidReaderPort, rfidReaders } from '../families/rfid-reader/index.js';
import { patronCardOn } from '../families/rfid-reader/patron-card.js';
import { type Identification, scanners } from '../families/scanner/index.js';
import { type FamilyEventOf, listenTo, type PortLookup } from '../family.js';
import type { Feature } from '../feature.js';
import type { SessionsConfig } from './config.js';
import { SessionError, sessionEnded } from './errors.js';
import { checkoutReceipt, type ReceiptContext, returnReceipt } from './receipt.js';
import { SessionScreens } from './screens.js';
import { SelfCheckSession } from './session.js';
import { isilKey, whyUnreadable } from './unreadable.js';

export interface SessionManagerDeps {
  circulation: CirculationService;
  /** The pads sessions watch and the printers their receipts go to. */
  devices: PortLookup;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  config: SessionsConfig;
  /** For the receipt: the library's name when the config gives none, and the desk's. */
  site: string;
  desk: string;
}

/** Ended sessions stay readable this long (a kiosk fetching its last state after a timeout). */
const ENDED_KEPT_MS = 5 * 60_000;
/** A patron scanned at a scanner may open a session for this long (the PIN typed meanwhile). */
const PATRON_SCAN_VALID_MS = 60_000;
/** An end-session to the ILS at shutdown waits at most this long. */
const SHUTDOWN_END_MS = 2_000;
/**
 * Any other end-session to the ILS waits at most this long for its answer (the message still goes):
 * the patron's items are done by then, and neither her receipt nor the pad, which the next patron
 * is waiting for, should wait out the timeouts of a library system that stopped answering.
 */
const END_ANSWER_MS = 4_000;

export class SessionManager implements Feature, SessionService {
  readonly name = 'sessions';
  private readonly sessions = new Map<string, SelfCheckSession>();
  /** Pad → the open session watching it. */
  private readonly padOwners = new Map<string, SelfCheckSession>();
  /** Scanner → the open session its item barcodes go to. */
  private readonly scannerOwners = new Map<string, SelfCheckSession>();
  /**
   * Scanner → the patron last scanned there (a barcode or card), until a session takes it; `at`
   * is monotonic, so that NTP stepping the wall clock back does not keep it for the next person.
   */
  private readonly patronScans = new Map<string, { patron: string; at: number }>();
  private readonly timers = new Map<string, TimerHandle>();
  /** The screen each session is shown on, for sessions opened or taken over by a screen. */
  private readonly screens: SessionScreens;
  /**
   * Session → its end, under way or done, while its ended view is kept: a cancel or an end sent
   * again (its answer lost) is answered as the first was.
   */
  private readonly endings = new Map<
    string,
    { reason: SessionEndReason; request: EndSessionRequest; result: Promise<SessionEndResult> }
  >();
  private readonly log: Logger;
  /** The owner libraries (ISILs, as compared) whose items sessions take; empty: every owner's. */
  private readonly libraries: ReadonlySet<string>;

  constructor(private readonly deps: SessionManagerDeps) {
    this.log = deps.logger.child({ module: 'sessions' });
    this.libraries = new Set(deps.config.ownerLibraries.map(isilKey));
    this.screens = new SessionScreens(deps.clock, () => deps.config.screenGraceSeconds * 1000);
  }

  async start(): Promise<void> {
    listenTo(this.deps.bus, rfidReaders, this, (event) => this.onPadEvent(event));
    listenTo(this.deps.bus, scanners, this, (event) => {
      if (event.type === 'scanner.identified') this.onScan(event.data);
    });
  }

  async stop(): Promise<void> {
    this.deps.bus.removeAllListenersOf(this);
    const open = [...this.sessions.values()].filter((session) => session.open);
    await Promise.all(open.map((session) => this.finish(session, 'shutdown', { receipt: 'none' })));
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  async open(request: OpenSessionRequest, caller: SessionCaller): Promise<SessionView> {
    const { config } = this.deps;
    if (this.openCount() >= config.maxOpen)
      throw new SessionError(
        'session_limit_reached',
        `at most ${config.maxOpen} sessions may be open at once`,
      );
    const pad = request.pad ?? null;
    // Throws device_not_found or not_an_rfid_reader: the session holds the pad's port.
    const padPort = pad === null ? null : this.deps.devices.port(rfidReaders, pad);
    if (pad !== null && padPort !== null) {
      // A reader that is not connected still lets a kiosk work by barcode: "unavailable" is tolerated.
      this.padTags(padPort);
      if (this.padOwners.has(pad))
        throw new SessionError('pad_in_use', `pad "${pad}" is in use by another session`);
    }
    const scanner = request.scanner ?? null;
    // Throws device_not_found or not_a_scanner.
    if (scanner !== null) this.deps.devices.port(scanners, scanner);
    this.checkScannerFree(scanner);
    const patron = request.mode === 'checkout' ? await this.identify(request, pad, padPort, caller) : null;
    // The pad may have been claimed while the ILS answered.
    if (pad !== null && this.padOwners.has(pad))
      throw new SessionError('pad_in_use', `pad "${pad}" is in use by another session`);
    this.checkScannerFree(scanner);
    if (this.openCount() >= config.maxOpen)
      throw new SessionError(
        'session_limit_reached',
        `at most ${config.maxOpen} sessions may be open at once`,
      );

    const session = new SelfCheckSession(
      {
        id: randomUUID(),
        mode: request.mode,
        owner: caller.terminal,
        pad,
        scanner,
        auto: request.auto ?? true,
        patron,
        inactivityMs: config.inactivityTimeoutSeconds * 1000,
      },
      { circulation: this.deps.circulation, pad: padPort, clock: this.deps.clock },
    );
    this.sessions.set(session.id, session);
    if (caller.screen !== undefined) this.screens.show(session.id, caller.screen);
    if (pad !== null) this.padOwners.set(pad, session);
    if (scanner !== null) this.scannerOwners.set(scanner, session);
    this.armTimer(session);
    // An item's news (the library system's answer, its security written) is activity: a patron
    // watching a slow ILS work through her pile is there, and her session must not end under her.
    session.watch((update) => {
      if (update.event === 'item') this.armTimer(session);
    });
    this.log.info(
      { session: session.id, mode: request.mode, pad, scanner, terminal: caller.terminal },
      'session opened',
    );
    // Items already lying on the pad belong to the session too, and so do tags it cannot read.
    for (const tag of padPort === null ? [] : this.padTags(padPort)) {
      const unreadable = whyUnreadable(tag, this.libraries);
      if (unreadable !== undefined) session.tagUnreadable(tag.uid, unreadable);
      else if (tag.item?.primaryItemId && !isPatronCard(tag.item)) session.tagPlaced(tag.uid, tag.item, tag);
    }
    return session.view();
  }

  get(id: string, caller: SessionCaller): SessionView {
    return this.find(id, caller).view();
  }

  /**
   * The session an opening sent again (its request id's) had opened, as it is now: open, its view
   * (the items since in it); ended, or forgotten since, refused `session_ended` in words with its
   * id — never a second session, nor an ended one shown as open.
   */
  openedAgain(id: string, caller: SessionCaller): SessionView {
    const session = this.sessions.get(id);
    if (session === undefined || !this.mayUse(session, caller))
      throw new SessionError(
        'session_ended',
        `session "${id}", which this request opened, has ended: start a new one with a new request id`,
        { session: id },
      );
    if (session.closed) throw sessionEnded(session);
    return session.view();
  }

  list(caller: SessionCaller): SessionView[] {
    return [...this.sessions.values()]
      .filter((session) => this.mayUse(session, caller))
      .map((session) => session.view());
  }

  async processItem(
    id: string,
    request: { item: string; feeAcknowledged?: boolean | undefined },
    caller: SessionCaller,
  ): Promise<SessionItemView> {
    const session = this.active(id, caller);
    this.armTimer(session);
    return session.processItem(request.item, request.feeAcknowledged === true);
  }

  async renew(
    id: string,
    request: SessionRenewRequest,
    caller: SessionCaller,
  ): Promise<SessionRenewalView[]> {
    const session = this.active(id, caller);
    if (session.init.mode !== 'checkout')
      throw new SessionError('patron_required', 'renewals need a checkout session (a patron)');
    this.armTimer(session);
    // Each renewal that comes back is activity: a patron watching her loans renewed one by one is there.
    return session.renew(request, () => this.armTimer(session));
  }

  keepAlive(id: string, caller: SessionCaller): SessionView {
    const session = this.active(id, caller);
    this.armTimer(session);
    return session.view();
  }

  async end(id: string, request: EndSessionRequest, caller: SessionCaller): Promise<SessionEndResult> {
    // Sent again after its answer was lost (with no requestId, or its id's ten minutes past), the
    // same end hears what the first did, under way or done: ending an ended session is no conflict.
    // Another end (another receipt) was not done, and is refused as the session now stands.
    const ending = this.endings.get(this.find(id, caller).id);
    if (ending?.reason === 'ended' && sameEnd(ending.request, request)) return ending.result;
    return this.finish(this.active(id, caller), 'ended', request);
  }

  async cancel(id: string, caller: SessionCaller): Promise<SessionEndResult> {
    // Sent again after its answer was lost (DELETE is idempotent: a client may resend it unasked),
    // a cancel hears what the first one did, under way or done; ended another way, it is refused
    // saying how.
    const ending = this.endings.get(this.find(id, caller).id);
    if (ending?.reason === 'cancelled') return ending.result;
    return this.finish(this.active(id, caller), 'cancelled', { receipt: 'none' });
  }

  takeOver(id: string, request: { force?: boolean | undefined }, caller: SessionCaller): SessionView {
    const screen = caller.screen;
    if (screen === undefined)
      throw new SessionError('screen_required', 'name the screen that takes the session over (?screen=)');
    const session = this.find(id, caller);
    if (session.closed) throw sessionEnded(session);
    const shown = this.screens.takeOver(session, screen, request.force === true);
    this.armTimer(session);
    this.log.info(
      { session: session.id, terminal: caller.terminal, fromConnectedScreen: shown },
      'session taken over by a screen',
    );
    return session.view();
  }

  watch(id: string, caller: SessionCaller, listener: (update: SessionUpdate) => void): () => void {
    return this.screens.watch(this.find(id, caller), caller, listener);
  }

  /** How many sessions are open now (for health and tests). */
  openCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.open) count++;
    return count;
  }

  private async identify(
    request: OpenSessionRequest,
    pad: string | null,
    padPort: RfidReaderPort | null,
    caller: SessionCaller,
  ): Promise<{ barcode: string; pin: string | undefined; view: SessionPatronView }> {
    const pin = request.pin === '' ? undefined : request.pin;
    const patronWays =
      'a barcode (patron), the patron card on a pad (patronCard) or the card scanned at a scanner (patronScan)';
    const namesPatron =
      (request.patron !== undefined && request.patron !== '') ||
      request.patronScan === true ||
      request.patronCard === true;
    // The PIN is asked for before a scanned patron is taken (it serves one session): with
    // neither, the answer names both.
    if (this.deps.config.requirePin && pin === undefined) {
      if (!namesPatron)
        throw new SessionError(
          'patron_required',
          `a checkout session needs a patron — ${patronWays} — and the patron's PIN (pin)`,
        );
      throw new SessionError('pin_required', "the patron's PIN is required to start a checkout session");
    }
    let barcode = request.patron;
    if (barcode === undefined && request.patronScan === true) barcode = this.takePatronScan(request.scanner);
    if (barcode === undefined && request.patronCard === true) {
      if (pad === null || padPort === null)
        throw new SessionError('patron_card_not_found', 'a patron card is read from a pad: name one');
      // The card lying there now: the pad's kept view still holds the last patron's for a moment.
      barcode = await patronCardOn(pad, padPort);
    }
    if (barcode === undefined || barcode === '')
      throw new SessionError('patron_required', `a checkout session needs a patron: ${patronWays}`);
    const { patron } = await this.deps.circulation.identifyPatron(
      { patron: barcode, pin },
      { terminal: caller.terminal },
    );
    return { barcode, pin, view: patronSummary(patron) };
  }

  private finish(
    session: SelfCheckSession,
    reason: SessionEndReason,
    request: EndSessionRequest,
  ): Promise<SessionEndResult> {
    const result = this.ending(session, reason, request);
    this.endings.set(session.id, { reason, request, result });
    // A failed end is not kept for a cancel sent again: that one is refused as the session now stands.
    result.catch(() => this.endings.delete(session.id));
    return result;
  }

  private async ending(
    session: SelfCheckSession,
    reason: SessionEndReason,
    request: EndSessionRequest,
  ): Promise<SessionEndResult> {
    this.timers.get(session.id)?.cancel();
    this.timers.delete(session.id);
    await session.drain();
    let ils: SessionEndResult['ils'] = null;
    const patron = session.init.patron;
    if (patron) {
      const ending = this.deps.circulation
        .endSession({ patron: patron.barcode, pin: patron.pin }, { terminal: session.init.owner })
        .then((answer): SessionEndResult['ils'] => ({
          ended: answer.ended,
          screenMessages: answer.screenMessages,
        }))
        .catch((error: unknown): SessionEndResult['ils'] => ({ error: describeError(error).code }));
      ils = await bounded(ending, this.deps.clock, reason === 'shutdown' ? SHUTDOWN_END_MS : END_ANSWER_MS);
    }
    session.markEnded(reason);
    if (session.init.pad !== null && this.padOwners.get(session.init.pad) === session)
      this.padOwners.delete(session.init.pad);
    if (session.init.scanner !== null && this.scannerOwners.get(session.init.scanner) === session)
      this.scannerOwners.delete(session.init.scanner);
    const receipt = this.receipt(session, request);
    this.log.info(
      { session: session.id, reason, items: session.transactedItems().length, receipt: receipt.kind },
      'session ended',
    );
    this.screens.forget(session.id);
    this.deps.clock.setTimeout(
      `session-forget-${session.id}`,
      () => {
        this.sessions.delete(session.id);
        this.endings.delete(session.id);
      },
      ENDED_KEPT_MS,
    );
    return { session: session.view(), ils, receipt };
  }

  private receipt(session: SelfCheckSession, request: EndSessionRequest): SessionEndResult['receipt'] {
    if (request.receipt === 'none') return { kind: 'none' };
    const { receipt } = this.deps.config;
    const context: ReceiptContext = {
      library: receipt.library ?? this.deps.site,
      branch: receipt.branch,
      url: receipt.url,
      desk: this.deps.desk,
      now: this.deps.clock.now(),
    };
    const items = session.transactedItems();
    const data =
      session.init.mode === 'checkout'
        ? checkoutReceipt(session.init.patron?.view.name ?? '', items, session.renewalViews(), context)
        : returnReceipt(items, context);
    if (request.receipt === 'data') return { kind: 'data', ...data };
    const printer = request.printer ?? receipt.printer;
    try {
      if (printer === undefined)
        throw new SessionError('no_receipt_printer', 'no receipt printer was named and none is configured');
      return { kind: 'printed', printer, job: this.deps.devices.port(receiptPrinters, printer).submit(data) };
    } catch (error) {
      return { kind: 'print_failed', error: describeError(error), ...data };
    }
  }

  private onPadEvent(event: FamilyEventOf<RfidReaderEvents>): void {
    const session = this.padOwners.get(event.device);
    if (!session?.open) return;
    try {
      switch (event.type) {
        case 'rfid.tag_arrived': {
          const item = event.data.item;
          const unreadable = whyUnreadable(event.data, this.libraries);
          if (unreadable !== undefined) {
            this.armTimer(session);
            session.tagUnreadable(event.data.uid, unreadable);
            return;
          }
          if (!item || isPatronCard(item) || !item.primaryItemId) return;
          this.armTimer(session);
          session.tagPlaced(event.data.uid, item, event.data);
          return;
        }
        case 'rfid.tag_left':
          this.armTimer(session);
          session.tagLeft(event.data.uid);
          return;
        case 'rfid.security_set':
          session.securityWritten(event.data.uid, event.data.secured);
          return;
      }
    } catch (error) {
      this.log.error(
        { err: describeError(error), session: session.id },
        'session could not take a pad event',
      );
    }
  }

  private checkScannerFree(scanner: string | null): void {
    if (scanner !== null && this.scannerOwners.get(scanner)?.open)
      throw new SessionError('scanner_in_use', `scanner "${scanner}" is in use by another session`);
  }

  /** The patron scanned at the scanner in the last minute; taken, so one scan opens one session. */
  private takePatronScan(scanner: string | undefined): string {
    const scan = scanner === undefined ? undefined : this.patronScans.get(scanner);
    if (
      scanner === undefined ||
      scan === undefined ||
      this.deps.clock.monotonic() - scan.at > PATRON_SCAN_VALID_MS
    )
      throw new SessionError(
        'patron_scan_not_found',
        scanner === undefined
          ? 'patronScan reads the patron from a scanner: name one'
          : `no patron was scanned at "${scanner}" in the last minute`,
      );
    this.patronScans.delete(scanner);
    return scan.patron;
  }

  /**
   * A patron scanned is kept for the kiosk to open its session with (never logged); an
   * item barcode scanned at a session's scanner is processed in that session.
   */
  private onScan(identification: Identification): void {
    const { device } = identification;
    if (identification.role === 'patron' && identification.patron !== undefined) {
      this.patronScans.set(device, { patron: identification.patron, at: this.deps.clock.monotonic() });
      return;
    }
    const session = this.scannerOwners.get(device);
    if (!session?.open || identification.kind !== 'barcode') return;
    this.armTimer(session);
    session.processItem(identification.value, false).catch((error: unknown) => {
      // Refused as the API refuses it (an item whose outcome the library system cannot tell yet,
      // left as it was): no fault for IT to look into, and its code says enough.
      if (error instanceof SessionError)
        this.log.info(
          { code: error.code, session: session.id, scanner: device },
          'session refused a scanned item',
        );
      else
        this.log.error(
          { err: describeError(error), session: session.id, scanner: device },
          'session could not take a scanned item',
        );
    });
  }

  private armTimer(session: SelfCheckSession): void {
    // Ending already (waiting for the ILS): a tag moving now must not start a timeout that ends it again.
    if (session.closed) return;
    session.touch();
    this.timers.get(session.id)?.cancel();
    this.timers.set(
      session.id,
      this.deps.clock.setTimeout(
        `session-timeout-${session.id}`,
        () => {
          this.timers.delete(session.id);
          if (session.closed) return;
          this.finish(session, 'timeout', { receipt: 'none' }).catch((error: unknown) =>
            this.log.error({ err: describeError(error), session: session.id }, 'session timeout failed'),
          );
        },
        this.deps.config.inactivityTimeoutSeconds * 1000,
      ),
    );
  }

  /** The pad's tags; none while its reader is not connected. */
  private padTags(pad: RfidReaderPort) {
    try {
      return pad.tags().tags;
    } catch (error) {
      if (describeError(error).code === 'unavailable') return [];
      throw error;
    }
  }

  private find(id: string, caller: SessionCaller): SelfCheckSession {
    const session = this.sessions.get(id);
    // Someone else's session is as good as absent: its id says nothing to another kiosk.
    if (!session || !this.mayUse(session, caller))
      throw new SessionError('session_not_found', `no session "${id}"`);
    return session;
  }

  /** A session open for work from this caller: not ending, and not shown on another screen than the caller's. */
  private active(id: string, caller: SessionCaller): SelfCheckSession {
    const session = this.find(id, caller);
    if (session.closed) throw sessionEnded(session);
    this.screens.checkCaller(session, caller);
    return session;
  }

  private mayUse(session: SelfCheckSession, caller: SessionCaller): boolean {
    return caller.staff || session.init.owner === caller.terminal;
  }
}

function patronSummary(patron: PatronView): SessionPatronView {
  return {
    name: patron.name,
    blocked: patron.blocked,
    reasons: patron.reasons,
    fines: { total: patron.fines.total, currency: patron.fines.currency },
    counts: {
      loans: patron.counts.loans,
      overdue: patron.counts.overdue,
      holdsAvailable: patron.counts.holdsAvailable,
    },
    screenMessages: patron.screenMessages,
  };
}

/** Whether two ends ask for the same (the receipt, on the same printer when printed). */
function sameEnd(first: EndSessionRequest, again: EndSessionRequest): boolean {
  return first.receipt === again.receipt && first.printer === again.printer;
}

/** The answer, or `{ error: 'ils_timeout' }` when none came within `ms`. */
function bounded<T>(promise: Promise<T>, clock: Clock, ms: number): Promise<T | { error: string }> {
  return withDeadline(clock, 'session-end-bound', promise, ms, () => new Error('ils_timeout')).catch(() => ({
    error: 'ils_timeout',
  }));
}
