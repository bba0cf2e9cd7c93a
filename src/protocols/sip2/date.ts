/**
 * SIP2 dates: 18 characters `YYYYMMDDZZZZHHMMSS`. ZZZZ is four spaces for local
 * time (the time zone of the connection, an IANA name) or a military zone letter in its last
 * place: `   Z` for UTC, `   A`–`   M` one to twelve hours east of it (no J), `   N`–`   Y` one
 * to twelve hours west (SIP2 2.00's own example: Q, Atlantic Standard Time, UTC−4). `0000`, a
 * zone's offset from UTC in hours and minutes, zero, is UTC too (read so, written `   Z`), and so
 * are `UTC`, `GMT` and `UT`. Other zone text (`EST`, `0100`) is refused in words: an abbreviation
 * names different zones in different countries (CST: Chicago or Shanghai) and an unsigned offset
 * may lie east or west, so no reading of it is sure. A named zone's offsets come from Intl, no tz
 * database of our own; the process's own zone (no name given) uses Date's local
 * time, which needs no ICU locale data (about 8 MB of resident memory saved).
 */

export const SIP2_DATE_LENGTH = 18;
const LOCAL_ZONE = '    ';
const UTC_ZONE = '   Z';
/**
 * An offset of zero hours and minutes from UTC: UTC, the instant `   Z` names. Not local time, which
 * SIP2 writes as four blanks only; read as local it was the ILS's (or desk's) wall clock, hours off.
 */
const ZERO_OFFSET_ZONE = '0000';

/**
 * How a date's zone was read: local time (in the connection's zone), UTC, or a fixed offset from
 * UTC a zone letter named, as `+01:00` or `-04:00`.
 */
export type Sip2DateZone = 'local' | 'utc' | (string & {});

export type Sip2ParsedDate = { ok: true; date: Date; zone: Sip2DateZone } | { ok: false; warning: string };

export interface Sip2DateOptions {
  /** Write UTC with zone `   Z` instead of local time. */
  utc?: boolean;
  /** The IANA zone local time is in; default the process's zone. */
  timeZone?: string | undefined;
}

/** The process's IANA time zone. */
export function processTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

// Zone names already found good. A name in Intl's list of canonical zones is good without a
// formatter: building one loads ICU's locale data (about 5 MB of resident memory), which then
// waits for the first date written or read in the zone rather than coming with the connection.
const knownZones = new Set<string>();

/** Throws RangeError for a zone name Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  if (knownZones.has(timeZone)) return;
  // An alias ('US/Eastern') or other name outside the canonical list is asked of a formatter.
  if (!Intl.supportedValuesOf('timeZone').includes(timeZone)) formatterFor(timeZone);
  knownZones.add(timeZone);
}

// Every zone's offset changes on a quarter hour, so one lookup per zone and quarter hour is exact.
// A message often carries two instants weeks apart (now, and a due date): several quarter hours
// per zone are kept, the oldest dropped first, so neither pushes the other out.
const QUARTER_HOUR = 15 * 60 * 1000;
const MAX_CACHED_OFFSETS = 64;
const offsetCache = new Map<string, number>();
// The last lookup, checked before the map: no key string built for the same zone and quarter hour.
let lastBucket = Number.NaN;
let lastOffsetZone = '';
let lastOffset = 0;

/** Milliseconds to add to a UTC instant to get the wall-clock time in `timeZone`. */
export function zoneOffset(timeZone: string, epochMs: number): number {
  const bucket = Math.floor(epochMs / QUARTER_HOUR);
  if (bucket === lastBucket && timeZone === lastOffsetZone) return lastOffset;
  const key = `${bucket} ${timeZone}`;
  let cached = offsetCache.get(key);
  if (cached === undefined) {
    cached = lookUpOffset(timeZone, bucket);
    if (offsetCache.size >= MAX_CACHED_OFFSETS) offsetCache.delete(offsetCache.keys().next().value as string);
    offsetCache.set(key, cached);
  }
  lastBucket = bucket;
  lastOffsetZone = timeZone;
  lastOffset = cached;
  return cached;
}

function lookUpOffset(timeZone: string, bucket: number): number {
  const instant = bucket * QUARTER_HOUR;
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  const field = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall - instant;
}

