/**
 * Holds, fee payments, blocking and enabling patrons, and item property
 * updates over the simulated library.
 */
import type { FeeType, HoldMode } from '../../src/protocols/sip2/index.js';
import { identifyPatron } from './circulation.js';
import type { IlsLibrary } from './library.js';
import { circulationStatusOf, type Item, type Patron, parseMoney } from './library-model.js';

export interface HoldRequest {
  mode: HoldMode;
  patron: string;
  patronPassword?: string;
  item?: string;
  title?: string;
  /** Branch code; default the patron's home branch. */
  pickup?: string;
  expires?: Date;
}

export interface HoldResult {
  ok: boolean;
  /** The item is on the shelf now. */
  available: boolean;
  patron?: Patron;
  item?: Item;
  /** 1-based place in the queue, after an add or change. */
  position?: number;
  pickup?: string;
  expires?: Date;
  messages: string[];
}

export interface FeePaymentRequest {
  patron: string;
  patronPassword?: string;
  /** The amount as SIP2 sends it, e.g. `2.50`. */
  amount: string;
  feeType?: FeeType;
  /** Pay this fee; otherwise the oldest fees first. */
  feeId?: string;
  currency?: string;
  transactionId?: string;
}

export interface FeePaymentResult {
  accepted: boolean;
  patron?: Patron;
  transactionId: string;
  remainingCents?: number;
  messages: string[];
}

export function placeHold(library: IlsLibrary, request: HoldRequest): HoldResult {
  const who = identifyPatron(library, request.patron, request.patronPassword);
  if ('message' in who)
    return {
      ok: false,
      available: false,
      messages: [who.message],
      ...(who.patron ? { patron: who.patron } : {}),
    };
  const patron = who.patron;
  const item =
    request.item !== undefined && request.item !== ''
      ? library.item(request.item)
      : request.title
        ? library.itemByTitle(request.title)
        : undefined;
  if (!item) return { ok: false, available: false, patron, messages: ['Unknown item'] };
  const available = () => circulationStatusOf(item) === 'available';
  const index = item.holdQueue.findIndex((hold) => hold.patron === patron.barcode);
  const base = { patron, item };

  if (request.mode === 'delete') {
    if (item.onHoldShelf?.patron === patron.barcode) {
      library.setHoldShelf(item, undefined);
      item.shelfStatus = 'waitingToBeReshelved';
      return { ok: true, available: false, ...base, messages: ['Hold cancelled'] };
    }
    if (index < 0) return { ok: false, available: available(), ...base, messages: ['No hold to cancel'] };
    library.setHoldQueue(
      item,
      item.holdQueue.filter((_, at) => at !== index),
    );
    return { ok: true, available: available(), ...base, messages: ['Hold cancelled'] };
  }

  const pickup = request.pickup !== undefined && request.pickup !== '' ? request.pickup : undefined;
  if (pickup !== undefined && !library.isBranch(pickup)) {
    return { ok: false, available: available(), ...base, messages: ['Unknown pickup location'] };
  }
  if (request.mode === 'change') {
    const hold = item.holdQueue[index];
    if (!hold) return { ok: false, available: available(), ...base, messages: ['No hold to change'] };
    if (pickup !== undefined) hold.pickup = pickup;
    if (request.expires !== undefined) hold.expires = request.expires;
    return {
      ok: true,
      available: available(),
      ...base,
      position: index + 1,
      pickup: hold.pickup,
      ...(hold.expires ? { expires: hold.expires } : {}),
      messages: ['Hold changed'],
    };
  }

  const blocks = library.standing(patron).holdBlocks;
  if (blocks.length > 0) return { ok: false, available: available(), ...base, messages: blocks };
  if (index >= 0 || item.onHoldShelf?.patron === patron.barcode) {
    return { ok: false, available: available(), ...base, messages: ['You already have a hold on this item'] };
  }
  if (item.loan?.patron === patron.barcode) {
    return { ok: false, available: false, ...base, messages: ['You have this item checked out'] };
  }
  const limit = library.rules.holdLimit;
  if (limit !== null) {
    const count =
      library.unavailableHoldsOf(patron.barcode).length + library.availableHoldsOf(patron.barcode).length;
    if (count >= limit)
      return { ok: false, available: available(), ...base, messages: ['Hold limit reached'] };
  }
  const hold = library.newHold(patron.barcode, pickup);
  if (request.expires !== undefined) hold.expires = request.expires;
  library.setHoldQueue(item, [...item.holdQueue, hold]);
  return {
    ok: true,
    available: available(),
    ...base,
    position: item.holdQueue.length,
    pickup: hold.pickup,
    ...(hold.expires ? { expires: hold.expires } : {}),
    messages: ['Hold placed'],
  };
}

export function payFee(library: IlsLibrary, request: FeePaymentRequest): FeePaymentResult {
  const transactionId = request.transactionId || library.newTransactionId();
  const refused = (message: string, patron?: Patron): FeePaymentResult => ({
    accepted: false,
    transactionId,
    messages: [message],
    ...(patron ? { patron } : {}),
  });
  const who = identifyPatron(library, request.patron, request.patronPassword);
  if ('message' in who) return refused(who.message, who.patron);
  const patron = who.patron;
  const amount = parseMoney(request.amount);
  if (amount === undefined || amount === 0) return refused('Invalid amount', patron);
  const currency = request.currency?.trim();
  if (currency && currency !== library.currency)
    return refused(`Payments are taken in ${library.currency}`, patron);
  let fees = patron.fees.filter((fee) => fee.amountCents > 0);
  if (request.feeId) {
    fees = fees.filter((fee) => fee.id === request.feeId);
    if (fees.length === 0) return refused('Unknown fee', patron);
  }
  const owed = fees.reduce((total, fee) => total + fee.amountCents, 0);
  if (amount > owed) return refused('Amount is more than is owed', patron);
  let left = amount;
  for (const fee of fees) {
    const paid = Math.min(left, fee.amountCents);
    fee.amountCents -= paid;
    left -= paid;
    if (left === 0) break;
  }
  patron.fees = patron.fees.filter((fee) => fee.amountCents > 0);
  const remainingCents = patron.fees.reduce((total, fee) => total + fee.amountCents, 0);
  return { accepted: true, patron, transactionId, remainingCents, messages: ['Payment accepted'] };
}

export function blockPatron(
  library: IlsLibrary,
  barcode: string,
  message: string | undefined,
  cardRetained: boolean,
): Patron | undefined {
  const patron = library.patron(barcode);
  if (!patron) return undefined;
  patron.blocked = true;
  patron.cardRetained = cardRetained;
  if (message) patron.blockedMessage = message;
  return patron;
}

/**
 * Lifts a block put on by 01 (or the fixture) and restores suspended
 * privileges; conditions like a lost card stay.
 */
export function enablePatron(library: IlsLibrary, barcode: string): Patron | undefined {
  const patron = library.patron(barcode);
  if (!patron) return undefined;
  patron.blocked = false;
  patron.suspended.clear();
  patron.cardRetained = false;
  patron.blockedMessage = undefined;
  return patron;
}

export function updateItemProperties(
  library: IlsLibrary,
  barcode: string,
  properties: string,
): Item | undefined {
  const item = library.item(barcode);
  if (!item) return undefined;
  item.properties = properties;
  return item;
}
