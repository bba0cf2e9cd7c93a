/**
 * One self-check session: a patron (or nobody, for returns) at a kiosk with its
 * pad. Items placed on the pad are identified from their tags, grouped into
 * multi-part sets, sent to the ILS one at a time, and only then have their
 * security changed — cleared after a confirmed checkout, set again after a
 * confirmed return — and read back. Every change goes to the session's watchers.
 */
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import { CirculationRefusal } from '../circulation/reasons.js';
import type { CirculationService } from '../contracts/circulation.js';
import type {
  SessionEndReason,
  SessionItemView,
  SessionMode,
  SessionPatronView,
  SessionRenewalView,
  SessionRenewRequest,
  SessionUpdate,
  SessionView,
} from '../contracts/sessions.js';
import type { RfidReaderPort } from '../families/rfid-reader/index.js';
import { endWords } from './end-words.js';
import { ItemRecord } from './item-record.js';
import { earlierAttempt } from './lost-answer.js';
import { outcomeOf } from './outcome.js';
import { SessionRenewals } from './session-renewals.js';
import { sendable, type UnreadableTag } from './unreadable.js';

/** An item tag as the pad decoded it. */
export interface PlacedItem {
  primaryItemId: string;
  set?: { part: number; parts: number } | undefined;
}

/** What decides an item tag's security, as the pad read it: its AFI and EAS bit (null when not read). */
export interface TagSecurityRead {
  afi: number | null;
  eas: boolean | null;
}

const NOT_READ: TagSecurityRead = { afi: null, eas: null };

/** Where a return found done after its answer was lost goes, by the status the ILS gave it. */
const FOUND_ALERTS: Record<string, { type: 'hold' | 'transit'; message: string }> = {
  waitingOnHoldShelf: { type: 'hold', message: 'On hold: put it on the hold shelf' },
  inTransit: { type: 'transit', message: 'Belongs to another branch: send it in transit' },
};

export interface SessionDeps {
  circulation: CirculationService;
  /** The session's pad, when it has one: its tags and their security. */
  pad: RfidReaderPort | null;
  clock: Clock;
}

export interface SessionInit {
  id: string;
  mode: SessionMode;
  /** The terminal (token name) that opened it. */
  owner: string;
  pad: string | null;
  /** The scanner whose item barcodes go to this session. */
  scanner: string | null;
  auto: boolean;
  /** Checkout sessions: the patron's barcode and PIN (kept in memory for the session only) and view. */
  patron: { barcode: string; pin: string | undefined; view: SessionPatronView } | null;
  inactivityMs: number;
}

export class SelfCheckSession {
  readonly startedAt: number;
  /** Wall time of the last activity, as shown. */
  lastActivityAt: number;
  /** The same on the monotonic clock: the inactivity end runs from here, whatever NTP does to the wall clock. */
  private lastActivityMonotonic: number;
  endedAt: number | undefined;
  endReason: SessionEndReason | undefined;
  private readonly items = new Map<string, ItemRecord>();
  private readonly renewals: SessionRenewals;
  private readonly byUid = new Map<string, ItemRecord>();
  /** Tags on the pad that are no item the session can take, by UID: why (for staff). */
  private readonly unreadable = new Map<string, UnreadableTag>();
  private readonly watchers = new Set<(update: SessionUpdate) => void>();
  /** Requests to the ILS run one after another, in the order items were placed. */
  private queue: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(
    readonly init: SessionInit,
    private readonly deps: SessionDeps,
  ) {
    this.startedAt = deps.clock.now();
    this.lastActivityAt = this.startedAt;
    this.lastActivityMonotonic = deps.clock.monotonic();
    this.renewals = new SessionRenewals({
      circulation: deps.circulation,
      patron: init.patron,
      terminal: init.owner,
      closed: () => this.closed,
      enqueue: (work) => this.enqueue(work),
      borrowedHere: (item) => this.borrowedHere(item),
      changed: () => this.emit({ event: 'session', data: this.view() }),
    });
  }

  get id(): string {
    return this.init.id;
  }

  get open(): boolean {
    return this.endedAt === undefined;
  }

  /** Accepting no more work: ending, or ended. */
  get closed(): boolean {
    return this.closing || !this.open;
  }

