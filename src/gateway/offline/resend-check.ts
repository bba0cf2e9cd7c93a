/**
 * Before staff send a conflict again ("Send again"), the ILS is asked where its item is now (17).
 * The journal bars a resend that a later journaled transaction of the item overtook
 * (`offline_replayed_after`), but an item checked out or in at the ILS by other means meanwhile
 * (the staff client, another desk's self-check) it cannot see. Desk staff expect "Send again" to
 * do what the transaction said, and nothing the ILS's state makes wrong:
 *
 * - a checkout of an item the ILS shows on loan to someone else (or to a borrower it will not
 *   name) is not sent: it was checked out there since, and the resend would at best be refused
 *   again and at worst end that loan; on loan to this patron, it goes on (the replay finds it done);
 * - a checkin of an item the ILS shows checked in already (on the shelf, on the hold shelf, being
 *   reshelved, in transit) is not sent: it was returned there since, nothing is left to do, and
 *   staff discard it knowing so rather than find it "done" by a replay that sent nothing.
 *
 * Anything else (an item available for the checkout, on loan for the checkin, unknown to the ILS)
 * goes on, and the replayer looks it up again as it sends it. When the ILS cannot be asked, the
 * resend is refused too: sent unchecked it is what this check exists to prevent.
 */
import { describeError } from '../../core/errors.js';
import { borrowerNamedIn, isCharged, isCheckedIn, listsChargedItem } from '../../devices/ils/lost-answer.js';
import type { Sip2Message } from '../../protocols/sip2/index.js';
import { OfflineError } from './errors.js';
import type { OfflineTransaction } from './journal.js';
import type { IlsForReplay } from './replayer.js';

type ItemAnswer = Sip2Message<'itemInformationResponse'>;

/** Whom a charged item is out to: this patron, another, or unknown (no AA and no way to ask). */
export async function chargedTo(
  ils: Pick<IlsForReplay, 'patronInformation'>,
  found: ItemAnswer,
  patron: string,
  item: string,
): Promise<'patron' | 'another' | 'unknown'> {
  const named = borrowerNamedIn(found);
  if (named !== undefined) return named === patron ? 'patron' : 'another';
  if (!ils.patronInformation) return 'unknown';
  const information = (await ils.patronInformation(patron, { summary: 'chargedItems' })).message;
  return listsChargedItem(information, item) ? 'patron' : 'another';
}

/**
 * Why the ILS's state of `tx`'s item bars sending it again, as an OfflineError in words; undefined
 * when it may go. Only checkouts and checkins are asked about.
 */
export async function resendRefusal(
  tx: OfflineTransaction,
  ils: Pick<IlsForReplay, 'itemInformation' | 'patronInformation'>,
): Promise<OfflineError | undefined> {
  if ((tx.kind !== 'checkout' && tx.kind !== 'checkin') || tx.item === '') return undefined;
  let found: ItemAnswer;
  let holder: 'patron' | 'another' | 'unknown' | undefined;
  try {
    found = (await ils.itemInformation(tx.item)).message;
    if (tx.kind === 'checkout' && isCharged(found) && tx.patron !== undefined)
      holder = await chargedTo(ils, found, tx.patron, tx.item);
  } catch (error) {
    return new OfflineError(
      'offline_item_unchecked',
      `Not sent again: the library system could not be asked where item ${tx.item} is now ` +
        `(${describeError(error).message}). Send it again once the library system answers.`,
    );
  }
  if (tx.kind === 'checkout' && (holder === 'another' || holder === 'unknown')) {
    const due = found.dueDate?.trim() ? ` (due ${found.dueDate.trim()})` : '';
    return new OfflineError(
      'offline_item_changed',
      `Not sent again: the library system shows item ${tx.item} on loan${due}, not to this checkout's ` +
        'patron: it was checked out there since. Check the item and the patron at the library system, ' +
        'do there by hand what is still to be done, then discard this one here.',
    );
  }
  if (tx.kind === 'checkin' && isCheckedIn(found)) {
    return new OfflineError(
      'offline_item_changed',
      `Not sent again: the library system shows item ${tx.item} ${checkedInWords(found)}: it was ` +
        'checked in there since. Nothing is left to send: discard this one here.',
    );
  }
  return undefined;
}

function checkedInWords(found: ItemAnswer): string {
  switch (found.circulationStatus.name) {
    case 'available':
      return 'checked in, on the shelf';
    case 'waitingOnHoldShelf':
      return 'checked in, waiting on the hold shelf';
    case 'waitingToBeReshelved':
      return 'checked in, waiting to be reshelved';
    default:
      return 'checked in, in transit';
  }
}
