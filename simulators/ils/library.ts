/**
 * The simulated ILS's state: patrons, items, loans, holds and fees built from a
 * fixture, with an injectable clock. Pure state machine: no I/O, no timers. The
 * circulation operations live in circulation.ts and patron-services.ts; this class
 * is their one entry point.
 */
import { type Clock, systemClock } from '../../src/core/clock.js';
import { parseSip2Date } from '../../src/protocols/sip2/index.js';
import {
  type CheckinRequest,
  type CheckinResult,
  type CheckoutRequest,
  type CheckoutResult,
  checkin,
  checkout,
  type RenewAllResult,
  type RenewRequest,
  type RenewResult,
  renew,
  renewAll,
} from './circulation.js';
import { CirculationIndex } from './circulation-index.js';
import type { CirculationRules, IlsFixture } from './fixture.js';
import type {
  Hold,
  HoldShelfEntry,
  Item,
  Loan,
  Patron,
  PatronStanding,
  UndoableCheckin,
} from './library-model.js';
import { MAGNETIC_MEDIA } from './library-model.js';
import {
  blockPatron,
  enablePatron,
  type FeePaymentRequest,
  type FeePaymentResult,
  type HoldRequest,
  type HoldResult,
  payFee,
  placeHold,
  updateItemProperties,
} from './patron-services.js';
import { patronStanding } from './patron-standing.js';

const DAY = 24 * 60 * 60 * 1000;

/** The fields of an Item that only this class changes (see CirculationIndex). */
type ItemHolding = { -readonly [K in 'loan' | 'onHoldShelf' | 'holdQueue']: Item[K] };

export interface IlsLibraryOptions {
  clock?: Clock;
}

export class IlsLibrary {
  readonly clock: Clock;
  readonly rules: CirculationRules;
  readonly name: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly patrons = new Map<string, Patron>();
  readonly items = new Map<string, Item>();
  private readonly branchNames = new Map<string, string>();
  private readonly institutionNames = new Map<string, string>();
  private readonly index = new CirculationIndex();
  /** Fee ids the fixture gave or this library issued: a new id is none of them. */
  private readonly feeIds = new Set<string>();
  /** Each item's last checkin that ended a loan, until the item circulates again (cancel, BI). */
  private readonly undoableCheckins = new Map<string, UndoableCheckin>();
  private nextFeeId = 1;
  private nextTransactionId = 1;

  constructor(
    readonly fixture: IlsFixture,
    options: IlsLibraryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.rules = fixture.circulation;
    this.name = fixture.library.name;
    this.timeZone = fixture.library.timeZone;
    this.currency = fixture.library.currency;
    for (const institution of fixture.institutions) {
      this.institutionNames.set(institution.id, institution.name);
      for (const branch of institution.branches) this.branchNames.set(branch.code, branch.name);
    }
    this.load(fixture);
  }

  now(): Date {
    return new Date(this.clock.now());
  }

  get defaultInstitution(): string {
    return this.fixture.institutions[0]!.id;
  }

  institutionName(id: string): string | undefined {
    return this.institutionNames.get(id);
  }

  isBranch(code: string): boolean {
    return this.branchNames.has(code);
  }

  branchName(code: string): string {
    return this.branchNames.get(code) ?? code;
  }

  patron(barcode: string): Patron | undefined {
    return this.patrons.get(barcode);
  }

  item(barcode: string): Item | undefined {
    return this.items.get(barcode);
  }

  /** The first copy with this title, preferring one on the shelf. */
  itemByTitle(title: string): Item | undefined {
    const copies = this.index.copiesOf(title);
    return copies.find((item) => !item.loan && !item.onHoldShelf) ?? copies[0];
  }

  /** Days an item of this media type is lent for. */
  loanPeriodDays(item: Item): number {
    const periods = this.rules.loanPeriodDays;
    return periods[item.mediaType] ?? periods.default ?? 21;
  }

  dueDateFor(item: Item, from: Date = this.now()): Date {
    return new Date(from.getTime() + this.loanPeriodDays(item) * DAY);
  }

  newFeeId(): string {
    let id: string;
    do id = `F${this.nextFeeId++}`;
    while (this.feeIds.has(id));
    this.feeIds.add(id);
    return id;
  }

  newTransactionId(): string {
    return `T${String(this.nextTransactionId++).padStart(6, '0')}`;
  }

  /** Every item charged to a patron, in checkout order. */
  loansOf(barcode: string): Loan[] {
    return this.index.loansOf(barcode);
  }

  /** Items on the hold shelf for a patron (available holds). */
  availableHoldsOf(barcode: string): Item[] {
    return this.index.shelvedHoldsOf(barcode);
  }

