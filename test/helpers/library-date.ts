/**
 * A day as the sample library (simulators/ils/fixtures/sample-library.yaml) dates it: in its time
 * zone, Europe/Stockholm, not the test machine's. A patron whose registration the fixture ended
 * `-30d` ended 30 days before the simulator started, on that day of the library's calendar —
 * between 23:00 and midnight UTC already the next day's date there.
 */
const SAMPLE_LIBRARY_ZONE = 'Europe/Stockholm';
const DAY_MS = 86_400_000;

const dateIn = new Intl.DateTimeFormat('en-CA', { timeZone: SAMPLE_LIBRARY_ZONE });

/** `YYYY-MM-DD` in the sample library's zone, `days` days before now. */
export function sampleLibraryDateDaysAgo(days: number, now = Date.now()): string {
  return dateIn.format(now - days * DAY_MS);
}

/**
 * The dates a `-<days>d` fixture date may show: the simulator started up to `withinMs` ago (its
 * desk's start-up, the file's earlier tests), so its day may be the one before now's.
 */
export function sampleLibraryDatesDaysAgo(days: number, withinMs = 10 * 60_000): string[] {
  const now = Date.now();
  return [...new Set([sampleLibraryDateDaysAgo(days, now), sampleLibraryDateDaysAgo(days, now - withinMs)])];
}
