/**
 * What the desk says when it refuses money for a card the library system says cannot be used for
 * the print account (card-usable.ts): a top-up at the desk, a transfer of ILS credit.
 */
import { CirculationRefusal } from '../circulation/reasons.js';
import type { PrintAccountDeposit } from '../contracts/print-accounts.js';
import type { CardNotUsableReason } from './card-usable.js';

/** What the library system said late of a card a desk top-up was taken for unchecked, for the log. */
export const LATE_WORDS: Record<CardNotUsableReason, string> = {
  card_lost: 'was reported lost',
  card_expired: 'has expired',
  patron_blocked: 'is blocked',
};

/**
 * Why a top-up at the desk is refused for a card the library system says cannot be used for the
 * print account, or undefined when it is taken. The cash stays in staff hands; what the account
 * already holds can still be paid out.
 *
 * - Reported lost: refused whatever the source. Whoever holds the card is not its patron (the
 *   finder), and the release station refuses the card.
 * - Expired or blocked: refused for new money — cash, a payment device, credit moved from the
 *   library system — as the kiosk refuses a top-up: the release station logs the card in only once
 *   it is renewed or the block cleared, and the money is better where it was until then (in the
 *   patron's hand, or as credit at the library, which may settle what is behind the block). A
 *   correction (`adjustment`) is taken: it records what the library owes the patron already (a page
 *   that did not print, a coin the kiosk kept), which is owed whatever the card's state, to be spent
 *   once the card is usable again or paid out.
 */
export function deskTopUpRefusal(
  notUsable: CardNotUsableReason | undefined,
  source: PrintAccountDeposit['source'],
): CirculationRefusal | undefined {
  if (notUsable === 'card_lost')
    return new CirculationRefusal('card_lost', [], 'patron', {
      message:
        'the library system says this card was reported lost: nothing was topped up, the cash stays with you; issue the patron a new card and top up that one, or, if this is the patron with a card found again, clear the lost flag in the library system first (what the account already holds can still be paid out)',
    });
  if (notUsable === undefined || source === 'adjustment') return undefined;
  if (notUsable === 'card_expired')
    return new CirculationRefusal('card_expired', [], 'patron', {
      message:
        'the library system says this card has expired, and the release station does not let it print: nothing was topped up, the cash stays with you; renew the card in the library system first, then top up (what the account already holds can still be paid out)',
    });
  return new CirculationRefusal('patron_blocked', [], 'patron', {
    message:
      "the library system says this patron's account is blocked, and the release station does not let it print: nothing was topped up, the cash stays with you; see to the block in the library system first (why it was blocked is there), then top up (what the account already holds can still be paid out)",
  });
}

/**
 * Why a transfer of ILS credit into the print account is refused for a card the library system
 * says cannot be used for it (deskTopUpRefusal's rule for new money, source ils-transfer): nothing
 * is debited at the ILS, the credit stays there.
 */
export function transferRefusal(notUsable: CardNotUsableReason | undefined): CirculationRefusal | undefined {
  if (notUsable === 'card_lost')
    return new CirculationRefusal('card_lost', [], 'patron', {
      message:
        "the library system says this card was reported lost: nothing was moved, the patron's credit stays in the library system; issue the patron a new card and transfer to that one, or, if this is the patron with a card found again, clear the lost flag in the library system first",
    });
  if (notUsable === 'card_expired')
    return new CirculationRefusal('card_expired', [], 'patron', {
      message:
        "the library system says this card has expired, and the release station does not let it print: nothing was moved, the patron's credit stays in the library system; renew the card there first, then transfer",
    });
  if (notUsable === 'patron_blocked')
    return new CirculationRefusal('patron_blocked', [], 'patron', {
      message:
        "the library system says this patron's account is blocked, and the release station does not let it print: nothing was moved, the patron's credit stays in the library system (where it may settle what is behind the block); see to the block there first, then transfer",
    });
  return undefined;
}
