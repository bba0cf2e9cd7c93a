/**
 * The print desk: find a patron's jobs and account ("where is my job?"),
 * refund a job, top up for cash, move the patron's credit out of the ILS,
 * pay out a balance, the daily cash report, and hand back money owed to patrons from their
 * payments (the pages' shared /common/owed.js).
 * Only the public API (staff scope). The account shown follows the print
 * queues by itself: a job held, printed or expired reloads it (events carry no
 * patron, so any print event does), as does coming back to the tab, and every
 * 5 s while it is in view (how a release ended is settled by the gateway after
 * the printer's last event).
 */
import { ApiClient } from '/common/carrel-api.js';
import { deskDay, deskFormat, deskTimeHeard, followDeskDay, heardDeskZone } from '/common/desk-clock.js';
// Money as the kiosk, the dashboard, the receipts and the reports write it ("0.10 EUR", "20 JPY"), with the currency's decimals.
import { amount, exponentOf, minorOf as minorIn, money } from '/common/money.js';
// Money owed to patrons, drawn as the device dashboard draws it.
import { owedToPatrons } from '/common/owed.js';
import { call, Problem, printApi, requestId, takeToken } from '/common/print-api.js';
import { showReport } from './report.js';
import {
  ENTRY_KINDS,
  EXPIRED_HELD,
  entryReason,
  releaseState,
  sentence,
  TRANSFER_PROBLEMS,
  TRANSFER_STATES,
} from './words.js';

const token = takeToken();
const $ = (id) => document.getElementById(id);
let patron;
let currency = 'EUR';
/** The balance of the account shown, in minor units, as last read. */
let balanceMinor = 0;

function say(text, ok = false) {
  $('alert').textContent = text ?? '';
  $('alert').className = ok ? 'alert ok' : 'alert';
  $('alert').hidden = !text;
}

/**
 * Carrel no longer takes the page's token (IT changed it, and restarted Carrel): what staff do. It
 * said "send a valid bearer token" at each press, and showed the account it could no longer read as
 * if it were current.
 */
const SIGN_IN_AGAIN =
  'Carrel no longer takes this page’s access token (it may have been changed): open the print desk again with its current link (ask IT for it). Nothing can be done here until then.';
/** Carrel stopped, or the network to it cut: what is shown is what was last read. */
const NOT_CONNECTED =
  'Not connected to Carrel — trying again… What is shown may be out of date until it is back.';
/**
 * A press Carrel did not answer (it stopped, or the network to it was cut, which answers nothing
 * and closes nothing: the press waited minutes, the money buttons held, saying nothing).
 */
const NO_ANSWER =
  'Carrel did not answer (it may be restarting, or the network to it is down), so it is not known whether that was done. Press the same button again in a moment: a top-up, refund, payout or transfer is sent again as the same request, and is never made twice.';
/** The page's link to Carrel: live (nothing said), away (reconnecting), or its token refused. */
function showLink(text) {
  $('link').textContent = text ?? '';
  $('link').hidden = !text;
}
function tokenRefused() {
  showLink(SIGN_IN_AGAIN);
  say();
  // What it shows can no longer be read again, so it is not left looking current — the words
  // beside the list of money owed (a payout found made meanwhile) included.
  $('account').hidden = true;
  owed.hide();
}
/** A failed call in the desk's words: a refused token says what to do, not the API's words to developers. */
function problemWords(error) {
  if (!(error instanceof Problem)) return String(error);
  if (error.status === 401) {
    tokenRefused();
    return SIGN_IN_AGAIN;
  }
  if (error.code === 'network') return NO_ANSWER;
  return error.message;
}

const cell = (text) => {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
};
/** A time the desk sent, with its date, as the desk's clock read it (in its time zone, not this PC's). */
const when = (iso) => deskFormat(new Date(iso), 'dateTime');
/** Who made an entry or a transfer, as Carrel says it: the staff token's name, or 'at this desk'. */
const staffOf = (name) => name ?? '';

/** An amount typed by staff in the account's currency (its own decimals: 5.00 EUR, 500 JPY) as minor units. */
function minorOf(text) {
  const minor = minorIn(String(text), currency);
  if (!minor)
    throw new Problem({
      code: 'amount_invalid',
      detail: `Type an amount such as ${amount(5 * 10 ** exponentOf(currency), currency)}`,
    });
  return minor;
}

