/**
 * What the release station tells the patron, in their words: why a login was refused, how each
 * release ended, and why a job was not (or cannot be) printed. Plain functions of the desk's answers.
 */
import { money } from '/common/money.js';

/** The problems of a library system away, slow or answering unreadably: the patron may try again later. */
export const ILS_AWAY = new Set([
  'ils_offline',
  'ils_timeout',
  'ils_connection_lost',
  'ils_busy',
  'ils_connection_busy',
  'ils_login_refused',
  'ils_bad_response',
  'ils_resend_limit',
]);

/** Why a login was refused, in the patron's words (it read the ILS's 'Invalid PIN', 'Unknown patron'). */
export function loginProblem(problem) {
  // The library system away or slow: it read 'no answer from the ILS within 10000 ms' and 'the ILS
  // link is not connected', words for IT.
  if (ILS_AWAY.has(problem.code))
    return 'the library system is not answering just now, so your card and PIN cannot be checked. Try again in a few minutes, or ask at the desk.';
  switch (problem.code) {
    case 'invalid_pin':
      return 'that PIN does not match this library card. Type your PIN again.';
    case 'patron_not_found':
      return 'this library card is not known. Check the number, or ask at the desk.';
    case 'pin_required':
      return 'type your PIN, then press Show my print jobs.';
    // The library system's word on the card itself: it cannot be used to print until staff see to it.
    case 'card_lost':
      return 'this card has been reported lost, so it cannot be used to print or pay here. Please see staff at the desk.';
    case 'card_expired':
      return 'your library card has expired. Please see staff at the desk to renew it, then log in again.';
    case 'patron_blocked':
      return 'your library account is blocked, so it cannot be used to print just now. Please see staff at the desk.';
    case 'network':
      return 'the station cannot reach the print service just now. Try again in a moment, or ask at the desk.';
    default:
      return (problem.status ?? 0) >= 500
        ? 'something went wrong, so your card cannot be checked just now. Try again in a moment, or ask at the desk.'
        : problem.message;
  }
}

/**
 * A release charged on a print queue the desk no longer has in its configuration (`notFollowed`):
 * Carrel neither confirms nor refunds it by itself, so 'refunded by itself' would not come true.
 */
const NOT_FOLLOWED = 'if nothing came out, ask at the desk to have it refunded';

/** How a release ended, in the patron's words, with what was given back. */
export function releaseState(r) {
  const refunded = money(r.refundedMinor, r.currency);
  // Its print queue taken out of the desk's configuration: nothing refunds it by itself, the desk does.
  if (r.state === 'charged' && r.notFollowed) return `not confirmed by the printer: ${NOT_FOLLOWED}`;
  if (r.state === 'charged') return 'waiting for the printer to confirm';
  // Refunded at the desk part-way, the rest cancelled: whatever its state, it read 'printing', 'the
  // printer stopped: please ask at the desk' (she had) or 'not printed' of pages she held.
  if (r.restCancelled) return restCancelledState(r, r.restCancelled);
  if (r.state === 'released') {
    // A jammed or stopped printer holds the job part-printed for as long as it takes: 'printing' had
    // the patron wait at the printer for pages that were not coming.
    if (r.printer?.state !== 'processing-stopped') return 'printing';
    const after =
      r.printer.impressionsCompleted === null
        ? ''
        : ` after ${r.printer.impressionsCompleted} of ${r.impressions} pages`;
    return `the printer stopped${after}: please ask at the desk`;
  }
  // Printed in full and its charge given back at the desk (a smudged print) is not 'not printed'.
  const printedAll = r.printedImpressions !== null && r.printedImpressions >= r.impressions;
  if (r.refundedMinor > 0 && printedAll) return `printed, ${refunded} refunded`;
  if (r.refundedMinor >= r.amountMinor && r.amountMinor > 0) return `not printed, ${refunded} refunded`;
  if (r.refundedMinor > 0)
    return r.printedImpressions !== null
      ? `printed ${r.printedImpressions} of ${r.impressions} pages, ${refunded} refunded`
      : `printed in part, ${refunded} refunded`;
  return r.state === 'refunded' ? 'not printed, refunded' : 'printed';
}

/** '1 page', '7 pages'. */
const pagesOf = (count) => `${count} page${count === 1 ? '' : 's'}`;

/**
 * A job the printer stopped part-way whose pages not printed the desk refunded, the rest of it
 * cancelled at the print server (the release's `restCancelled`), in the patron's words: how many
 * pages came out, what was refunded, and what becomes of the rest — being stopped (not to be waited
 * for), not coming out (printed again to have them), or come out before the printer could be
 * stopped, and not charged. The numbers are the desk's; its words (`message`) are for staff.
 */
function restCancelledState(r, rest) {
  const refunded = money(r.refundedMinor, r.currency);
  const after = rest.refundedAfter;
  const others = r.impressions - after;
  const stoppedAfter = (pages) =>
    `stopped after ${pages} of ${r.impressions} pages, and ${refunded} refunded at the desk`;
  if (!rest.ended)
    return `${stoppedAfter(after)}: the other ${pagesOf(others)} are being stopped at the printer, so do not wait for them (any that still come out are not charged)`;
  const more = rest.printedAfterRefund ?? 0;
  if (more === 0)
    return `${stoppedAfter(after)}: the other ${pagesOf(others)} will not come out (to have them, print the document again)`;
  if (more >= others)
    return `printed, and ${refunded} refunded at the desk after ${after} of ${r.impressions} pages: the other ${pagesOf(others)} came out before the printer could be stopped, and were not charged`;
  return `${stoppedAfter(after + more)} after ${after}: the ${pagesOf(more)} that came out after the refund were not charged, and the other ${pagesOf(others - more)} will not come out (to have them, print the document again)`;
}

