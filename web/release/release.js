/**
 * The release station: a patron logs in with card and PIN (or, at a station
 * opened as `/release#pad=<rfid reader>`, lays the library card on the pad and
 * types the PIN; at one opened as `/release#scanner=<scanner>`, scans the card
 * there and types the PIN), sees the jobs waiting with pages, cost and page
 * one, prints one or all, sees the balance and what was charged. At a
 * station opened with `#cash=<coin acceptor>,<note validator>` the patron
 * also tops the balance up there with coins and notes (top-up.js). Only the
 * public API; large targets, no keyboard needed.
 */
// Money as the kiosk, the dashboard, the receipts and the reports write it ("0.10 EUR", "20 JPY"), with the currency's decimals.
import { money } from '/common/money.js';
import { watchPatronScans } from '/common/patron-scans.js';
import { call, Problem, requestId, takeToken } from '/common/print-api.js';
import { stationTopUp } from './top-up.js';

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
const $ = (id) => document.getElementById(id);
/** A patron scanned is good for one login within this long (the PIN typed meanwhile). */
const SCANNED_VALID_MS = 60_000;
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

function alertText(text, ok = false) {
  $('alert').textContent = text ?? '';
  $('alert').className = ok ? 'alert ok' : 'alert';
  $('alert').hidden = !text;
}

/**
 * What became of each job a press of Print (or Print all) sent: one line each, so a patron who
 * printed three documents sees the one that failed and that it was not charged, not only the last.
 */
function showOutcomes(outcomes) {
  if (outcomes.length === 0) return alertText();
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  if (outcomes.length === 1) return alertText(outcomes[0].text, failed === 0);
  const printing = outcomes.length - failed;
  const summary = document.createElement('p');
  summary.textContent =
    failed === 0
      ? `All ${outcomes.length} documents were sent to the printer.`
      : `${printing} of ${outcomes.length} documents ${printing === 1 ? 'was' : 'were'} sent to the printer; ${failed} ${failed === 1 ? 'was' : 'were'} not.`;
  const list = document.createElement('ul');
  list.className = 'outcomes';
  list.append(
    ...outcomes.map((outcome) => {
      const li = document.createElement('li');
      li.className = outcome.ok ? 'ok' : 'failed';
      li.textContent = outcome.text;
      return li;
    }),
  );
  $('alert').replaceChildren(summary, list);
  $('alert').className = failed === 0 ? 'alert ok' : 'alert';
  $('alert').hidden = false;
}

/**
 * While a release is on its way the Print buttons cannot be pressed again (a double press, or
 * Print all pressed beside a job's own Print, answered the first press with an error).
 */
let releasing = false;
/** Jobs sent to the printer from this screen: not offered again while the list still shows them. */
const sent = new Set();
const keyOf = (job) => `${job.queue}/${job.jobId}`;
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
    await refresh().catch(() => {});
  } finally {
    setReleasing(false);
  }
}

function show(screen) {
  for (const id of ['screen-login', 'screen-jobs', 'screen-topup']) $(id).hidden = id !== screen;
}

let field = 'card';
for (const id of ['card', 'pin']) $(id).addEventListener('focus', () => (field = id));
for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0', 'OK']) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = key;
  button.addEventListener('click', () => {
    const input = $(field);
    if (key === '⌫') input.value = input.value.slice(0, -1);
    else if (key !== 'OK') input.value += key;
    else if (field === 'pin') login();
    else {
      field = 'pin';
      $('pin').focus();
    }
  });
  $('keypad').append(button);
}
$('pin').addEventListener('keydown', (event) => event.key === 'Enter' && login());
$('card').addEventListener('keydown', (event) => event.key === 'Enter' && $('pin').focus());
$('login').addEventListener('click', login);
$('logout').addEventListener('click', logout);
$('release-all').addEventListener('click', () => releaseJobs(jobs.filter((j) => !j.problem)));