/** The released jobs, each with its Refund; the focus back on `onRefund`'s (a release id), if given. */
function drawReleases(releases, onRefund) {
  $('releases').replaceChildren(
    ...releases.map((release) => {
      const tr = document.createElement('tr');
      const refund = document.createElement('button');
      refund.type = 'button';
      refund.textContent = 'Refund';
      // One per release: a screen reader's list of buttons says which print each refunds.
      refund.setAttribute('aria-label', `Refund: ${release.jobName || 'a print job'}, ${when(release.at)}`);
      refund.className = 'money';
      refund.dataset.spent = String(release.refundedMinor >= release.amountMinor);
      refund.disabled = release.refundedMinor >= release.amountMinor || moneyBusy();
      refund.dataset.release = release.id;
      const press = moneyAct(() => refundRelease(release));
      refund.addEventListener('click', () => {
        refundPressed = release.id;
        void press().finally(() => {
          refundPressed = undefined;
        });
      });
      const action = document.createElement('td');
      action.append(refund);
      tr.append(
        cell(when(release.at)),
        cell(release.jobName),
        cell(String(release.impressions)),
        cell(money(release.amountMinor, release.currency)),
        cell(money(release.refundedMinor, release.currency)),
        cell(releaseState(release)),
        cell(sentence(release.outcome)),
        action,
      );
      return tr;
    }),
  );
  if (onRefund !== undefined) {
    const again = [...$('releases').querySelectorAll('button')].find(
      (button) => button.dataset.release === onRefund,
    );
    (again && !again.disabled ? again : $('releases-title')).focus();
  }
}

/** The release whose Refund was pressed, until its refund is over: the focus goes back to it. */
let refundPressed;
/** What the released jobs' list was last drawn from. */
let releasesDrawn;

/** Shows the account of the patron typed; `quiet` keeps the alert (a reload, not a new search). */
async function find({ quiet = false } = {}) {
  if (!quiet) {
    say();
    patron = $('patron').value.trim();
    askPayout(false);
    // An amount typed for the patron before is not this one's to refund or top up.
    $('amount').value = '';
  }
  if (!patron) return;
  // Whose card it is is asked of the library system when staff press Find, not on every reload.
  const answer = await call('POST', '/api/v1/print/accounts/find', { patron, card: !quiet }, token);
  const { statement } = answer;
  currency = statement.currency;
  const example = amount(5 * 10 ** exponentOf(currency), currency);
  for (const id of ['amount', 'transfer-amount']) $(id).placeholder = example;
  $('account').hidden = false;
  $('balance').textContent = money(statement.balanceMinor, statement.currency);
  balanceMinor = statement.balanceMinor;
  // A payout being asked about says the balance as it is now (a job printed meanwhile).
  if (!$('payout-confirm').hidden) askPayout(true);
  if (answer.card) showCard(answer.card);
  $('held').replaceChildren(
    ...answer.jobs.map((job) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(job.queue),
        cell(job.name),
        cell(job.pages === null ? '?' : `${job.pages} × ${job.copies}`),
        // Why it cannot be released now (the printer unplugged, out of paper) beside its price: the
        // price alone said nothing of why the patron could not print it.
        // A job past its hold time the print server still holds (its cancel refused or unanswered)
        // is said as what it is and what staff can do, not as a price-less problem and a time gone.
        job.state === 'expired'
          ? cell(EXPIRED_HELD)
          : cell(
              [job.quote ? money(job.quote.amountMinor, job.quote.currency) : '', job.problem?.message ?? '']
                .filter(Boolean)
                .join(' — '),
            ),
        cell(job.state === 'expired' ? `Expired ${when(job.expiresAt)}` : when(job.expiresAt)),
      );
      return tr;
    }),
  );
  // The Refund a keyboard's user is on, or pressed, keeps the focus as the list is drawn again
  // (every 5 s, and after each refund): the button was replaced, the focus fell to the page's
  // body, Enter did nothing and the next Tab started from the top. One that can no longer be
  // pressed (refunded in full, or while money is on its way) gives it to the list's heading.
  const onRefund = $('releases').contains(document.activeElement)
    ? document.activeElement.dataset.release
    : refundPressed;
  // Not drawn again when nothing in it changed: a screen reader does not read the button again.
  const releasesNow = JSON.stringify([deskDay(), answer.releases]);
  if (releasesNow !== releasesDrawn) drawReleases(answer.releases, onRefund);
  releasesDrawn = releasesNow;

  // Transfers only where the desk can make them (or made some before it stopped being able to).
  $('transfer-section').hidden = !answer.transfersConfigured && answer.transfers.length === 0;
  $('transfer-list').hidden = answer.transfers.length === 0;
  $('transfers').replaceChildren(
    ...answer.transfers.map((transfer) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(when(transfer.createdAt)),
        cell(money(transfer.amountMinor, transfer.currency)),
        cell(TRANSFER_STATES[transfer.state](transfer)),
        cell(staffOf(transfer.staff)),
      );
      return tr;
    }),
  );
  const documents = new Map(answer.releases.map((release) => [release.id, release.jobName]));
  $('entries').replaceChildren(
    ...statement.entries.map((entry) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(when(entry.at)),
        cell(ENTRY_KINDS[entry.kind] ?? entry.kind),
        cell(money(entry.amountMinor, entry.currency)),
        cell(money(entry.balanceMinor, entry.currency)),
        cell(entryReason(entry, documents)),
        cell(staffOf(entry.staff)),
      );
      return tr;
    }),
  );
}

