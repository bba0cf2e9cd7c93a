/**
 * A card the library system says cannot be used for the print account — reported lost, expired,
 * or its patron blocked — is refused at the release station and for a top-up at the kiosk alike:
 * whoever found a lost card would print on the patron's money, or put money where it cannot be
 * spent. Borrowing limits (fines, loans, overdue items) are the loan desk's and stop neither.
 */
import { CirculationRefusal, type RefusalReason } from '../circulation/reasons.js';

/** What the library system says of a card that keeps it from the print account, most serious first. */
const CARD_NOT_USABLE = ['card_lost', 'card_expired', 'patron_blocked'] as const;
/** Why a card cannot be used for the print account, as the library system says it. */
export type CardNotUsableReason = (typeof CARD_NOT_USABLE)[number];
const CARD_NOT_USABLE_WORDS: Record<CardNotUsableReason, string> = {
  card_lost: 'the library system says this card was reported lost',
  card_expired: 'the library system says this card has expired',
  patron_blocked: "the library system says this patron's account is blocked",
};

/** The most serious reason the library system gives that keeps a card from the print account, if any. */
export function cardNotUsableReason(
  reasons: readonly RefusalReason[] | undefined,
): CardNotUsableReason | undefined {
  return CARD_NOT_USABLE.find((reason) => reasons?.includes(reason));
}

/**
 * The refusal for a card the print account may not be used with, saying what was not done
 * (`outcome`), or undefined for a card that may be.
 */
export function cardNotUsable(
  patron: { reasons?: readonly RefusalReason[] | undefined; screenMessages?: readonly string[] | undefined },
  outcome: string,
): CirculationRefusal | undefined {
  const why = cardNotUsableReason(patron.reasons);
  if (why === undefined) return undefined;
  return new CirculationRefusal(why, patron.screenMessages ?? [], 'patron', {
    message: `${CARD_NOT_USABLE_WORDS[why]}: ${outcome}; the patron should see staff`,
  });
}