  /** Items a patron waits for (holds not yet on the shelf). */
  unavailableHoldsOf(barcode: string): Item[] {
    return this.index.waitingHoldsOf(barcode);
  }

  /** Lends an item (or ends its loan, with undefined). */
  setLoan(item: Item, loan: Loan | undefined): void {
    const previous = item.loan;
    (item as ItemHolding).loan = loan;
    this.index.loanChanged(previous, loan);
  }

  /** Keeps what a checkin of `item` changed (undefined: it ended no loan), for a checkout cancelling it. */
  setUndoableCheckin(item: Item, checkin: UndoableCheckin | undefined): void {
    if (checkin) this.undoableCheckins.set(item.barcode, checkin);
    else this.undoableCheckins.delete(item.barcode);
  }

  /** What the item's last checkin changed, while nothing has happened to the item since. */
  undoableCheckin(item: Item): UndoableCheckin | undefined {
    return this.undoableCheckins.get(item.barcode);
  }

  /** Takes a fee off a patron's account (a charge undone); false when it is not there. */
  removeFee(patron: string, feeId: string | undefined): boolean {
    const fees = this.patron(patron)?.fees;
    const at = feeId === undefined || !fees ? -1 : fees.findIndex((fee) => fee.id === feeId);
    if (at < 0) return false;
    fees!.splice(at, 1);
    return true;
  }

  /** Puts an item on the hold shelf for a patron (or takes it off, with undefined). */
  setHoldShelf(item: Item, entry: HoldShelfEntry | undefined): void {
    const previous = item.onHoldShelf;
    (item as ItemHolding).onHoldShelf = entry;
    this.index.holdShelfChanged(item, previous, entry);
  }

  /** Replaces an item's queue of holds. */
  setHoldQueue(item: Item, queue: readonly Hold[]): void {
    const previous = item.holdQueue;
    (item as ItemHolding).holdQueue = queue;
    this.index.holdQueueChanged(item, previous, queue);
  }

  /** The patron's 14 status flags, money owed and what they may not do, computed now. */
  standing(patron: Patron): PatronStanding {
    return patronStanding(patron, this.loansOf(patron.barcode), this.rules, this.clock.now());
  }

  checkout(request: CheckoutRequest): CheckoutResult {
    return checkout(this, request);
  }

  checkin(request: CheckinRequest): CheckinResult {
    return checkin(this, request);
  }

  renew(request: RenewRequest): RenewResult {
    return renew(this, request);
  }

  renewAll(patron: string, patronPassword?: string, feeAcknowledged?: boolean): RenewAllResult {
    return renewAll(this, patron, patronPassword, feeAcknowledged);
  }

  hold(request: HoldRequest): HoldResult {
    // A hold changes the queue a cancelled checkin would put back: that checkin stays done.
    if (request.item !== undefined) this.undoableCheckins.delete(request.item);
    return placeHold(this, request);
  }

  payFee(request: FeePaymentRequest): FeePaymentResult {
    return payFee(this, request);
  }

  blockPatron(barcode: string, message: string | undefined, cardRetained: boolean): Patron | undefined {
    return blockPatron(this, barcode, message, cardRetained);
  }

  enablePatron(barcode: string): Patron | undefined {
    return enablePatron(this, barcode);
  }

  updateItemProperties(barcode: string, properties: string): Item | undefined {
    return updateItemProperties(this, barcode, properties);
  }

  /** A SIP2 date from a request, read in library time; undefined when blank or malformed. */
  parseSip2Date(text: string): Date | undefined {
    const parsed = parseSip2Date(text, { timeZone: this.timeZone });
    return parsed.ok ? parsed.date : undefined;
  }

