import { describeError } from '../../core/errors.js';
import { IlsError } from '../../devices/ils/index.js';
import { CirculationRefusal } from '../circulation/reasons.js';
import type { CirculationContext, CirculationService, RenewalRequest } from '../contracts/circulation.js';
import type { SessionRenewalView } from '../contracts/sessions.js';
import { outcomeOf } from './outcome.js';

/** Renewed loans looked up one by one for their titles and new due dates. */
const MAX_DESCRIBED_RENEWALS = 50;

/**
 * Renews one loan (29). A refusal is an answer, not an error: it comes back with its reason and the
 * ILS's words. A renewal that failed says whether it reached the ILS (`answerLost`: it may have been
 * renewed, and is never sent again), and `stop` when the ILS is not answering: asking it of the
 * next loan would only wait for the same nothing.
 */
export async function renewOne(
  circulation: CirculationService,
  patron: RenewalRequest,
  item: string,
  context: CirculationContext,
): Promise<{ renewal: SessionRenewalView; stop: boolean }> {
  try {
    const answer = await circulation.renew({ ...patron, item }, context);
    const renewal: SessionRenewalView = { item, ok: true, screenMessages: answer.screenMessages };
    if (answer.item.title) renewal.title = answer.item.title;
    if (answer.item.dueDate) renewal.dueDate = answer.item.dueDate;
    return { renewal, stop: false };
  } catch (error) {
    const { state, reason, words } = outcomeOf(error);
    // In words, as POST /renewals's problem `detail` says the same refusal or failure.
    const { message } = describeError(error);
    const renewal: SessionRenewalView = { item, ok: false, reason, message, screenMessages: words };
    if (error instanceof IlsError && error.answerLost) renewal.answerLost = true;
    // The patron is told which of her loans it is: by the title the refusal names (AJ), else by
    // the item's information (an ILS that leaves AJ empty).
    if (state !== 'failed') {
      const named = error instanceof CirculationRefusal ? error.title : undefined;
      const title =
        named ??
        (await circulation.item(item, context).then(
          (found) => found.item.title,
          () => undefined,
        ));
      if (title) renewal.title = title;
    }
    return { renewal, stop: state === 'failed' };
  }
}

/**
 * Renew All (65): every loan the patron has at the ILS, those borrowed in this session too. Only
 * when a caller asks for it by name (`all`); a patron's "renew my loans" is `renewEarlierLoans`.
 */
export async function renewAllLoans(
  circulation: CirculationService,
  patron: RenewalRequest,
  context: CirculationContext,
): Promise<SessionRenewalView[]> {
  const answer = await circulation.renewAll(patron, context);
  const results: SessionRenewalView[] = [];
  // Renew All (65) names barcodes only: the new due dates and titles come from item information.
  for (const [index, id] of answer.renewed.entries()) {
    const renewed: SessionRenewalView = { item: id, ok: true, screenMessages: [] };
    if (index < MAX_DESCRIBED_RENEWALS) {
      const info = await circulation.item(id, context).then(
        (found) => found.item,
        () => undefined,
      );
      if (info?.title) renewed.title = info.title;
      if (info?.dueDate) renewed.dueDate = info.dueDate;
    }
    results.push(renewed);
  }
  // Renew All's answer gives no reason per loan: its words are the ILS's for the whole answer.
  const words = answer.screenMessages.filter((line) => line.trim() !== '').join(' ');
  const message = words !== '' ? words : 'the ILS did not renew this loan';
  for (const id of answer.unrenewed)
    results.push({ item: id, ok: false, reason: 'refused', message, screenMessages: answer.screenMessages });
  return results;
}
