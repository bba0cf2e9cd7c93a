/**
 * The desk's gate alarm page: alarms as they happen at the security gates, with
 * the title the library system gives each item, a short sound, acknowledging
 * (staff), and today's visitors and how many are inside. Built only on
 * Carrel's public API: the gates and the alarm history over HTTP, everything
 * live over the event WebSocket.
 *
 * `#token=…` gives the API token (kept in sessionStorage); acknowledging needs
 * a staff token: opened with one that may only watch (monitor), the page offers
 * no Acknowledge and says so.
 */
import { askDeskAfterSleep, deskDay, deskNow, heardDeskZone } from '/common/desk-clock.js';
import { alarmParts, keptLookup } from './alarm-row.js';
import { GateApi, Problem, takeToken } from './api.js';
import { alarmSound } from './sound.js';
import { gateFigures } from './visitors.js';
import { NOT_LET_IN, problemWords } from './words.js';

const api = new GateApi(location.origin, takeToken(location, sessionStorage, history));
const $ = (id) => document.getElementById(id);

/** Gate id → { name, status, visitors, titleLookupMs }. */
const gates = new Map();
/** Alarm id → what the page knows of it (the history's shape). */
const alarms = new Map();
/**
 * Alarms whose title the page stopped waiting for. Carrel says when no title is coming
 * (gate.alarm_not_enriched); the page stops waiting by itself only when it cannot have heard that
 * (it was reconnecting, or opened later): once the gate's title lookup is over, and a little more.
 */
const lookupsOver = new Set();
const LOOKUP_SLACK_MS = 5_000;
/**
 * Acknowledged alarms the page keeps, the newest: a page left open for a week at a busy branch
 * would otherwise hold every alarm of the week. Waiting alarms are always kept; staff reach older
 * acknowledged ones with 'Older alarms' (each page they load is kept on top of these).
 */
const ACKNOWLEDGED_KEPT = 100;
/**
 * Waiting alarms shown, the newest: in an alarm storm (a trolley of books wheeled out, a gate
 * misbehaving) thousands may wait, and drawing each again made the page slower with every alarm.
 * The rest wait in the page's memory, counted under the list, and move up as those shown are
 * acknowledged.
 */
const OPEN_SHOWN = 100;
/**
 * Waiting alarms kept in the page's memory, the newest: those shown and as many again, older, to
 * move up as those shown are acknowledged. The older ones still are only counted (`notKept`), and
 * read again from Carrel (GET /api/v1/gates/alarms?open=true after the oldest kept) when the
 * ones kept run low: a storm of thousands, or a desk PC left open for a month, holds no more.
 */
const OPEN_KEPT = 2 * OPEN_SHOWN;
/** Each alarm's row, by its id: only the alarms shown have one. */
const rows = new Map();
/** The ids of the alarms waiting that the page keeps (shown or not). */
const waiting = new Set();
/** Alarms waiting that the page does not keep (older than those it does): counted only. */
let notKept = 0;
/**
 * The ids of the alarms this page saw acknowledged, the latest (a bounded number): the word of it
 * that comes after (Carrel's event of this page's own acknowledgement) is not taken for one of those
 * only counted, once the alarm itself has been let go of.
 */
const seenAcknowledged = new Set();
const SEEN_ACKNOWLEDGED_KEPT = 1000;
/** Reading the next older waiting alarms from Carrel, once at a time. */
let readingOlderWaiting = null;
let acknowledgedKept = ACKNOWLEDGED_KEPT;
let olderPage = null;
let socket = null;
let retryMs = 1000;
/** The event WebSocket has been open before: opening again is coming back from a break. */
let opened = false;
/**
 * The page has read the alarm history once: until then it does not know whether any alarm is
 * waiting, and says neither 'No alarms waiting.' nor 'Live'.
 */
let historyRead = false;
/**
 * The page's token may acknowledge (staff or admin), as GET /api/v1/auth/caller says: null until it
 * has said — the alarms show meanwhile, without Acknowledge, so a link that may only watch never
 * has one to press. A page that could not ask (or had no answer within CALLER_WAIT_MS) offers the
 * buttons, and Carrel's first refusal takes them away.
 */
let mayAcknowledge = null;
/** Carrel has said what the page's token may do. */
let callerKnown = false;
const CALLER_WAIT_MS = 5_000;

// ---- Words (words.js) ----------------------------------------------------

const gateName = (id) => gates.get(id)?.name ?? id;

function say(text) {
  $('problem').textContent = text ?? '';
  $('problem').hidden = !text;
}