  /** A fixture date: `YYYY-MM-DD` is the end of that day in library time; `+14d` is relative to now. */
  resolveDate(text: string): Date {
    const now = this.clock.now();
    if (text === 'now') return new Date(now);
    const relative = /^([+-]\d+)d$/.exec(text);
    if (relative) return new Date(now + Number(relative[1]) * DAY);
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (day) {
      const parsed = parseSip2Date(`${day[1]}${day[2]}${day[3]}    235959`, { timeZone: this.timeZone });
      if (parsed.ok) return parsed.date;
    }
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${text}`);
    return date;
  }

  private load(fixture: IlsFixture): void {
    const institution = this.defaultInstitution;
    const firstBranchOf = (id: string) =>
      fixture.institutions.find((i) => i.id === id)?.branches[0]?.code ??
      fixture.institutions[0]!.branches[0]!.code;
    for (const p of fixture.patrons) {
      const home = p.institution ?? institution;
      const patron: Patron = {
        barcode: p.barcode,
        pin: p.pin,
        name: p.name,
        institution: home,
        homeBranch: p.homeBranch ?? firstBranchOf(home),
        language: p.language ?? fixture.library.language,
        blocked: p.blocked,
        suspended: new Set(p.suspendedPrivileges),
        cardRetained: false,
        flags: { ...p.status },
        fees: [],
        creditCents: p.credit,
        accountDebits: [],
      };
      if (p.email !== undefined) patron.email = p.email;
      if (p.phone !== undefined) patron.phone = p.phone;
      if (p.address !== undefined) patron.address = p.address;
      if (p.expires !== undefined) patron.expires = this.resolveDate(p.expires);
      if (p.blockedMessage !== undefined) patron.blockedMessage = p.blockedMessage;
      if (p.birthDate !== undefined) patron.birthDate = p.birthDate;
      if (p.patronType !== undefined) patron.patronType = p.patronType;
      if (p.internetPrivileges !== undefined) patron.internetPrivileges = p.internetPrivileges;
      this.patrons.set(patron.barcode, patron);
    }
    for (const it of fixture.items) {
      const item: Item = {
        barcode: it.barcode,
        title: it.title,
        mediaType: it.mediaType,
        institution: it.institution ?? institution,
        shelfStatus: it.status === 'charged' || it.status === 'waitingOnHoldShelf' ? 'available' : it.status,
        securityMarker: it.securityMarker,
        magneticMedia: it.magneticMedia ?? MAGNETIC_MEDIA.has(it.mediaType),
        holdQueue: [],
        parts: it.parts,
      };
      const currentBranch = it.currentBranch ?? it.owningBranch;
      if (it.owningBranch !== undefined) item.owningBranch = it.owningBranch;
      if (currentBranch !== undefined) item.currentBranch = currentBranch;
      if (it.author !== undefined) item.author = it.author;
      if (it.fee !== undefined) item.fee = { type: it.fee.type, amountCents: it.fee.amount };
      if (it.properties !== undefined) item.properties = it.properties;
      this.index.addItem(item);
      this.setHoldQueue(
        item,
        it.holdQueue.map((entry) => {
          const hold = typeof entry === 'string' ? { patron: entry } : entry;
          return this.newHold(hold.patron, hold.pickup);
        }),
      );
      if (it.onHoldShelfFor !== undefined) {
        const patron = this.patrons.get(it.onHoldShelfFor)!;
        this.setHoldShelf(item, {
          patron: patron.barcode,
          pickup: item.currentBranch ?? firstBranchOf(item.institution),
          until: it.holdShelfUntil
            ? this.resolveDate(it.holdShelfUntil)
            : new Date(this.clock.now() + this.rules.holdShelfDays * DAY),
        });
      }
      this.items.set(item.barcode, item);
    }
    for (const p of fixture.patrons) {
      const patron = this.patrons.get(p.barcode)!;
      for (const hold of p.holds) {
        const item = this.items.get(hold.item)!;
        if (!item.holdQueue.some((h) => h.patron === patron.barcode)) {
          this.setHoldQueue(item, [...item.holdQueue, this.newHold(patron.barcode, hold.pickup)]);
        }
      }
      p.loans.forEach((loan, index) => {
        const item = this.items.get(loan.item)!;
        const due = this.resolveDate(loan.due);
        this.setLoan(item, {
          patron: patron.barcode,
          item: item.barcode,
          due,
          // Loans without a checkout date keep fixture order.
          checkedOutAt: loan.checkedOut
            ? this.resolveDate(loan.checkedOut)
            : new Date(due.getTime() - this.loanPeriodDays(item) * DAY + index),
          renewals: loan.renewals,
        });
      });
    }
    // Ids the fixture gives are taken before any is made up.
    for (const p of fixture.patrons)
      for (const fee of p.fees) if (fee.id !== undefined) this.feeIds.add(fee.id);
    for (const p of fixture.patrons) {
      const patron = this.patrons.get(p.barcode)!;
      for (const fee of p.fees) {
        const record = { id: fee.id ?? this.newFeeId(), type: fee.type, amountCents: fee.amount };
        patron.fees.push({
          ...record,
          ...(fee.item !== undefined ? { item: fee.item } : {}),
          ...(fee.description !== undefined ? { description: fee.description } : {}),
        });
      }
    }
  }

  newHold(patron: string, pickup?: string): Hold {
    const home = this.patrons.get(patron)?.homeBranch;
    return {
      patron,
      pickup: pickup ?? home ?? this.fixture.institutions[0]!.branches[0]!.code,
      placedAt: this.now(),
    };
  }
}
