/**
 * The demo self-check kiosk: start → log in (card number + PIN, or the library
 * card on the pad + PIN) → the session (live pad, items with their states) →
 * receipt → thank you → start. Built only on Carrel's public API.
 *
 * `?pad=pad-1&printer=receipt-1&scanner=scanner-1` choose the RFID pad, the receipt printer and
 * the barcode scanner (the pad defaults to the simulated desk's self-check pad, `selfcheck-1`,
 * the scanner to its kiosk scanner, `scanner-1`; `scanner=` with no value: none). A patron's
 * card scanned there logs in (the page never sees its number: Carrel keeps it for the session);
 * items scanned there during the session are checked out in it;
 * `#token=…` gives the API token (kept in sessionStorage).
 *
 * An item whose answer from the library system was lost ("Not sure it was checked out") may be
 * tried again while the library system answers: Carrel asks it first whether the item went through.
 * The page follows the library system's link for that, and sends the patron to staff only when
 * Carrel says it cannot tell.
 *
 * One screen shows a pad's session: the page names itself to Carrel by an id kept in sessionStorage
 * (the same after a reload, new in another tab — a duplicated tab, which carries its original's
 * copy, takes a new one when the original answers on the browser's BroadcastChannel). Another page
 * on the same pad says it is in use and leaves the session alone; it takes the session over when the screen showing it is gone (the
 * browser crashed) — once that screen has stayed away past Carrel's grace, for it may only be
 * reconnecting after a network blip — or when staff press "Move the session to this screen".
 */
import { KioskApi, newRequestId, Problem, takeToken } from './api.js';
import { idleCountdown } from './idle.js';
import { libraryLink } from './library.js';
import { kioskLogin } from './login.js';
import { renderReceipt } from './receipt.js';
import { loanRenewals } from './renewals.js';
import { element, itemRow } from './rows.js';
import { kioskScreen } from './screen.js';
import { sessionScreens } from './takeover.js';
import { patronNotes, problemWords, unsettledItemsWords } from './words.js';

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const THANKS_MS = 30_000;
const RECEIPT_THANKS_MS = 60_000;

const query = new URLSearchParams(location.search);
const pad = DEVICE_ID.test(query.get('pad') ?? '') ? query.get('pad') : 'selfcheck-1';
const printer = DEVICE_ID.test(query.get('printer') ?? '') ? query.get('printer') : undefined;
const scanner = !query.has('scanner')
  ? 'scanner-1'
  : DEVICE_ID.test(query.get('scanner') ?? '')
    ? query.get('scanner')
    : undefined;
/** This page as a screen to Carrel (screen.js): its id, settled against this browser's other tabs. */
const thisScreen = kioskScreen(sessionStorage, (id) => {
  api.screen = id;
});
const api = new KioskApi(location.origin, takeToken(location, sessionStorage, history), thisScreen.id);

const $ = (id) => document.getElementById(id);

/** Everything the kiosk holds about the patron in front of it; reset on every return to start. */
const state = {
  screen: 'start',
  session: null,
  items: new Map(),
  sessionSocket: null,
  padSocket: null,
  /** The session another screen shows on this pad, followed (read only) until it ends. */
  inUse: null,
  /** The patron's card was scanned at the kiosk's scanner: the PIN screen logs in with it. */
  scannedPatron: false,
  /**
   * Items whose answer was lost that Carrel said it cannot tell about (item_outcome_unknown): the
   * `library.turns` it said so at. Staff are asked about them until the library system comes back.
   */
  cannotTell: new Map(),
  ending: false,
  idleMs: 0,
  /** When the session ends if idle, on this page's monotonic clock (performance.now()). */
  deadline: 0,
  idleTimer: 0,
  thanksTimer: 0,
  busy: false,
};

/** The library system's link as Carrel sees it (library.js): an item whose answer was lost may be tried again while it answers. */
const library = libraryLink(api, () => {
  if (state.session) renderItems();
});

/**
 * The kiosk used with a keyboard (Tab, the arrows, Escape) or by touch, on <html> as `keyboard`:
 * the heading a screen focuses is outlined for a keyboard's user only (kiosk.css). A barcode
 * scanner typing its digits and Enter is not a keyboard's user.
 */