export const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * What became of a release the desk answered, in the patron's words, from the release's own state:
 * the same Print sent again (its first answer lost) is answered with the release as it is now —
 * printing, printed, or stopped at the printer and refunded — not always 'is printing'.
 */
export function released(job, r) {
  const name = `“${job.name}”`;
  const charged = money(r.amountMinor, r.currency);
  const refunded = money(r.refundedMinor, r.currency);
  // Refunded at the desk part-way, the rest cancelled (a jammed job), said as the list of what was
  // charged says it, whatever the state: it read 'is printing' to a patron the desk had refunded.
  const rest = r.restCancelled;
  if (rest)
    return {
      ok: rest.ended && (rest.printedAfterRefund ?? 0) >= r.impressions - rest.refundedAfter,
      text: `${name} was ${restCancelledState(r, rest)}.`,
    };
  switch (r.state) {
    case 'charged':
      if (r.notFollowed)
        return {
          ok: false,
          text: `${name} was charged ${charged}, but this station can no longer tell whether it printed: ${NOT_FOLLOWED}.`,
        };
      return {
        ok: true,
        text: `${name} was sent, but the printer has not confirmed it yet. If it does not print, the ${charged} charged is refunded by itself.`,
      };
    case 'released':
      // The printer stopped part-way (a jam, paper out): 'is printing' had the patron wait for pages
      // that were not coming.
      if (r.printer?.state === 'processing-stopped')
        return { ok: false, text: `${name} was sent, but ${releaseState(r)}. ${charged} charged.` };
      return { ok: true, text: `${name} is printing: ${charged} charged.` };
    case 'completed':
      return {
        ok: true,
        text:
          r.refundedMinor > 0
            ? `${name} was printed: ${charged} charged, ${refunded} of it refunded.`
            : `${name} was printed: ${charged} charged.`,
      };
    default: {
      const printed = r.printedImpressions;
      if (printed === 0)
        return {
          ok: false,
          text: `${name} was not printed: it was stopped at the printer before any page was printed. ${r.amountMinor > 0 ? `The ${charged} charged was refunded.` : 'Nothing was charged for it.'}`,
        };
      if (printed !== null && printed < r.impressions)
        return {
          ok: false,
          text: `${name} was stopped at the printer after ${printed} of its ${r.impressions} pages: ${refunded} of the ${charged} charged was refunded.`,
        };
      // Refunded at the desk (a smudged print): printed, or sent when the printer did not say.
      return {
        ok: true,
        text: `${name} was ${printed === null ? 'sent to the printer' : 'printed'}: ${charged} charged, ${refunded} of it refunded.`,
      };
    }
  }
}

/** The job's price, or '' when it is not known. */
const costOf = (job) => (job.quote ? money(job.quote.amountMinor, job.quote.currency) : '');

/**
 * Why a job was not printed (or not yet), in the patron's words; `balance` is the one last shown,
 * `topUpHow` where this station's patron adds money.
 */
export function releaseProblem(problem, job, { balance, topUpHow }) {
  const name = `“${job.name}”`;
  const cost = costOf(job);
  switch (problem.code) {
    case 'print_account_insufficient':
      if (job.quote && balance)
        return `${name} was not printed: it costs ${cost} and your balance is ${money(balance.balanceMinor, balance.currency)}. ${topUpHow}, then press Print again.`;
      return `${name} was not printed: your balance does not cover it. ${topUpHow}, then press Print again.`;
    case 'print_release_pending':
      return `${name} was sent, but the printer has not confirmed it yet. If it does not print, the ${cost || 'amount'} charged is refunded by itself.`;
    case 'print_release_refused':
      // The print server refused but still holds the job (the API says so in jobStillWaiting, not
      // only in its words): it was not deleted, and Print may be pressed again.
      if (problem.jobStillWaiting)
        return `${name} could not be printed just now: the print server would not send it to the printer. It is still waiting, and the ${cost || 'amount'} charged was refunded. Press Print to try again, or ask at the desk.`;
      return `${name} was not printed: the print server no longer had it waiting (it may have been deleted). The ${cost || 'amount'} charged was refunded.`;
    case 'print_job_not_found':
      return `${name} is no longer waiting to be printed: it was printed from another station, or deleted from the print server. Nothing was charged for it here.`;
    case 'print_job_already_released':
      return `${name} was already sent to the printer from another station. It was not charged again.`;
    case 'network':
      return `${name}: the station lost contact, so it is not known whether it was sent. Press Print again: it is never charged twice.`;
    default:
      if (/^http_5/.test(problem.code ?? ''))
        return `${name}: the station lost contact, so it is not known whether it was sent. Press Print again: it is never charged twice.`;
      return `${name} was not printed, and nothing was charged: ${jobProblem(problem)}`;
  }
}

/** Why a job cannot be printed now (listed with the job, or the answer to Print), in the patron's words. */
export function jobProblem(problem) {
  switch (problem.code) {
    case 'print_queue_unavailable':
      return 'the printer cannot be reached just now. Try again in a few minutes, or ask at the desk.';
    case 'print_queue_printer_error':
      return `${problem.message}. Ask at the desk.`;
    case 'print_job_pages_unknown':
      return 'its pages are still being counted. Wait a moment, then press Print again.';
    // The print server would not give the desk the document (what IT is to check is staff's to read).
    case 'ipp_not_authorized':
      return 'the print server would not let this station count its pages, so it cannot be printed here. Ask at the desk.';
    default:
      return problem.message;
  }
}
