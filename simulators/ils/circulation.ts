/**
 * Checkout, checkin, renew and renew all over the simulated library, following
 * the fixture's circulation rules. Each operation returns what happened in the
 * library's words; server handlers turn that into SIP2.
 */
import type { AlertType, FeeType } from '../../src/protocols/sip2/index.js';
import type { IlsLibrary } from './library.js';
import {
  circulationStatusOf,
  type Item,
  type Loan,
  NOT_LOANABLE,
  type Patron,
  type UndoableCheckin,
} from './library-model.js';

const DAY = 24 * 60 * 60 * 1000;

export interface CheckoutRequest {
  patron: string;
  item: string;
  /** The terminal's branch (where the item now is). */
  branch: string;
  patronPassword?: string;
  /** 11 SC renewal policy: the SC allows a checkout of an item the patron has to renew it. */
  scRenewalPolicy?: boolean;
  /** Offline transaction: accept regardless of blocks. */
  noBlock?: boolean;
  /** Due date the SC gave an offline (no block) checkout. */
  noBlockDueDate?: Date;
  feeAcknowledged?: boolean;
  /**
   * Cancel a checkin of this item that failed (BI Y; e.g. securing it failed): the loan it ended
   * comes back as it was, for this patron.
   */
  cancel?: boolean;
}

export interface CheckoutResult {
  ok: boolean;
  /** The item was already out to this patron and was renewed. */
  renewal: boolean;
  item?: Item;
  patron?: Patron;
  due?: Date;
  /** A fee the patron must acknowledge (refused) or was charged (ok). */
  fee?: { type: FeeType; amountCents: number };
  messages: string[];
}

export interface CheckinRequest {
  item: string;
  branch: string;
  returnDate?: Date;
  /** Cancel a checkout of this item that failed (BI Y; e.g. desensitizing failed): no fine, no fee. */
  cancel?: boolean;
}

export interface CheckinResult {
  ok: boolean;
  item?: Item;
  /** The patron who had it, if it was on loan. */
  patron?: string;
  resensitize: boolean;
  alert?: AlertType;
  sortBin?: string;
  /** For a hold: who it is trapped for. */
  holdFor?: string;
  /**
   * Nothing to end: the item was not on loan, trapped or in transit, and the
   * checkin sent it nowhere (the session answers ok 0 unless the account accepts it).
   */
  notCheckedOut?: boolean;
  destination?: string;
  fineCents?: number;
  messages: string[];
}

export interface RenewRequest {
  patron: string;
  item?: string;
  title?: string;
  patronPassword?: string;
  noBlock?: boolean;
  noBlockDueDate?: Date;
  /** BO Y: the patron accepted a rental fee the renewal charges (without it, refused as a checkout is). */
  feeAcknowledged?: boolean;
}

export interface RenewResult {
  ok: boolean;
  item?: Item;
  patron?: Patron;
  due?: Date;
  /**
   * The rental the renewal charged (ok): a new loan period of a rental item, charged as its checkout
   * was; or the fee the patron must acknowledge (refused).
   */
  fee?: { type: FeeType; amountCents: number };
  /** Its id in the patron's fees, so a checkout that renewed and is cancelled takes it back. */
  feeId?: string;
  messages: string[];
}

export interface RenewAllResult {
  ok: boolean;
  patron?: Patron;
  renewed: string[];
  unrenewed: string[];
  messages: string[];
}

/**
 * Looks up the patron and checks the PIN when a password (AD) was sent: an empty one too, which
 * matches only a patron with no PIN (SIPServer's check_password takes '' for no password alone).
 */
export function identifyPatron(
  library: IlsLibrary,
  barcode: string,
  password: string | undefined,
): { patron: Patron } | { patron?: Patron; message: string } {
  const patron = library.patron(barcode);
  if (!patron) return { message: 'Unknown patron' };
  if (password !== undefined && password !== patron.pin) {
    return { patron, message: 'Invalid PIN' };
  }
  return { patron };
}

function partsMessage(item: Item): string[] {
  return item.parts > 1 ? [`This item has ${item.parts} parts: check all are present`] : [];
}

