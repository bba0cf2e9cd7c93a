/**
 * The offline journal's conflicts on the device dashboard (staff): each transaction the library
 * system would not take as it was sent — what it was, why, and the ILS's own words — with Send again
 * and Discard to settle it. Never the patron.
 */
import { Problem } from '/common/carrel-api.js';
import { money } from '/common/money.js';

/** Why a transaction is in conflict, in the desk's words; the ILS's own words follow. */
const CONFLICT_REASONS = {
  item_checked_out_to_another: 'the ILS has the item out to another patron',
  item_borrower_unknown: 'the ILS has the item out, and would not say to whom',
  patron_missing: 'no patron was recorded',
  restored_from_backup: 'restored from a backup: the ILS may have it already',
  patron_unknown: 'the ILS does not know the patron',
  patron_blocked: 'the ILS has the patron blocked',
  patron_expired: "the patron's card has expired at the ILS",
  item_unknown: 'the ILS does not know the item',
  item_on_hold_for_another: 'the item is on hold for another patron',
  fee_required: 'the ILS wants a fee paid first',
  ils_refused: 'the ILS refused it',
  fee_changed: 'the fee changed at the ILS meanwhile: see whether the payment is there',
  fee_unreadable: 'the ILS would not say what the fee owes: see whether the payment is there',
  fee_not_outstanding: 'the ILS has nothing owing on the fee: see whether the payment is there',
  fee_replay_unsupported: 'this desk cannot send a fee payment to the ILS: record it there',
  block_replay_unsupported: 'this desk cannot send a card block to the ILS: block the card there',
  ils_bad_request:
    'the desk could not send it to the ILS as it is (a field too long, or a letter its character set lacks)',
  ils_resend_limit:
    "the ILS could not read it (it kept asking for it again): check the charset and error detection of the desk's ILS account against the ILS's SIP2 settings",
  held_behind_unreadable:
    'it waits for an earlier transaction of the same item or patron that the ILS could not read',
};
/** SIP2 payment types (BT) by code; another code is the ILS's own. */
const PAID_BY = { '00': 'in cash', '01': 'by VISA', '02': 'by credit card' };
const KINDS = { checkout: 'Checkout', checkin: 'Checkin', feePaid: 'Fee payment', blockPatron: 'Card block' };

/**
 * What a journaled transaction was, in the desk's words: the item a checkout or checkin is about; a
 * payment's amount, how it was paid and the fee it is for; never the patron.
 */
function transactionWhat(tx) {
  const kind = KINDS[tx.kind] ?? tx.kind;
  if (tx.item) return `${kind} of item ${tx.item}`;
  if (tx.kind === 'feePaid' && tx.fee) {
    const { amountMinor, currency, paymentType, id } = tx.fee;
    const paid =
      paymentType === undefined ? '' : ` ${PAID_BY[paymentType] ?? `by payment type ${paymentType}`}`;
    return `${kind} of ${money(amountMinor, currency)}${paid} ${id ? `for fee ${id}` : 'on the account'}`;
  }
  if (tx.kind === 'blockPatron' && tx.block) return tx.block.cardRetained ? `${kind}, the card kept` : kind;
  return kind;
}

/**
 * The conflicts' box. `page` gives what it needs of the dashboard: `api`, `box` and `list` (the
 * box and its list), `said` (a status line beside the box: what became of the last one settled),
 * `heading` (where the keyboard goes once none is left), `time(iso)` (a time the desk sent, in its
 * words), `unanswered(error)` (a call the desk did not answer), `notAnswering()` (say so and read
 * the desk again) and `refreshDesk()` (read the desk's figures and lists again, once settled). Its
 * `show()` reads and draws them; its `hide()` hides the box once the desk has none, and empties it:
 * what a press said of the last one ("Discarding…", its buttons off) is not left in it for the next
 * conflict's box.
 */
