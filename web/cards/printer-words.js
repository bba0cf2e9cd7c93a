/**
 * The card printer in words for desk staff: why a card was not made and what to do about it (by the
 * fault Carrel names), and the page's printer line (its state, what is wrong).
 */

/** Why a card was not made, and what staff do about it, by the printer's fault. */
const FAULTS = {
  no_card: 'the card feeder is empty. Put cards in the feeder, then print again.',
  ribbon_out: 'the ribbon has run out. Put in a new ribbon, then print again.',
  ribbon_missing: 'the printer has no ribbon. Put one in, then print again.',
  cover_open: 'the printer’s cover is open. Close it, then print again.',
  jam: 'a card is stuck in the printer. Take it out, then print again.',
  cleaning_due: 'the printer must be cleaned first. Clean it, then print again.',
  busy: 'the printer is busy. Wait a moment, then print again.',
  no_reply: 'the printer did not answer. Check it is on and connected, then print again.',
  link_lost: 'the connection to the printer was lost. Check it is on and connected, then print again.',
  bad_reply:
    'the printer answered something Carrel does not understand. Switch it off and on, then print again.',
  not_printed: 'no card came out of the printer in time. Look at the printer, then print again.',
  // A printer's error Carrel has no name for (ERR … of another firmware, a Magicard's card not out).
  error:
    'the printer reports a fault Carrel has no words for. Look at the printer’s display or lights and put right what it shows, then print again. If it keeps happening, tell IT.',
  // The printer may have made the card while Carrel could not ask it: a second card would be a
  // second working card for the patron, so staff look before anything is printed again.
  outcome_unknown:
    'the connection to the printer was lost after the card was sent to it, and Carrel could not ask the printer whether it made the card. Do not print it again yet: once the printer is connected again, look in its output hopper. If the card is there, it is the patron’s card; print again only if it is not.',
};
const STRIPE_FAULTS = new Set([
  'magstripe_mismatch',
  'magstripe_checksum',
  'magstripe_data',
  'magstripe_write',
]);

/** Why a card was not made, in words. */
export function faultWords(fault) {
  if (FAULTS[fault]) return FAULTS[fault];
  if (fault === 'unknown_error') return FAULTS.error;
  if (STRIPE_FAULTS.has(fault))
    return 'the card’s stripe could not be written so that it reads back right. The cards that failed are in the reject box.';
  return `the printer reported “${fault}”. Look at the printer; cards that failed are in the reject box.`;
}

/**
 * The printer line of the page's header: its state, and what is wrong in words with what to do.
 * Offline, the reason is the link's (an address, "peer closed"): staff are told what to check, and
 * IT finds the link's own words in `title`, the line's tooltip.
 */
export function printerLine(device, status, problem) {
  const offline = status === 'offline';
  const said = offline
    ? 'Carrel cannot reach the printer. Check it is switched on and connected.'
    : problem
      ? (FAULTS[problem] ?? problem)
      : '';
  return {
    text: `${device}: ${status}${said ? ` — ${said}` : ''}`,
    title: offline && problem ? problem : '',
  };
}
