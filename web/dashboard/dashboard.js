/**
 * The desk's device dashboard, built only on Carrel's public API: every device's health record
 * (status, since when, why, last error, reconnects) with its family's live detail, kept current
 * by the event WebSocket (a snapshot on connect, then each change as it happens); the offline
 * journal and open sessions read every 15 s. Admin actions (shown to an admin token only): reconnect
 * a device, print a test page, read a gate's people counter. A staff or admin token also sees the
 * offline journal's conflicts (an item out to another patron, work restored from a backup…) and
 * settles each: sent again, or discarded; the money payments owe patrons, each recorded as
 * paid out when handed back; and the payments whose money the library system may or may not have
 * (a fee payment that failed), for staff to check the patron's account there.
 */
import { ANSWER_MS, ApiClient, newRequestId, Problem, takeToken } from '/common/carrel-api.js';
import { askDeskAfterSleep, deskNow, deskWhen, heardDeskZone } from '/common/desk-clock.js';
// What a device is and what last happened to it, in words (the fleet view's too).
import { eventWords, kindWords } from '/common/device-words.js';
// Money as the kiosk, its receipts and the reports write it ("1.50 EUR", "500 JPY"), with the currency's decimals.
import { money } from '/common/money.js';
// Money owed to patrons, drawn as the print desk draws it.
import { owedToPatrons } from '/common/owed.js';
// The deadline the print desk's calls have, and so its list of money owed.
import { DEADLINE_MS } from '/common/print-api.js';
import { offlineConflicts } from '/dashboard/conflicts.js';
import { detailTerm, detailValue } from '/dashboard/detail-words.js';

const token = takeToken('carrel.dashboard.token', location, sessionStorage, history);
// A hung desk (its process stopped, the host swapping, a cut network) holds no call for ever: after
// the deadline the print desk's calls have, a press says the desk did not answer and may be pressed
// again (Paid out is recorded once), and the page says the desk is not answering. The event
// WebSocket of a hung desk stays open and says nothing: only these calls tell.
const api = new ApiClient(location.origin, token, { deadlineMs: DEADLINE_MS });
const owed = owedToPatrons(api, {
  box: document.getElementById('owed-box'),
  list: document.getElementById('owed'),
});
const devices = new Map();
const lastEvents = new Map();
const list = document.getElementById('devices');
const template = document.getElementById('device-card');

let retryMs = 500;
/** When the live link was lost (ISO time), while it is down. */
let lostAt;
/** Whether the event WebSocket is open; and whether the desk answered the last read of its figures. */
/**
 * `silent`: the event socket was given up because Carrel did not answer over it (a hung Carrel, a
 * link cut on the way: carrel-api.js liveSocket), not closed by Carrel.
 */
const heard = { socket: false, answering: true, silent: false };
/** Whether the token may act (admin) or settle conflicts (staff); the page only looks until that is known. */
const caller = { admin: false, staff: false };

/** Actions beyond reconnect, by the family's kind: a label and what to call. */
const FAMILY_ACTIONS = {
  'receipt-printer': [
    {
      label: 'Test page',
      run: (id) =>
        api.call('POST', `/api/v1/printers/${encodeURIComponent(id)}/receipts`, {
          template: 'test-page',
          data: {},
        }),
      done: (answer) => `Test page queued (job ${String(answer.id).slice(0, 8)})`,
    },
  ],
  gate: [
    {
      label: 'Read counter',
      run: (id) => api.call('GET', `/api/v1/gates/${encodeURIComponent(id)}/counters`),
      done: (answer) => `Counter: ${answer.in} in, ${answer.out} out`,
    },
  ],
};

function showProblem(message) {
  const problem = document.getElementById('problem');
  problem.textContent = message ?? '';
  problem.hidden = !message;
}

/**
 * Puts `text` in a live region (the counts, the link's state) only when it says something new: the
 * same words set again are read out again by a screen reader, every 10 s as the cards are redrawn.
 */
