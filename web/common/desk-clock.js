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

/** The desk's day now (`2026-12-07`), as this browser's time zone reckons it. */
export function deskDay() {
  const now = new Date(deskNow());
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
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

// One formatter each, made once (a dashboard draws every device's times every 10 s).
const CLOCK = new Intl.DateTimeFormat([], { hour: 'numeric', minute: '2-digit', second: '2-digit' });
const CLOCK_MINUTES = new Intl.DateTimeFormat([], { hour: 'numeric', minute: '2-digit' });
const DAY_MONTH = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const DAY_MONTH_YEAR = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', year: 'numeric' });

/** The calendar day of `at` (a Date) as a number to compare and subtract, in this browser's time zone. */
const dayNumber = (at) => Date.UTC(at.getFullYear(), at.getMonth(), at.getDate()) / 86_400_000;

/**
 * A time the desk sent (ISO), in words, dated unless it is today at the desk: "9:15:46 PM" today,
 * "yesterday 9:15 PM", "5 Dec 9:15 PM" (with the year when not this year's). Today is the desk's
 * today: this PC's clock may be a day off it (no RTC battery). A bare time of a reading taken
 * yesterday read as one taken today.
 */
export function deskWhen(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '–';
  const now = new Date(deskNow());
  const daysAgo = dayNumber(now) - dayNumber(at);
  if (daysAgo === 0) return CLOCK.format(at);
  if (daysAgo === 1) return `yesterday ${CLOCK_MINUTES.format(at)}`;
  const day = at.getFullYear() === now.getFullYear() ? DAY_MONTH : DAY_MONTH_YEAR;
  return `${day.format(at)} ${CLOCK_MINUTES.format(at)}`;
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