export function offlineConflicts(page) {
  const { api, box, list, said, heading, time, unanswered, notAnswering, refreshDesk } = page;
  /** The conflict and action a keyboard's user pressed, until the press is over: the keyboard goes on from there. */
  let pressed = null;

  async function show() {
    let transactions;
    try {
      ({ transactions } = await api.call('GET', '/api/v1/offline/transactions?state=conflict'));
    } catch {
      return;
    }
    if (transactions.length === 0) return hide();
    // A conflict that reads as before keeps its item: the keyboard's place on it, a press under way
    // and what its buttons said are not wiped by the desk's read every 15 s.
    const place = keyboardPlace();
    const before = [...list.children];
    const shown = new Map(before.map((item) => [item.dataset.transaction, item]));
    const items = transactions.map((tx) => {
      const shape = JSON.stringify([tx.kind, tx.item, tx.fee, tx.block, tx.at, tx.reason, tx.message]);
      const kept = shown.get(tx.id);
      if (kept?.dataset.shape === shape) return kept;
      const item = conflictItem(tx);
      item.dataset.shape = shape;
      return item;
    });
    if (items.length !== before.length || items.some((item, at) => before[at] !== item)) {
      list.replaceChildren(...items);
      if (place) keepKeyboard(place, before, items);
    }
    box.hidden = false;
  }

  function hide() {
    const place = keyboardPlace();
    list.replaceChildren();
    box.hidden = true;
    if (place) heading.focus();
  }

  /** The conflict and action (`retry`, `discard`) the keyboard is on, or pressed; null when it is elsewhere. */
  function keyboardPlace() {
    const button = document.activeElement;
    if (button instanceof HTMLButtonElement && list.contains(button))
      return { id: button.closest('li').dataset.transaction, action: button.dataset.action };
    return pressed;
  }

  /**
   * The list drawn anew under the keyboard: it stays on its conflict's button; that conflict gone
   * (settled here or at another desk), on the same button of the next one (else the one before).
   */
  function keepKeyboard(place, before, items) {
    const now = new Map(items.map((item) => [item.dataset.transaction, item]));
    const at = before.findIndex((item) => item.dataset.transaction === place.id);
    const nearest = [place.id, ...before.slice(at + 1).map((item) => item.dataset.transaction)]
      .concat(
        before
          .slice(0, Math.max(at, 0))
          .reverse()
          .map((item) => item.dataset.transaction),
      )
      .find((id) => now.has(id));
    const button = nearest && now.get(nearest).querySelector(`button[data-action="${place.action}"]`);
    (button && !button.disabled ? button : heading).focus();
  }

  function conflictItem(tx) {
    const item = document.createElement('li');
    item.dataset.transaction = tx.id;
    const what = document.createElement('p');
    what.className = 'what';
    what.textContent = `${transactionWhat(tx)}, ${time(tx.at)}`;
    const why = document.createElement('p');
    why.className = 'why';
    why.textContent = CONFLICT_REASONS[tx.reason] ?? tx.reason ?? 'in conflict';
    item.append(what, why);
    if (tx.message) {
      const said = document.createElement('p');
      said.className = 'said';
      said.textContent = tx.message;
      item.append(said);
    }
    const actions = document.createElement('div');
    actions.className = 'actions';
    const outcome = document.createElement('p');
    outcome.className = 'outcome';
    outcome.setAttribute('role', 'status');
    for (const [label, action] of [
      ['Send again', 'retry'],
      ['Discard', 'discard'],
    ]) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = label;
      button.dataset.action = action;
      // One pair per conflict: a screen reader's list of buttons says which transaction each settles.
      button.setAttribute('aria-label', `${label}: ${what.textContent}`);
      button.addEventListener('click', () => void settle(tx.id, action, actions, outcome, what.textContent));
      actions.append(button);
    }
    item.append(actions, outcome);
    return item;
  }

  async function settle(id, action, actions, outcome, what) {
    const fromKeyboard = actions.contains(document.activeElement);
    if (fromKeyboard) pressed = { id, action };
    for (const button of actions.querySelectorAll('button')) button.disabled = true;
    outcome.textContent = action === 'retry' ? 'Sending again…' : 'Discarding…';
    say();
    try {
      await api.call('POST', `/api/v1/offline/transactions/${encodeURIComponent(id)}/resolve`, { action });
      // It leaves the list, its words with it: what became of it is said beside the list.
      say(`${action === 'retry' ? 'Sent again' : 'Discarded'}: ${what}.`);
      await refreshDesk();
      if (pressed?.id === id) pressed = null;
    } catch (error) {
      if (pressed?.id === id) pressed = null;
      outcome.textContent =
        error instanceof Problem && error.status === 403
          ? 'Needs a staff token'
          : error instanceof Problem && error.status === 409
            ? 'Settled already'
            : unanswered(error)
              ? `The desk did not answer (${error.message}): not known whether it was done. Press again.`
              : `Failed: ${error.message}`;
      for (const button of actions.querySelectorAll('button')) button.disabled = false;
      if (fromKeyboard && actions.isConnected)
        actions.querySelector(`button[data-action="${action}"]`).focus();
      if (unanswered(error)) notAnswering();
      if (error instanceof Problem && error.status === 409) await refreshDesk();
    }
  }

  function say(text) {
    said.textContent = text ?? '';
    said.hidden = !text;
  }

  return { show, hide };
}
