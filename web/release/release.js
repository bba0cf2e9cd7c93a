/**
 * The release station: a patron logs in with card and PIN (or, at a station
 * opened as `/release#pad=<rfid reader>`, lays the library card on the pad and
 * types the PIN; at one opened as `/release#scanner=<scanner>`, scans the card
 * there and types the PIN), sees the jobs waiting with pages, cost and page
 * one, prints one or all, sees the balance and what was charged. At a
 * station opened with `#cash=<coin acceptor>,<note validator>` the patron
 * also tops the balance up there with coins and notes (top-up.js). Only the
 * public API; large targets, no keyboard needed.
 *
 * This module is the patron's session: what is listed, what a press of Print does, Done. Beside it:
 * screen.js (the screens and the alert line), login.js (card and PIN), job-list.js (a job's row and
 * page one), words.js (what the patron is told) and top-up.js (coins and notes).
 */
// Money as the kiosk, the dashboard, the receipts and the reports write it ("0.10 EUR", "20 JPY"), with the currency's decimals.
import { money } from '/common/money.js';
import { call, Problem, requestId, takeToken } from '/common/print-api.js';
import { jobRow, keyOf, pageOnes } from './job-list.js';
import { patronLogin } from './login.js';
import { $, alertText, show, showOutcomes, watchLink } from './screen.js';
import { stationTopUp } from './top-up.js';
import { ILS_AWAY, released, releaseProblem, releaseState } from './words.js';

