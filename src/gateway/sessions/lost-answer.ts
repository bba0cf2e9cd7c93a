/**
 * An item asked for again after its checkout or checkin reached the ILS and the answer was lost.
 * The ILS may have done it, and doing it again is not harmless: a second checkout of an item
 * already out to the patron is refused at some ILSs ("already checked out to you": the patron
 * told no, the tag left secured) and a renewal at others; a second checkin can clear a hold trap.
 * So the ILS is asked first (Item Information, and the patron's loans when the item is out) and
 * the kiosk's request is acted on only once its outcome is known.
 */
import { CirculationRefusal } from '../circulation/reasons.js';
import type { CirculationService, IlsDate } from '../contracts/circulation.js';
import type { SessionMode } from '../contracts/sessions.js';
import { SessionError } from './errors.js';

/** What the ILS shows of an earlier attempt: not done (send it now), or done, with what it set. */
export type EarlierAttempt =
  | { done: false }
  | { done: true; title: string | undefined; dueDate: IlsDate | null; status: string };

/** Statuses of an item on loan. */
const ON_LOAN = new Set(['charged', 'chargedNotToBeRecalled', 'recalled']);
/** Statuses an item has after a checkin: back on the shelf, on the hold shelf, on its way. */
const CHECKED_IN = new Set(['available', 'waitingOnHoldShelf', 'waitingToBeReshelved', 'inTransit']);

/**
 * Whether the ILS did the earlier checkout (to this patron) or checkin. Throws
 * `item_outcome_unknown` when it cannot tell: the ILS cannot be asked, or says something that
 * neither confirms nor rules it out.
 */
export async function earlierAttempt(
  circulation: CirculationService,
  mode: SessionMode,
  item: string,
  patron: { barcode: string; pin: string | undefined } | null,
  terminal: string,
): Promise<EarlierAttempt> {
  const context = { terminal };
  const unknown = () =>
    new SessionError(
      'item_outcome_unknown',
      mode === 'checkout'
        ? `the library system may already have checked out item "${item}" (its answer was lost) and cannot say so now: ask staff to look the item up`
        : `the library system may already have checked in item "${item}" (its answer was lost) and cannot say so now: ask staff to look the item up`,
    );
  let found: Awaited<ReturnType<CirculationService['item']>>;
  try {
    found = await circulation.item(item, context);
  } catch (error) {
    // An item the ILS does not know was neither lent nor returned.
    if (error instanceof CirculationRefusal && error.reason === 'item_not_found') return { done: false };
    throw unknown();
  }
  const status = found.item.status;
  const title = found.item.title === '' ? undefined : found.item.title;
  if (status === undefined) throw unknown();
  if (mode === 'return') {
    if (ON_LOAN.has(status)) return { done: false };
    if (CHECKED_IN.has(status)) return { done: true, title, dueDate: null, status };
    throw unknown();
  }
  if (status === 'other') throw unknown();
  if (!ON_LOAN.has(status)) return { done: false };
  if (patron === null) throw unknown();
  // Out: to this patron (the lost checkout), or to someone else (it was not done).
  let lookedUp: Awaited<ReturnType<CirculationService['lookUpPatron']>>['patron'];
  try {
    lookedUp = (await circulation.lookUpPatron({ patron: patron.barcode, pin: patron.pin }, context)).patron;
  } catch {
    throw unknown();
  }
  const loan = lookedUp.loans.find((l) => l.item === item);
  if (loan === undefined) {
    // A list the ILS cut short may leave out the very loan.
    if (lookedUp.counts.loans > lookedUp.loans.length) throw unknown();
    return { done: false };
  }
  return {
    done: true,
    title: title ?? loan.title,
    dueDate: loan.dueDate ?? found.item.dueDate ?? null,
    status,
  };
}
