/**
 * "Renew my loans" on the kiosk: Carrel renews the loans the patron had before the session one by
 * one, and the page shows each as it comes back (the session's updates), how far along it is, and
 * what came of it. Finish waits until her loans are done. Built only on Carrel's public API.
 */
import { Problem } from './api.js';
import { element, renewalRow } from './rows.js';
import { problemWords, renewalSummary, renewalsRefusedWords } from './words.js';

/**
 * The renewals part of the session screen. `page` gives what it needs of the page: `api`, `$`,
 * `say(id, text)`, `session()` (the session shown), `itemTitle(item)` (a title the page knows),
 * `touch()` (activity) and `shownElsewhere(error)` (the session moved to another screen).
 */
export function loanRenewals(page) {
  const { api, $, say } = page;
  /** The renewals of this session shown to the patron, by item: the last outcome, a renewal kept. */
  let shown = new Map();
  /** "Renew my loans" asked and not answered yet. */
  let pending = false;
  /** Its answer came: a `renewing` in a session update arriving after it is old news. */
  let answered = false;

  /** Renewals as they come (the session's, or an answer's): the last outcome per loan, one renewed kept renewed. */
  function take(renewals) {
    for (const renewal of renewals) {
      const before = shown.get(renewal.item);
      if (before?.ok && !renewal.ok) continue;
      shown.set(renewal.item, renewal);
    }
  }

  /**
   * The renewals list, and while her loans are being renewed one by one, how far along: the patron
   * sees each loan come back, not a screen that stands still. Finish waits until they are done.
   */
  function render() {
    const list = $('renewals');
    const rows = [...shown.values()].map((renewal) => renewalRow(renewal, page.itemTitle(renewal.item)));
    if (rows.length > 0) list.replaceChildren(...rows);
    list.hidden = list.children.length === 0;
    const progress = answered ? undefined : page.session()?.renewing;
    const running = pending || progress !== undefined;
    if (running)
      say(
        'renew-status',
        progress
          ? `Renewing your loans: ${progress.done} of ${progress.total} done…`
          : 'Looking up your loans…',
      );
    $('renew-all').disabled = running;
    $('finish').disabled = running;
  }

  async function renew() {
    const session = page.session();
    if (pending || !session) return;
    say('session-error', '');
    pending = true;
    answered = false;
    render();
    try {
      const { renewals } = await api.renew(session.id);
      page.touch();
      answered = true;
      take(renewals);
      say(
        'renew-status',
        renewals.length === 0 && shown.size > 0
          ? 'There is nothing more to renew: your loans are listed below.'
          : renewalSummary(renewals),
      );
      if (renewals.length === 0 && shown.size === 0)
        $('renewals').replaceChildren(element('li', { class: 'item' }, 'You have no other loans to renew.'));
    } catch (error) {
      say('renew-status', '');
      if (page.shownElsewhere(error)) return;
      if (!(error instanceof Problem)) throw error;
      say('session-error', renewalsRefusedWords(error) ?? problemWords(error, page.session()?.mode));
    } finally {
      pending = false;
      render();
    }
  }

  /** A new patron: nothing of the last one's renewals is left on the screen. */
  function reset() {
    shown = new Map();
    pending = false;
    answered = false;
    $('renewals').replaceChildren();
    $('renewals').hidden = true;
    say('renew-status', '');
    $('renew-all').disabled = false;
  }

  return { take, render, renew, reset };
}