/** The station's RFID pad and scanner, from `#pad=…&scanner=…` (read before the token is taken out of the address). */
const station = new URLSearchParams(location.hash.replace(/^#/, ''));
const pad = station.get('pad') ?? undefined;
const scanner = station.get('scanner') ?? undefined;
/** The station's own coin and note acceptors (`#cash=coins-1,notes-1`): the patron tops up here with them. */
const cash = (station.get('cash') ?? '')
  .split(',')
  .map((id) => id.trim())
  .filter(Boolean);
/**
 * Where a patron whose balance is short adds money. It said 'at the print desk or the payment kiosk',
 * and the payment kiosk pays fees only: a patron sent there found no way to top up.
 */
const TOP_UP_HOW =
  cash.length > 0 ? 'Press Top up to add money here with coins and notes' : 'Top up at the print desk';
const token = takeToken();
/**
 * A patron who walks away without pressing Done is logged out after this long without a touch
 * (Carrel ends the session itself after two minutes idle): their name, balance and documents are
 * not left on the screen for the next person.
 */
const IDLE_LOGOUT_MS = 90_000;
let idleTimer;
function stillHere() {
  clearTimeout(idleTimer);
  if (session) idleTimer = setTimeout(logout, IDLE_LOGOUT_MS);
}
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, stillHere, true);
let session;
let jobs = [];
/** The balance last shown, for what a refusal says. */
let balance;
/** Each job's release keeps its request id, so a retry is the same release. */
const pending = new Map();

/**
 * While a release is on its way the Print buttons cannot be pressed again (a double press, or
 * Print all pressed beside a job's own Print, answered the first press with an error).
 */
let releasing = false;
/** Jobs sent to the printer from this screen: not offered again while the list still shows them. */
const sent = new Set();
function setReleasing(on) {
  releasing = on;
  // Print all with nothing it can print (the printer unplugged) did nothing at all when pressed, and
  // with nothing the balance covers it was refused job after job: it says why instead.
  const why = printAllWhy();
  $('release-all-why').textContent = why;
  $('release-all-why').hidden = why === '';
  $('release-all').disabled =
    on || why !== '' || !jobs.some((job) => job.problem === null && !sent.has(keyOf(job)));
  for (const button of document.querySelectorAll('#jobs button')) {
    const job = jobs.find((j) => keyOf(j) === button.closest('[data-job]')?.dataset.job);
    button.disabled = on || !job || job.problem !== null || sent.has(keyOf(job));
  }
}

/** Why Print all cannot be pressed now, in the patron's words; '' when it can (or when nothing is left to print). */
function printAllWhy() {
  const waiting = jobs.filter((job) => !sent.has(keyOf(job)));
  if (waiting.length === 0) return '';
  const printable = waiting.filter((job) => job.problem === null);
  if (printable.length === 0)
    return 'None of your documents can be printed just now: the reason is shown with each one.';
  if (balance && printable.every((job) => job.quote && job.quote.amountMinor > balance.balanceMinor))
    return `Your balance of ${money(balance.balanceMinor, balance.currency)} does not cover any of your documents. ${TOP_UP_HOW}, then print.`;
  return '';
}

/** Sends the jobs one after the other and says what became of each. */
async function releaseJobs(chosen) {
  if (releasing || !session) return;
  alertText();
  setReleasing(true);
  const outcomes = [];
  // Done pressed meanwhile: the answers still coming back are not shown to the next person.
  const mine = session;
  try {
    for (const job of chosen) {
      if (session !== mine) return;
      const outcome = await release(job);
      if (session !== mine) return;
      if (outcome.ended) {
        await logout();
        alertText('You were logged out. Log in again to print.');
        return;
      }
      if (outcome.sent) sent.add(keyOf(job));
      outcomes.push(outcome);
    }
    showOutcomes(outcomes);
  } finally {
    setReleasing(false);
  }
  // Read again once Print may be pressed again: with the link cut, this read waits for its
  // deadline, and Print (to send a release not known to be done again) was held that long as well.
  await refresh().catch(() => {});
}

const { forgetScannedPatron } = patronLogin({
  pad,
  scanner,
  token,
  page: {
    loggedIn(answer) {
      session = answer.session;
      stillHere();
    },
    refresh: () => refresh(),
  },
});
$('logout').addEventListener('click', logout);
$('release-all').addEventListener('click', () => releaseJobs(jobs.filter((j) => !j.problem)));

async function logout() {
  clearTimeout(idleTimer);
  // A top-up under way ends first: what was inserted goes on this patron's balance, and the
  // acceptors stop taking money before the next person stands here.
  await topUps.end();
  clearTimeout(followTimer);
  clearTimeout(countTimer);
  thumbnails.clear();
  const ended = session;
  session = undefined;
  jobs = [];
  balance = undefined;
  sent.clear();
  $('who').textContent = '';
  $('balance').textContent = '';
  for (const id of ['jobs', 'charged']) $(id).replaceChildren();
  showCharged(false);
  if (ended) await call('POST', '/api/v1/print/station/logout', { session: ended }, token).catch(() => {});
  alertText();
  forgetScannedPatron();
  show('screen-login');
}

/** Page ones already drawn, by job: the list shown again (a job counted meanwhile) does not ask again. */
const thumbnails = pageOnes({ token, session: () => session });

async function refresh() {
  const mine = session;
  const answer = await call('POST', '/api/v1/print/station/jobs', { session }, token);
  // A list asked for before Done filled the next person's screen with this patron's documents.
  if (session !== mine) return;
  jobs = answer.jobs;
  balance = answer.balance;
  $('balance').textContent = money(answer.balance.balanceMinor, answer.balance.currency);
  $('no-jobs').hidden = jobs.length > 0;
  $('release-all').hidden = jobs.length === 0;
  setReleasing(releasing);
  const list = $('jobs');
  list.replaceChildren(
    ...jobs.map((job) =>
      jobRow(job, {
        disabled: releasing || job.problem !== null || sent.has(keyOf(job)),
        onPrint: () => releaseJobs([job]),
      }),
    ),
  );
  for (const job of jobs) thumbnails.show(job);
  // A job whose pages are still being counted is shown again once they are: a patron who logged in
  // meanwhile saw 'pages not known' and a Print they could not press until they logged in again.
  // So is any job with a problem that may pass (the printer or the print server away for a moment,
  // the document refused until IT lets the desk read it): a Print left disabled for good over a
  // problem that had cleared left the patron to log in again.
  clearTimeout(countTimer);
  const counting = jobs.some((job) => job.problem?.code === 'print_job_pages_unknown');
  if (jobs.some((job) => job.problem !== null))
    countTimer = setTimeout(() => session && !releasing && refresh().catch(() => {}), counting ? 2000 : 5000);
  await showAccount();
}
let countTimer;

/** The balance and the last releases with how each ended. */
async function showAccount() {
  const mine = session;
  const account = await call('POST', '/api/v1/print/station/account', { session }, token);
  if (session !== mine) return;
  balance = { balanceMinor: account.statement.balanceMinor, currency: account.statement.currency };
  $('balance').textContent = money(balance.balanceMinor, balance.currency);
  setReleasing(releasing);
  const recent = account.releases.slice(0, 5);
  $('charged').replaceChildren(
    ...recent.map((r) => {
      const li = document.createElement('li');
      li.textContent = `${r.jobName}: ${r.impressions} page${r.impressions === 1 ? '' : 's'}, ${money(r.amountMinor, r.currency)} charged — ${releaseState(r)}`;
      return li;
    }),
  );
  // Nothing charged yet: no heading over an empty list.
  showCharged(recent.length > 0);
  // A job still on its way to the printer is followed until it ends (a printer that stops halfway
  // is refunded by Carrel a few seconds later): the patron sees the refund without touching anything.
  // So is one refunded at the desk whose rest is still being stopped at the printer (refunded in
  // full, it was 'refunded' and no longer followed): she sees whether any more pages came out.
  clearTimeout(followTimer);
  if (
    recent.some(
      (r) =>
        (r.state === 'charged' && !r.notFollowed) ||
        r.state === 'released' ||
        r.restCancelled?.ended === false,
    )
  )
    followTimer = setTimeout(() => session && showAccount().catch(() => {}), 2000);
}
let followTimer;

/** The "Charged" heading and its list, shown only when something has been charged. */
function showCharged(shown) {
  $('charged-title').hidden = !shown;
  $('charged').hidden = !shown;
}

/**
 * Charges and releases one job; what became of it in the patron's words, `sent` when the print
 * server took it, `ok` when it went or may have gone to the printer, or `ended` when Carrel had
 * ended the session.
 */
async function release(job) {
  const key = keyOf(job);
  if (!pending.has(key)) pending.set(key, requestId());
  try {
    const answer = await call(
      'POST',
      '/api/v1/print/station/release',
      { session, requestId: pending.get(key), queue: job.queue, jobId: job.jobId },
      token,
    );
    // print_release_pending is a 202 problem: charged, and printed or refunded once the print
    // server answers.
    if (answer?.code) throw new Problem(answer);
    pending.delete(key);
    // The next job of a Print all is told the balance as it is now, not as it was before this one.
    balance = answer.balance;
    return { sent: true, ...released(job, answer.release) };
  } catch (error) {
    // Not known whether it was done (the desk did not answer, or the print server has not yet):
    // Print again sends the same request, which is never charged twice.
    const unknown =
      error instanceof Problem && /^(network|print_release_pending|http_5)/.test(error.code ?? '');
    if (error instanceof Problem && !unknown) pending.delete(key);
    if (error instanceof Problem && error.code === 'station_session_expired') return { ended: true };
    return {
      ok: error instanceof Problem && error.code === 'print_release_pending',
      text:
        error instanceof Problem
          ? releaseProblem(error, job, { balance, topUpHow: TOP_UP_HOW })
          : `“${job.name}”: ${String(error)}`,
    };
  }
}

/** Topping up with the station's coins and notes (top-up.js). */
const topUps = stationTopUp({
  cash,
  token,
  $,
  show,
  alertText,
  refresh,
  logout,
  showAccount,
  stillHere,
  ilsAway: ILS_AWAY,
  session: () => session,
  balance: () => balance,
  releasing: () => releasing,
});

/**
 * Carrel stopped and came back: said in words meanwhile (screen.js). The patron's login lived in its
 * memory: a patron still at their jobs is logged out, and told to log in again (a top-up follows
 * its own payment).
 */
watchLink({
  token,
  onBack() {
    if (!session || $('screen-jobs').hidden || topUps.underWay()) return;
    const mine = session;
    refresh().catch(async (error) => {
      if (!(error instanceof Problem && error.code === 'station_session_expired')) return;
      // Logged out meanwhile (Done, a top-up's end, which says so itself).
      if (session !== mine || topUps.underWay()) return;
      await logout();
      alertText('You were logged out. Log in again to print.');
    });
  },
});

show('screen-login');