  touch(): void {
    this.lastActivityAt = this.deps.clock.now();
    this.lastActivityMonotonic = this.deps.clock.monotonic();
  }

  /** The time left until the inactivity end, on the monotonic clock (0 once ended). */
  private expiresInMs(): number {
    if (!this.open) return 0;
    return Math.max(0, this.lastActivityMonotonic + this.init.inactivityMs - this.deps.clock.monotonic());
  }

  /** When the inactivity end comes, on the wall clock as it reads now (the time left is monotonic). */
  private expiresAt(): number {
    const left = this.lastActivityMonotonic + this.init.inactivityMs - this.deps.clock.monotonic();
    return this.deps.clock.now() + left;
  }

  watch(listener: (update: SessionUpdate) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  view(): SessionView {
    const renewing = this.renewals.renewing();
    const view: SessionView = {
      id: this.id,
      mode: this.init.mode,
      state: this.open ? 'open' : 'ended',
      pad: this.init.pad,
      scanner: this.init.scanner,
      auto: this.init.auto,
      patron: this.init.patron?.view ?? null,
      items: [...this.items.values()].map((item) => item.view()),
      unreadableTags: [...this.unreadable].map(([uid, why]) => ({ uid, ...why })),
      renewals: this.renewals.views(),
      ...(renewing ? { renewing } : {}),
      startedAt: new Date(this.startedAt).toISOString(),
      lastActivityAt: new Date(this.lastActivityAt).toISOString(),
      expiresAt: new Date(this.expiresAt()).toISOString(),
      expiresInMs: Math.round(this.expiresInMs()),
      inactivityTimeoutMs: this.init.inactivityMs,
    };
    if (this.endedAt !== undefined) view.endedAt = new Date(this.endedAt).toISOString();
    if (this.endReason !== undefined) {
      view.endReason = this.endReason;
      view.endMessage = this.endMessage() ?? '';
    }
    return view;
  }

  /** Ended: why, in words; undefined while open (or still ending). */
  endMessage(): string | undefined {
    return this.endReason === undefined
      ? undefined
      : endWords(this.endReason, this.init.mode, this.init.inactivityMs);
  }

  /**
   * Items the ILS took in this session, in the order they were placed: the settled ones, and those
   * whose security could not be set after (a loan all the same, which the receipt must show).
   */
  transactedItems(): SessionItemView[] {
    return [...this.items.values()].filter((item) => item.transacted).map((item) => item.view());
  }

  renewalViews(): SessionRenewalView[] {
    return this.renewals.views();
  }

  /**
   * A tag on the session's pad was identified as an item; `security` is its AFI and EAS bit as the
   * pad read them (null when not read).
   */
  tagPlaced(uid: string, placed: PlacedItem, security: TagSecurityRead = NOT_READ): void {
    if (this.closed || placed.primaryItemId === '') return;
    this.unreadable.delete(uid);
    this.touch();
    const record = this.record(placed.primaryItemId);
    const known = record.isOnPad(uid);
    record.placed(uid, placed.set?.part, placed.set?.parts);
    this.byUid.set(uid, record);
    const holds =
      record.transacted && record.wantSecured !== undefined
        ? (this.deps.pad?.holdsSecurity(security, record.wantSecured) ?? null)
        : null;
    if (holds !== null) {
      // Read as the pad writes it (on afi+eas both AFI and EAS bit), it is; read otherwise (set or
      // cleared at another station while the pad's reader was away, or a write that never took),
      // it is written again.
      if (holds) record.verified.add(uid);
      else record.verified.delete(uid);
    }
    if (!known) this.consider(record);
  }

  /**
   * A tag on the pad that is no item the session can take (its memory unreadable, no item id): it
   * stays listed while it lies there, so the kiosk can send the patron to the desk with it.
   */
  tagUnreadable(uid: string, why: UnreadableTag): void {
    const before = this.unreadable.get(uid);
    if (this.closed || (before?.reason === why.reason && before.ownerLibrary === why.ownerLibrary)) return;
    this.touch();
    this.unreadable.set(uid, why);
    this.emit({ event: 'session', data: this.view() });
  }

  tagLeft(uid: string): void {
    if (this.unreadable.delete(uid) && !this.closed) {
      this.touch();
      this.emit({ event: 'session', data: this.view() });
      return;
    }
    const record = this.byUid.get(uid);
    if (!record || this.closed || !record.left(uid)) return;
    this.touch();
    const waiting =
      !record.transacted &&
      !record.busy &&
      (record.state === 'on_pad' || record.state === 'pending' || record.state === 'incomplete_set');
    if (waiting && record.tagsOnPad.length === 0) {
      // Placed and taken away again before the ILS was asked: the patron changed their mind, and
      // it was never part of the session (a checkout queued for it is dropped).
      record.withdrawn = true;
      this.items.delete(record.id);
      for (const [tag, owner] of this.byUid) if (owner === record) this.byUid.delete(tag);
      this.emit({ event: 'session', data: this.view() });
      return;
    }
    if (!record.transacted && !record.busy && record.parts !== undefined) this.consider(record);
    else if (record.state === 'incomplete_set') this.changed(record);
  }

  /** The pad finished a security write it had kept pending while the tag was away. */
  securityWritten(uid: string, secured: boolean): void {
    const record = this.byUid.get(uid);
    if (!record?.transacted || record.wantSecured !== secured) return;
    record.verified.add(uid);
    if (record.state === 'security_failed' && record.securityDone) this.settle(record);
  }

  /** The kiosk asks for one item: scanned, waiting on the pad, or with a fee accepted now. */
  async processItem(item: string, feeAcknowledged: boolean): Promise<SessionItemView> {
    this.touch();
    const record = this.record(item);
    if (!sendable(item)) {
      // A barcode scanned with a | or a control character in it: sent, the library system would
      // refuse it each time it is tried (or read part of it as fields of its own). Refused here,
      // for the patron to take the item to staff, and never sent.
      if (record.state !== 'refused' && !this.closed) {
        record.reason = 'barcode_not_sendable';
        this.update(record, 'refused');
      }
      return record.view();
    }
    if (!record.settled && !record.busy && !(record.hasTags && record.incomplete)) {
      if (record.transacted) await this.enqueue(() => this.secure(record));
      else if (record.state === 'failed' && record.answerLost)
        await this.enqueue(() => this.afterLostAnswer(record, feeAcknowledged));
      else await this.enqueue(() => this.transact(record, feeAcknowledged));
    } else if (record.busy) {
      await this.queue;
    }
    return record.view();
  }

  /**
   * Renews one loan (`item`), every loan at once with Renew All (`all`), or — neither named, the
   * patron's "renew my loans" — the loans she had before this session, one by one (see
   * SessionRenewals). `onResult` is told of each renewal as it comes back.
   */
  renew(request: SessionRenewRequest, onResult?: () => void): Promise<SessionRenewalView[]> {
    this.touch();
    return this.renewals.renew(request, onResult);
  }

  /** An item this session lent, is lending, or may have lent (its answer lost): none of her earlier loans. */
  private borrowedHere(item: string): boolean {
    const record = this.items.get(item);
    if (record === undefined || record.withdrawn) return false;
    return !(record.state === 'refused' || (record.state === 'failed' && !record.answerLost));
  }

  /** Stops taking work and waits for what is running, so no item is left half done. */
  async drain(): Promise<void> {
    this.closing = true;
    await this.queue;
  }

  markEnded(reason: SessionEndReason): void {
    if (this.endedAt !== undefined) return;
    this.closing = true;
    this.endedAt = this.deps.clock.now();
    this.endReason = reason;
    this.emit({ event: 'ended', data: this.view() });
    this.watchers.clear();
  }

  private record(item: string): ItemRecord {
    let record = this.items.get(item);
    if (!record) {
      record = new ItemRecord(item, this.deps.clock.now());
      record.state = this.init.auto ? 'pending' : 'on_pad';
      this.items.set(item, record);
    }
    return record;
  }

  /** Decides what a placed item needs now: wait for its other parts, go to the ILS, or finish its security. */
  private consider(record: ItemRecord): void {
    if (record.transacted) {
      // The ILS did its part: only the tags' security is left to write, never the loan or the
      // return again. Its security failed earlier and the patron put it back, or a tag came back
      // with it undone.
      if (record.wantSecured !== undefined && !record.securityDone) {
        if (record.settled) record.security = undefined;
        this.later(() => this.secure(record));
      } else this.changed(record);
      return;
    }
    if (record.busy) {
      this.changed(record);
      return;
    }
    if (record.incomplete) {
      const first = record.state !== 'incomplete_set';
      this.update(record, 'incomplete_set');
      if (first && record.title === undefined)
        this.later(async () => {
          await this.describe(record, false);
          this.changed(record);
        });
      return;
    }
    if (record.state === 'incomplete_set') record.state = this.init.auto ? 'pending' : 'on_pad';
    this.changed(record);
    // Refused, failed or a fee to accept: only the kiosk asks again (POST …/items), not a tag put back.
    if (this.init.auto && record.state === 'pending') this.later(() => this.transact(record, false));
  }

  /** Queues work nobody waits for: its outcome shows in the item's state, never as an unhandled rejection. */
  private later(work: () => Promise<void>): void {
    this.enqueue(work).catch(() => {});
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  /** The ILS's part: a checkout or a checkin, then the tags' security. */
  private async transact(record: ItemRecord, feeAcknowledged: boolean): Promise<void> {
    if (record.transacted || record.withdrawn || (record.hasTags && record.incomplete) || !this.open) return;
    record.busy = true;
    record.clearOutcome();
    this.update(record, 'pending');
    try {
      if (this.init.mode === 'checkout') await this.checkout(record, feeAcknowledged);
      else await this.checkin(record);
    } catch (error) {
      const { state, reason, words, message } = outcomeOf(error);
      record.reason = reason;
      record.message = message;
      record.screenMessages = words;
      // Sent, and no answer (or none that could be read): the ILS may have done it, and asking again
      // may do it twice. One it could not read (96 past the limit) was not done: asked again, it is tried.
      record.answerLost = error instanceof IlsError && error.answerLost;
      record.busy = false;
      if (record.title === undefined || (state === 'fee_required' && record.fee === undefined))
        await this.describe(record, state === 'fee_required');
      this.update(record, state);
      return;
    }
    record.transacted = true;
    record.busy = false;
    await this.secure(record);
  }

  /**
   * Asked again after the ILS's answer was lost: done only once the ILS shows it was not done
   * already; found done, it is taken as done (nothing sent); the ILS unable to say, refused with
   * `item_outcome_unknown` and the item left as it was.
   */
  private async afterLostAnswer(record: ItemRecord, feeAcknowledged: boolean): Promise<void> {
    if (record.transacted || record.state !== 'failed' || !record.answerLost || !this.open) return;
    record.busy = true;
    let earlier: Awaited<ReturnType<typeof earlierAttempt>>;
    try {
      earlier = await earlierAttempt(
        this.deps.circulation,
        this.init.mode,
        record.id,
        this.init.patron,
        this.init.owner,
      );
    } finally {
      record.busy = false;
    }
    if (!earlier.done) {
      await this.transact(record, feeAcknowledged);
      return;
    }
    record.clearOutcome();
    if (earlier.title !== undefined) record.title = earlier.title;
    if (this.init.mode === 'checkout') {
      record.dueDate = earlier.dueDate;
      record.renewal = false;
      record.wantSecured = false;
    } else {
      record.wantSecured = true;
      const alert = FOUND_ALERTS[earlier.status];
      if (alert !== undefined) record.alert = alert;
    }
    record.transacted = true;
    await this.secure(record);
  }

  private async checkout(record: ItemRecord, feeAcknowledged: boolean): Promise<void> {
    const patron = this.init.patron;
    if (!patron) throw new CirculationRefusal('patron_not_found', [], 'checkout');
    // One of her loans the ILS renewed in this session, placed (or scanned) after: it is hers, due
    // when that renewal says. Not sent: an ILS keeping to the 11's renewal policy refuses it
    // ("already checked out to you"), and one that renews on a checkout would spend another renewal.
    const renewed = this.renewals.renewed(record.id);
    if (renewed !== undefined) {
      record.screenMessages = [];
      record.dueDate = renewed.dueDate ?? null;
      record.renewal = true;
      if (renewed.title !== undefined) record.title = renewed.title;
      record.wantSecured = false;
      return;
    }
    const answer = await this.deps.circulation.checkout(
      { patron: patron.barcode, pin: patron.pin, item: record.id, feeAcknowledged },
      { terminal: this.init.owner },
    );
    record.screenMessages = [...answer.screenMessages];
    if (answer.offline) {
      record.offline = true;
      record.dueDate = null;
      record.wantSecured = false;
      return;
    }
    const item = answer.item;
    if (item.dueDate) record.dueDate = item.dueDate;
    record.renewal = answer.renewal;
    if (item.title) record.title = item.title;
    if (item.fee) record.fee = item.fee;
    if (item.magneticMedia !== undefined) record.magneticMedia = item.magneticMedia;
    record.wantSecured = item.desensitize ? false : undefined;
  }

  private async checkin(record: ItemRecord): Promise<void> {
    const answer = await this.deps.circulation.checkin({ item: record.id }, { terminal: this.init.owner });
    record.screenMessages = [...answer.screenMessages];
    if (answer.offline) {
      record.offline = true;
      record.wantSecured = true;
      return;
    }
    if (answer.item.title) record.title = answer.item.title;
    if (answer.sortBin !== undefined) record.sortBin = answer.sortBin;
    if (answer.alert !== undefined) record.alert = answer.alert;
    if (answer.item.magneticMedia !== undefined) record.magneticMedia = answer.item.magneticMedia;
    record.wantSecured = answer.resensitize ? true : undefined;
  }

  /**
   * Sets the security of every tag of the item on the pad as the ILS's answer
   * wants, each write read back by the pad. A tag not on the pad, or one that
   * could not be written, leaves the item `security_failed`: put it back.
   */
  private async secure(record: ItemRecord): Promise<void> {
    const pad = this.deps.pad;
    if (record.wantSecured === undefined || !record.hasTags || pad === null) {
      record.security = record.wantSecured === undefined && record.hasTags ? 'kept' : 'none';
      this.settle(record);
      return;
    }
    record.busy = true;
    let failure: string | undefined;
    for (const uid of record.tagsOnPad) {
      if (record.verified.has(uid)) continue;
      try {
        const outcome = await pad.setSecurity(uid, record.wantSecured);
        if (outcome.status === 'done') record.verified.add(uid);
        else failure = outcome.reason ?? 'rfid_security_pending';
      } catch (error) {
        failure = describeError(error).code;
      }
    }
    record.busy = false;
    if (record.securityDone) {
      this.settle(record);
      return;
    }
    record.security = 'failed';
    record.reason = failure ?? 'tag_not_on_pad';
    this.update(record, 'security_failed');
  }

  private settle(record: ItemRecord): void {
    if (record.security === undefined || record.security === 'failed')
      record.security = record.wantSecured === undefined ? 'kept' : record.wantSecured ? 'set' : 'cleared';
    if (record.hasTags && record.wantSecured !== undefined && !record.securityDone) return;
    record.reason = undefined;
    this.update(record, this.init.mode === 'checkout' ? 'checked_out' : 'checked_in');
  }

  /**
   * A refused or waiting item still gets a title for the patron to read (and the
   * fee to accept), when the ILS knows it.
   */
  private async describe(record: ItemRecord, withFee: boolean): Promise<void> {
    try {
      const { item } = await this.deps.circulation.item(record.id, { terminal: this.init.owner });
      if (item.title) record.title = item.title;
      if (withFee && item.fee) record.fee = item.fee;
    } catch {
      // Unknown item, or the ILS is away: the barcode will do.
    }
  }

  private update(record: ItemRecord, state: ItemRecord['state']): void {
    record.state = state;
    this.changed(record);
  }

  private changed(record: ItemRecord): void {
    // Taken off the pad before the ILS was asked, it left the session: news of it that comes after
    // (its title looked up for a set waiting for its parts) would put it back on the kiosk's screen.
    if (record.withdrawn) return;
    // No news is not told: an item placed on the pad is said pending at once (it may wait behind
    // others), and its turn with the ILS, pending still, is not said again — a kiosk counting or
    // animating each message would show it twice.
    const { updatedAt: _, ...news } = record.view();
    const told = JSON.stringify(news);
    if (told === record.told) return;
    record.told = told;
    record.updatedAt = this.deps.clock.now();
    this.emit({ event: 'item', data: record.view() });
  }

  private emit(update: SessionUpdate): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher(update);
      } catch {
        // A watcher's trouble (a closed socket) is its own.
      }
    }
  }
}
