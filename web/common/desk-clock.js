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
