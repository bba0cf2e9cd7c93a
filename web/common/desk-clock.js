/**
 * The desk's wall clock, as a page knows it. The times Carrel sends (an alarm's, a device's "since")
 * are on the desk's clock; the PC or kiosk showing the page may be minutes off it (no NTP, no RTC
 * battery), and aged against its own `Date.now()` an alarm that just happened read "10 min ago",
 * or was dated tomorrow. Every answer from Carrel carries its time in the `Date` header (to the
 * second): each one pins the desk's clock to this page's monotonic clock, `performance.now()`, which
 * no step of the PC's wall clock moves, and between answers the page counts on that.
 */

// The desk's time minus performance.now(), at least and at most, from the answers heard so far.
let lowest = Number.NEGATIVE_INFINITY;
let highest = Number.POSITIVE_INFINITY;
let heard;

/** Settled once an answer has told the page the desk's time. */
export const deskTimeHeard = new Promise((resolve) => {
  heard = resolve;
});

/**
 * An answer's `Date` header, for a request sent at `sentAt` and answered at `receivedAt` (both
 * performance.now()). The desk wrote it in between, its clock then within the second it names.
 */
export function heardDeskTime(date, sentAt, receivedAt) {
  const at = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(at)) return;
  const low = at - receivedAt;
  const high = at + 1000 - sentAt;
  if (low > highest || high < lowest) {
    // Not what the earlier answers said: the desk's clock was stepped (NTP). Its word now counts.
    lowest = low;
    highest = high;
  } else {
    lowest = Math.max(lowest, low);
    highest = Math.min(highest, high);
  }
  heard();
}

/** Whether an answer has told the page the desk's time yet. */
export const deskTimeKnown = () => Number.isFinite(lowest);

/** The desk's time now (ms since 1970); this PC's own until Carrel has answered once. */
export function deskNow() {
  if (!deskTimeKnown()) return Date.now();
  return Math.round(performance.now() + (lowest + highest) / 2);
}

/**
 * The desk's time zone (IANA), once the page has heard it (GET /api/v1/auth/caller says it); until
 * then, and on a page that does not ask, this browser's. A PC in another zone than the desk's (IT's,
 * at the library's head office) would otherwise date a desk's 23:30 tomorrow.
 */
let zone;
/** The shapes the pages write times and days in, as Intl's options. */
const SHAPES = {
  /** `2026-12-07`, read from its parts. */
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  /** `21:15:46`: the gate page's alarms. */
  clock: { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false },
  /** `9:15:46 PM` (as this browser's language writes it): the dashboard's times today. */
  time: { hour: 'numeric', minute: '2-digit', second: '2-digit' },
  /** `9:15 PM`: the dashboard's times of another day. */
  minutes: { hour: 'numeric', minute: '2-digit' },
  /** `Fri 4 Dec`: the gate page's days. */
  weekday: { weekday: 'short', day: 'numeric', month: 'short' },
  /** `12/7/2026` and `12/7/2026, 9:15:46 PM`, as this browser writes a date and a date with its time. */
  date: { year: 'numeric', month: 'numeric', day: 'numeric' },
  dateTime: {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  },
  /** `2026-12-07 21:15:46` read from its parts: an instant's wall time at the desk. */
  wall: {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  },
  /** `4 Dec`, and `4 Dec 2025`. */
  dayMonth: { day: 'numeric', month: 'short' },
  dayMonthYear: { day: 'numeric', month: 'short', year: 'numeric' },
};
/** Formatters by zone and shape, made once each: a page draws many times (an alarm storm, thousands). */
const formatters = new Map();
function formatter(shape) {
  const key = `${zone ?? ''}|${shape}`;
  let made = formatters.get(key);
  if (!made) {
    const parts = shape === 'day' || shape === 'wall';
    made = new Intl.DateTimeFormat(parts ? 'en-US' : [], { ...SHAPES[shape], timeZone: zone });
    formatters.set(key, made);
  }
  return made;
}

/**
 * The desk said its time zone (`Europe/Oslo`); a name this browser does not know is ignored.
 * Whether it changed what the page knew (what was drawn before is then drawn again).
 */
export function heardDeskZone(name) {
  if (typeof name !== 'string' || name === zone) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
  } catch {
    return false;
  }
  const changed = name !== (zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  zone = name;
  return changed;
}

