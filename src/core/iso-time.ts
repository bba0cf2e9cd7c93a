/**
 * An instant (epoch ms) as ISO 8601 in UTC, `2026-12-03T14:25:19.123Z` — what
 * `new Date(ms).toISOString()` gives. The last instant formatted is kept: the
 * stamps one event collects on its way through the gateway (the read, the
 * event, the health record) mostly fall in the same millisecond and are
 * formatted once. A Date and its formatting cost several microseconds on a
 * path that has been idle, where an alarm or a scan pays them.
 */
let lastMs = Number.NaN;
let lastText = '';

export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    // Invalid instants throw (RangeError), as toISOString does; nothing is kept for them.
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