// ---- Sound (sound.js) ------------------------------------------------------

/** Two short high tones for an alarm, once staff have pressed Sound. */
const beep = alarmSound($('sound'));

// ---- Visitors (visitors.js) ------------------------------------------------

/** Today's visitors and each gate's line, with what staff are told of a gate not connected. */
const figures = gateFigures(gates, $);

// ---- Alarms ----------------------------------------------------------------

/** A live `gate.alarm` in the history's shape. */
function fromEvent(device, data) {
  return {
    id: data.id,
    gate: device,
    time: data.time,
    direction: data.direction ?? null,
    item: data.item?.id ?? null,
    title: null,
    lookup: null,
    reason: data.reason,
    ils: data.ils ?? null,
    acknowledged: null,
    heard: true,
  };
}

/**
 * How much longer a title may come for this alarm: its gate's title lookup (Carrel's wait for the
 * library system) counted from the alarm, and a little more; none when the desk has no library
 * system to ask.
 */
function titleMayComeFor(record) {
  const lookupMs = gates.get(record.gate)?.titleLookupMs;
  if (lookupMs === null) return 0;
  const waitMs = (lookupMs ?? 0) + LOOKUP_SLACK_MS;
  // A live alarm is counted from now; one from the history from its time, on the desk's clock.
  const age = record.heard ? 0 : deskNow() - Date.parse(record.time);
  return Math.min(waitMs, Math.max(0, waitMs - age));
}

function remember(record) {
  const known = alarms.get(record.id);
  const kept = keptLookup(record);
  // What the page learnt live (a title, the ILS's details, that none is coming) stays when the
  // history is read again; a page opened later reads the same from the history.
  const merged = {
    ...known,
    ...record,
    title: record.title ?? known?.title ?? null,
    details: known?.details ?? kept.details,
    notFound: known?.notFound ?? kept.notFound,
    notKept: known?.notKept ?? kept.notKept,
  };
  alarms.set(record.id, merged);
  if (merged.acknowledged === null) waiting.add(merged.id);
  else if (waiting.delete(merged.id)) {
    seenAcknowledged.add(merged.id);
    if (seenAcknowledged.size > SEEN_ACKNOWLEDGED_KEPT)
      seenAcknowledged.delete(seenAcknowledged.values().next().value);
  }
  if (
    merged.item &&
    !merged.title &&
    !merged.details &&
    !merged.notFound &&
    !lookupsOver.has(merged.id) &&
    !known
  ) {
    // The timer holds the alarm's id, not the alarm: one the page lets go of meanwhile is let go of.
    const id = merged.id;
    setTimeout(() => {
      const now = alarms.get(id);
      if (!now) return; // Let go of meanwhile (acknowledged, and older than what the page keeps).
      lookupsOver.add(id);
      if (rows.has(id)) render(now);
    }, titleMayComeFor(merged));
  }
  render(merged);
  trim();
  keepWaitingBounded();
  return merged;
}

/** The oldest waiting alarm the page keeps. */
function oldestWaiting() {
  let oldest = null;
  for (const id of waiting) {
    const record = alarms.get(id);
    if (record && (!oldest || newestFirst(record, oldest) > 0)) oldest = record;
  }
  return oldest;
}

/** Lets go of the oldest waiting alarms beyond OPEN_KEPT (never one shown), counting them. */
function keepWaitingBounded() {
  while (waiting.size > OPEN_KEPT) {
    const oldest = oldestWaiting();
    if (!oldest || rows.has(oldest.id)) return;
    waiting.delete(oldest.id);
    alarms.delete(oldest.id);
    lookupsOver.delete(oldest.id);
    notKept++;
  }
  showWhatIsEmpty();
}

/**
 * The waiting alarms kept beyond those shown have run low while Carrel has more: the next older
 * ones are read from Carrel, after the oldest kept (its time and id, the API's cursor).
 */
function readMoreWaiting() {
  if (readingOlderWaiting || notKept === 0) return;
  if (waiting.size - $('open').children.length >= OPEN_SHOWN / 2) return;
  const oldest = oldestWaiting();
  if (!oldest) return;
  readingOlderWaiting = api
    .openAlarms(`${Date.parse(oldest.time)}.${oldest.id}`, OPEN_SHOWN)
    .then((page) => {
      for (const record of page.alarms) {
        if (alarms.has(record.id) || record.acknowledged !== null) continue;
        notKept = Math.max(0, notKept - 1);
        remember(record);
      }
      // Carrel has no more of them (acknowledged meanwhile at another desk PC): none left to count.
      if (!page.next && page.alarms.length < OPEN_SHOWN) notKept = 0;
      showWhatIsEmpty();
    })
    .catch(() => {
      // Read again at the next acknowledgement, or when the page catches up after a break.
    })
    .finally(() => {
      readingOlderWaiting = null;
    });
}