/** A login on its way to the library system. */
let checking = false;
async function login() {
  alertText();
  // The PIN is always asked: without it nobody is logged in. Without a card number the desk was
  // asked all the same, and the answer read 'the body is not valid'.
  const noCard = !cardOnPad && scannedPatron === undefined && $('card').value.trim() === '';
  if (noCard || $('pin').value === '') {
    alertText(
      noCard
        ? 'Type your library card number and your PIN, then press Show my print jobs.'
        : 'Type your PIN, then press Show my print jobs.',
    );
    field = noCard ? 'card' : 'pin';
    $(field).focus();
    return;
  }
  // The library system may take a while (or not answer at all): the press is seen, and a second
  // press does not send a second login meanwhile.
  if (checking) return;
  checking = true;
  $('login').disabled = true;
  $('login').textContent = 'Checking your card…';
  try {
    const answer = await call(
      'POST',
      '/api/v1/print/station/login',
      cardOnPad
        ? { pad, pin: $('pin').value }
        : { patron: scannedPatron ?? $('card').value.trim(), pin: $('pin').value },
      token,
    );
    session = answer.session;
    stillHere();
    forgetScannedPatron();
    $('who').textContent = answer.name;
    $('card').value = '';
    $('pin').value = '';
    show('screen-jobs');
    await refresh();
  } catch (error) {
    alertText(error instanceof Problem ? `Not logged in: ${loginProblem(error)}` : String(error));
    // A wrong or missing PIN: typed again from the start.
    $('pin').value = '';
    if (!$('screen-login').hidden) {
      field = 'pin';
      $('pin').focus();
    }
  } finally {
    checking = false;
    $('login').disabled = false;
    $('login').textContent = 'Show my print jobs';
  }
}

