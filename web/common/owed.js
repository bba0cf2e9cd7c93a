/**
 * Money the desk owes patrons from their payments at a kiosk or release station: coins and notes
 * beyond what was due, or paid for a fee the library system would not take (paid meanwhile
 * elsewhere). One list, drawn alike on the device dashboard and at the print desk: how much, to
 * whom, why, when (with the payment's id, as its receipt prints it), and what to do — hand it back
 * from the cash box, then press Paid out, which records it once however often it is pressed.
 */
import { newRequestId, Problem } from './carrel-api.js';
import { deskFormat } from './desk-clock.js';
import { money } from './money.js';

/** Why a list is there, above its items. */
const INTRO =
  'Payments at a kiosk or release station that took more than went to fees or the print account. ' +
  'Each says why; hand the money back from the cash box, then press Paid out.';

/**
 * The list of money owed to patrons in `box` (an element holding its heading and the `list`),
 * read with `api` (an ApiClient with a staff token). Returns `show()`, which reads it again: the
 * box stays hidden while nothing is owed, or when it cannot be read; and `hide()`, which hides it
 * and the words said beside it.
 */
export function owedToPatrons(api, { box, list }) {
  /** Request ids of Paid out, by payment and amount: pressed again after a lost answer, it is recorded once. */
  const payoutIds = new Map();
  if (!box.querySelector('.owed-intro')) {
    const intro = document.createElement('p');
    intro.className = 'hint owed-intro';
    intro.textContent = INTRO;
    list.before(intro);
  }
  // What a press found done meanwhile is said beside the list, not in the payment's item: the
  // item leaves with the next read of the list (every few seconds), and its words with it.
  let said = box.nextElementSibling?.classList.contains('owed-said') ? box.nextElementSibling : undefined;
  if (!said) {
    said = paragraph('said owed-said', '');
    said.setAttribute('role', 'status');
    said.hidden = true;
    box.after(said);
  }
  const showSaid = (text) => {
    said.textContent = text ?? '';
    said.hidden = !text;
  };

  async function show() {
    let payments;
    try {
      ({ payments } = await api.call('GET', '/api/v1/payments/owed'));
    } catch {
      return;
    }
    // A press under way keeps its item (and its words) until it is answered.
    if (list.querySelector('button:disabled')) return;
    list.replaceChildren(...payments.map(owedItem));
    box.hidden = payments.length === 0;
  }

  function owedItem(payment) {
    const owed = payment.overpayment.owedToPatronMinor - payment.overpayment.paidOutMinor;
    const item = document.createElement('li');
    item.dataset.payment = payment.id;
    const what = paragraph(
      'what',
      `${money(owed, payment.currency)} owed to ${payment.patron.name || 'the patron'}`,
    );
    const why = paragraph('why', reasonsOf(payment).join(' '));
    const when = paragraph('said', whenPaid(payment));
    const todo = paragraph(
      'todo',
      `Hand ${money(owed, payment.currency)} back to the patron from the cash box, then press Paid out.`,
    );
    const outcome = paragraph('outcome', '');
    outcome.setAttribute('role', 'status');
    const actions = document.createElement('div');
    actions.className = 'actions';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Paid out';
    // One per payment: a screen reader's list of buttons says whose money each records.
    button.setAttribute(
      'aria-label',
      `Paid out: ${money(owed, payment.currency)} to ${payment.patron.name || 'the patron'}, payment ${payment.id}`,
    );
    button.addEventListener('click', () => void payOut(payment, owed, button, outcome));
    actions.append(button);
    item.append(what, why, when, todo, actions, outcome);
    return item;
  }

  async function payOut(payment, amountMinor, button, outcome) {
    const key = `${payment.id}:${amountMinor}`;
    if (!payoutIds.has(key)) payoutIds.set(key, newRequestId());
    button.disabled = true;
    showSaid();
    outcome.textContent = 'Recording…';
    try {
      await api.call('POST', `/api/v1/payments/${encodeURIComponent(payment.id)}/payouts`, {
        amountMinor,
        requestId: payoutIds.get(key),
      });
      payoutIds.delete(key);
      button.disabled = false;
      await show();
    } catch (error) {
      button.disabled = false;
      if (error instanceof Problem && error.code === 'payout_invalid') {
        // Paid out meanwhile (at the other page, another desk): said beside the list, where it stays
        // when the list is read again — by whom, how much, when, and that this press changed nothing.
        outcome.textContent = '';
        showSaid(await paidMeanwhileWords(payment, amountMinor));
        await show();
        return;
      }
      outcome.textContent = failureWords(error);
    }
  }

  /** A payout this page pressed for, found recorded meanwhile elsewhere: who paid out what and when, in words. */
  async function paidMeanwhileWords(payment, amountMinor) {
    const owing = `The ${money(amountMinor, payment.currency)} owed to ${payment.patron.name || 'the patron'} (payment ${payment.id})`;
    let now;
    try {
      now = await api.call('GET', `/api/v1/payments/${encodeURIComponent(payment.id)}`);
    } catch {
      return `${owing} was already paid out, at least in part, at another desk or page: nothing was changed. The list is read again and shows what is left.`;
    }
    const payouts = (now.payouts ?? []).map(
      (payout) => `${money(payout.amountMinor, now.currency)} ${byWhom(payout.by)} at ${dateTime(payout.at)}`,
    );
    const who = payouts.length > 0 ? ` (${payouts.join('; ')})` : '';
    const left = now.overpayment.owedToPatronMinor - now.overpayment.paidOutMinor;
    const rest =
      left > 0 ? `${money(left, now.currency)} is still owed, shown in the list.` : 'it has left the list.';
    return `${owing} was already paid out at another desk or page${who}: nothing was changed, and ${rest}`;
  }

  /** Hides the list and the words beside it (the page can no longer read it again: its token refused). */
  function hide() {
    box.hidden = true;
    showSaid();
  }

  return { show, hide };
}

