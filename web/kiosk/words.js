/**
 * What the patron reads: session and item states, refusals, dates and money in
 * plain words. Pure functions over the API's JSON; no DOM.
 */

import { minorOf, money } from '../common/money.js';

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
/** A calendar day without a time (`2026-12-12`), which Date reads as UTC midnight: shown in UTC. */
const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const TIME_FORMAT = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

/** A day alone: a receipt's due day, or an ILS's text that the API gives as its UTC midnight. */
const DAY_ALONE = /^\d{4}-?\d{2}-?\d{2}$/;

/**
 * An ILS date (`{date, text}`), an ISO string or nothing, as "12 Dec 2026": an instant on the day
 * it falls on here, a calendar day (a receipt's due day) as that day wherever the kiosk is.
 */
export function formatDate(value) {
  if (value === null || value === undefined) return null;
  const iso = typeof value === 'object' ? value.date : value;
  if (typeof iso === 'string') {
    const time = Date.parse(iso);
    const day = DAY_ALONE.test(typeof value === 'object' ? String(value.text ?? '').trim() : iso);
    if (!Number.isNaN(time)) return (day ? DAY_FORMAT : DATE_FORMAT).format(time);
  }
  if (typeof value === 'object' && typeof value.text === 'string' && value.text.trim())
    return value.text.trim();
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

/** An instant as "12 Dec 2026, 14:05". */
export function formatDateTime(value) {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) return typeof value === 'string' ? value : '';
  const date = new Date(time);
  return `${DATE_FORMAT.format(date)}, ${TIME_FORMAT.format(date)}`;
}

/**
 * `{amount: '7.50', currency: 'EUR'}` (the library system's decimal) as every page writes money:
 * "7.50 EUR", "500 JPY", "1.250 KWD" (web/common/money.js); an amount it cannot read, as given.
 */
export function formatMoney(amount, currency) {
  const minor = currency && /^[A-Z]{3}$/.test(currency) ? minorOf(String(amount), currency) : undefined;
  if (minor !== undefined) return money(minor, currency);
  return currency ? `${amount} ${currency}` : String(amount);
}

