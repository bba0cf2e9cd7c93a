/**
 * The positional flag sets of SIP2 2.00: the 14 patron-status flags (24, 26, 64),
 * the 63 summary (which item list to return) and the 16 supported-message flags
 * of BX in 98.
 */

/**
 * The 14 patron-status positions, in wire order. `true` means "denied / condition
 * true" and is written Y; false is written as a blank, never N (SIP2 2.00: "A Y in
 * any position indicates that the condition is true. A blank (code $20) in this
 * position means that this condition is not true."). N is still read as false.
 */
export const PATRON_STATUS_FLAGS = [
  'chargePrivilegesDenied',
  'renewalPrivilegesDenied',
  'recallPrivilegesDenied',
  'holdPrivilegesDenied',
  'cardReportedLost',
  'tooManyItemsCharged',
  'tooManyItemsOverdue',
  'tooManyRenewals',
  'tooManyClaimsOfItemsReturned',
  'tooManyItemsLost',
  'excessiveOutstandingFines',
  'excessiveOutstandingFees',
  'recallOverdue',
  'tooManyItemsBilled',
] as const;
export type PatronStatusFlag = (typeof PATRON_STATUS_FLAGS)[number];
export type PatronStatus = Record<PatronStatusFlag, boolean>;

/** BX in 98: the 16 messages an ACS may support, in wire order. */
export const SUPPORTED_MESSAGE_FLAGS = [
  'patronStatusRequest', // 23
  'checkout', // 11
  'checkin', // 09
  'blockPatron', // 01
  'scAcsStatus', // 99
  'requestScAcsResend', // 97
  'login', // 93
  'patronInformation', // 63
  'endPatronSession', // 35
  'feePaid', // 37
  'itemInformation', // 17
  'itemStatusUpdate', // 19
  'patronEnable', // 25
  'hold', // 15
  'renew', // 29
  'renewAll', // 65
] as const;
export type SupportedMessage = (typeof SUPPORTED_MESSAGE_FLAGS)[number];
export type SupportedMessages = Record<SupportedMessage, boolean>;

/** The 63 summary positions 1–6: which list of items the 64 answer carries. */
export const SUMMARY_ITEMS = [
  'holdItems', // AS
  'overdueItems', // AT
  'chargedItems', // AU
  'fineItems', // AV
  'recallItems', // BU
  'unavailableHoldItems', // CD
] as const;
export type SummaryItems = (typeof SUMMARY_ITEMS)[number];

export const SUMMARY_WIDTH = 10;

/** Builds a flag record as one object literal (same shape every time; see recordFactory in compiled.ts). */
function flagFactory<K extends string>(names: readonly K[]): (values: boolean[]) => Record<K, boolean> {
  const body = names.map((name, index) => `${JSON.stringify(name)}: values[${index}]`).join(', ');
  return new Function('values', `return { ${body} };`) as (values: boolean[]) => Record<K, boolean>;
}

const FACTORIES = new Map<readonly string[], (values: boolean[]) => Record<string, boolean>>([
  [PATRON_STATUS_FLAGS, flagFactory(PATRON_STATUS_FLAGS)],
  [SUPPORTED_MESSAGE_FLAGS, flagFactory(SUPPORTED_MESSAGE_FLAGS)],
]);

/**
 * Reads flag characters into named booleans: Y/y is true; space, N and n are false
 * (the patron status is Y/blank, BX is Y/N, and servers mix them up); anything
 * else is false and reported in `invalidAt`.
 */
export function decodeFlags<const K extends string>(
  names: readonly K[],
  text: string,
  start: number,
): { flags: Record<K, boolean>; invalidAt: number } {
  const values: boolean[] = new Array(names.length);
  let invalidAt = -1;
  for (let i = 0; i < names.length; i++) {
    const c = text.charCodeAt(start + i);
    values[i] = c === 89 || c === 121;
    if (!values[i] && c !== 78 && c !== 110 && c !== 32 && invalidAt < 0) invalidAt = start + i;
  }
  const factory = FACTORIES.get(names) ?? flagFactory(names);
  return { flags: factory(values) as Record<K, boolean>, invalidAt };
}

/**
 * Writes named booleans as Y and `no`: BX writes false as N ("An N means the
 * message/response pair is not supported"), the patron status as a blank ("A
 * blank (code $20) in this position means that this condition is not true").
 */
export function encodeFlags<K extends string>(
  names: readonly K[],
  flags: Partial<Record<K, boolean>> | undefined,
  no: 'N' | ' ',
): string {
  let out = '';
  for (const name of names) out += flags?.[name] ? 'Y' : no;
  return out;
}

/** The 10-character summary: one Y at the position of the list asked for, spaces elsewhere. */
export function encodeSummary(summary: SummaryItems | null | undefined): string {
  const index = summary == null ? -1 : SUMMARY_ITEMS.indexOf(summary);
  let out = '';
  for (let i = 0; i < SUMMARY_WIDTH; i++) out += i === index ? 'Y' : ' ';
  return out;
}

/** The list a summary asks for (first Y wins), and how many Ys there were. */
export function decodeSummary(text: string, start: number): { summary: SummaryItems | null; yes: number } {
  let summary: SummaryItems | null = null;
  let yes = 0;
  for (let i = 0; i < SUMMARY_WIDTH; i++) {
    const c = text.charCodeAt(start + i);
    if (c === 89 || c === 121) {
      yes++;
      if (summary === null) summary = SUMMARY_ITEMS[i] ?? null;
    }
  }
  return { summary, yes };
}