export function checkout(library: IlsLibrary, request: CheckoutRequest): CheckoutResult {
  const refused = (messages: string[], extra: Partial<CheckoutResult> = {}): CheckoutResult => ({
    ok: false,
    renewal: false,
    messages,
    ...extra,
  });
  // The item is looked up first: a refusal for the patron still says what the item is.
  const item = library.item(request.item);
  const who = identifyPatron(library, request.patron, request.patronPassword);
  if ('message' in who)
    return refused([who.message], {
      ...(who.patron ? { patron: who.patron } : {}),
      ...(item ? { item } : {}),
    });
  const patron = who.patron;
  if (!item) return refused(['Unknown item'], { patron });

  if (request.cancel) return cancelCheckin(library, patron, item);

  if (item.loan && item.loan.patron === patron.barcode) {
    if (request.scRenewalPolicy && library.rules.renewOnCheckout) {
      const before = { due: item.loan.due, renewals: item.loan.renewals };
      const renewed = renew(library, {
        patron: patron.barcode,
        item: item.barcode,
        ...(request.noBlock !== undefined ? { noBlock: request.noBlock } : {}),
        ...(request.noBlockDueDate !== undefined ? { noBlockDueDate: request.noBlockDueDate } : {}),
        ...(request.feeAcknowledged !== undefined ? { feeAcknowledged: request.feeAcknowledged } : {}),
      });
      if (renewed.ok && item.loan) {
        item.loan.beforeRenewingCheckout = {
          ...before,
          ...(renewed.feeId !== undefined ? { feeId: renewed.feeId } : {}),
        };
      }
      const { feeId: _charged, ...answer } = renewed;
      return { ...answer, renewal: renewed.ok, patron, item };
    }
    return refused(['Item is already checked out to you'], { patron, item });
  }
  if (item.loan) return refused(['Item is checked out to another patron'], { patron, item });

  if (!request.noBlock) {
    const standing = library.standing(patron);
    if (standing.checkoutBlocks.length > 0) return refused(standing.checkoutBlocks, { patron, item });
    if (item.onHoldShelf && item.onHoldShelf.patron !== patron.barcode) {
      return refused(['Item is on hold for another patron'], { patron, item });
    }
    const status = circulationStatusOf(item);
    if (NOT_LOANABLE.has(status))
      return refused(['Item cannot be borrowed, please see staff'], { patron, item });
    if (item.fee && !request.feeAcknowledged) {
      return refused([`A fee of ${money(library, item.fee.amountCents)} applies to this item`], {
        patron,
        item,
        fee: item.fee,
      });
    }
  }

  const now = library.now();
  const due =
    request.noBlock && request.noBlockDueDate ? request.noBlockDueDate : library.dueDateFor(item, now);
  const loan: Loan = { patron: patron.barcode, item: item.barcode, checkedOutAt: now, due, renewals: 0 };
  library.setLoan(item, loan);
  library.setUndoableCheckin(item, undefined);
  item.currentBranch = request.branch;
  item.transitTo = undefined;
  if (item.onHoldShelf?.patron === patron.barcode) library.setHoldShelf(item, undefined);
  if (item.holdQueue.some((hold) => hold.patron === patron.barcode)) {
    library.setHoldQueue(
      item,
      item.holdQueue.filter((hold) => hold.patron !== patron.barcode),
    );
  }
  if (item.shelfStatus === 'waitingToBeReshelved') item.shelfStatus = 'available';
  const result: CheckoutResult = {
    ok: true,
    renewal: false,
    patron,
    item,
    due,
    messages: partsMessage(item),
  };
  if (item.fee) {
    loan.feeId = chargeRental(library, patron, item, item.fee);
    result.fee = item.fee;
  }
  return result;
}

/**
 * Charges the patron an item's rental fee for a loan period (a checkout's, a renewal's), as a fee
 * of theirs about the item; returns its id, so a cancelled checkout or renewal takes it back.
 */
function chargeRental(
  library: IlsLibrary,
  patron: Patron,
  item: Item,
  fee: NonNullable<Item['fee']>,
): string {
  const id = library.newFeeId();
  patron.fees.push({
    id,
    type: fee.type,
    amountCents: fee.amountCents,
    item: item.barcode,
    description: item.title,
  });
  return id;
}

/**
 * A checkout cancelling a checkin that failed (SIP2's cancel, BI Y, on an 11): the loan the item's
 * last checkin ended comes back as it was — due date, renewals, no fine, the hold shelf and transit
 * as before — when it was this patron's and nothing has happened to the item since.
 */
