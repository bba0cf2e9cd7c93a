import type { CirculationContext, CirculationService, PatronRef } from '../contracts/circulation.js';
import type { SessionRenewalView } from '../contracts/sessions.js';
import { outcomeOf } from './outcome.js';

/** Renewed loans looked up one by one for their titles and new due dates. */
const MAX_DESCRIBED_RENEWALS = 50;

/**
 * Renews one loan (29), or every loan (65) when no item is named. A refusal is
 * an answer, not an error: it comes back with its reason and the ILS's words.
 */
export async function renewLoans(
  circulation: CirculationService,
  patron: PatronRef,
  item: string | undefined,
  context: CirculationContext,
): Promise<SessionRenewalView[]> {
  if (item !== undefined) {
    try {
      const answer = await circulation.renew({ ...patron, item }, context);
      return [
        {
          item,
          ok: true,
          ...(answer.item.title ? { title: answer.item.title } : {}),
          ...(answer.item.dueDate ? { dueDate: answer.item.dueDate } : {}),
          screenMessages: answer.screenMessages,
        },
      ];
    } catch (error) {
      const { reason, words } = outcomeOf(error);
      return [{ item, ok: false, reason, screenMessages: words }];
    }
  }
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
  for (const id of answer.unrenewed)
    results.push({ item: id, ok: false, reason: 'refused', screenMessages: answer.screenMessages });
  return results;
}
