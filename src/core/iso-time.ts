/**
 * An instant (epoch ms) as ISO 8601 in UTC, `2026-12-03T14:25:19.123Z` — what
 * `new Date(ms).toISOString()` gives. The last instant formatted is kept: the
 * stamps one event collects on its way through the gateway (the read, the
 * event, the health record) mostly fall in the same millisecond and are
 * formatted once. So is the last minute's `2026-12-03T14:25:`: a new instant in
 * that minute only adds its seconds and milliseconds, with no Date made. A Date
 * and its formatting cost 15–20 µs on a path that has been idle, where an alarm
 * or a scan pays them; the seconds cost a third of that.
 */
let lastMs = Number.NaN;
let lastText = '';
let lastMinute = Number.NaN;
/** `YYYY-MM-DDTHH:MM:` of `lastMinute`. */
let minutePrefix = '';

/** The largest instant a Date holds (±8.64e15 ms). */
const MAX_INSTANT = 8.64e15;

export function isoTime(ms: number): string {
  if (ms === lastMs) return lastText;
  // Invalid instants throw (RangeError), as toISOString does; nothing is kept for them.
  if (!(Math.abs(ms) <= MAX_INSTANT)) return new Date(ms).toISOString();
  // A Date keeps whole milliseconds, cutting toward zero.
  const whole = Math.trunc(ms) || 0;
  const minute = Math.floor(whole / 60_000);
  if (minute !== lastMinute) {
    // Every ISO string ends in `SS.mmmZ`; what comes before it is the minute's.
    minutePrefix = new Date(minute * 60_000).toISOString().slice(0, -7);
    lastMinute = minute;
  }
  const inMinute = whole - minute * 60_000;
  const seconds = Math.floor(inMinute / 1000);
  const millis = inMinute - seconds * 1000;
  lastText = `${minutePrefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  lastMs = ms;
  return lastText;
}
