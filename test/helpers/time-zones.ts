/**
 * Time zones for the page tests: the desk's (this process's: the test desks run in it), a PC's on
 * another day than the desk's right now (IT at a head office many hours away), and a day as a
 * page's browser reckons it.
 */
import type { Page } from 'playwright-core';

/** The desk's time zone: this process's, where the test desks run. */
export const deskZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The day (YYYY-MM-DD) in `timeZone` at `at`. */
export const dayIn = (timeZone: string, at = Date.now()): string =>
  new Date(at).toLocaleDateString('en-CA', { timeZone });

/** A time zone whose day is another than the desk's right now (one of UTC+14 and UTC−12 always is). */
export function zoneOnAnotherDay(): string {
  const desk = dayIn(deskZone());
  const zone = ['Pacific/Kiritimati', 'Etc/GMT+12'].find((candidate) => dayIn(candidate) !== desk);
  if (zone === undefined) throw new Error('no time zone on another day than the desk’s');
  return zone;
}

/** The day (YYYY-MM-DD) `days` from `now`, as the page's browser's time zone reckons it. */
export function browserDay(page: Page, now: number, days: number): Promise<string> {
  return page.evaluate(
    ([now, days]) => {
      const day = new Date(now!);
      day.setDate(day.getDate() + days!);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
    },
    [now, days],
  );
}