/** Who, as the desk keeps it: the name of a staff token, or "at this desk" on a desk without tokens. */
function byWhom(by) {
  return by === 'at this desk' ? by : `by ${by}`;
}

/** A time the desk sent, its date and time as the desk's clock read it (in its time zone, not this PC's). */
function dateTime(iso) {
  const at = new Date(iso);
  return `${deskFormat(at, 'date')} ${deskFormat(at, 'time')}`;
}

function failureWords(error) {
  if (!(error instanceof Problem)) return `Not recorded: ${String(error)}. Press Paid out again.`;
  if (error.code === 'network') return 'The desk did not answer: press Paid out again (it is recorded once).';
  if (error.status === 401 || error.status === 403)
    return 'Not recorded: this page’s token may not record payouts (a staff token is needed).';
  return `Not recorded: ${error.message}. Press Paid out again.`;
}

function paragraph(className, text) {
  const said = document.createElement('p');
  said.className = className;
  said.textContent = text;
  return said;
}

/** Why the payment owes it, in the desk's words: a fee the library system refused, money beyond what was due. */
function reasonsOf(payment) {
  const reasons = [];
  for (const line of payment.lines) {
    if (line.kind !== 'fee' || line.state !== 'refused' || line.paidMinor <= 0) continue;
    const fee = line.description ? ` “${line.description}”` : '';
    reasons.push(
      `${money(line.paidMinor, payment.currency)} was paid for the fee${fee}, which the library system did not take (it may have been paid elsewhere meanwhile).`,
    );
  }
  const refused = payment.lines
    .filter((line) => line.kind === 'fee' && line.state === 'refused')
    .reduce((sum, line) => sum + line.paidMinor, 0);
  const excess = payment.overpayment.owedToPatronMinor - refused;
  if (excess > 0) reasons.push(`${money(excess, payment.currency)} went in beyond what was due.`);
  return reasons;
}

/** What the payment was and when it ended, with its id as its receipt prints it. */
function whenPaid(payment) {
  const what = payment.purpose === 'print-topup' ? 'A print top-up' : 'A payment of fees';
  return `${what}, ${dateTime(payment.endedAt ?? payment.startedAt)} (payment ${payment.id} on its receipt).`;
}
