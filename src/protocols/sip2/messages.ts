/**
 * One declarative spec per SIP2 2.00 message. The encoder, the decoder and the
 * TypeScript types (types.ts) are all driven from this table.
 *
 * `fixed`: the positional fields after the 2-character code, in order, with widths.
 * `fields`: the variable fields by id (names from fields.ts), in the order they are
 * written, each 'required' or 'optional'. Repeatability is a property of the id.
 */

import type { Sip2EnumKind } from './enums.js';
import type { Sip2FieldId } from './fields.js';

const flag = <const N extends string>(name: N) => ({ name, kind: 'flag', width: 1 }) as const;
/** 1 or 0: the "ok" fields of responses (94, 10, 12, 16, 20, 30, 66). */
const bit = <const N extends string>(name: N) => ({ name, kind: 'bit', width: 1 }) as const;
/** Y, N or U (unknown): magnetic media, desensitize. */
const ynu = <const N extends string>(name: N) => ({ name, kind: 'ynu', width: 1 }) as const;
const char = <const N extends string>(name: N) => ({ name, kind: 'char', width: 1 }) as const;
const text = <const N extends string, const W extends number>(name: N, width: W) =>
  ({ name, kind: 'text', width }) as const;
const digits = <const N extends string, const W extends number>(name: N, width: W) =>
  ({ name, kind: 'digits', width }) as const;
/**
 * Digits, or blanks: "If this information is not available or unsupported this field
 * should contain four blanks". Blanks read as null; null or a count left out is
 * written as blanks, 0 as 0000. (The rule for every fixed field: one the spec lets be
 * blank may be left out and is written blank; any other is required.)
 */
const count = <const N extends string, const W extends number>(name: N, width: W) =>
  ({ name, kind: 'digits', width, blank: true }) as const;
const date = <const N extends string>(name: N) => ({ name, kind: 'date18', width: 18 }) as const;
/** A date that may be all spaces (null), e.g. the no-block due date. */
const optionalDate = <const N extends string>(name: N) =>
  ({ name, kind: 'date18', width: 18, blank: true }) as const;
const coded = <const N extends string, const E extends Sip2EnumKind, const W extends number>(
  name: N,
  kind: E,
  width: W,
) => ({ name, kind: 'enum', enum: kind, width }) as const;
const patronStatus = () => ({ name: 'patronStatus', kind: 'patronStatus', width: 14 }) as const;
const summary = () => ({ name: 'summary', kind: 'summary', width: 10 }) as const;

export type FixedKind =
  | 'flag'
  | 'bit'
  | 'ynu'
  | 'char'
  | 'text'
  | 'digits'
  | 'date18'
  | 'enum'
  | 'patronStatus'
  | 'summary';
export interface FixedFieldSpec {
  readonly name: string;
  readonly kind: FixedKind;
  readonly width: number;
  readonly blank?: boolean;
  readonly enum?: Sip2EnumKind;
}
export interface MessageSpec {
  readonly code: string;
  readonly fixed: readonly FixedFieldSpec[];
  readonly fields: { readonly [id in Sip2FieldId]?: 'required' | 'optional' };
  /** For a request: the message that answers it. */
  readonly response?: string;
  /**
   * 96 and 97 never carry a sequence number (AY), even with error detection on;
   * they carry the checksum (AZ) when error detection is on: `96AZFEF6`.
   */
  readonly noSequence?: boolean;
}

const R = 'required';
const O = 'optional';
const SCREEN = { AF: O, AG: O } as const;

const PATRON_STATUS_RESPONSE_FIELDS = {
  AO: R,
  AA: R,
  AE: R,
  BL: O,
  CQ: O,
  BH: O,
  BV: O,
  ...SCREEN,
} as const;

const CIRCULATION_RESPONSE_FIXED = [
  bit('ok'),
  flag('renewalOk'),
  ynu('magneticMedia'),
  ynu('desensitize'),
  date('transactionDate'),
] as const;
const CIRCULATION_RESPONSE_FIELDS = {
  AO: R,
  AA: R,
  AB: R,
  AJ: R,
  AH: R,
  BT: O,
  CI: O,
  BH: O,
  BV: O,
  CK: O,
  CH: O,
  BK: O,
  ...SCREEN,
} as const;