/** A countdown as "1:05". */
export function formatCountdown(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

const REFUSAL_WORDS = {
  patron_not_found: 'We could not find your library card.',
  invalid_pin: 'That PIN is not right.',
  card_expired: 'Your library card has expired.',
  card_lost: 'This card has been reported lost.',
  patron_blocked: 'Your library account is blocked.',
  excessive_fines: 'You have too many fines to borrow now.',
  too_many_items: 'You have borrowed as many items as you can.',
  too_many_overdue: 'You have too many overdue items.',
  renewal_not_allowed: 'This loan cannot be renewed.',
  item_not_found: 'The library does not know this item.',
  item_not_circulating: 'This item cannot be borrowed.',
  item_on_hold_for_another: 'This item is reserved for someone else.',
  already_checked_out: 'You have already borrowed this item.',
  checked_out_to_another: 'This item is on loan to someone else.',
  not_checked_out: 'This item is not on loan.',
  renewal_limit: 'This loan has been renewed as many times as allowed.',
  fee_required: 'A fee must be accepted first.',
  // Refused by Carrel, not the library system: a scanned barcode with a | or a control character.
  barcode_not_sendable: 'This barcode cannot be read here. Please take the item to staff.',
};

/** Why something was refused: the ILS's own words first, else a sentence for the reason code. */
export function refusalWords(reason, screenMessages) {
  const messages = (screenMessages ?? []).filter((m) => typeof m === 'string' && m.trim());
  if (messages.length > 0) return messages.join(' ');
  return REFUSAL_WORDS[reason] ?? 'The library system said no. Please ask staff.';
}

/**
 * One item's state as the patron reads it: `{text, tone, note?, action?}` where
 * `tone` is good | busy | attention | bad and `action` names a button to show
 * (`fee` to accept a fee, `process` to check out/return an item waiting on the pad,
 * `retry` to try it again). `library` says what the kiosk knows of the library system for an
 * item whose answer was lost: `away` (not answering now), `cannotTell` (Carrel answered that it
 * cannot say whether this item went through).
 */
export function itemWords(item, mode, library = {}) {
  const due = formatDate(item.dueDate);
  const notes = [];
  if (item.magneticMedia) notes.push('Magnetic media: do not put it through the desensitiser.');
  switch (item.state) {
    case 'on_pad':
      return {
        text: mode === 'return' ? 'On the pad — ready to return' : 'On the pad — ready to borrow',
        tone: 'busy',
        action: 'process',
      };
    case 'pending':
      return { text: mode === 'return' ? 'Returning…' : 'Checking out…', tone: 'busy' };
    case 'incomplete_set': {
      const parts = item.set?.parts ?? 0;
      const onPad = item.set?.onPad;
      const count = parts > 0 ? `all ${parts} parts` : 'all its parts';
      const seen = onPad !== undefined && parts > 0 ? ` (${onPad} of ${parts} on the pad)` : '';
      return { text: `Place ${count} on the pad${seen}`, tone: 'attention' };
    }
    case 'fee_required': {
      // The amount comes with the item when the session knows it; otherwise the ILS's words say it.
      const fee = item.fee ? formatMoney(item.fee.amount, item.fee.currency) : null;
      const messages = item.screenMessages.filter((m) => typeof m === 'string' && m.trim());
      return {
        text: fee
          ? `A fee of ${fee} applies to this item`
          : messages.join(' ') || 'A fee applies to this item',
        tone: 'attention',
        note: fee ? messages.filter((m) => !/fee/i.test(m)).join(' ') || undefined : undefined,
        action: 'fee',
        fee,
      };
    }
    case 'checked_out': {
      const what = item.renewal ? 'Renewed' : 'Checked out';
      if (item.offline) notes.push('Recorded while the library system is away; it will be sent later.');
      if (item.fee) notes.push(`A fee of ${formatMoney(item.fee.amount, item.fee.currency)} was charged.`);
      return {
        text: due ? `${what} — due ${due}` : `${what} — the due date will follow`,
        tone: 'good',
        note: notes.join(' ') || undefined,
      };
    }
    case 'checked_in': {
      if (item.sortBin) notes.push(`Put it in the bin marked ${item.sortBin}.`);
      if (item.alert?.message) notes.push(item.alert.message);
      if (item.offline) notes.push('Recorded while the library system is away; it will be sent later.');
      return { text: 'Returned', tone: 'good', note: notes.join(' ') || undefined };
    }
    case 'refused':
      return { text: `Refused: ${refusalWords(item.reason, item.screenMessages)}`, tone: 'bad' };
    case 'security_failed':
      return {
        text: 'Put it back on the pad',
        tone: 'attention',
        note: 'The item was not fully processed. Place it on the pad again.',
      };
    case 'failed':
      // The request reached the library system and its answer was lost: it may have been done.
      // Carrel asks the library system before trying it again, so trying again is safe once the
      // library system answers; staff are needed only when Carrel said it cannot tell.
      if (item.answerLost) {
        const notSure = mode === 'return' ? 'Not sure it was returned' : 'Not sure it was checked out';
        const messages = item.screenMessages.join(' ') || undefined;
        if (library.cannotTell) return { text: `${notSure} — please ask staff`, tone: 'bad', note: messages };
        if (library.away)
          return {
            text: `${notSure} — the library system is not answering`,
            tone: 'attention',
            note: 'You can try again here when it answers.',
          };
        return {
          text: notSure,
          tone: 'attention',
          note: `The library system's answer did not reach the kiosk. Press Try again: the kiosk first checks whether it went through, so it is not done twice.`,
          action: 'retry',
        };
      }
      // Not done (the library system could not be reached). While the kiosk knows it is away, the
      // patron is told so, and offered Try again once it answers (a press before then fails again).
      if (library.away)
        return {
          text: `${mode === 'return' ? 'Not returned' : 'Not checked out'} — the library system is not answering`,
          tone: 'attention',
          note: 'You can try again here when it answers, or ask staff.',
        };
      // Trying again may work.
      return {
        text: 'Could not be done now — try again in a moment, or ask staff',
        tone: 'bad',
        note: item.screenMessages.join(' ') || undefined,
        action: 'retry',
      };
    default:
      return { text: String(item.state), tone: 'busy' };
  }
}

/** A renewal's outcome: `{text, tone, note?}`. */
export function renewalWords(renewal) {
  if (renewal.ok) {
    const due = formatDate(renewal.dueDate);
    return { text: due ? `Renewed — due ${due}` : 'Renewed', tone: 'good' };
  }
  if (renewal.answerLost)
    return {
      text: 'Not sure it was renewed — the library system did not answer',
      tone: 'attention',
      note: 'Please ask staff to check it.',
    };
  if (renewal.reason === 'session_ended')
    return { text: 'Not renewed — your session ended', tone: 'attention' };
  if (renewal.notTried || String(renewal.reason ?? '').startsWith('ils_'))
    return {
      text: 'Not renewed yet — the library system is not answering',
      tone: 'attention',
      note: 'Press “Renew my loans” again when it answers, or ask staff.',
    };
  return { text: `Not renewed: ${refusalWords(renewal.reason, renewal.screenMessages)}`, tone: 'bad' };
}

/**
 * "Renew my loans" refused outright: the library system says her account may not renew now (a
 * blocked card, fines over the limit, renewals suspended), so none of her loans was asked. One
 * sentence: its own words, else ours. Undefined for any other problem.
 */
export function renewalsRefusedWords(problem) {
  if (problem?.status !== 409 || typeof problem.reason !== 'string') return undefined;
  const messages = (problem.screenMessages ?? []).filter((m) => typeof m === 'string' && m.trim());
  return messages.length > 0
    ? messages.join(' ')
    : 'Your account cannot renew loans: please ask at the desk.';
}

/**
 * What the patron reads once "Renew my loans" has answered: how many were renewed, and — when the
 * library system stopped answering half-way — that those shown renewed are renewed, and what to do.
 */
export function renewalSummary(renewals) {
  if (renewals.length === 0) return '';
  const renewed = renewals.filter((renewal) => renewal.ok).length;
  const stopped = renewals.some(
    (renewal) =>
      !renewal.ok &&
      (renewal.notTried || renewal.answerLost || String(renewal.reason ?? '').startsWith('ils_')),
  );
  const done = `${renewed} of ${plural(renewals.length, 'loan')} renewed.`;
  if (!stopped) return done;
  return `${done} The library system stopped answering: the loans shown as renewed are renewed. Press “Renew my loans” again when it answers to renew the others.`;
}

/**
 * Items the session could not settle, as it ends: one whose checkout (or return) reached the
 * library system and whose answer never came back (the patron may leave with an item not lent to
 * her, its tag still secured, or leave one not returned), and one that could not be done at all
 * (the library system away: a return left on the pad stays on her loans). She is told to take them
 * to staff; '' when there are none.
 */
export function unsettledItemsWords(items, mode) {
  const returning = mode === 'return';
  const done = returning ? 'returned' : 'checked out';
  const failed = items.filter((item) => item.state === 'failed');
  const unsure = failed.filter((item) => item.answerLost);
  const notDone = failed.filter((item) => !item.answerLost);
  const sentences = [];
  if (unsure.length > 0) {
    const { what, was, them } = itemsNamed(unsure);
    sentences.push(
      `We could not confirm that ${what} ${was} ${done}. ${
        returning ? `Please hand ${them} to staff.` : `Please show ${them} to staff before you leave.`
      }`,
    );
  }
  if (notDone.length > 0) {
    const { what, was, them } = itemsNamed(notDone);
    sentences.push(
      `${what.charAt(0).toUpperCase()}${what.slice(1)} ${was} not ${done}. ${
        returning ? `Please hand ${them} to staff.` : `Please leave ${them} here, or ask staff.`
      }`,
    );
  }
  return sentences.join(' ');
}

function itemsNamed(items) {
  const names = items.map((item) => item.title || `item ${item.item}`);
  const one = items.length === 1;
  return {
    what: one ? names[0] : `${items.length} items (${names.join(', ')})`,
    was: one ? 'was' : 'were',
    them: one ? 'it' : 'them',
  };
}

/** Sentences about the patron's account: blocks, fines, overdue loans, holds to collect. */
export function patronNotes(patron) {
  const notes = [];
  if (patron.blocked) {
    const why = patron.screenMessages.length
      ? patron.screenMessages.join(' ')
      : patron.reasons
          .map((r) => REFUSAL_WORDS[r])
          .filter(Boolean)
          .join(' ');
    notes.push({ text: `You cannot borrow at the moment. ${why || 'Please ask staff.'}`, tone: 'bad' });
  } else {
    for (const message of patron.screenMessages) notes.push({ text: message, tone: 'info' });
  }
  if (Number(patron.fines.total) > 0) {
    notes.push({
      text: `You have fines of ${formatMoney(patron.fines.total, patron.fines.currency)}.`,
      tone: 'attention',
    });
  }
  const { overdue, holdsAvailable } = patron.counts;
  if (overdue > 0) notes.push({ text: `You have ${plural(overdue, 'overdue item')}.`, tone: 'attention' });
  if (holdsAvailable > 0) {
    notes.push({
      text: `${plural(holdsAvailable, 'reserved item')} ready for you to collect.`,
      tone: 'info',
    });
  }
  return notes;
}

/**
 * Why a request failed, for the patron: a sentence per problem code; `mode` is the session's
 * (checkout or return), for the words about what it did.
 */
export function problemWords(problem, mode) {
  switch (problem.code) {
    case 'patron_not_found':
      return 'We could not find that library card. Check the number and try again.';
    case 'invalid_pin':
      return 'That PIN is not right. Please try again.';
    case 'pin_required':
      return 'Please enter your PIN.';
    case 'patron_card_not_found':
      return 'Your library card is not on the pad. Place it on the pad and try again.';
    case 'patron_card_ambiguous':
      return 'There is more than one library card on the pad. Leave only the card of the person borrowing, then try again.';
    case 'patron_scan_not_found':
      return 'Please scan your library card again, then enter your PIN.';
    case 'session_ended':
    case 'session_not_found':
      // Ended (nothing happened for a while, or Carrel restarted) as the patron pressed.
      return mode === 'return'
        ? 'Your session has ended. Items shown as returned are returned. To return more, start again.'
        : 'Your session has ended. Items already checked out are yours to take.';
    case 'pad_in_use':
    case 'scanner_in_use':
      return 'This kiosk is busy with another session. Please try again in a moment or ask staff.';
    case 'item_outcome_unknown':
      // Its checkout (or return) reached the library system, whose answer was lost, and it cannot be asked now.
      return 'The library system is not answering, so we cannot tell whether that item went through. Please ask staff.';
    case 'ils_offline':
    case 'ils_timeout':
    case 'ils_connection_lost':
    case 'ils_busy':
    case 'ils_login_refused':
      // The library system is away, or did not answer in time: the patron can try again later.
      return 'The library system is not answering just now. Please try again in a moment, or ask staff.';
    case 'device_not_found':
      return 'This kiosk is not set up correctly. Please ask staff.';
    case 'network':
      return 'The kiosk cannot reach the library system. Please ask staff.';
    case 'unauthorized':
    case 'forbidden':
      return 'This kiosk is not allowed to do that. Please ask staff.';
    default:
      if (problem.screenMessages?.length) return problem.screenMessages.join(' ');
      if (problem.reason && REFUSAL_WORDS[problem.reason]) return REFUSAL_WORDS[problem.reason];
      return problem.status >= 500
        ? 'Something went wrong. Please try again or ask staff.'
        : problem.detail || problem.title || 'That did not work. Please try again.';
  }
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