/**
 * Whose card it is, as the library system says: a mistyped number showed an empty account like any
 * other, and a top-up on it went to nobody. Money is not taken for a card the library does not know
 * (what such an account holds can still be paid out).
 */
function showCard(card) {
  const unknown = card.known === false;
  $('card-status').textContent =
    card.known === true
      ? `Card of ${card.name}.`
      : unknown
        ? `The library system does not know card “${patron}”. Check the number: no top-up or transfer is taken for it.`
        : 'The library system cannot be asked just now whose card this is: check the card before taking money.';
  $('card-status').className = unknown ? 'alert' : '';
  for (const id of ['deposit', 'transfer']) $(id).dataset.spent = String(unknown);
  showMoneyButtons();
}

async function refundRelease(release) {
  const left = release.amountMinor - release.refundedMinor;
  const typed = $('amount').value.trim();
  const amountMinor = typed ? minorOf(typed) : left;
  // In money, not the API's minor units ('at most 10 minor units of this job can still be refunded').
  const tooMuch = new Problem({
    code: 'refund_exceeds_charge',
    detail: `At most ${money(left, release.currency)} of “${release.jobName}” can still be refunded: nothing was refunded.`,
  });
  if (amountMinor > left) throw tooMuch;
  await moneyRequest('refund', { release: release.id, amountMinor }, (id) =>
    call(
      'POST',
      '/api/v1/print/releases/refund',
      { requestId: id, releaseId: release.id, amountMinor, reason: 'refunded at the desk' },
      token,
    ),
  ).catch((error) => {
    throw error instanceof Problem && error.code === 'refund_exceeds_charge' ? tooMuch : error;
  });
  say(`Refunded ${money(amountMinor, release.currency)}.`, true);
  // As after a top-up: left in the field, the amount was refunded again by the next Refund pressed
  // (meant in full, on another job).
  $('amount').value = '';
  await find({ quiet: true });
}

/** The desk or the ILS did not say whether it was done: the same request must be sent again, not a new one. */
const outcomeUnknown = (code) =>
  code === 'network' || code === 'ils_transfer_pending' || /^http_5/.test(code ?? '');

/**
 * The money operations (top-up, refund, payout, transfer) whose last attempt has no known
 * outcome, by kind: pressing the button again for the same patron, job and amount sends the same
 * request id, which the API answers with what it did the first time, so a lost answer never
 * credits, refunds or moves money twice. Anything else gets a new request id.
 */
const unsettled = new Map();
async function moneyRequest(kind, what, send) {
  const key = JSON.stringify(what);
  let attempt = unsettled.get(kind);
  if (attempt?.key !== key) {
    attempt = { key, requestId: requestId() };
    unsettled.set(kind, attempt);
  }
  try {
    const answer = await send(attempt.requestId);
    unsettled.delete(kind);
    return answer;
  } catch (error) {
    if (!(error instanceof Problem && outcomeUnknown(error.code))) unsettled.delete(kind);
    throw error;
  }
}

async function transferFromIls() {
  const amountMinor = minorOf($('transfer-amount').value);
  try {
    const answer = await moneyRequest('transfer', { patron, amountMinor }, async (id) => {
      const answer = await call(
        'POST',
        '/api/v1/print/accounts/transfers',
        { requestId: id, patron, amountMinor, currency },
        token,
      );
      // ils_transfer_pending comes back as a 202 problem.
      if (answer?.code) throw new Problem(answer);
      return answer;
    });
    $('transfer-amount').value = '';
    say(
      `Moved ${money(answer.amountMinor, answer.currency)} from the patron's credit in the library system: the print balance is ${money(answer.balanceMinor, answer.currency)}.`,
      true,
    );
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    say(TRANSFER_PROBLEMS[error.code] ?? problemWords(error));
    return;
  }
  await find({ quiet: true });
}

