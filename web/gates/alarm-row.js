/**
 * An alarm's row on the gate alarm page: when it happened, the item's title (or why there is none),
 * what is known of the item and why the gate alarmed, and its Acknowledge; and what the alarm
 * history kept of an alarm's title lookup. Plain functions of an alarm as the page keeps it.
 */
import { acknowledgedBy, clock, dayOf, REASONS, STATUSES, when } from './words.js';

/**
 * What the history kept of an alarm's title lookup, as the live events said it: the ILS's answer
 * (`details`: known or not, call number, location, status), or why it said nothing (`notFound`).
 */
export function keptLookup(record) {
  const lookup = record.lookup;
  if (!lookup) return {};
  if (lookup.answered)
    return {
      details: {
        known: lookup.known,
        callNumber: lookup.callNumber,
        permanentLocation: lookup.permanentLocation,
        circulationStatus: lookup.circulationStatus,
      },
    };
  return { notFound: lookup.message, notKept: lookup.reason === 'not_kept' };
}

/**
 * Did the title lookup end without the library system saying anything of the item (it did not
 * answer, could not be reached, a restart cut the wait, or the page stopped waiting)? Then nobody
 * said the item is unknown: the title is not known, and the line below says why.
 */
function lookupMissed(record, stoppedWaiting) {
  if (record.title || !record.item || record.details) return false;
  return Boolean(record.notKept || record.notFound || stoppedWaiting);
}

/** What the title line says: the ILS's title, or why there is none, or '…' while it may come. */
function titleOf(record, stoppedWaiting) {
  if (record.title) return record.title;
  if (!record.item) return 'Unreadable tag';
  // The library system answered that it does not know the item: the only 'not found' there is.
  if (record.details?.known === false) return 'Not in the catalogue';
  // It knows the item and gave no title.
  if (record.details) return 'Title not known';
  // Kept by a Carrel from before the lookup was: nothing more is coming, and the page says so.
  if (record.notKept) return 'Title not kept';
  if (lookupMissed(record, stoppedWaiting)) return 'Title not known';
  return '…';
}

/**
 * The parts of an alarm's row, in order: its time (with its day when not today), title, what is
 * known of it, and — given `onAcknowledge` (a waiting alarm the page's token may acknowledge) — an
 * Acknowledge button, whose press calls `onAcknowledge(button)`. `gate` is its gate's name;
 * `stoppedWaiting`, that the page stopped waiting for its title.
 */
export function alarmParts(record, { gate, stoppedWaiting, onAcknowledge }) {
  const open = record.acknowledged === null;
  const time = document.createElement('time');
  time.dateTime = record.time;
  // An alarm still waiting from an earlier day says so: not read as one that just happened.
  const day = dayOf(record.time);
  if (day) {
    const dayLine = document.createElement('span');
    dayLine.className = 'day';
    dayLine.textContent = day;
    time.append(dayLine, ' ');
  }
  time.append(clock(record.time));
  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = titleOf(record, stoppedWaiting);
  const meta = document.createElement('span');
  meta.className = 'meta';
  const details = record.details;
  const words = [
    gate,
    record.item,
    details?.callNumber,
    // Where the item belongs, said as such: a location code is not a call number.
    details?.permanentLocation ? `location ${details.permanentLocation}` : null,
    details?.circulationStatus ? (STATUSES[details.circulationStatus] ?? details.circulationStatus) : null,
    record.direction === 'in' ? 'walking in' : record.direction === 'out' ? 'walking out' : null,
    REASONS[record.reason] ?? record.reason,
    record.ils === 'unanswered' ? 'the library system did not answer' : null,
    lookupMissed(record, stoppedWaiting) ? (record.notFound ?? 'the library system did not say') : null,
    open ? null : `${acknowledgedBy(record.acknowledged.by)} at ${when(record.acknowledged.at)}`,
  ];
  // 'the library system did not answer' once, when it decided the alarm and then gave no title.
  meta.textContent = [...new Set(words.filter(Boolean))].join(' · ');
  const parts = [time, title, meta];
  if (onAcknowledge) {
    const ack = document.createElement('button');
    ack.type = 'button';
    ack.className = 'ack';
    ack.textContent = 'Acknowledge';
    ack.addEventListener('click', () => onAcknowledge(ack));
    parts.push(ack);
  }
  return parts;
}
