/**
 * The end-of-session receipt's data, for the built-in `checkout` and `checkin`
 * templates (templates/receipts): printed on the desk's printer, or handed back
 * to the kiosk to e-mail. The patron's name is on it; the barcode and PIN never are.
 */
import type { IlsDate } from '../contracts/circulation.js';
import type { SessionItemView, SessionReceiptData, SessionRenewalView } from '../contracts/sessions.js';
import { localTimestamp } from '../families/receipt-printer/index.js';

export interface ReceiptContext {
  library: string;
  branch?: string | undefined;
  url?: string | undefined;
  desk: string;
  /** When the receipt is made, ms since the epoch. */
  now: number;
}

/** `YYYYMMDD` alone, or a SIP2 date in any zone but UTC (`YYYYMMDDZZZZHHMMSS`, ZZZZ not `   Z`). */
const LOCAL_SIP2_DATE_OR_DAY = /^(\d{4})(\d{2})(\d{2})(?:$|(?! {3}Z).{4}\d{6}$)/;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A due date as the patron reads it: the ILS's own day when it wrote a local
 * SIP2 date (`YYYYMMDD    HHMMSS`, in the ILS's zone) or a day alone; the
 * desk's day of any other instant (a SIP2 date in UTC, `   Z`, or an ISO time
 * with its offset: its UTC day is the next one west of UTC), else its text.
 * Null is an offline checkout (the ILS sets the date later); undefined, a date the ILS did not give.
 */
export function dueDay(due: IlsDate | null | undefined): string {
  if (due === null) return 'later (offline)';
  if (due === undefined) return '';
  const text = due.text.trim();
  const local = LOCAL_SIP2_DATE_OR_DAY.exec(text) ?? ISO_DAY.exec(text);
  if (local) return `${local[1]}-${local[2]}-${local[3]}`;
  if (due.date === null) return due.text;
  return localTimestamp(new Date(due.date)).slice(0, 10);
}

/** A loan whose tag could not be cleared at the pad, in the patron's words. */
export const SECURITY_NOT_CLEARED = 'Not released at the kiosk: please show it to staff';

export function checkoutReceipt(
  patronName: string,
  items: readonly SessionItemView[],
  renewals: readonly SessionRenewalView[],
  context: ReceiptContext,
): SessionReceiptData {
  const loans: Array<{ title: string; barcode: string; dueDate: string; note?: string }> = items.map(
    (item) => ({
      // An item she already had, placed on the pad: the ILS renewed it (11 with renewal ok).
      title: item.renewal === true ? `${item.title ?? item.item} (renewed)` : (item.title ?? item.item),
      barcode: item.item,
      dueDate: dueDay(item.dueDate),
      // Lent by the ILS, but its tag still says "secured": the gate will alarm.
      ...(item.state === 'security_failed' ? { note: SECURITY_NOT_CLEARED } : {}),
    }),
  );
  // What the receipt's totals count: a line is a checkout or a renewal, never both.
  const checkedOut = items.filter((item) => item.renewal !== true).length;
  let renewedLoans = items.length - checkedOut;
  // One line an item: one borrowed here and then renewed (by name, or with Renew All), or renewed
  // twice, is one loan, due when its last renewal says.
  const lines = new Map(loans.map((loan) => [loan.barcode, loan]));
  const renewed = new Set(renewals.filter((renewal) => renewal.ok).map((renewal) => renewal.item));
  // A loan not renewed, by its last attempt (one renewed at another attempt is listed as renewed).
  const notRenewed = new Map<string, { title: string; barcode: string; note: string }>();
  for (const renewal of renewals) {
    if (!renewal.ok) {
      if (!renewed.has(renewal.item))
        notRenewed.set(renewal.item, {
          title: renewal.title ?? lines.get(renewal.item)?.title ?? renewal.item,
          barcode: renewal.item,
          note: notRenewedWords(renewal),
        });
      continue;
    }
    const dueDate = dueDay(renewal.dueDate);
    const line = lines.get(renewal.item);
    if (line !== undefined) {
      if (dueDate !== '') line.dueDate = dueDate;
      continue;
    }
    const loan = { title: `${renewal.title ?? renewal.item} (renewed)`, barcode: renewal.item, dueDate };
    lines.set(renewal.item, loan);
    loans.push(loan);
    renewedLoans++;
  }
  return {
    template: 'checkout',
    data: {
      library: { name: context.library, ...(context.branch ? { branch: context.branch } : {}) },
      patron: { name: patronName },
      loans,
      // The totals: items borrowed in the session, and loans renewed (the lines marked "(renewed)").
      counts: { checkedOut, renewed: renewedLoans },
      notRenewed: [...notRenewed.values()],
      printedAt: localTimestamp(new Date(context.now)),
      desk: context.desk,
      ...(context.url ? { url: context.url } : {}),
      offline: items.some((item) => item.offline === true),
    },
  };
}

/** Why a loan was not renewed, as the patron reads it on paper: the ILS's own words first. */
export function notRenewedWords(renewal: SessionRenewalView): string {
  if (renewal.answerLost === true)
    return 'Not confirmed: the library system did not answer. Please ask staff whether it was renewed.';
  if (renewal.reason === 'session_ended')
    return 'Not renewed: the session ended first. You can renew it later.';
  if (renewal.notTried === true || (renewal.reason ?? '').startsWith('ils_'))
    return 'Not renewed: the library system was not answering. You can renew it later.';
  const words = renewal.screenMessages.filter((message) => message.trim() !== '').join(' ');
  if (words !== '') return `Not renewed: ${words}`;
  return `Not renewed: ${REFUSAL_WORDS[renewal.reason ?? ''] ?? 'the library system said no. Please ask staff.'}`;
}

/** A refusal in the patron's words, when the library system gave none of its own. */
const REFUSAL_WORDS: Record<string, string> = {
  renewal_limit: 'it has been renewed as many times as allowed.',
  renewal_not_allowed: 'this loan cannot be renewed.',
  item_on_hold_for_another: 'someone else has reserved it.',
  excessive_fines: 'you have too many fines.',
  too_many_overdue: 'you have too many overdue items.',
  patron_blocked: 'your library account is blocked.',
  card_expired: 'your library card has expired.',
  not_checked_out: 'it is not on loan to you.',
};

export function returnReceipt(
  items: readonly SessionItemView[],
  context: ReceiptContext,
): SessionReceiptData {
  return {
    template: 'checkin',
    data: {
      library: { name: context.library, ...(context.branch ? { branch: context.branch } : {}) },
      returns: items.map((item) => ({
        title: item.title ?? item.item,
        barcode: item.item,
        hold: item.alert?.type === 'hold' || item.alert?.type === 'hold_in_transit',
      })),
      printedAt: localTimestamp(new Date(context.now)),
      desk: context.desk,
      offline: items.some((item) => item.offline === true),
    },
  };
}
