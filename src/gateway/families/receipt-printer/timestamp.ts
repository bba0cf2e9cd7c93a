/**
 * The printed-at time on a receipt, in the desk's local time: `2026-12-03 14:05`.
 * Apart from the entry so the workflows that print receipts (sessions, payments)
 * do not load the printer's driver and renderer on a desk without one.
 */
export function localTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
