/**
 * The coded values SIP2 2.00 puts in fixed fields (and a few variable ones):
 * circulation status, security marker, fee type, payment type, hold mode, …
 * Decoded values keep the wire text: `{ code: '04', name: 'charged' }`. The
 * objects for known codes are interned, so decoding allocates nothing for them.
 */

export interface Sip2EnumValue<N extends string = string> {
  /** The text on the wire, e.g. `04`. */
  readonly code: string;
  /** The named value, or null for a code the table does not know. */
  readonly name: N | null;
}

export interface Sip2EnumTable<N extends string = string> {
  readonly width: number;
  readonly byCode: ReadonlyMap<string, Sip2EnumValue<N>>;
  readonly byName: ReadonlyMap<N, Sip2EnumValue<N>>;
}

function enumTable<const T extends Record<string, string>>(
  width: number,
  codes: T,
): Sip2EnumTable<T[keyof T]> {
  type N = T[keyof T];
  const byCode = new Map<string, Sip2EnumValue<N>>();
  const byName = new Map<N, Sip2EnumValue<N>>();
  for (const [code, name] of Object.entries(codes) as Array<[string, N]>) {
    const value = Object.freeze({ code, name });
    byCode.set(code, value);
    byName.set(name, value);
  }
  return { width, byCode, byName };
}

// Object keys that look like integers ("1") would be reordered by JS; all codes here are strings of
// fixed width, and order does not matter for lookup.

export const CIRCULATION_STATUS = enumTable(2, {
  '01': 'other',
  '02': 'onOrder',
  '03': 'available',
  '04': 'charged',
  '05': 'chargedNotToBeRecalled',
  '06': 'inProcess',
  '07': 'recalled',
  '08': 'waitingOnHoldShelf',
  '09': 'waitingToBeReshelved',
  '10': 'inTransit',
  '11': 'claimedReturned',
  '12': 'lost',
  '13': 'missing',
});

export const SECURITY_MARKER = enumTable(2, {
  '00': 'other',
  '01': 'none',
  '02': 'tattleTape',
  '03': 'whisperTape',
});

export const FEE_TYPE = enumTable(2, {
  '01': 'other',
  '02': 'administrative',
  '03': 'damage',
  '04': 'overdue',
  '05': 'processing',
  '06': 'rental',
  '07': 'replacement',
  '08': 'computerAccess',
  '09': 'holdFee',
});

export const PAYMENT_TYPE = enumTable(2, {
  '00': 'cash',
  '01': 'visa',
  '02': 'creditCard',
});

/** 99 SC status: status code. */
export const SC_STATUS = enumTable(1, {
  '0': 'ok',
  '1': 'printerOutOfPaper',
  '2': 'shuttingDown',
});

/** 15 hold: hold mode. */
export const HOLD_MODE = enumTable(1, {
  '+': 'add',
  '-': 'delete',
  '*': 'change',
});

/** BY hold type. */
export const HOLD_TYPE = enumTable(1, {
  '1': 'other',
  '2': 'anyCopyOfTitle',
  '3': 'specificCopy',
  '4': 'anyCopyAtBranch',
});

/** CK media type. */
export const MEDIA_TYPE = enumTable(3, {
  '000': 'other',
  '001': 'book',
  '002': 'magazine',
  '003': 'boundJournal',
  '004': 'audioTape',
  '005': 'videoTape',
  '006': 'cdOrCdRom',
  '007': 'diskette',
  '008': 'bookWithDiskette',
  '009': 'bookWithCd',
  '010': 'bookWithAudioTape',
});

/** CV alert type (10 checkin response). */
export const ALERT_TYPE = enumTable(2, {
  '00': 'unknown',
  '01': 'holdForThisLibrary',
  '02': 'holdForOtherBranch',
  '03': 'holdForIll',
  '04': 'sendToOtherBranch',
  '99': 'other',
});

export const LANGUAGE = enumTable(3, {
  '000': 'unknown',
  '001': 'english',
  '002': 'french',
  '003': 'german',
  '004': 'italian',
  '005': 'dutch',
  '006': 'swedish',
  '007': 'finnish',
  '008': 'spanish',
  '009': 'danish',
  '010': 'portuguese',
  '011': 'canadianFrench',
  '012': 'norwegian',
  '013': 'hebrew',
  '014': 'japanese',
  '015': 'russian',
  '016': 'arabic',
  '017': 'polish',
  '018': 'greek',
  '019': 'chinese',
  '020': 'korean',
  '021': 'northAmericanSpanish',
  '022': 'tamil',
  '023': 'malay',
  '024': 'unitedKingdom',
  '025': 'icelandic',
  '026': 'belgian',
  '027': 'taiwanese',
});

export const SIP2_ENUMS = {
  circulationStatus: CIRCULATION_STATUS,
  securityMarker: SECURITY_MARKER,
  feeType: FEE_TYPE,
  paymentType: PAYMENT_TYPE,
  scStatus: SC_STATUS,
  holdMode: HOLD_MODE,
  holdType: HOLD_TYPE,
  mediaType: MEDIA_TYPE,
  alertType: ALERT_TYPE,
  language: LANGUAGE,
} as const;

export type Sip2EnumKind = keyof typeof SIP2_ENUMS;
export type Sip2EnumName<K extends Sip2EnumKind> =
  (typeof SIP2_ENUMS)[K] extends Sip2EnumTable<infer N> ? N : never;

/** What an encoder accepts for an enum field: the name, or a value with its wire code. */
export type Sip2EnumInput<K extends Sip2EnumKind> = Sip2EnumName<K> | { readonly code: string };

export type CirculationStatus = Sip2EnumName<'circulationStatus'>;
export type SecurityMarker = Sip2EnumName<'securityMarker'>;
export type FeeType = Sip2EnumName<'feeType'>;
export type PaymentType = Sip2EnumName<'paymentType'>;
export type HoldMode = Sip2EnumName<'holdMode'>;
export type HoldType = Sip2EnumName<'holdType'>;
export type MediaType = Sip2EnumName<'mediaType'>;
export type AlertType = Sip2EnumName<'alertType'>;
export type Language = Sip2EnumName<'language'>;

/** The decoded value for a code: the interned object when known, a fresh `{code, name: null}` otherwise. */
export function enumValueOf<K extends Sip2EnumKind>(kind: K, code: string): Sip2EnumValue<Sip2EnumName<K>> {
  const table = SIP2_ENUMS[kind] as Sip2EnumTable<Sip2EnumName<K>>;
  return table.byCode.get(code) ?? { code, name: null };
}