/** The offset of `timeZone`, or of the process's zone when none is named (no Intl needed). */
function localOffset(timeZone: string | undefined, epochMs: number): number {
  if (timeZone === undefined) return -new Date(epochMs).getTimezoneOffset() * 60_000;
  return zoneOffset(timeZone, epochMs);
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

// The last date written: a busy desk writes the same wall-clock second many times over.
// Keyed by that second as shown (offset applied) and the zone text, so it is exact. For UTC and a
// named zone it is also keyed by the instant's second and the zone, checked before any offset is
// looked up: a zone's offset changes only on a whole second. Not for the process's own zone, which
// the process may change (TZ) between two calls.
let lastWallSecond = Number.NaN;
let lastUtc = false;
let lastText = '';
let lastSecond = Number.NaN;
/** The zone of lastSecond: a named zone, UTC_KEY, or undefined (not kept by instant). */
let lastZone: string | undefined;
const UTC_KEY = '';

/** `YYYYMMDD    HHMMSS` in the zone (default the process's), or `YYYYMMDD   ZHHMMSS` with `utc`. */
export function formatSip2Date(date: Date, options: Sip2DateOptions = {}): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('cannot format an invalid Date as a SIP2 date');
  const utc = options.utc === true;
  const zone = utc ? UTC_KEY : options.timeZone;
  const second = Math.floor(ms / 1000);
  if (zone !== undefined && second === lastSecond && zone === lastZone) return lastText;
  const shifted = utc ? ms : ms + localOffset(options.timeZone, ms);
  const wallSecond = Math.floor(shifted / 1000);
  lastSecond = second;
  lastZone = zone;
  if (wallSecond === lastWallSecond && utc === lastUtc) return lastText;
  const d = new Date(shifted);
  const text =
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    (utc ? UTC_ZONE : LOCAL_ZONE) +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2);
  lastWallSecond = wallSecond;
  lastUtc = utc;
  lastText = text;
  return text;
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** A cheap check, no Intl: 18 characters with digits where the date and time go. */
export function isSip2DateShape(text: string): boolean {
  return text.length === SIP2_DATE_LENGTH && digitsAt(text, 0, 8) >= 0 && digitsAt(text, 12, 6) >= 0;
}

/**
 * Reads a SIP2 date. `   Z` and `0000` are UTC (zone 'utc'); local time (four-space zone, or the
 * military J) is read in `timeZone` (default the process's); another zone letter as its offset
 * (zone `+01:00`); zone text that names no sure offset is refused with a warning in words.
 */
export function parseSip2Date(text: string, options: { timeZone?: string | undefined } = {}): Sip2ParsedDate {
  if (!isSip2DateShape(text)) return { ok: false, warning: 'not an 18-character YYYYMMDDZZZZHHMMSS date' };
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 4, 2);
  const day = digitsAt(text, 6, 2);
  const hour = digitsAt(text, 12, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 16, 2);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (
    month < 1 ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return { ok: false, warning: 'date or time out of range' };
  }
  const zoneText = text.slice(8, 12);
  if (zoneText === LOCAL_ZONE)
    return { ok: true, date: new Date(wallToEpoch(wall, options.timeZone)), zone: 'local' };
  if (zoneText === UTC_ZONE || zoneText === ZERO_OFFSET_ZONE) return { ok: true, date: check, zone: 'utc' };
  const hours = zoneHours(zoneText);
  if (hours === undefined) {
    return {
      ok: false,
      warning: `time zone "${zoneText}" is not one SIP2 defines (four blanks for local time, a letter such as Z for UTC), so the time it names is not known`,
    };
  }
  if (hours === 'local')
    return { ok: true, date: new Date(wallToEpoch(wall, options.timeZone)), zone: 'local' };
  if (hours === 0) return { ok: true, date: check, zone: 'utc' };
  return { ok: true, date: new Date(wall - hours * 3_600_000), zone: offsetName(hours) };
}

/**
 * Hours east of UTC the military zone letters name: A–I +1…+9, K–M +10…+12 (J is the observer's
 * local time), N–Y −1…−12, Z 0 (FOLIO edge-sip2 reads and writes the same table).
 */
const LETTER_HOURS = new Map<string, number | 'local'>([
  ...[...'ABCDEFGHI'].map((letter, i): [string, number] => [letter, i + 1]),
  ['J', 'local'],
  ...[...'KLM'].map((letter, i): [string, number] => [letter, i + 10]),
  ...[...'NOPQRSTUVWXY'].map((letter, i): [string, number] => [letter, -(i + 1)]),
  ['Z', 0],
  ['UT', 0],
  ['UTC', 0],
  ['GMT', 0],
]);

/**
 * The hours east of UTC a zone field other than blanks names: a letter in its last place as SIP2
 * writes it, or, as some servers write it, elsewhere among blanks and in lower case; UTC, GMT, UT.
 * Undefined for anything else.
 */
function zoneHours(zoneText: string): number | 'local' | undefined {
  return LETTER_HOURS.get(zoneText.trim().toUpperCase());
}

function offsetName(hours: number): string {
  return `${hours < 0 ? '-' : '+'}${pad(Math.abs(hours), 2)}:00`;
}

const DAY = 86_400_000;

/**
 * The instant a local wall-clock time (as UTC ms) names, read as a local clock (and Date) reads it:
 * in the hour repeated when the clocks go back, its first pass; in the hour skipped when they go
 * forward, the time a clock that skipped it shows (02:30 is 03:30 summer time). The offsets a day
 * either side tell whether a change is near at all; most times need those two lookups only.
 */
function wallToEpoch(wall: number, timeZone: string | undefined): number {
  const before = localOffset(timeZone, wall - DAY);
  const after = localOffset(timeZone, wall + DAY);
  if (before === after) return wall - before;
  // The earlier reading first: the larger offset.
  const [first, second] = before > after ? [before, after] : [after, before];
  if (localOffset(timeZone, wall - first) === first) return wall - first;
  if (localOffset(timeZone, wall - second) === second) return wall - second;
  // Skipped: read with the offset from before the change.
  return wall - before;
}