const NAVIGATION_KEYS = new Set([
  'Tab',
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'Escape',
  'Home',
  'End',
]);
document.addEventListener(
  'keydown',
  (event) => {
    if (NAVIGATION_KEYS.has(event.key)) document.documentElement.classList.add('keyboard');
  },
  true,
);
document.addEventListener('pointerdown', () => document.documentElement.classList.remove('keyboard'), true);

function show(screen) {
  state.screen = screen;
  for (const section of document.querySelectorAll('.screen'))
    section.hidden = section.id !== `screen-${screen}`;
  login.touched();
  // The start and in-use screens' headings: an Enter there must neither start a session (a
  // keyboard scanner's Enter) nor take someone's session over; the focus left on a screen just
  // hidden fell to the page's body, and the first Tab left the page.
  const first =
    screen === 'start' || screen === 'in-use'
      ? $(`screen-${screen}`)?.querySelector('h1')
      : $(`screen-${screen}`)?.querySelector('input, button');
  first?.focus();
}

function say(id, text) {
  const target = $(id);
  target.textContent = text ?? '';
  target.hidden = !text;
}

/** "Renew my loans": its list, its progress and its button (renewals.js). */
const renewals = loanRenewals({
  api,
  $,
  say,
  session: () => state.session,
  itemTitle: (item) => state.items.get(item)?.title,
  touch: () => idle.touch(),
  shownElsewhere: (error) => screens.shownElsewhere(error),
});

/** Runs one request at a time from a button, so a double tap does not send twice. */
async function once(action) {
  if (state.busy) return;
  state.busy = true;
  document.body.classList.add('busy');
  try {
    await action();
  } finally {
    state.busy = false;
    document.body.classList.remove('busy');
  }
}

// ---- Start and reset ------------------------------------------------------

function toStart() {
  clearTimeout(state.thanksTimer);
  clearInterval(state.idleTimer);
  state.sessionSocket?.close();
  state.padSocket?.close();
  state.inUse?.socket?.close();
  state.inUse = null;
  if (state.session && state.session.state === 'open' && !state.ending) {
    api.cancelSession(state.session.id);
  }
  Object.assign(state, {
    session: null,
    items: new Map(),
    sessionSocket: null,
    padSocket: null,
    scannedPatron: false,
    cannotTell: new Map(),
    ending: false,
  });
  for (const form of document.querySelectorAll('form')) form.reset();
  for (const id of ['login-error', 'card-error', 'session-error', 'finish-error', 'in-use-error'])
    say(id, '');
  // The screens the next patron does not see still held her name, her fines and what she borrowed:
  // for whoever reads the page's hidden text (a screen reader's "show hidden", its DevTools).
  $('session-title').textContent = 'Your session';
  $('patron-notes').replaceChildren();
  for (const id of ['unreadable', 'finish-unsettled']) say(id, '');
  $('thanks-message').textContent = '';
  $('idle').textContent = '';
  $('items').replaceChildren();
  login.forget();
  renewals.reset();
  $('finish').disabled = false;
  $('receipt').replaceChildren();
  $('receipt').hidden = true;
  $('idle').hidden = true;
  say('alert', '');
  show('start');
}

// ---- Login ----------------------------------------------------------------

/** Logging in: a card number and PIN, the card on the pad, or scanned (login.js). */
const login = kioskLogin({
  api,
  $,
  say,
  show,
  state,
  pad,
  scanner,
  thisScreen,
  toStart: () => toStart(),
  startSession: (session) => startSession(session),
});

// ---- The session ----------------------------------------------------------

function startSession(session) {
  state.padSocket?.close();
  state.padSocket = null;
  state.session = session;
  state.items = new Map(session.items.map((item) => [item.item, item]));
  // The timeout as Carrel says it: expiresAt less lastActivityAt is off by any step of the desk's
  // wall clock since the last activity (what a Carrel without inactivityTimeoutMs gives).
  state.idleMs =
    session.inactivityTimeoutMs ||
    Math.max(0, Date.parse(session.expiresAt) - Date.parse(session.lastActivityAt)) ||
    120_000;
  idle.followExpiry(session);
  renderSession();
  show('session');
  watchSession(session.id);
  clearInterval(state.idleTimer);
  state.idleTimer = setInterval(idle.render, 1000);
}