function cancelCheckin(library: IlsLibrary, patron: Patron, item: Item): CheckoutResult {
  if (item.loan?.patron === patron.barcode) {
    return { ok: true, renewal: false, patron, item, due: item.loan.due, messages: ['Checkin cancelled'] };
  }
  const undone = library.undoableCheckin(item);
  if (item.loan || undone?.loan.patron !== patron.barcode) {
    return { ok: false, renewal: false, patron, item, messages: ['Nothing to cancel'] };
  }
  library.setUndoableCheckin(item, undefined);
  library.removeFee(patron.barcode, undone.fineId);
  library.setHoldShelf(item, undone.onHoldShelf);
  library.setHoldQueue(item, undone.holdQueue);
  item.transitTo = undone.transitTo;
  item.currentBranch = undone.currentBranch;
  library.setLoan(item, undone.loan);
  return { ok: true, renewal: false, patron, item, due: undone.loan.due, messages: ['Checkin cancelled'] };
}

export function checkin(library: IlsLibrary, request: CheckinRequest): CheckinResult {
  const item = library.item(request.item);
  if (!item) return { ok: false, resensitize: false, messages: ['Unknown item'] };
  const resensitize = item.securityMarker !== 'none';
  const result: CheckinResult = { ok: true, item, resensitize, messages: [] };
  const loan = item.loan;
  library.setUndoableCheckin(item, undefined);
  const renewedBefore = loan?.beforeRenewingCheckout;
  if (loan && request.cancel && renewedBefore) {
    // The checkout that failed renewed a loan the patron had: the renewal undone (the rental it
    // charged taken back), the loan (and the rental its own checkout charged) kept; the item stays out to the patron, where it was.
    loan.due = renewedBefore.due;
    loan.renewals = renewedBefore.renewals;
    library.removeFee(loan.patron, renewedBefore.feeId);
    delete loan.beforeRenewingCheckout;
    result.patron = loan.patron;
    result.messages.push('Renewal cancelled');
    return result;
  }
  if (loan && request.cancel) {
    // A checkout that failed, undone: the loan never was — no fine, its fee taken back.
    result.patron = loan.patron;
    library.removeFee(loan.patron, loan.feeId);
    library.setLoan(item, undefined);
    result.messages.push('Checkout cancelled');
  } else if (loan) {
    result.patron = loan.patron;
    delete loan.beforeRenewingCheckout;
    const undoable: UndoableCheckin = {
      loan,
      onHoldShelf: item.onHoldShelf,
      holdQueue: item.holdQueue,
      transitTo: item.transitTo,
      currentBranch: item.currentBranch,
    };
    const returned = (request.returnDate ?? library.now()).getTime();
    const daysLate = Math.ceil((returned - loan.due.getTime()) / DAY);
    if (daysLate > 0 && library.rules.finePerDay > 0) {
      const fine = daysLate * library.rules.finePerDay;
      undoable.fineId = library.newFeeId();
      library.patron(loan.patron)?.fees.push({
        id: undoable.fineId,
        type: 'overdue',
        amountCents: fine,
        item: item.barcode,
        description: item.title,
      });
      result.fineCents = fine;
    }
    library.setLoan(item, undefined);
    library.setUndoableCheckin(item, undoable);
  } else if (!item.onHoldShelf && item.transitTo === undefined) {
    result.notCheckedOut = true;
    result.messages.push('Item was not checked out');
  }
  item.currentBranch = request.branch;
  if (item.transitTo === request.branch) item.transitTo = undefined;
  result.messages.push(...partsMessage(item));

  const bins = library.rules.sortBins;
  const shelf = item.onHoldShelf;
  if (shelf) {
    // Already trapped: it goes back on the hold shelf (or on to the pickup branch).
    routeHold(item, shelf.patron, shelf.pickup, request.branch, result, bins);
    return result;
  }
  const next = item.holdQueue[0];
  if (next) {
    if (next.pickup === request.branch) {
      library.setHoldQueue(item, item.holdQueue.slice(1));
      library.setHoldShelf(item, {
        patron: next.patron,
        pickup: next.pickup,
        until: new Date(library.clock.now() + library.rules.holdShelfDays * DAY),
      });
    }
    routeHold(item, next.patron, next.pickup, request.branch, result, bins);
    return result;
  }
  const home = item.owningBranch;
  // An item that belongs to no branch stays where it was checked in.
  if (home !== undefined && home !== request.branch) {
    delete result.notCheckedOut;
    item.transitTo = home;
    result.alert = 'sendToOtherBranch';
    result.sortBin = bins.transit;
    result.destination = home;
    result.messages.push(`Send to ${library.branchName(home)}`);
    return result;
  }
  item.transitTo = undefined;
  return result;
}