let reload;
/** Looks again at the account shown, once per burst of events. */
function follow() {
  if (!patron || reload) return;
  reload = setTimeout(() => {
    reload = undefined;
    find({ quiet: true }).then(
      // Read again: a link that was cut is back (the events' socket may not have noticed it gone).
      () => $('link').textContent === NOT_CONNECTED && showLink(),
      (error) => {
        if (error instanceof Problem && error.status === 401) tokenRefused();
        // Not answered (the network cut: the events' socket stays open, saying nothing): the
        // account is not left looking live.
        else if (error instanceof Problem && error.code === 'network') showLink(NOT_CONNECTED);
      },
    );
  }, 250);
}

let retryMs = 500;
/**
 * Follows the print queues' events. Carrel restarted or out of reach, the page says so and dials
 * again (0.5 s, doubling to 10 s); back, it reads the account again, as it is now. A token Carrel
 * no longer takes (closed 4401 once open) is said so, not retried in silence.
 */
function listen() {
  new ApiClient(location.origin, token).events(
    undefined,
    (message) => {
      if (message.event === 'snapshot') {
        // Let in (a refused token is closed after the handshake, before any snapshot).
        retryMs = 500;
        showLink();
        follow();
        owed.show();
      } else if (message.event === 'device.event' && message.data.type.startsWith('print.')) follow();
    },
    () => {},
    (event) => {
      if (event.code === 4401) tokenRefused();
      else showLink(NOT_CONNECTED);
      setTimeout(listen, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    },
  );
}
// Money owed to patrons from their payments is the desk's to hand back, whoever's account is shown.
const owed = owedToPatrons(printApi(token), {
  box: $('owed-section'),
  list: $('owed'),
});
owed.show();
listen();
setInterval(() => {
  if (document.visibilityState !== 'visible') return;
  follow();
  owed.show();
}, 5000);
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && follow());

const act = (work) => () => work().catch((error) => say(problemWords(error)));

/**
 * A money button pressed twice (a double click, a press that seemed not to take) moves the money
 * once: while one money request is on its way, and for a moment after its answer, the money
 * buttons are not pressed again. A second press landed after the first's answer and was sent as
 * a new request: a refund with an amount typed was made twice, and a top-up said 'Type an amount'
 * (the amount already cleared) as if it had not been made.
 */
const MONEY_PAUSE_MS = 1000;
let moneyInFlight = false;
let moneyPausedUntil = 0;
const moneyBusy = () => moneyInFlight || performance.now() < moneyPausedUntil;
function showMoneyButtons() {
  for (const button of document.querySelectorAll('button.money'))
    button.disabled = moneyBusy() || button.dataset.spent === 'true';
}
const moneyAct = (work) => {
  const run = act(work);
  return async () => {
    if (moneyBusy()) return;
    moneyInFlight = true;
    showMoneyButtons();
    try {
      await run();
    } finally {
      moneyInFlight = false;
      moneyPausedUntil = performance.now() + MONEY_PAUSE_MS;
      showMoneyButtons();
      setTimeout(showMoneyButtons, MONEY_PAUSE_MS + 10);
    }
  };
};

$('find').addEventListener(
  'click',
  act(() => find()),
);
$('patron').addEventListener('keydown', (event) => event.key === 'Enter' && act(() => find())());
$('deposit').addEventListener(
  'click',
  moneyAct(async () => {
    const amountMinor = minorOf($('amount').value);
    const answer = await moneyRequest('deposit', { patron, amountMinor }, (id) =>
      call(
        'POST',
        '/api/v1/print/accounts/deposit',
        { requestId: id, patron, amountMinor, currency, source: 'cash-desk' },
        token,
      ),
    ).catch((error) => {
      // A whole amount of more than 0 is refused only when it is more than the desk takes at once;
      // the API says so to developers, in minor units.
      throw error instanceof Problem && error.code === 'amount_invalid'
        ? new Problem({
            code: 'amount_invalid',
            detail: `${money(amountMinor, currency)} is more than one top-up may be: nothing was topped up.`,
          })
        : error;
    });
    say(`Topped up: the balance is ${money(answer.balanceMinor, answer.currency)}.`, true);
    $('amount').value = '';
    await find({ quiet: true });
  }),
);
/**
 * A payout hands the patron's whole balance over in cash: staff are asked first, with the amount
 * in the desk's currency (it was paid at one press, whatever the balance). `shown` false hides the
 * question.
 */