function watchSession(id, attempt = 0) {
  const socket = api.socket(
    `/api/v1/sessions/${encodeURIComponent(id)}/events`,
    { screen: thisScreen.id },
    (message) => {
      if (attempt > 0) say('alert', '');
      attempt = 0;
      if (message.event === 'moved') {
        screens.movedAway();
      } else if (message.event === 'session') {
        sessionChanged(message.data);
      } else if (message.event === 'item') {
        state.items.set(message.data.item, message.data);
        idle.touch();
        renderItems();
      } else if (message.event === 'ended') {
        sessionEnded(message.data);
      }
    },
    (event) => {
      // Lost the live feed while the session is open: reconnect (its first message is the whole session).
      if (state.sessionSocket !== socket || state.session?.id !== id || state.session.state !== 'open')
        return;
      // Carrel no longer knows the session (it was restarted after a crash): it is over.
      if (event.code === 4404) return sessionGone();
      // Another screen took the session over.
      if (event.code === 4409) return screens.movedAway();
      // Carrel away for longer (restarting, the network), or the link gone silent (a cable pulled:
      // noticed only after seconds already): keep trying, and say so.
      if (attempt >= 4 || event.silent) say('alert', 'Reconnecting to the pad… Please wait.');
      setTimeout(
        () => {
          if (state.sessionSocket === socket) state.sessionSocket = watchSession(id, attempt + 1);
        },
        Math.min(500 * 2 ** attempt, 5000),
      );
    },
  );
  state.sessionSocket = socket;
  return socket;
}

function sessionChanged(session) {
  if (!state.session || session.id !== state.session.id) return;
  state.session = session;
  // The whole list: an item taken off the pad before it was lent is no longer in it.
  state.items = new Map(session.items.map((item) => [item.item, item]));
  idle.followExpiry(session);
  renderSession();
  if (session.state === 'ended') sessionEnded(session);
}

function sessionEnded(session) {
  if (!state.session || session.id !== state.session.id) return;
  state.session = session;
  clearInterval(state.idleTimer);
  $('idle').hidden = true;
  if (state.ending) return; // we ended it: the finish step shows the outcome
  state.sessionSocket?.close();
  const timeout = session.endReason === 'timeout';
  const toStaff = unsettled(session);
  const done =
    session.mode === 'return'
      ? 'Items shown as returned are returned. To return more, start again.'
      : 'Items already checked out are yours to take.';
  thankYou(
    timeout ? 'Session ended' : 'Goodbye',
    `${
      timeout ? `Your session ended because nothing happened for a while. ${done}` : 'Your session has ended.'
    }${toStaff ? ` ${toStaff}` : ''}`,
    THANKS_MS,
  );
}

/**
 * The session is gone from Carrel (restarted after a crash): what the ILS lent is lent, so the
 * patron is told to take what the screen shows as checked out — nothing, when nothing was; to ask
 * staff, when an item was on its way to the library system — and the kiosk starts again.
 */
function sessionGone() {
  clearInterval(state.idleTimer);
  $('idle').hidden = true;
  say('alert', '');
  const returning = state.session.mode === 'return';
  state.session = { ...state.session, state: 'ended' };
  const items = [...state.items.values()];
  const done = items.filter((item) =>
    returning
      ? item.state === 'checked_in'
      : item.state === 'checked_out' || item.state === 'security_failed',
  ).length;
  // Sent to the library system when Carrel stopped, or its answer lost: nobody here can tell.
  const unsure = items.some((item) => item.state === 'pending' || item.answerLost);
  const did = returning ? 'returned' : 'checked out';
  const count = `${done} ${done === 1 ? 'item' : 'items'}`;
  // It said '0 items checked out: they are yours to take.'
  const what =
    done > 0
      ? returning
        ? `${count} returned.`
        : `${count} checked out: ${done === 1 ? 'it is' : 'they are'} yours to take.`
      : unsure
        ? `Your session could not be finished: please ask staff whether anything was ${did}.`
        : `Nothing was ${did} in this session.`;
  // Nothing in the session at all: nothing to ask staff about either.
  const others = items.length > 0 && !(done === 0 && unsure);
  thankYou(
    'Session ended',
    `The self-check was restarted, so your session has ended. ${what}${
      others ? ' Please ask staff about anything else on the pad.' : ''
    }`,
    THANKS_MS,
  );
}

/** One screen shows a pad's session (takeover.js): another says the self-check is in use. */
const screens = sessionScreens({
  api,
  say,
  show,
  state,
  pad,
  thisScreen,
  toStart: () => toStart(),
  startSession: (session) => startSession(session),
});