function routeHold(
  item: Item,
  patron: string,
  pickup: string,
  branch: string,
  result: CheckinResult,
  bins: { holdShelf: string; transit: string },
): void {
  delete result.notCheckedOut;
  result.holdFor = patron;
  result.destination = pickup;
  if (pickup === branch) {
    item.transitTo = undefined;
    result.alert = 'holdForThisLibrary';
    result.sortBin = bins.holdShelf;
    result.messages.push('Item on hold: place on the hold shelf');
  } else {
    item.transitTo = pickup;
    result.alert = 'holdForOtherBranch';
    result.sortBin = bins.transit;
    result.messages.push('Item on hold for another branch: send in transit');
  }
}

export function renew(library: IlsLibrary, request: RenewRequest): RenewResult {
  const who = identifyPatron(library, request.patron, request.patronPassword);
  if ('message' in who) {
    // The loan is named all the same (AJ, required in the 30), as a real ILS names a known item.
    const named = request.item !== undefined && request.item !== '' ? library.item(request.item) : undefined;
    return {
      ok: false,
      messages: [who.message],
      ...(who.patron ? { patron: who.patron } : {}),
      ...(named ? { item: named } : {}),
    };
  }
  const patron = who.patron;
  const item =
    request.item !== undefined && request.item !== ''
      ? library.item(request.item)
      : request.title !== undefined
        ? library
            .loansOf(patron.barcode)
            .map((loan) => library.item(loan.item)!)
            .find((i) => i.title === request.title)
        : undefined;
  if (!item) return { ok: false, patron, messages: ['Unknown item'] };
  const loan = item.loan;
  if (!loan || loan.patron !== patron.barcode) {
    return { ok: false, patron, item, messages: ['Item is not checked out to you'] };
  }
  if (!request.noBlock) {
    const standing = library.standing(patron);
    if (standing.renewalBlocks.length > 0)
      return { ok: false, patron, item, due: loan.due, messages: standing.renewalBlocks };
    const renewalLimit = library.rules.renewalLimit;
    if (renewalLimit !== null && loan.renewals >= renewalLimit) {
      return { ok: false, patron, item, due: loan.due, messages: ['Renewal limit reached'] };
    }
    if (item.holdQueue.some((hold) => hold.patron !== patron.barcode)) {
      return { ok: false, patron, item, due: loan.due, messages: ['Item is on hold for another patron'] };
    }
    if (item.fee && !request.feeAcknowledged) {
      // As a checkout (11) with BO N: the renewal's rental is not charged unasked.
      return {
        ok: false,
        patron,
        item,
        due: loan.due,
        fee: item.fee,
        messages: [`A fee of ${money(library, item.fee.amountCents)} applies to this item`],
      };
    }
  }
  // A renewal of its own: a checkout that renewed the loan before can no longer be cancelled.
  delete loan.beforeRenewingCheckout;
  loan.due = request.noBlock && request.noBlockDueDate ? request.noBlockDueDate : library.dueDateFor(item);
  loan.renewals += 1;
  const result: RenewResult = { ok: true, patron, item, due: loan.due, messages: ['Item renewed'] };
  if (item.fee) {
    // A rental is charged for each loan period, the renewed one as the first (Koha's rental
    // charge on renewal alike), and said in the 30's fee fields as the 12's say the checkout's.
    result.feeId = chargeRental(library, patron, item, item.fee);
    result.fee = item.fee;
  }
  return result;
}

export function renewAll(
  library: IlsLibrary,
  barcode: string,
  password: string | undefined,
  feeAcknowledged = false,
): RenewAllResult {
  const who = identifyPatron(library, barcode, password);
  if ('message' in who) {
    return {
      ok: false,
      renewed: [],
      unrenewed: [],
      messages: [who.message],
      ...(who.patron ? { patron: who.patron } : {}),
    };
  }
  const patron = who.patron;
  const renewed: string[] = [];
  const unrenewed: string[] = [];
  for (const loan of library.loansOf(patron.barcode)) {
    const result = renew(library, { patron: patron.barcode, item: loan.item, feeAcknowledged });
    (result.ok ? renewed : unrenewed).push(loan.item);
  }
  return {
    ok: true,
    patron,
    renewed,
    unrenewed,
    messages: [`${renewed.length} renewed, ${unrenewed.length} not renewed`],
  };
}

function money(library: IlsLibrary, cents: number): string {
  return `${(cents / 100).toFixed(2)} ${library.currency}`;
}