const newestFirst = (a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.id < b.id ? 1 : -1);

/**
 * Lets go of the acknowledged alarms beyond the newest `acknowledgedKept`, rows and all. 'Older
 * alarms' then goes on from the oldest one still shown (the API's cursor: its time and id), so
 * none is skipped.
 */
function trim() {
  // Only acknowledged alarms have rows in the acknowledged list: nothing to let go of below the bound.
  if ($('done').children.length <= acknowledgedKept) return;
  const acknowledged = [...alarms.values()].filter((record) => record.acknowledged !== null);
  if (acknowledged.length <= acknowledgedKept) return;
  acknowledged.sort(newestFirst);
  for (const record of acknowledged.slice(acknowledgedKept)) {
    alarms.delete(record.id);
    lookupsOver.delete(record.id);
    rows.get(record.id)?.remove();
    rows.delete(record.id);
  }
  const oldest = acknowledged[acknowledgedKept - 1];
  olderPage = `${Date.parse(oldest.time)}.${oldest.id}`;
  $('older').hidden = false;
  showWhatIsEmpty();
}

/** Alarms acknowledged from the keyboard, waiting for Carrel: the keyboard stays on the alarms once they move. */
const keyboardAcks = new Set();

function render(record) {
  const open = record.acknowledged === null;
  const list = open ? $('open') : $('done');
  let row = rows.get(record.id) ?? null;
  if (open && row?.parentElement !== list && !makeRoomFor(record)) {
    // Older than every waiting alarm shown: it waits unshown, counted under the list.
    showWhatIsEmpty();
    return;
  }
  // The keyboard on this alarm's Acknowledge stays on the alarms as the row is drawn again (its
  // title came) or leaves the waiting list: then on the next waiting alarm's, else on the heading.
  const hadFocus = row !== null && (row.contains(document.activeElement) || keyboardAcks.has(record.id));
  let focusNext = null;
  if (!row || row.parentElement !== list) {
    if (hadFocus && !open) focusNext = row.nextElementSibling ?? row.previousElementSibling;
    const leftWaiting = row?.parentElement === $('open');
    row?.remove();
    row = document.createElement('li');
    row.className = 'alarm';
    row.dataset.alarm = record.id;
    rows.set(record.id, row);
    // Mostly the newest: looked for from the top, among the rows shown (a bounded number).
    const newer = [...list.children].find((other) => alarms.get(other.dataset.alarm)?.time < record.time);
    list.insertBefore(row, newer ?? null);
    if (leftWaiting) showNextWaiting();
  }
  const parts = alarmParts(record, {
    gate: gateName(record.gate),
    stoppedWaiting: lookupsOver.has(record.id),
    onAcknowledge: open && mayAcknowledge ? (ack) => acknowledge(record.id, ack) : undefined,
  });
  row.replaceChildren(...parts);
  showWhatIsEmpty();
  if (hadFocus) {
    keyboardAcks.delete(record.id);
    if (open && mayAcknowledge) parts[parts.length - 1].focus();
    else (focusNext?.querySelector('.ack') ?? $('open-title')).focus();
  }
}

/**
 * Room in the waiting list for `record` (not shown yet): there is some, or it is newer than the
 * oldest shown, which then waits unshown. False: it is older than every alarm shown.
 */
function makeRoomFor(record) {
  const list = $('open');
  if (list.children.length < OPEN_SHOWN) return true;
  const oldestRow = list.lastElementChild;
  const oldest = alarms.get(oldestRow.dataset.alarm);
  if (oldest && newestFirst(record, oldest) > 0) return false;
  oldestRow.remove();
  rows.delete(oldestRow.dataset.alarm);
  return true;
}

/** A waiting alarm left the list (acknowledged): the newest of those waiting unshown takes its place. */
function showNextWaiting() {
  if (waiting.size <= $('open').children.length) {
    readMoreWaiting();
    return;
  }
  let next = null;
  for (const id of waiting) {
    const record = alarms.get(id);
    if (!record || rows.has(id)) continue;
    if (!next || newestFirst(record, next) < 0) next = record;
  }
  if (next) render(next);
  readMoreWaiting();
}

