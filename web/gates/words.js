/**
 * The gate alarm page's words: why a gate alarmed, an item's status, times and days, who
 * acknowledged, and Carrel's refusals — for desk staff, not developers.
 */
import { deskDay, deskDayOf, deskFormat } from '/common/desk-clock.js';
import { Problem } from './api.js';

export const REASONS = {
  afi: 'tag says not lent',
  eas: 'tag still secured (not checked out)',
  reported: 'the gate alarmed',
  ils: 'not on loan (library system)',
};

export const STATUSES = {
  available: 'on the shelf',
  charged: 'on loan',
  chargedNotToBeRecalled: 'on loan',
  recalled: 'on loan, recalled',
  onOrder: 'on order',
  inProcess: 'in processing',
  waitingOnHoldShelf: 'on the hold shelf',
  waitingToBeReshelved: 'waiting to be reshelved',
  inTransit: 'in transit',
  claimedReturned: 'claimed returned',
  lost: 'lost',
  missing: 'missing',
};

// Times and days at the desk, on its clock and in its time zone (desk-clock.js), each shape's
// formatter made once: making one per alarm took most of the page's time in an alarm storm.
export const clock = (iso) => deskFormat(new Date(iso), 'clock');
/** The day of an alarm not raised today ('Fri 4 Dec'); none for today's. */
export function dayOf(iso) {
  const at = new Date(iso);
  // Today on the desk's clock, which dated the alarm: this PC's may be off it (no NTP, no RTC battery).
  if (deskDayOf(at) === deskDay()) return null;
  return deskFormat(at, 'weekday');
}
/** A time, with its day when it was not today. */
export const when = (iso) => [dayOf(iso), clock(iso)].filter(Boolean).join(' ');
/**
 * Who acknowledged, in words: the name of the token they hold, or — on a desk without tokens, which
 * serves only this machine — "at this desk", as Carrel says.
 */
export const acknowledgedBy = (by) =>
  by === 'at this desk' ? `acknowledged ${by}` : `acknowledged by ${by}`;

/** A 401: no token, or one Carrel no longer takes. For the desk (what to do), and IT (how the link is made: /gates#token=…). */
export const NOT_LET_IN =
  "Carrel did not let this page in: the link it was opened with has no valid access token (it may have been changed). Ask IT for the gate page's current link.";

/** A refusal in words; `refused` says what a 403 refused (the token's scope falls short of it). */
export function problemWords(
  error,
  refused = 'This page needs a staff or monitor token to read the alarms.',
) {
  if (error instanceof Problem) {
    if (error.status === 401) return NOT_LET_IN;
    if (error.status === 403) return refused;
    if (error.code === 'network') return 'Carrel cannot be reached.';
    return error.message;
  }
  return String(error);
}