export const SIP2_MESSAGES = {
  login: {
    code: '93',
    fixed: [char('uidAlgorithm'), char('pwdAlgorithm')],
    fields: { CN: R, CO: R, CP: O },
    response: 'loginResponse',
  },
  loginResponse: { code: '94', fixed: [bit('ok')], fields: {} },

  scStatus: {
    code: '99',
    fixed: [coded('statusCode', 'scStatus', 1), digits('maxPrintWidth', 3), text('protocolVersion', 4)],
    fields: {},
    response: 'acsStatus',
  },
  acsStatus: {
    code: '98',
    fixed: [
      flag('onlineStatus'),
      flag('checkinOk'),
      flag('checkoutOk'),
      flag('acsRenewalPolicy'),
      flag('statusUpdateOk'),
      flag('offlineOk'),
      digits('timeoutPeriod', 3),
      digits('retriesAllowed', 3),
      date('dateTimeSync'),
      text('protocolVersion', 4),
    ],
    fields: { AO: R, AM: O, BX: R, AN: O, ...SCREEN },
  },

  checkout: {
    code: '11',
    fixed: [flag('scRenewalPolicy'), flag('noBlock'), date('transactionDate'), optionalDate('nbDueDate')],
    fields: { AO: R, AA: R, AB: R, AC: R, CH: O, AD: O, BO: O, BI: O },
    response: 'checkoutResponse',
  },
  checkoutResponse: { code: '12', fixed: CIRCULATION_RESPONSE_FIXED, fields: CIRCULATION_RESPONSE_FIELDS },

  checkin: {
    code: '09',
    fixed: [flag('noBlock'), date('transactionDate'), date('returnDate')],
    fields: { AP: R, AO: R, AB: R, AC: R, CH: O, BI: O },
    response: 'checkinResponse',
  },
  checkinResponse: {
    code: '10',
    fixed: [bit('ok'), flag('resensitize'), ynu('magneticMedia'), flag('alert'), date('transactionDate')],
    fields: { AO: R, AB: R, AQ: R, AJ: O, CL: O, AA: O, CK: O, CH: O, CV: O, ...SCREEN },
  },

  patronStatusRequest: {
    code: '23',
    fixed: [coded('language', 'language', 3), date('transactionDate')],
    fields: { AO: R, AA: R, AC: R, AD: R },
    response: 'patronStatusResponse',
  },
  patronStatusResponse: {
    code: '24',
    fixed: [patronStatus(), coded('language', 'language', 3), date('transactionDate')],
    fields: PATRON_STATUS_RESPONSE_FIELDS,
  },

  patronInformation: {
    code: '63',
    fixed: [coded('language', 'language', 3), date('transactionDate'), summary()],
    fields: { AO: R, AA: R, AC: O, AD: O, BP: O, BQ: O },
    response: 'patronInformationResponse',
  },
  patronInformationResponse: {
    code: '64',
    fixed: [
      patronStatus(),
      coded('language', 'language', 3),
      date('transactionDate'),
      count('holdItemsCount', 4),
      count('overdueItemsCount', 4),
      count('chargedItemsCount', 4),
      count('fineItemsCount', 4),
      count('recallItemsCount', 4),
      count('unavailableHoldsCount', 4),
    ],
    fields: {
      AO: R,
      AA: R,
      AE: R,
      BZ: O,
      CA: O,
      CB: O,
      BL: O,
      CQ: O,
      BH: O,
      BV: O,
      CC: O,
      AS: O,
      AT: O,
      AU: O,
      AV: O,
      BU: O,
      CD: O,
      BD: O,
      BE: O,
      BF: O,
      ...SCREEN,
    },
  },

  itemInformation: {
    code: '17',
    fixed: [date('transactionDate')],
    fields: { AO: R, AB: R, AC: O },
    response: 'itemInformationResponse',
  },
  itemInformationResponse: {
    code: '18',
    fixed: [
      coded('circulationStatus', 'circulationStatus', 2),
      coded('securityMarker', 'securityMarker', 2),
      coded('feeType', 'feeType', 2),
      date('transactionDate'),
    ],
    fields: {
      CF: O,
      AH: O,
      CJ: O,
      CM: O,
      AB: R,
      AJ: R,
      BG: O,
      BH: O,
      BV: O,
      CK: O,
      AQ: O,
      AP: O,
      CH: O,
      ...SCREEN,
    },
  },

  renew: {
    code: '29',
    fixed: [flag('thirdPartyAllowed'), flag('noBlock'), date('transactionDate'), optionalDate('nbDueDate')],
    fields: { AO: R, AA: R, AD: O, AB: O, AJ: O, AC: O, CH: O, BO: O },
    response: 'renewResponse',
  },
  renewResponse: { code: '30', fixed: CIRCULATION_RESPONSE_FIXED, fields: CIRCULATION_RESPONSE_FIELDS },

  renewAll: {
    code: '65',
    fixed: [date('transactionDate')],
    fields: { AO: R, AA: R, AD: O, AC: O, BO: O },
    response: 'renewAllResponse',
  },
  renewAllResponse: {
    code: '66',
    fixed: [bit('ok'), digits('renewedCount', 4), digits('unrenewedCount', 4), date('transactionDate')],
    fields: { AO: R, BM: O, BN: O, ...SCREEN },
  },

  endPatronSession: {
    code: '35',
    fixed: [date('transactionDate')],
    fields: { AO: R, AA: R, AC: O, AD: O },
    response: 'endSessionResponse',
  },
  endSessionResponse: {
    code: '36',
    fixed: [flag('endSession'), date('transactionDate')],
    fields: { AO: R, AA: R, ...SCREEN },
  },

  feePaid: {
    code: '37',
    fixed: [
      date('transactionDate'),
      coded('feeType', 'feeType', 2),
      coded('paymentType', 'paymentType', 2),
      text('currencyType', 3),
    ],
    fields: { BV: R, AO: R, AA: R, AC: O, AD: O, CG: O, BK: O },
    response: 'feePaidResponse',
  },
  feePaidResponse: {
    code: '38',
    fixed: [flag('paymentAccepted'), date('transactionDate')],
    fields: { AO: R, AA: R, BK: O, ...SCREEN },
  },

  hold: {
    code: '15',
    fixed: [coded('holdMode', 'holdMode', 1), date('transactionDate')],
    fields: { BW: O, BS: O, BY: O, AO: R, AA: R, AD: O, AB: O, AJ: O, AC: O, BO: O },
    response: 'holdResponse',
  },
  holdResponse: {
    code: '16',
    fixed: [bit('ok'), flag('available'), date('transactionDate')],
    fields: { BW: O, BR: O, BS: O, AO: R, AA: R, AB: O, AJ: O, ...SCREEN },
  },

  itemStatusUpdate: {
    code: '19',
    fixed: [date('transactionDate')],
    fields: { AO: R, AB: R, AC: O, CH: R },
    response: 'itemStatusUpdateResponse',
  },
  itemStatusUpdateResponse: {
    code: '20',
    fixed: [bit('itemPropertiesOk'), date('transactionDate')],
    fields: { AB: R, AJ: O, CH: O, ...SCREEN },
  },

  patronEnable: {
    code: '25',
    fixed: [date('transactionDate')],
    fields: { AO: R, AA: R, AC: O, AD: O },
    response: 'patronEnableResponse',
  },
  patronEnableResponse: {
    code: '26',
    fixed: [patronStatus(), coded('language', 'language', 3), date('transactionDate')],
    fields: { AO: R, AA: R, AE: R, BL: O, CQ: O, ...SCREEN },
  },

  blockPatron: {
    code: '01',
    fixed: [flag('cardRetained'), date('transactionDate')],
    fields: { AO: R, AL: R, AA: R, AC: R },
    response: 'patronStatusResponse',
  },

  /** 97: the SC asks the ACS to resend its last response. */
  requestAcsResend: { code: '97', fixed: [], fields: {}, noSequence: true },
  /** 96: the ACS asks the SC to resend its last request. */
  requestScResend: { code: '96', fixed: [], fields: {}, noSequence: true },
} as const satisfies Record<string, MessageSpec>;

export type Sip2MessageType = keyof typeof SIP2_MESSAGES;
export type Sip2MessageSpec<T extends Sip2MessageType> = (typeof SIP2_MESSAGES)[T];

/** The message type for a 2-character code. */
export const MESSAGE_TYPE_BY_CODE: ReadonlyMap<string, Sip2MessageType> = new Map(
  (Object.entries(SIP2_MESSAGES) as Array<[Sip2MessageType, MessageSpec]>).map(([type, spec]) => [
    spec.code,
    type,
  ]),
);

/** The length of a message's fixed part, code included. */
export function fixedLength(spec: MessageSpec): number {
  let length = 2;
  for (const field of spec.fixed) length += field.width;
  return length;
}