/** The problems of a library system away, slow or answering unreadably: the patron may try again later. */
const ILS_AWAY = new Set([
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
function loginProblem(problem) {
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
  list.replaceChildren(...jobs.map(row));
  for (const job of jobs) thumbnail(job);
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
  clearTimeout(followTimer);
  if (recent.some((r) => r.state === 'charged' || r.state === 'released'))
    followTimer = setTimeout(() => session && showAccount().catch(() => {}), 2000);
}
let followTimer;

/** The "Charged" heading and its list, shown only when something has been charged. */
function showCharged(shown) {
  $('charged-title').hidden = !shown;
  $('charged').hidden = !shown;
}

/** How a release ended, in the patron's words, with what was given back. */
function releaseState(r) {
  const refunded = money(r.refundedMinor, r.currency);
  if (r.state === 'charged') return 'waiting for the printer to confirm';
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

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function row(job) {
  const li = document.createElement('li');
  li.className = 'job';
  li.dataset.job = `${job.queue}/${job.jobId}`;
  const image = document.createElement('img');
  image.alt = `Page one of ${job.name}`;
  const what = document.createElement('div');
  what.className = 'what';
  const pages =
    job.pages === null ? 'pages not known' : `${job.pages} page${job.pages === 1 ? '' : 's'} × ${job.copies}`;
  what.innerHTML = '<div class="name"></div><div class="detail"></div><div class="problem"></div>';
  what.querySelector('.name').textContent = job.name;
  what.querySelector('.detail').textContent =
    `${pages}${job.color ? ', colour' : ''}${job.sides.startsWith('two') ? ', two-sided' : ''}`;
  what.querySelector('.problem').textContent = job.problem ? capitalised(jobProblem(job.problem)) : '';
  const cost = document.createElement('div');
  cost.className = 'cost';
  cost.textContent = job.quote ? money(job.quote.amountMinor, job.quote.currency) : '';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'big primary';
  button.textContent = 'Print';
  button.disabled = releasing || job.problem !== null || sent.has(keyOf(job));
  button.addEventListener('click', () => releaseJobs([job]));
  li.append(image, what, cost, button);
  return li;
}

/** Page ones already drawn, by job: the list shown again (a job counted meanwhile) does not ask again. */
const thumbnails = new Map();
async function thumbnail(job) {
  const key = keyOf(job);
  try {
    if (!thumbnails.has(key)) {
      const mine = session;
      const answer = await call(
        'POST',
        '/api/v1/print/station/thumbnail',
        { session, queue: job.queue, jobId: job.jobId },
        token,
      );
      if (!answer.png || session !== mine) return;
      thumbnails.set(key, `data:image/png;base64,${answer.png}`);
    }
    const image = document.querySelector(`[data-job="${key}"] img`);
    if (image) image.src = thumbnails.get(key);
  } catch {}
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
      text: error instanceof Problem ? releaseProblem(error, job) : `“${job.name}”: ${String(error)}`,
    };
  }
}

/**
 * What became of a release the desk answered, in the patron's words, from the release's own state:
 * the same Print sent again (its first answer lost) is answered with the release as it is now —
 * printing, printed, or stopped at the printer and refunded — not always 'is printing'.
 */
function released(job, r) {
  const name = `“${job.name}”`;
  const charged = money(r.amountMinor, r.currency);
  const refunded = money(r.refundedMinor, r.currency);
  switch (r.state) {
    case 'charged':
      return {
        ok: true,
        text: `${name} was sent, but the printer has not confirmed it yet. If it does not print, the ${charged} charged is refunded by itself.`,
      };
    case 'released':
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

/** Why a job was not printed (or not yet), in the patron's words. */
function releaseProblem(problem, job) {
  const name = `“${job.name}”`;
  const cost = costOf(job);
  switch (problem.code) {
    case 'print_account_insufficient':
      if (job.quote && balance)
        return `${name} was not printed: it costs ${cost} and your balance is ${money(balance.balanceMinor, balance.currency)}. ${TOP_UP_HOW}, then press Print again.`;
      return `${name} was not printed: your balance does not cover it. ${TOP_UP_HOW}, then press Print again.`;
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
function jobProblem(problem) {
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

/** A library card on the station's pad stands for the typed card number; the PIN is still asked. */
let cardOnPad = false;
async function watchPad() {
  if (!$('screen-login').hidden) {
    const answer = await call('GET', `/api/v1/rfid/${encodeURIComponent(pad)}/tags`, undefined, token).catch(
      () => undefined,
    );
    const found = Boolean(answer?.tags?.some((tag) => tag.item?.typeOfUsage === 'patron-card'));
    if (found !== cardOnPad) {
      cardOnPad = found;
      $('card-field').hidden = found;
      $('card-on-pad').hidden = !found;
      if (found) {
        field = 'pin';
        $('pin').focus();
      }
    }
  }
  setTimeout(watchPad, 700);
}
if (pad) watchPad();

/**
 * A patron card (or barcode) scanned at the station's scanner stands for the typed card number
 * for one login; the PIN is still asked. The number is held here only, never shown or logged.
 */
let scannedPatron;
let scannedTimer;
function forgetScannedPatron() {
  clearTimeout(scannedTimer);
  scannedPatron = undefined;
  $('card-scanned').hidden = true;
  $('card-field').hidden = cardOnPad;
}
if (scanner)
  watchPatronScans({
    origin: location.origin,
    token,
    scanner,
    onPatron(patron) {
      if ($('screen-login').hidden) return;
      alertText();
      scannedPatron = patron;
      clearTimeout(scannedTimer);
      scannedTimer = setTimeout(forgetScannedPatron, SCANNED_VALID_MS);
      $('card').value = '';
      $('card-field').hidden = true;
      $('card-scanned').hidden = false;
      $('pin').value = '';
      field = 'pin';
      $('pin').focus();
    },
    onRefused: (reason) =>
      alertText(`The card scanner “${scanner}” cannot be used (${reason}): type the card number.`),
  });

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

show('screen-login');
