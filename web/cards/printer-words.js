/**
 * The card printer in words for desk staff: why a card was not made and what to do about it (by the
 * fault Carrel names), and the page's printer line (its state, what is wrong, a cleaning asked for).
 * Never Carrel's code for a fault: staff cannot act on `bad_command`.
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
  // The printer refused a command (the guide's NACK 1): Carrel and its firmware disagree, which no
  // one at the desk can put right; once may be a glitch on the line.
  bad_command:
    'the printer did not take a command Carrel sent it (its firmware may not know it), so no card was made. Nothing at the printer needs putting right: print again, and if it happens again, tell IT that the printer refuses Carrel’s commands.',
  // The printer refused a parameter (NACK 2): most often the ribbon set for it (Pr) is not the one in it.
  bad_parameter:
    'the printer did not take a setting Carrel sent with the card, so no card was made: the ribbon in it may not be the kind Carrel is set up for. Check the ribbon is the one meant for this printer, then print again; if it happens again, tell IT that the printer refuses Carrel’s settings.',
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

/** A printer asking to be cleaned prints on (less well): said beside its state, not as a fault. */
const CLEANING_DUE =
  'the printer asks to be cleaned. It still prints, but cards may come out streaked: clean it when the desk is quiet (a cleaning card through it, as its guide says).';

/**
 * Why a card was not made, in words. A fault Carrel names that the page has no words for yet (a
 * newer Carrel's) is said as a fault without a name, never as its code.
 */
export function faultWords(fault) {
  if (FAULTS[fault]) return FAULTS[fault];
  if (STRIPE_FAULTS.has(fault))
    return 'the card’s stripe could not be written so that it reads back right. The cards that failed are in the reject box.';
  return FAULTS.error;
}

/**
 * The printer line of the page's header: its state, and what is wrong in words with what to do,
 * then a cleaning it asks for (`cleaningDue`). Offline, the reason is the link's (an address, "peer
 * closed"): staff are told what to check, and IT finds the link's own words in `title`, the line's
 * tooltip.
 */
export function printerLine(device, status, problem, cleaningDue) {
  const offline = status === 'offline';
  const words = offline
    ? ['Carrel cannot reach the printer. Check it is switched on and connected.']
    : [problem ? (FAULTS[problem] ?? problem) : '', cleaningDue ? CLEANING_DUE : ''];
  const said = words.filter(Boolean).join(' ');
  return {
    text: `${device}: ${status}${said ? ` — ${said}` : ''}`,
    title: offline && problem ? problem : '',
  };
}