function askPayout(shown) {
  $('payout-confirm').hidden = !shown;
  if (!shown) return;
  const balance = money(balanceMinor, currency);
  $('payout-question').textContent =
    `Pay out ${balance} in cash? The print balance goes to ${money(0, currency)}.`;
  $('payout-yes').textContent = `Pay out ${balance}`;
}

$('payout').addEventListener(
  'click',
  act(async () => {
    say();
    // The balance as it is now, not as it was when the account was found.
    await find({ quiet: true });
    if (balanceMinor <= 0) {
      askPayout(false);
      say(`There is nothing to pay out: the balance is ${money(balanceMinor, currency)}.`);
      return;
    }
    askPayout(true);
    $('payout-no').focus();
  }),
);
$('payout-no').addEventListener('click', () => askPayout(false));
$('payout-yes').addEventListener(
  'click',
  moneyAct(async () => {
    const asked = balanceMinor;
    askPayout(false);
    let entry;
    try {
      // The amount staff were asked about goes with it: Carrel pays out that or nothing.
      entry = await moneyRequest('payout', { patron, amountMinor: asked }, (id) =>
        call('POST', '/api/v1/print/accounts/payout', { requestId: id, patron, amountMinor: asked }, token),
      );
    } catch (error) {
      if (error instanceof Problem && error.code === 'print_release_unsettled') {
        // A job of the patron may still be refunded (not printed, or not in full): paid out now, that
        // refund would land on a balance the patron was told was 0. Carrel names it and what to do;
        // the account is read again, so Released jobs shows where it stands.
        say(sentence(error.message));
        await find({ quiet: true });
        return;
      }
      if (!(error instanceof Problem && error.code === 'print_balance_changed')) throw error;
      // A job was charged or money put in between the question and the press: ask again.
      await find({ quiet: true });
      if (balanceMinor <= 0) {
        say(
          `Nothing was paid out: the balance changed meanwhile, and is now ${money(balanceMinor, currency)}.`,
        );
        return;
      }
      askPayout(true);
      say(
        `Nothing was paid out: the balance changed meanwhile (${money(asked, currency)} was asked). It is now ${money(balanceMinor, currency)}.`,
      );
      $('payout-no').focus();
      return;
    }
    say(`Paid out ${money(-entry.amountMinor, entry.currency)}.`, true);
    await find({ quiet: true });
  }),
);
$('transfer').addEventListener('click', moneyAct(transferFromIls));
// Today at the desk, whose days the report counts: this PC's clock may be a day off (no RTC battery).
// Its own day until Carrel has answered (the owed list, asked at once), unless staff chose one meanwhile;
// and the next day once the desk's midnight has passed (the page left open overnight, the PC woken
// in the morning): the day offered stays today's, unless staff chose another.
let offeredDay = deskDay();
$('date').value = offeredDay;
function offerDay(day) {
  if ($('date').value === offeredDay) $('date').value = day;
  offeredDay = day;
}
void deskTimeHeard.then(() => offerDay(deskDay()));
/**
 * The desk's time and time zone: its days and times are told in its zone, not this PC's (IT at
 * a regional office, a laptop left on its home zone offered tomorrow's report at the desk's 11 PM).
 * Heard, the day offered and the times shown are the desk's.
 */
async function askDesk() {
  const { timeZone } = await call('GET', '/api/v1/auth/caller', undefined, token);
  if (!heardDeskZone(timeZone)) return;
  offerDay(deskDay());
  owed.show();
  if (patron) await find({ quiet: true });
}
void askDesk().catch(() => {});
followDeskDay(askDesk, (day) => offerDay(day));
$('report').addEventListener(
  'click',
  act(async () => {
    showReport(
      await call('GET', `/api/v1/print/reports/daily?date=${$('date').value}`, undefined, token),
      $('report-out'),
    );
  }),
);
// The CSV is a file for a spreadsheet, saved as print-report-<day>.csv: it was written into the page.
$('csv').addEventListener(
  'click',
  act(async () => {
    const date = $('date').value;
    const text = await call(
      'GET',
      `/api/v1/print/reports/daily.csv?date=${date}`,
      undefined,
      token,
      'text/csv',
    );
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    link.download = `print-report-${date}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }),
);