/**
 * 'No alarms waiting.' when none is; the acknowledged alarms' heading only over some (or over
 * 'Older alarms', which has some to show).
 */
function showWhatIsEmpty() {
  $('open-empty').hidden = !historyRead || $('open').children.length > 0;
  const unshown = waiting.size + notKept - $('open').children.length;
  $('open-more').hidden = unshown <= 0;
  $('open-more').textContent =
    unshown === 1
      ? '1 more alarm waiting, older: acknowledge those shown to see it.'
      : `${unshown} more alarms waiting, older: acknowledge those shown to see them.`;
  $('done-section').hidden = $('done').children.length === 0 && $('older').hidden;
}

function enrich(data) {
  const record = alarms.get(data.alarm);
  if (!record) return;
  record.title = data.title ?? record.title;
  record.details = data;
  if (rows.has(record.id)) render(record);
}

/** Carrel will not say what the item is: 'Title not known' now, with why, rather than '…'. */
function notEnriched(data) {
  const record = alarms.get(data.alarm);
  if (!record || record.title || record.details) return;
  record.notFound = data.message;
  if (rows.has(record.id)) render(record);
}

async function acknowledge(id, button) {
  const fromKeyboard = document.activeElement === button;
  if (fromKeyboard) keyboardAcks.add(id);
  button.disabled = true;
  try {
    remember(await api.acknowledge(id));
    say(null);
  } catch (error) {
    keyboardAcks.delete(id);
    button.disabled = false;
    if (fromKeyboard) button.focus();
    // The token may not acknowledge (changed since the page asked): no more buttons that cannot work.
    if (error instanceof Problem && error.status === 403) watchOnly();
    say(
      error instanceof Problem && error.code === 'network'
        ? 'Not acknowledged: Carrel cannot be reached. Press Acknowledge again once the page says Live.'
        : problemWords(error, 'Acknowledging an alarm needs a staff token.'),
    );
  }
}

/** The page's token may only watch: the waiting alarms lose their Acknowledge, and the page says why. */
function watchOnly() {
  const onButton = document.activeElement?.classList.contains('ack') === true;
  mayAcknowledge = false;
  $('watch-only').hidden = false;
  for (const record of alarms.values())
    if (record.acknowledged === null && rows.has(record.id)) render(record);
  // The keyboard was on an Acknowledge that is gone: it stays on the alarms.
  if (onButton) $('open-title').focus();
}

/** The page's token may acknowledge (or the page could not learn otherwise): the waiting alarms get their Acknowledge. */
function offerAcknowledge() {
  if (mayAcknowledge !== null) return;
  mayAcknowledge = true;
  for (const record of alarms.values())
    if (record.acknowledged === null && rows.has(record.id)) render(record);
}

/**
 * What the page's token may do, asked beside the alarms rather than before them: the page shows
 * what is waiting at once. A page that cannot ask (Carrel away) or has no answer in time offers
 * the buttons.
 */
async function identify() {
  const unanswered = setTimeout(offerAcknowledge, CALLER_WAIT_MS);
  try {
    const { scopes, timeZone } = await api.call('GET', '/api/v1/auth/caller');
    callerKnown = true;
    // The alarms' days are the desk's, in its zone: those drawn in this PC's zone are drawn again.
    if (heardDeskZone(timeZone)) redrawDays();
    if (scopes.includes('staff') || scopes.includes('admin')) offerAcknowledge();
    else watchOnly();
  } catch {
    // Asked again at the next start; Carrel's refusal of an acknowledgement says the same.
    offerAcknowledge();
  } finally {
    clearTimeout(unanswered);
  }
}

async function loadAlarms(after) {
  const page = await api.alarms(after);
  // Older alarms staff asked for stay on the page beside the newest ones.
  if (after) acknowledgedKept += page.alarms.length;
  for (const record of page.alarms) remember(record);
  if (after || olderPage === null) olderPage = page.next;
  $('older').hidden = !olderPage;
  showWhatIsEmpty();
}

/**
 * What happened while the page was not listening (it opened, Carrel restarted, the Wi-Fi dropped):
 * the newest alarms, and every alarm still waiting however old — a waiting alarm behind 50 newer
 * ones is still waiting. Back from a break, an alarm raised meanwhile sounds as a live one does.
 */