function sayIn(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function link(text, down) {
  const element = document.getElementById('link');
  sayIn(element, text);
  element.classList.toggle('down', down);
}

/** What the page says of its link to the desk: live, not connected, or connected and not answering. */
function showLink() {
  if (!heard.socket && heard.silent)
    link(
      `Carrel is not answering (nothing within ${ANSWER_MS / 1000} s): last known shown, asking again…`,
      true,
    );
  else if (!heard.socket) link('Not connected, trying again…', true);
  else if (!heard.answering)
    link(
      `Carrel is not answering (nothing within ${DEADLINE_MS / 1000} s): last known shown, asking again…`,
      true,
    );
  else link('Live', false);
  if (heard.socket && heard.answering) linkBack();
  else linkLost();
}

/** A call unanswered within the deadline (or not reaching the desk at all). */
const unanswered = (error) => error instanceof Problem && error.code === 'network';

/** A press the desk did not answer: the page says so at once, and reads the desk again (back when it answers). */
function notAnswering() {
  heard.answering = false;
  showLink();
  void refreshDesk();
}

/** A time the desk sent, with its day when it was not today at the desk ("since yesterday 9:15 PM"). */
const time = (iso) => (iso ? deskWhen(iso) : '–');

/** How long ago a time the desk sent was, on the desk's clock: this PC's may be minutes off it. */
function since(iso) {
  const seconds = Math.max(0, Math.round((deskNow() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d`;
}

function card(id) {
  let element = list.querySelector(`li[data-device="${CSS.escape(id)}"]`);
  if (element) return element;
  element = template.content.firstElementChild.cloneNode(true);
  element.dataset.device = id;
  if (caller.admin) addActions(element, id);
  // Keep the cards in the order the desk lists its devices.
  const order = [...devices.keys()];
  const next = [...list.children].find((other) => order.indexOf(other.dataset.device) > order.indexOf(id));
  list.insertBefore(element, next ?? null);
  return element;
}

/** The admin's buttons on a device's card: reconnect, and its family's own (a test page, a counter). */
function addActions(element, id) {
  if (element.dataset.actions) return;
  element.dataset.actions = 'admin';
  const actions = element.querySelector('.actions');
  const add = (label, run, done) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    // Every card has one: a screen reader's list of buttons says which device each acts on.
    button.setAttribute('aria-label', `${label} ${id}`);
    button.addEventListener('click', () => act(element, button, run, done));
    actions.append(button);
  };
  add(
    'Reconnect',
    () => api.call('POST', `/api/v1/devices/${encodeURIComponent(id)}/reconnect`),
    (state) => {
      update(state);
      return `Reconnected: ${state.status}`;
    },
  );
  for (const action of FAMILY_ACTIONS[devices.get(id)?.kind] ?? [])
    add(action.label, () => action.run(id), action.done);
}

/** Whether the desk has said who the token is (a desk that did not answer is asked again at the next read). */
let identified = false;

/**
 * Who the token is: the actions are shown to an admin only (a monitor token only looks). Then the
 * desk's figures are read, unless `thenRead` is false (asked by a read itself).
 */
async function identify(thenRead = true) {
  try {
    const answer = await api.call('GET', '/api/v1/auth/caller');
    caller.admin = answer.scopes.includes('admin');
    caller.staff = caller.admin || answer.scopes.includes('staff');
    // Its "today" and "yesterday" are the desk's, in the desk's zone: this PC may be in another.
    heardDeskZone(answer.timeZone);
    identified = true;
  } catch (error) {
    caller.admin = false;
    caller.staff = false;
    identified = !unanswered(error);
  }
  document.body.dataset.scope = caller.admin ? 'admin' : 'look';
  // The desk's answer told its time: the "since" drawn before it, on this PC's clock, is drawn again.
  for (const id of devices.keys()) render(id);
  if (caller.admin) for (const element of list.children) addActions(element, element.dataset.device);
  if (thenRead) void refreshDesk();
}

async function act(element, button, run, done) {
  const outcome = element.querySelector('.outcome');
  button.disabled = true;
  outcome.textContent = `${button.textContent}…`;
  try {
    outcome.textContent = done(await run());
  } catch (error) {
    outcome.textContent =
      error instanceof Problem && error.status === 403
        ? `${button.textContent}: needs an admin token`
        : unanswered(error)
          ? `${button.textContent}: the desk did not answer (${error.message}); it may or may not have been done. Press again.`
          : `${button.textContent} failed: ${error.message}`;
    if (unanswered(error)) notAnswering();
  } finally {
    button.disabled = false;
  }
}

function render(id) {
  const state = devices.get(id);
  const element = card(id);
  element.dataset.status = state.status;
  element.querySelector('.name').textContent = state.device;
  element.querySelector('.kind').textContent = kindWords(state.kind);
  element.querySelector('.status').textContent = state.status;
  element.querySelector('.since').textContent =
    `${state.status} since ${time(state.since)} (${since(state.since)}) · reconnects ${state.reconnects}`;
  element.querySelector('.reason').textContent = state.reason ? `Why: ${state.reason}` : '';
  element.querySelector('.error').textContent = state.lastError
    ? `Last error at ${time(state.lastError.at)}: ${state.lastError.message} (${state.lastError.code})`
    : '';
  const detail = element.querySelector('.detail');
  detail.replaceChildren(
    ...Object.entries(state.detail ?? {}).flatMap(([key, value]) => {
      const term = document.createElement('dt');
      term.textContent = detailTerm(key, { detail: state.detail });
      const description = document.createElement('dd');
      description.dataset.key = key;
      description.textContent = detailValue(value, key, state.detail);
      return [term, description];
    }),
  );
  const event = lastEvents.get(id);
  element.querySelector('.last-event').textContent = event
    ? `Last event: ${eventWords(event.type)} at ${time(event.time)}`
    : '';
  summary();
}

function update(state) {
  devices.set(state.device, state);
  render(state.device);
}

function summary() {
  const counts = { online: 0, degraded: 0, offline: 0 };
  for (const state of devices.values()) counts[state.status] = (counts[state.status] ?? 0) + 1;
  const counted = `${counts.online} online · ${counts.degraded} degraded · ${counts.offline} offline`;
  sayIn(
    document.getElementById('summary'),
    lostAt === undefined ? counted : `Not live since ${time(lostAt)} — last known: ${counted}`,
  );
}

/**
 * While the page hears nothing from Carrel (Carrel stopped, the desk PC's network gone), what it
 * shows is what it last heard, not what is: a wall screen of green cards with Carrel down says
 * "all well". The cards are greyed and marked "last known", the counts say since when, the desk's
 * figures show "–", until the link is back and a fresh snapshot replaces them.
 */
function linkLost() {
  if (lostAt !== undefined) return;
  lostAt = new Date(deskNow()).toISOString();
  list.classList.add('stale');
  for (const id of ['offline-pending', 'offline-conflict', 'sessions-open'])
    document.getElementById(id).textContent = '–';
  summary();
}

function linkBack() {
  lostAt = undefined;
  list.classList.remove('stale');
  summary();
}

function onMessage(message) {
  if (message.event === 'snapshot') {
    for (const state of message.data.devices) devices.set(state.device, state);
    for (const element of [...list.children]) if (!devices.has(element.dataset.device)) element.remove();
    for (const id of devices.keys()) render(id);
  } else if (message.event === 'device.state') {
    update(message.data);
  } else if (message.event === 'device.event') {
    // Only the type and time are shown: an event's data may name an item, never a patron, but it is not for a wall screen.
    lastEvents.set(message.data.device, { type: message.data.type, time: message.data.time });
    if (devices.has(message.data.device)) render(message.data.device);
  }
}

function connect() {
  api.events(
    undefined,
    onMessage,
    () => {
      retryMs = 500;
      heard.socket = true;
      heard.silent = false;
      showLink();
      showProblem();
      void refreshDesk();
    },
    (event) => {
      heard.socket = false;
      heard.silent = event.silent === true;
      showLink();
      if (event.code === 4401 || event.code === 4403)
        showProblem('The dashboard needs a monitor token: open it as /dashboard#token=…');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    },
  );
}

/** The read of the desk's figures under way, if one is; and whether another is owed after it. */
let reading;
let readAgain = false;

/**
 * Reads the desk's figures and lists again. One read at a time: asked while one is under way (the
 * 15 s tick, a press, a wake), one more follows it — a hung desk is not sent a new read every tick
 * on top of those it has not answered.
 */
function refreshDesk() {
  if (reading) {
    readAgain = true;
    return reading;
  }
  reading = (async () => {
    try {
      do {
        readAgain = false;
        await readDesk();
      } while (readAgain);
    } finally {
      reading = undefined;
    }
  })();
  return reading;
}

async function readDesk() {
  if (!identified) await identify(false);
  const [offline, sessions] = await Promise.allSettled([
    api.call('GET', '/api/v1/offline/summary'),
    api.call('GET', '/api/v1/sessions/summary'),
  ]);
  // Not answered within the deadline: said, the figures shown as last known, asked again next tick.
  heard.answering = ![offline, sessions].some(
    (result) => result.status === 'rejected' && unanswered(result.reason),
  );
  showLink();
  if (!heard.answering) return;
  document.getElementById('offline-pending').textContent =
    offline.status === 'fulfilled' ? String(offline.value.pending + offline.value.replaying) : '–';
  document.getElementById('offline-conflict').textContent =
    offline.status === 'fulfilled' ? String(offline.value.conflict) : '–';
  document.getElementById('sessions-open').textContent =
    sessions.status === 'fulfilled' ? String(sessions.value.open) : '–';
  const inConflict = offline.status === 'fulfilled' ? offline.value.conflict : 0;
  if (caller.staff && inConflict > 0) await conflicts.show();
  else conflicts.hide();
  if (caller.staff) await Promise.all([owed.show(), showToCheck()]);
  else {
    document.getElementById('owed-box').hidden = true;
    document.getElementById('to-check-box').hidden = true;
  }
}

async function showToCheck() {
  let payments;
  try {
    ({ payments } = await api.call('GET', '/api/v1/payments/to-check'));
  } catch {
    return;
  }
  const list = document.getElementById('to-check');
  // A payment still to check whose lines read as before keeps its item: the note staff are typing in
  // it, the keyboard's place and what its buttons said are not wiped by the desk's read every 15 s.
  const shown = new Map([...list.children].map((item) => [item.dataset.payment, item]));
  const items = payments.map((payment) => {
    const kept = shown.get(payment.id);
    const shape = toCheckShape(payment);
    if (kept?.dataset.shape === shape) return kept;
    const item = toCheckItem(payment);
    item.dataset.shape = shape;
    return item;
  });
  if (items.length !== list.children.length || items.some((item, at) => list.children[at] !== item))
    list.replaceChildren(...items);
  document.getElementById('to-check-box').hidden = payments.length === 0;
}

/** What a payment's item shows, as one string: the same, and its item is kept as it stands. */
function toCheckShape(payment) {
  const failed = payment.lines.filter((line) => line.state === 'failed');
  return JSON.stringify([
    payment.patron.name,
    payment.currency,
    payment.endedAt ?? payment.startedAt,
    failed,
  ]);
}

/** A payment with lines that failed: what was paid for what, and what staff do about each. */
function toCheckItem(payment) {
  const item = document.createElement('li');
  item.dataset.payment = payment.id;
  const failed = payment.lines.filter((line) => line.state === 'failed');
  const paid = failed.reduce((sum, line) => sum + line.paidMinor, 0);
  const what = document.createElement('p');
  what.className = 'what';
  what.textContent = `${money(paid, payment.currency)} paid by ${payment.patron.name || 'a patron'}: not confirmed`;
  const lines = failed.map((line) => {
    const said = document.createElement('p');
    said.className = 'line';
    said.textContent =
      line.kind === 'fee'
        ? `${money(line.paidMinor, payment.currency)} for the fee “${line.description || line.feeType || line.feeId || 'fee'}”` +
          `${line.feeId ? ` (${line.feeId})` : ''}: the library system may or may not have recorded it. ` +
          "Check the patron's account there; if the fee is still owed, record the payment there by hand (the money is in the cash box)."
        : `${money(line.paidMinor, payment.currency)} for the print account: it was not credited. ` +
          "Check the patron's print balance at the print desk; if it is not there, top it up there by hand (the money is in the cash box).";
    return said;
  });
  const when = document.createElement('p');
  when.className = 'said';
  when.textContent = `Payment ${payment.id}, ${time(payment.endedAt ?? payment.startedAt)}`;
  item.append(what, ...lines, when, checkForm(payment, failed));
  return item;
}

/** Request ids for checks, by payment, outcome and note: pressed again after a lost answer, it is recorded once. */
const checkIds = new Map();

/** Once looked up: the library system (or print account) had it, or staff recorded it there by hand. */
function checkForm(payment, failed) {
  const form = document.createElement('div');
  form.className = 'check';
  const where = failed.every((line) => line.kind !== 'fee') ? 'The print account' : 'The library system';
  const label = document.createElement('label');
  label.textContent = 'Note (optional) ';
  const note = document.createElement('input');
  note.type = 'text';
  note.className = 'note';
  note.maxLength = 200;
  note.setAttribute('aria-label', `Note (optional) on payment ${payment.id}`);
  label.append(note);
  const actions = document.createElement('div');
  actions.className = 'actions';
  const outcome = document.createElement('p');
  outcome.className = 'outcome';
  outcome.setAttribute('role', 'status');
  const buttons = [
    ['already-recorded', `${where} has it`],
    ['recorded-by-hand', 'Recorded by hand'],
  ].map(([value, text]) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.outcome = value;
    button.textContent = text;
    button.setAttribute('aria-label', `${text}: payment ${payment.id}`);
    return button;
  });
  for (const button of buttons)
    button.addEventListener(
      'click',
      () => void checkPayment(payment.id, button.dataset.outcome, note.value.trim(), buttons, outcome),
    );
  actions.append(...buttons);
  form.append(label, actions, outcome);
  return form;
}

async function checkPayment(id, outcome, note, buttons, said) {
  const key = JSON.stringify([id, outcome, note]);
  // Not crypto.randomUUID: a dashboard opened from another PC over plain http (http://desk-pc:8480)
  // is not a secure context and has none; the press threw, and stayed at "Recording…".
  if (!checkIds.has(key)) checkIds.set(key, newRequestId());
  showCheckSaid();
  for (const button of buttons) button.disabled = true;
  said.textContent = 'Recording…';
  try {
    await api.call('POST', `/api/v1/payments/${encodeURIComponent(id)}/check`, {
      outcome,
      ...(note ? { note } : {}),
      requestId: checkIds.get(key),
    });
    checkIds.delete(key);
    await refreshDesk();
  } catch (error) {
    const done = error instanceof Problem && error.code === 'payment_already_checked';
    said.textContent =
      error instanceof Problem && error.status === 403
        ? 'Needs a staff token'
        : done
          ? 'Someone already recorded this check'
          : error instanceof Problem && error.status === 422
            ? `Not recorded: ${error.detail || error.message}`
            : `Not recorded: ${error.message}. Press again.`;
    for (const button of buttons) button.disabled = false;
    if (unanswered(error)) notAnswering();
    if (done) {
      // The payment leaves the list (and its words with it): what happened is said beside the list.
      showCheckSaid(await alreadyCheckedWords(id));
      await refreshDesk();
    }
  }
}

/** What was found at the library system, in the dashboard's own words (the buttons'). */
const CHECK_OUTCOMES = {
  'already-recorded': 'the library system had it',
  'recorded-by-hand': 'recorded by hand',
};

/** A check recorded meanwhile at another desk or page: by whom, when and what, in words. */
async function alreadyCheckedWords(id) {
  let check;
  try {
    ({ check } = await api.call('GET', `/api/v1/payments/${encodeURIComponent(id)}`));
  } catch {
    check = undefined;
  }
  const what = check
    ? ` (${CHECK_OUTCOMES[check.outcome] ?? check.outcome}, by ${check.by} at ${time(check.at)})`
    : '';
  return `Payment ${id} was already checked at another desk or page${what}: nothing was changed, and it has left the list.`;
}

function showCheckSaid(text) {
  const said = document.getElementById('to-check-said');
  said.textContent = text ?? '';
  said.hidden = !text;
}

/** The offline journal's conflicts, for staff to settle (conflicts.js). */
const conflicts = offlineConflicts({
  api,
  box: document.getElementById('conflicts-box'),
  list: document.getElementById('conflicts'),
  said: document.getElementById('conflicts-said'),
  heading: document.getElementById('desk-title'),
  time,
  unanswered,
  notAnswering,
  refreshDesk,
});

void identify();
connect();
// Not while a read is under way (a hung desk's, waiting out its deadline): it is not stacked.
setInterval(() => {
  if (!reading) void refreshDesk();
}, 15_000);
// "since" moves on without events.
setInterval(() => {
  for (const id of devices.keys()) render(id);
}, 10_000);
// Woken from sleep, the desk's time is asked at once (this PC's performance.now() stood still), and
// every "since" aged on it.
askDeskAfterSleep(async () => {
  await refreshDesk();
  for (const id of devices.keys()) render(id);
});
