/**
 * The release station: a patron logs in with card and PIN (or, at a station
 * opened as `/release#pad=<rfid reader>`, lays the library card on the pad and
 * types the PIN; at one opened as `/release#scanner=<scanner>`, scans the card
 * there and types the PIN), sees the jobs waiting with pages, cost and page
 * one, prints one or all, sees the balance and what was charged. Only the
 * public API; large targets, no keyboard needed.
 */
import { watchPatronScans } from '/common/patron-scans.js';
import { call, money, Problem, requestId, takeToken } from '/common/print-api.js';

/** The station's RFID pad and scanner, from `#pad=…&scanner=…` (read before the token is taken out of the address). */
const station = new URLSearchParams(location.hash.replace(/^#/, ''));
const pad = station.get('pad') ?? undefined;
const scanner = station.get('scanner') ?? undefined;
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

function alertText(text) {
  $('alert').textContent = text ?? '';
  $('alert').hidden = !text;
}

function show(screen) {
  for (const id of ['screen-login', 'screen-jobs']) $(id).hidden = id !== screen;
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
$('release-all').addEventListener('click', async () => {
  for (const job of jobs.filter((j) => !j.problem)) await release(job);
});

async function login() {
  alertText();
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
    alertText(error instanceof Problem ? `Not logged in: ${error.message}` : String(error));
    // A wrong or missing PIN: typed again from the start.
    $('pin').value = '';
    if (!$('screen-login').hidden) {
      field = 'pin';
      $('pin').focus();
    }
  }
}

async function logout() {
  clearTimeout(idleTimer);
  const ended = session;
  session = undefined;
  jobs = [];
  balance = undefined;
  $('who').textContent = '';
  $('balance').textContent = '';
  for (const id of ['jobs', 'charged']) $(id).replaceChildren();
  if (ended) await call('POST', '/api/v1/print/station/logout', { session: ended }, token).catch(() => {});
  alertText();
  forgetScannedPatron();
  show('screen-login');
}

async function refresh() {
  const answer = await call('POST', '/api/v1/print/station/jobs', { session }, token);
  jobs = answer.jobs;
  balance = answer.balance;
  $('balance').textContent = money(answer.balance.balanceMinor, answer.balance.currency);
  $('no-jobs').hidden = jobs.length > 0;
  $('release-all').hidden = jobs.length === 0;
  const list = $('jobs');
  list.replaceChildren(...jobs.map(row));
  for (const job of jobs) thumbnail(job);
  const account = await call('POST', '/api/v1/print/station/account', { session }, token);
  $('charged').replaceChildren(
    ...account.releases.slice(0, 5).map((r) => {
      const li = document.createElement('li');
      const refunded = r.refundedMinor > 0 ? `, ${money(r.refundedMinor, r.currency)} refunded` : '';
      li.textContent = `${r.jobName}: ${r.impressions} pages, ${money(r.amountMinor, r.currency)}${refunded} (${r.state})`;
      return li;
    }),
  );
}

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
  what.querySelector('.problem').textContent = job.problem ? job.problem.message : '';
  const cost = document.createElement('div');
  cost.className = 'cost';
  cost.textContent = job.quote ? money(job.quote.amountMinor, job.quote.currency) : '';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'big primary';
  button.textContent = 'Print';
  button.disabled = job.problem !== null;
  button.addEventListener('click', () => release(job));
  li.append(image, what, cost, button);
  return li;
}

async function thumbnail(job) {
  try {
    const answer = await call(
      'POST',
      '/api/v1/print/station/thumbnail',
      { session, queue: job.queue, jobId: job.jobId },
      token,
    );
    const image = document.querySelector(`[data-job="${job.queue}/${job.jobId}"] img`);
    if (answer.png && image) image.src = `data:image/png;base64,${answer.png}`;
  } catch {}
}

async function release(job) {
  alertText();
  const key = `${job.queue}/${job.jobId}`;
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
    alertText(
      `Printing “${job.name}”: ${money(answer.release.amountMinor, answer.release.currency)} charged.`,
    );
    $('alert').className = 'alert ok';
  } catch (error) {
    // Not known whether it was done (the desk did not answer, or the print server has not yet):
    // Print again sends the same request, which is never charged twice.
    const unknown =
      error instanceof Problem && /^(network|print_release_pending|http_5)/.test(error.code ?? '');
    if (error instanceof Problem && !unknown) pending.delete(key);
    if (error instanceof Problem && error.code === 'station_session_expired') {
      await logout();
      alertText('You were logged out. Log in again to print.');
      return;
    }
    $('alert').className = 'alert';
    alertText(error instanceof Problem ? releaseProblem(error, job) : String(error));
  }
  await refresh().catch(() => {});
}

/** Why a job was not printed, in the patron's words. */
function releaseProblem(problem, job) {
  if (problem.code === 'print_account_insufficient' && job.quote && balance)
    return `“${job.name}” was not printed: it costs ${money(job.quote.amountMinor, job.quote.currency)} and your balance is ${money(balance.balanceMinor, balance.currency)}. Top up at the print desk or the payment kiosk, then press Print again.`;
  return problem.message;
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

show('screen-login');