async function catchUp(reconnected) {
  const before = new Set(alarms.keys());
  await loadAlarms();
  let after = null;
  let pages = 0;
  // Every waiting alarm is read again: each one is kept or counted anew.
  notKept = 0;
  do {
    const page = await api.openAlarms(after);
    for (const record of page.alarms) remember(record);
    after = page.next;
  } while (after && ++pages < 10);
  const missed = [...alarms.values()].some(
    (record) => record.acknowledged === null && !record.heard && !before.has(record.id),
  );
  historyRead = true;
  showWhatIsEmpty();
  if (reconnected && missed) beep();
}

$('older').addEventListener('click', () => {
  if (olderPage) loadAlarms(olderPage).catch((error) => say(problemWords(error)));
});

// ---- Live ------------------------------------------------------------------

function onMessage(message) {
  if (message.event === 'snapshot') {
    for (const device of message.data.devices) {
      figures.setStatus(device.device, device.status);
      figures.setVisitors(device.device, device.detail?.visitors);
    }
  } else if (message.event === 'device.state') {
    figures.setStatus(message.data.device, message.data.status);
    figures.setVisitors(message.data.device, message.data.detail?.visitors);
  } else if (message.event === 'device.event') {
    const { device, type, data } = message.data;
    if (type === 'gate.alarm') {
      remember(fromEvent(device, data));
      beep();
    } else if (type === 'gate.alarm_enriched') {
      enrich(data);
    } else if (type === 'gate.alarm_not_enriched') {
      notEnriched(data);
    } else if (type === 'gate.alarm_acknowledged') {
      // Acknowledged at another desk PC (or this one): it leaves the waiting list everywhere.
      const record = alarms.get(data.alarm);
      if (record && record.acknowledged === null) remember({ ...record, acknowledged: data.acknowledged });
      else if (!record && notKept > 0 && !seenAcknowledged.has(data.alarm)) {
        // One of those the page only counts.
        notKept--;
        showWhatIsEmpty();
      }
    } else if (type === 'gate.count') {
      const gate = gates.get(device);
      figures.setVisitors(device, {
        ...(gate?.visitors ?? {}),
        today: data.today,
        occupancy: data.occupancy,
      });
    }
  }
}

function connect() {
  socket = api.events(
    [...gates.keys()],
    onMessage,
    () => {
      retryMs = 1000;
      const opening = socket;
      // Whatever happened while the page was not listening is in the history. Once it is read,
      // Carrel is reachable again: what the page said while it was not (an acknowledgement that
      // did not go through) is over. The page says Live only then: Live with an alarm waiting
      // still on its way (a slow desk PC, a busy Carrel) would read as nothing waiting.
      const live = () => {
        if (socket !== opening || opening.readyState !== WebSocket.OPEN) return;
        $('link').textContent = 'Live';
        $('link').classList.remove('down');
      };
      catchUp(opened).then(
        () => {
          say(null);
          live();
        },
        (error) => {
          say(problemWords(error));
          live();
        },
      );
      opened = true;
    },
    (event) => {
      $('link').textContent = 'Reconnecting…';
      $('link').classList.add('down');
      if (event.code === 4401 || event.code === 4403) {
        say(
          event.code === 4401 ? NOT_LET_IN : 'This page needs a staff or monitor token to read the alarms.',
        );
        return;
      }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    },
  );
}

async function start() {
  if (!callerKnown) void identify();
  try {
    const { gates: list } = await api.gates();
    for (const gate of list)
      gates.set(gate.id, {
        name: gate.name ?? gate.id,
        status: gate.status,
        visitors: gate.visitors,
        titleLookupMs: gate.titleLookupMs,
      });
    figures.render();
    connect();
  } catch (error) {
    say(problemWords(error));
    setTimeout(start, 5000);
  }
}

/** Every alarm drawn again when the day turns: today's alarms become yesterday's, and say so. */
let today = deskDay();
function dayTurned() {
  if (deskDay() === today) return;
  redrawDays();
}
/** Every alarm shown drawn again, dated as of the desk's today. */
function redrawDays() {
  today = deskDay();
  for (const record of alarms.values()) if (rows.has(record.id)) render(record);
}
setInterval(dayTurned, 60_000);
document.addEventListener('visibilitychange', dayTurned);
// Woken from sleep, the desk's time is asked at once (this PC's performance.now() stood still; the
// page would otherwise hear it only when it connects again), and the alarms dated and aged on it.
askDeskAfterSleep(async () => {
  const { timeZone } = await api.call('GET', '/api/v1/auth/caller');
  heardDeskZone(timeZone);
  redrawDays();
});

window.addEventListener('beforeunload', () => socket?.close());
void start();