/** The session's inactivity countdown (idle.js): activity pushes its end back. */
const idle = idleCountdown({
  api,
  $,
  say,
  state,
  sessionChanged: (session) => sessionChanged(session),
  shownElsewhere: (error) => screens.shownElsewhere(error),
});

function renderSession() {
  const { session } = state;
  const checkout = session.mode === 'checkout';
  $('session-title').textContent = checkout
    ? `Hello, ${session.patron?.name || 'and welcome'}`
    : 'Return your items';
  $('pad-hint').textContent = checkout
    ? 'Place the items you want to borrow on the pad.'
    : 'Place the items you are returning on the pad.';
  $('items-title').textContent = checkout ? 'Your items' : 'Items returned';
  $('renew-all').hidden = !checkout || !session.patron;
  const notes = session.patron ? patronNotes(session.patron) : [];
  $('patron-notes').replaceChildren(
    ...notes.map((note) => element('p', { class: `note ${note.tone}` }, note.text)),
  );
  renderItems();
  renderUnreadable();
  renewals.take(session.renewals ?? []);
  renewals.render();
}

/** Tags on the pad that are no item: the patron is told which way to go with them. */
function renderUnreadable() {
  const tags = state.session?.unreadableTags ?? [];
  const others = tags.filter((tag) => tag.reason === 'rfid_other_library').length;
  const count = tags.length - others;
  const checkout = state.session?.mode !== 'return';
  const done = checkout ? 'checked out' : 'returned';
  const sentences = [];
  if (count > 0)
    sentences.push(
      `${count === 1 ? 'One item on the pad' : `${count} items on the pad`} cannot be read, so ${count === 1 ? 'it is' : 'they are'} not ${done}.`,
    );
  if (others > 0)
    sentences.push(
      `${others === 1 ? 'One item on the pad belongs' : `${others} items on the pad belong`} to another library, so ${others === 1 ? 'it is' : 'they are'} not ${done} here.`,
    );
  const all = count + others;
  say(
    'unreadable',
    all === 0 ? '' : `${sentences.join(' ')} Please take ${all === 1 ? 'it' : 'them'} to the staff desk.`,
  );
}

function renderItems() {
  const mode = state.session?.mode ?? 'checkout';
  const list = $('items');
  const existing = new Map([...list.children].map((row) => [row.dataset.item, row]));
  for (const item of state.items.values()) {
    const row = itemRow(
      item,
      mode,
      (barcode, feeAcknowledged) => once(() => sendItem(barcode, feeAcknowledged)),
      {
        away: library.status === 'offline',
        cannotTell: state.cannotTell.get(item.item) === library.turns,
      },
    );
    const old = existing.get(item.item);
    existing.delete(item.item);
    if (old) old.replaceWith(row);
    else list.append(row);
  }
  for (const gone of existing.values()) gone.remove();
  $('items-empty').hidden = state.items.size > 0;
}

async function sendItem(barcode, feeAcknowledged) {
  say('session-error', '');
  try {
    const item = await api.processItem(state.session.id, barcode, feeAcknowledged);
    state.items.set(item.item, item);
    idle.touch();
    renderItems();
  } catch (error) {
    if (screens.shownElsewhere(error)) return;
    if (!(error instanceof Problem)) throw error;
    if (error.code === 'item_outcome_unknown') {
      // Its answer was lost and the library system cannot say now whether it went through.
      state.cannotTell.set(barcode, library.turns);
      renderItems();
    }
    say('session-error', problemWords(error, state.session?.mode));
  }
}

// ---- Finish ---------------------------------------------------------------

/**
 * The ending asked for whose answer never came (the network dropped it): Carrel may have ended the
 * session and printed or made the receipt. Pressed again, the same id goes with it, and Carrel
 * answers with that receipt rather than "the session has ended" (and prints nothing twice).
 */
let unsettledEnd;

