/**
 * Money the desk owes patrons from their payments at a kiosk or release station: coins and notes
 * beyond what was due, or paid for a fee the library system would not take (paid meanwhile
 * elsewhere). Staff at the print desk hand patrons' money over, so it is listed here as on the
 * device dashboard: how much, to whom, why, and what to do — hand it back from the cash box, then
 * press Paid out. Read again every 5 s while the page is in view.
 */
import { money } from '/common/money.js';
import { call, Problem, requestId } from '/common/print-api.js';

const $ = (id) => document.getElementById(id);

/** Request ids of Paid out, by payment and amount: pressed again after a lost answer, it is recorded once. */
const payoutIds = new Map();

/** Lists what is owed; `token` is the page's staff token. Stays hidden when nothing is (or it cannot be read). */
export async function showOwed(token) {
  let payments;
  try {
    ({ payments } = await call('GET', '/api/v1/payments/owed', undefined, token));
  } catch {
    return;
  }
  // A press under way keeps its item (and its words) until it is answered.
  if (document.querySelector('#owed button:disabled')) return;
  $('owed').replaceChildren(...payments.map((payment) => owedItem(payment, token)));
  $('owed-section').hidden = payments.length === 0;
}

function owedItem(payment, token) {
  const owed = payment.overpayment.owedToPatronMinor - payment.overpayment.paidOutMinor;
  const item = document.createElement('li');
  item.dataset.payment = payment.id;
  const what = document.createElement('p');
  what.className = 'what';
  what.textContent = `${money(owed, payment.currency)} owed to ${payment.patron.name || 'the patron'}`;
  const why = document.createElement('p');
  why.textContent = `${reasonsOf(payment).join(' ')} ${whenPaid(payment)}`;
  const todo = document.createElement('p');
  todo.textContent = `Hand ${money(owed, payment.currency)} back to the patron from the cash box, then press Paid out.`;
  const outcome = document.createElement('p');
  outcome.setAttribute('role', 'status');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Paid out';
  button.addEventListener('click', () => void payOut(payment, owed, button, outcome, token));
  item.append(what, why, todo, button, outcome);
  return item;
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

function whenPaid(payment) {
  const at = new Date(payment.endedAt ?? payment.startedAt);
  const what = payment.purpose === 'print-topup' ? 'A print top-up' : 'A payment of fees';
  return `${what}, ${at.toLocaleDateString()} ${at.toLocaleTimeString()}.`;
}

async function payOut(payment, amountMinor, button, outcome, token) {
  const key = `${payment.id}:${amountMinor}`;
  if (!payoutIds.has(key)) payoutIds.set(key, requestId());
  button.disabled = true;
  outcome.textContent = 'Recording…';
  try {
    await call(
      'POST',
      `/api/v1/payments/${encodeURIComponent(payment.id)}/payouts`,
      { amountMinor, requestId: payoutIds.get(key) },
      token,
    );
    payoutIds.delete(key);
    button.disabled = false;
    await showOwed(token);
  } catch (error) {
    button.disabled = false;
    if (error instanceof Problem && error.code === 'payout_invalid') {
      // Paid out meanwhile (at the dashboard, another desk): the list says what is left.
      outcome.textContent = 'This was already paid out: the list is read again.';
      await showOwed(token);
      return;
    }
    outcome.textContent =
      error instanceof Problem && error.code === 'network'
        ? 'The desk did not answer: press Paid out again (it is recorded once).'
        : `Not recorded: ${error instanceof Problem ? error.message : String(error)}. Press Paid out again.`;
  }
}