/** The desk's time zone (`Europe/Oslo`) once heard; this browser's until then. */
export function deskZone() {
  return zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The calendar day of `at` (ms or Date) at the desk: `2026-12-07`. */
export function deskDayOf(at) {
  const parts = {};
  for (const { type, value } of formatter('day').formatToParts(at)) parts[type] = value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The day `days` after `day` (`2026-12-07`, -6 → `2026-12-01`): calendar days, in no zone. */
export function dayAfter(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** How far the desk's wall clock is ahead of UTC at `at` (ms). */
function offsetAt(at) {
  const parts = {};
  for (const { type, value } of formatter('wall').formatToParts(at)) parts[type] = value;
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The instant `day` (`2026-12-07`) begins at the desk (ms): its midnight in the desk's zone, or
 * the first moment of the day where its clocks skip midnight (a change of time at 00:00). The
 * offsets a day before and after its UTC midnight hold the one at its local midnight: a zone's
 * clock changes months apart.
 */
export function deskMidnight(day) {
  const utc = Date.parse(`${day}T00:00:00Z`);
  const starts = [utc - 86_400_000, utc, utc + 86_400_000]
    .map((at) => utc - offsetAt(at))
    .filter((at) => deskDayOf(at) === day);
  return Math.min(...starts);
}

/** The desk's day now (`2026-12-07`), in the desk's time zone once heard (this browser's until then). */
export function deskDay() {
  return deskDayOf(deskNow());
}

/** `at` (ms, Date) at the desk, in one of the SHAPES: a time of day (`clock`, `time`, `minutes`) or a day. */
export function deskFormat(at, shape) {
  return formatter(shape).format(at);
}

/**
 * A PC asleep (suspended) stops performance.now() while its wall clock runs on: woken, the desk's
 * time as reckoned here runs behind by as long as it slept, until an answer says otherwise — the
 * dashboard's next read 15 s on, the gate page's only when it connects again. So the two clocks
 * are compared (every few seconds, and as the page is shown again): moved apart by more than
 * AWAKE_MS (the PC slept, or its wall clock was stepped), each page asks the desk at once, and
 * the answer's `Date` gives the desk's time again.
 */
const AWAKE_MS = 2000;
const CHECK_EVERY_MS = 5000;
const askers = new Set();
let wallAt = Date.now();
let monotonicAt = performance.now();
let checking;

/** Whether this page's two clocks moved apart since the last look; if so, asks the desk again. */
function checkAwake() {
  const wall = Date.now();
  const monotonic = performance.now();
  const apart = wall - wallAt - (monotonic - monotonicAt);
  wallAt = wall;
  monotonicAt = monotonic;
  if (Math.abs(apart) < AWAKE_MS) return;
  for (const ask of askers)
    Promise.resolve()
      .then(ask)
      .catch(() => {});
}

/**
 * `ask` (a call to the desk, whose answer tells the desk's time, then whatever the page draws
 * anew with it) is run at once whenever the PC is found to have slept.
 */
export function askDeskAfterSleep(ask) {
  askers.add(ask);
  if (checking) return;
  wallAt = Date.now();
  monotonicAt = performance.now();
  checking = setInterval(checkAwake, CHECK_EVERY_MS);
  document.addEventListener('visibilitychange', checkAwake);
  addEventListener('pageshow', checkAwake);
}

/** The calendar day of `at` at the desk as a number to compare and subtract. */
const dayNumber = (at) => Date.parse(`${deskDayOf(at)}T00:00:00Z`) / 86_400_000;

/**
 * A time the desk sent (ISO), in words, dated unless it is today at the desk: "9:15:46 PM" today,
 * "yesterday 9:15 PM", "5 Dec 9:15 PM" (with the year when not this year's). Today is the desk's
 * today, on its clock and in its time zone: this PC's clock may be a day off it (no RTC battery),
 * its zone another. A bare time of a reading taken yesterday read as one taken today.
 */
export function deskWhen(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '–';
  const now = deskNow();
  const daysAgo = dayNumber(now) - dayNumber(at);
  if (daysAgo === 0) return deskFormat(at, 'time');
  if (daysAgo === 1) return `yesterday ${deskFormat(at, 'minutes')}`;
  const sameYear = deskDayOf(at).slice(0, 4) === deskDayOf(now).slice(0, 4);
  return `${deskFormat(at, sameYear ? 'dayMonth' : 'dayMonthYear')} ${deskFormat(at, 'minutes')}`;
}

/**
 * Follows the desk's day: `turned(day, was)` is called once the desk's day is no longer the one it
 * was (`2026-12-08`, `2026-12-07`) — at the desk's midnight with the page left open, and as a PC woken from sleep
 * after midnight asks the desk (`ask`, a call whose answer tells the desk's time) — so a page's
 * "today" is the desk's today, not the day it was opened on. Returns a function that looks at once.
 */
export function followDeskDay(ask, turned) {
  let day = deskDay();
  const look = () => {
    const now = deskDay();
    if (now === day) return;
    const was = day;
    day = now;
    turned(now, was);
  };
  // Each half minute: the day turns at the desk's midnight within that of it.
  setInterval(look, 30_000);
  askDeskAfterSleep(async () => {
    await ask();
    look();
  });
  return look;
}
