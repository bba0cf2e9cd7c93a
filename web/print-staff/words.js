/**
 * The print desk's words: where a release stands, what an account entry was and why it was made,
 * where a top-up came from, and what became of a transfer from the library system. Plain functions of
 * the desk's answers.
 */

/** A held job past its hold time that the print server has not cancelled yet, in the desk's words. */
export const EXPIRED_HELD =
  'Expired — still held on the print server; Carrel keeps asking it to cancel the job, or cancel it there. Not charged; it cannot be released.';

/**
 * Where a release stands, in the desk's words (the API's state is charged, released, completed or
 * refunded), and after it, whatever the state: what became of the rest of a job the desk refunded
 * the pages not printed of — else, for a job at the printer, how far it has got (a jammed or stopped
 * printer holds it part-printed: how many pages came out, for a refund).
 */
export function releaseState(release) {
  // Its print queue taken out of the configuration: nothing of it is refunded by itself, staff do.
  const said =
    release.notFollowed?.message ??
    release.restCancelled?.message ??
    (release.state === 'released' ? release.printer?.message : undefined);
  const state = stateWords(release);
  return said ? `${state} — ${said}.` : state;
}

/** The API's state of a release in the desk's words. */
function stateWords(release) {
  // Refunded at the desk while the printer had it: the pages printed then came out, whatever the end.
  const printed = release.printedImpressions ?? release.restCancelled?.refundedAfter ?? 0;
  switch (release.state) {
    case 'charged':
      return release.notFollowed
        ? 'Charged, not confirmed by the print server'
        : 'Charged, waiting for the print server to confirm';
    case 'released':
      return 'Sent to the printer';
    case 'completed':
      return release.refundedMinor > 0 ? 'Printed, partly refunded' : 'Printed';
    case 'refunded':
      if (printed === 0) return 'Not printed, refunded';
      return printed < release.impressions ? 'Printed in part, refunded' : 'Printed, refunded';
    default:
      return release.state;
  }
}

/** What an account entry was, in the desk's words (the API's kind is deposit, charge, refund, payout or adjustment). */
export const ENTRY_KINDS = {
  deposit: 'Top-up',
  charge: 'Printing',
  refund: 'Refund',
  payout: 'Paid out',
  adjustment: 'Correction',
};

/** Where a top-up came from, in the desk's words (the API's source codes). */
export const SOURCES = {
  'cash-desk': 'Cash at the desk',
  'payment-device': 'Coins and notes at a kiosk or release station',
  'ils-transfer': 'From the library system',
  adjustment: 'Correction',
};

/** A clause the gateway wrote ('not printed: …; the charge was refunded') as a sentence. */
export const sentence = (text) =>
  text ? `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}` : '';

/**
 * Why an entry was made, in the desk's words: a charge names the document printed (it read 'Job 7.',
 * the print server's number), a top-up where the money came from (it read 'cash-desk').
 */
export function entryReason(entry, documents) {
  if (entry.kind === 'charge') {
    const name = documents.get(entry.releaseId);
    const pages = entry.pages === null ? '' : `, ${entry.pages} page${entry.pages === 1 ? '' : 's'}`;
    return `${name ? `“${name}”` : 'A document'}${pages}${entry.queue ? ` on ${entry.queue}` : ''}.`;
  }
  if (entry.reason) return sentence(entry.reason);
  return entry.source ? (SOURCES[entry.source] ?? entry.source) : '';
}

/** What a transfer's problems mean at the desk, in the library's words. */
export const TRANSFER_PROBLEMS = {
  ils_patron_not_found: 'The library system does not know this card: nothing was moved.',
  ils_credit_insufficient: "The patron's credit in the library system is less than that.",
  ils_account_unreachable:
    'The library system cannot be reached just now: nothing was moved. Try again in a moment.',
  ils_transfer_unavailable: 'Transfers from the library system are not set up on this desk.',
  ils_transfer_pending:
    'The library system has not confirmed the transfer yet. Press Transfer again in a moment to see whether it went through (it is never made twice).',
  ils_account_refused:
    'The library system refused the transfer. Ask whoever looks after the desk to check its access to the library system.',
  ils_account_bad_answer:
    'The library system gave an answer the desk cannot read. Ask whoever looks after the desk to check the link to it.',
  ils_debit_not_found:
    'The library system has no record of the transfer: nothing was moved, the credit stays there.',
  print_account_currency_mismatch: 'The print account is kept in another currency.',
  network:
    'The desk did not answer. Press Transfer again: the same transfer is sent, and it is never made twice.',
};

/** A transfer's state as the desk says it. */
export const TRANSFER_STATES = {
  deposited: () => 'In the print account',
  pending: () => 'Waiting for the library system to confirm (checked every minute; never made twice)',
  failed: (transfer) =>
    `Not made: ${TRANSFER_PROBLEMS[transfer.failure?.code] ?? transfer.failure?.message ?? 'no reason given'}`,
};