async function finish(receipt) {
  say('finish-error', '');
  const key = `${state.session.id} ${receipt}`;
  if (unsettledEnd?.key !== key) unsettledEnd = { key, requestId: newRequestId() };
  state.ending = true;
  // Carrel ends the session once the items still with the library system are done: seconds, when it is slow.
  const waiting = [...state.items.values()].some((item) => item.state === 'pending');
  const done = state.session.mode === 'return' ? 'returned' : 'checked out';
  say('finish-status', waiting ? `Finishing… your last items are being ${done}.` : 'Finishing…');
  try {
    const result = await api.endSession(state.session.id, receipt, printer, unsettledEnd.requestId);
    unsettledEnd = undefined;
    state.session = result.session;
    state.sessionSocket?.close();
    clearInterval(state.idleTimer);
    $('idle').hidden = true;
    const toStaff = unsettled(result.session);
    const andToStaff = (message) => (toStaff ? `${message} ${toStaff}` : message);
    if (result.receipt.kind === 'data') {
      renderReceipt($('receipt'), result.receipt);
      $('receipt').hidden = false;
      thankYou('Thank you', andToStaff('Here is your receipt.'), RECEIPT_THANKS_MS);
    } else if (result.receipt.kind === 'printed') {
      // The job's notice: letters the printer's code page lacks (a name, a title) printed as "?".
      const unprintable = result.receipt.job?.notice
        ? ' Some letters on it could not be printed and show as "?": staff at the desk can write them in for you.'
        : '';
      thankYou(
        'Thank you',
        andToStaff(`Your receipt is printing. Please take it from the printer.${unprintable}`),
        unprintable ? RECEIPT_THANKS_MS : THANKS_MS,
      );
    } else {
      thankYou('Thank you', andToStaff('Enjoy your visit.'), THANKS_MS);
    }
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (!(error.status === 0 || error.status >= 500)) unsettledEnd = undefined;
    state.ending = false;
    if (screens.shownElsewhere(error)) return;
    if (error.status === 404 || (error.status === 409 && state.session?.state === 'ended')) {
      sessionEnded({ ...state.session, state: 'ended' });
    } else {
      say('finish-error', problemWords(error, state.session?.mode));
    }
  } finally {
    say('finish-status', '');
  }
}

/** What the patron must take to staff from this session (items it could not settle), or ''. */
function unsettled(session) {
  return session ? unsettledItemsWords(session.items ?? [], session.mode) : '';
}

function thankYou(title, message, returnAfterMs) {
  // The session is over: nothing asks any more whether the patron is still there.
  say('alert', '');
  $('thanks-title').textContent = title;
  $('thanks-message').textContent = message;
  show('thanks');
  clearTimeout(state.thanksTimer);
  state.thanksTimer = setTimeout(toStart, returnAfterMs);
}

// ---- Wiring ---------------------------------------------------------------

$('start-checkout').addEventListener('click', () => login.toLogin());
$('start-return').addEventListener('click', () =>
  once(async () => {
    say('start-status', '');
    try {
      startSession(
        await login.openSessionOnce({ mode: 'return', pad, auto: true, ...(scanner ? { scanner } : {}) }),
      );
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      say('start-status', problemWords(error));
    }
  }),
);
for (const button of document.querySelectorAll('[data-action="to-start"]')) {
  button.addEventListener('click', () => toStart());
}
$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const patron = $('login-patron').value.trim();
  const pin = $('login-pin').value;
  if (!patron)
    return say('login-error', 'Please type your library card number, or place your card on the pad.');
  once(() => login.logIn({ patron, ...(pin ? { pin } : {}) }, 'login-error'));
});
$('card-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const pin = $('card-pin').value;
  const patron = state.scannedPatron ? { patronScan: true } : { patronCard: true };
  once(() => login.logIn({ ...patron, ...(pin ? { pin } : {}) }, 'card-error'));
});
$('barcode-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const barcode = $('barcode').value.trim();
  if (!barcode) return;
  $('barcode').value = '';
  once(() => sendItem(barcode, false));
});
// Not `once`: the patron may go on placing items (and typing barcodes) while her loans are renewed.
$('renew-all').addEventListener('click', () => renewals.renew());
$('finish').addEventListener('click', () => {
  say('finish-error', '');
  // The items as this screen has them (an item's news comes alone, not with the session).
  say('finish-unsettled', unsettledItemsWords([...state.items.values()], state.session?.mode));
  show('finish');
});
$('finish-back').addEventListener('click', () => show('session'));
$('in-use-take').addEventListener('click', () => once(screens.takeOverHere));
for (const button of document.querySelectorAll('[data-receipt]')) {
  button.addEventListener('click', () => once(() => finish(button.dataset.receipt)));
}

login.watchScanner();
library.watch();

document.body.dataset.pad = pad;
toStart();
screens.resumeLeftSession();
