/**
 * SIP2 answers → circulation JSON. Pure functions over decoded messages, so the
 * mapping is tested without an ILS. A refused answer becomes a CirculationRefusal
 * with the reason read from its fields and wording.
 */
import {
  PATRON_STATUS_FLAGS,
  parseSip2Date,
  type Sip2EnumValue,
  type Sip2Message,
} from '../../protocols/sip2/index.js';
import type {
  CheckinAlertType,
  CheckinResult,
  CheckoutResult,
  EndSessionResult,
  FeePaymentResult,
  FeeView,
  HoldResult,
  IlsDate,
  ItemInformationResult,
  ItemView,
  Money,
  PatronView,
  RenewAllResult,
  RenewalResult,
} from '../contracts/circulation.js';
import {
  type CirculationKind,
  CirculationRefusal,
  patronReasons,
  type RefusalReason,
  reasonFromWording,
} from './reasons.js';

export interface MappingOptions {
  /** IANA zone the ILS writes local times in; default the machine's. */
  timeZone?: string | undefined;
}

/** A date as the ILS wrote it: an 18-character SIP2 date, `YYYY-MM-DD…` or `YYYYMMDD`; otherwise only the text. */
export function ilsDate(text: string, options: MappingOptions = {}): IlsDate {
  // A busy desk's answers carry the same due date over and over (the ILS writes it to the second
  // or the day): the last one read is kept, and only the answer's own object is made again.
  if (text === lastDate.text && options.timeZone === lastDate.timeZone) return { date: lastDate.date, text };
  const date = isoOf(text, options.timeZone);
  lastDate.text = text;
  lastDate.timeZone = options.timeZone;
  lastDate.date = date;
  return { date, text };
}

const lastDate: { text: string | undefined; timeZone: string | undefined; date: string | null } = {
  text: undefined,
  timeZone: undefined,
  date: null,
};

function isoOf(text: string, timeZone: string | undefined): string | null {
  const sip2 = parseSip2Date(text, { timeZone });
  if (sip2.ok) return sip2.date.toISOString();
  const trimmed = text.trim();
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(trimmed);
  const candidate = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : trimmed;
  // A date and time with no zone (Koha's formatted due date, `2026-01-05 23:59`) is the ILS's local
  // time, read in its timeZone as an 18-character SIP2 date is — Date.parse would read it in the
  // desk machine's zone, hours off on a desk that runs in UTC.
  const wall = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(candidate);
  if (wall) {
    const [, year, month, day, hour, minute, second] = wall;
    const local = parseSip2Date(`${year}${month}${day}    ${hour}${minute}${second ?? '00'}`, { timeZone });
    return local.ok ? local.date.toISOString() : null;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(candidate)) {
    const ms = Date.parse(candidate);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return null;
}

function optionalDate(text: string | undefined, options: MappingOptions): IlsDate | undefined {
  return text === undefined || text.trim() === '' ? undefined : ilsDate(text, options);
}

const nameOf = (value: Sip2EnumValue | undefined) =>
  value === undefined ? undefined : (value.name ?? value.code);

function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  return Number(text);
}

/**
 * A fine line (AV). There is no standard layout; `<id> <amount> <description>`
 * (the simulator, several ILSs) and `<amount> <description>` (with or without a
 * currency sign) are read, anything else is kept as text.
 */
export function fineItem(text: string): FeeView {
  const withId = /^(\S+)\s+[$€£]?(\d+\.\d{1,2})\s*(.*)$/.exec(text);
  if (withId && !/^[$€£]?\d+\.\d{1,2}$/.test(withId[1] as string)) {
    return {
      text,
      id: withId[1] as string,
      amount: withId[2] as string,
      ...(withId[3] ? { description: withId[3] } : {}),
    };
  }
  const amountFirst = /^[$€£]?(\d+\.\d{1,2})\s*(.*)$/.exec(text);
  if (amountFirst) {
    return {
      text,
      amount: amountFirst[1] as string,
      ...(amountFirst[2] ? { description: amountFirst[2] } : {}),
    };
  }
  return { text };
}

type PatronInformation = Sip2Message<'patronInformationResponse'>;

/** What the patron lists of a lookup hold: each summary answer adds its list. */
export interface PatronLists {
  chargedItems?: string[];
  overdueItems?: string[];
  holdItems?: string[];
  unavailableHoldItems?: string[];
  fineItems?: string[];
}

/** A 64 (and the lists other 64s brought) as a patron; the caller adds item details. */
export function patronView(
  answer: PatronInformation,
  lists: PatronLists,
  pinGiven: boolean,
  options: MappingOptions = {},
): PatronView {
  const overdue = new Set(lists.overdueItems ?? answer.overdueItems ?? []);
  const charged = lists.chargedItems ?? answer.chargedItems ?? [];
  const expiresText = answer.extraFields?.find((field) => field.id === 'PA')?.value;
  const expires = optionalDate(expiresText, options);
  const reasons = patronReasons(answer, pinGiven);
  return {
    id: answer.patronIdentifier,
    name: answer.personalName,
    valid: answer.validPatron === true,
    pinValid: pinGiven && answer.validPatronPassword === true,
    blocked: answer.patronStatus.chargePrivilegesDenied,
    reasons,
    statusFlags: PATRON_STATUS_FLAGS.filter((flag) => answer.patronStatus[flag]),
    ...(expires ? { expires } : {}),
    fines: {
      total: answer.feeAmount ?? '0.00',
      currency: answer.currencyType ?? null,
      ...(answer.feeLimit !== undefined ? { limit: answer.feeLimit } : {}),
      items: (lists.fineItems ?? answer.fineItems ?? []).map(fineItem),
    },
    loans: charged.map((item) => ({ item, overdue: overdue.has(item) })),
    holds: {
      available: (lists.holdItems ?? answer.holdItems ?? []).map((item) => ({ item })),
      unavailable: (lists.unavailableHoldItems ?? answer.unavailableHoldItems ?? []).map((item) => ({
        item,
      })),
    },
    counts: {
      loans: answer.chargedItemsCount ?? charged.length,
      overdue: answer.overdueItemsCount ?? overdue.size,
      holdsAvailable: answer.holdItemsCount ?? 0,
      holdsUnavailable: answer.unavailableHoldsCount ?? 0,
      fines: answer.fineItemsCount ?? 0,
      recalls: answer.recallItemsCount,
    },
    limits: {
      ...defined('loans', count(answer.chargedItemsLimit)),
      ...defined('overdue', count(answer.overdueItemsLimit)),
      ...defined('holds', count(answer.holdItemsLimit)),
    },
    screenMessages: answer.screenMessage ?? [],
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A lookup the patron may not see: unknown patron, or a PIN given and not confirmed (CQ missing counts as no). */
export function patronLookupRefusal(
  answer: { validPatron?: boolean; validPatronPassword?: boolean; screenMessage?: string[] },
  pinGiven: boolean,
): CirculationRefusal | undefined {
  const words = answer.screenMessage ?? [];
  if (answer.validPatron !== true) return new CirculationRefusal('patron_not_found', words, 'patron');
  if (pinGiven && answer.validPatronPassword !== true)
    return new CirculationRefusal('invalid_pin', words, 'patron');
  return undefined;
}

/** The reason for a refused answer: the ILS's wording, else what the kind of request says. */
export function refusalFor(
  kind: CirculationKind,
  screenMessages: readonly string[],
  fallback: RefusalReason = 'refused',
): CirculationRefusal {
  return new CirculationRefusal(reasonFromWording(screenMessages) ?? fallback, screenMessages, kind);
}

type CirculationAnswer = Sip2Message<'checkoutResponse'> | Sip2Message<'renewResponse'>;

function circulatedItem(answer: CirculationAnswer, options: MappingOptions): ItemView {
  // One object, its keys added in the order they are written out (no spreads: a checkout maps one per answer).
  const item: ItemView = { id: answer.itemIdentifier, title: answer.titleIdentifier };
  const dueDate = optionalDate(answer.dueDate, options);
  if (dueDate) item.dueDate = dueDate;
  const mediaType = nameOf(answer.mediaType);
  if (mediaType !== undefined) item.mediaType = mediaType;
  if (answer.feeAmount !== undefined && answer.feeAmount.trim() !== '') {
    const fee: Money & { type?: string } = {
      amount: answer.feeAmount,
      currency: answer.currencyType ?? null,
    };
    const type = nameOf(answer.feeType);
    if (type !== undefined) fee.type = type;
    item.fee = fee;
  }
  return item;
}

const ynu = (value: boolean | 'unknown') => (value === 'unknown' ? undefined : value);

/**
 * 12 → the checkout as the API answers it (`offline: false`: the ILS made it), or a refusal. A
 * refusal that carries a fee is a fee to acknowledge.
 */
export function checkoutResult(
  answer: Sip2Message<'checkoutResponse'>,
  options: MappingOptions = {},
): CheckoutResult & { offline: false } {
  const screenMessages = answer.screenMessage ?? [];
  if (!answer.ok) {
    const feeAsked = answer.feeAmount !== undefined && answer.feeAmount.trim() !== '';
    const reason = reasonFromWording(screenMessages) ?? (feeAsked ? 'fee_required' : 'refused');
    throw new CirculationRefusal(reason, screenMessages, 'checkout');
  }
  const item: CheckoutResult['item'] = circulatedItem(answer, options) as CheckoutResult['item'];
  const magneticMedia = ynu(answer.magneticMedia);
  if (magneticMedia !== undefined) item.magneticMedia = magneticMedia;
  item.desensitize = answer.desensitize === true;
  return {
    ok: true,
    renewal: answer.renewalOk,
    item,
    screenMessages,
    printLines: answer.printLine ?? [],
    offline: false,
  };
}

const ALERTS: Record<string, CheckinAlertType> = {
  holdForThisLibrary: 'hold',
  holdForOtherBranch: 'hold_in_transit',
  holdForIll: 'hold_ill',
  sendToOtherBranch: 'transit',
};

const ALERT_WORDS: Record<CheckinAlertType, string> = {
  hold: 'On hold: put it on the hold shelf',
  hold_in_transit: 'On hold at another branch: send it in transit',
  hold_ill: 'On hold for interlibrary loan',
  transit: 'Belongs to another branch: send it in transit',
  other: 'Needs attention: give it to staff',
};

/**
 * What strict ILSs (Evergreen, Koha's SIPServer, the reference server) say, with
 * ok 0, to a checkin of an item that was not on loan: it is on the shelf now.
 */
const NOT_ON_LOAN = /\bnot (checked|charged) ?out\b|\bnot (on loan|out)\b|\bwas not out\b/i;

/**
 * 10 → the checkin as the API answers it (`offline: false`: the ILS made it), with where the item
 * goes next, or a refusal. A return of an item that was not on loan is
 * done, not refused (`wasNotOnLoan`): the patron returned it, it is on the shelf
 * and is secured as the answer says.
 */
export function checkinResult(answer: Sip2Message<'checkinResponse'>): CheckinResult & { offline: false } {
  const screenMessages = answer.screenMessage ?? [];
  const notOnLoan = !answer.ok && screenMessages.some((message) => NOT_ON_LOAN.test(message));
  if (!answer.ok && !notOnLoan) throw refusalFor('checkin', screenMessages);
  const magneticMedia = ynu(answer.magneticMedia);
  const alertName = nameOf(answer.alertType);
  const alertType: CheckinAlertType | undefined =
    answer.alert || answer.alertType !== undefined ? (ALERTS[alertName ?? ''] ?? 'other') : undefined;
  return {
    ok: true,
    item: {
      id: answer.itemIdentifier,
      title: answer.titleIdentifier ?? '',
      ...(answer.permanentLocation !== '' ? { permanentLocation: answer.permanentLocation } : {}),
      ...defined('mediaType', nameOf(answer.mediaType)),
      ...(magneticMedia !== undefined ? { magneticMedia } : {}),
    },
    ...defined('sortBin', answer.sortBin),
    ...(alertType
      ? {
          alert: {
            type: alertType,
            message: screenMessages.length > 0 ? screenMessages.join(' ') : ALERT_WORDS[alertType],
          },
        }
      : {}),
    resensitize: answer.resensitize,
    ...(notOnLoan ? { wasNotOnLoan: true } : {}),
    screenMessages,
    printLines: answer.printLine ?? [],
    offline: false,
  };
}

/** 30 → the renewal (the new due date), or a refusal. */
export function renewalResult(
  answer: Sip2Message<'renewResponse'>,
  options: MappingOptions = {},
): RenewalResult {
  const screenMessages = answer.screenMessage ?? [];
  // A refusal names the loan's title (AJ, required in a 30): the patron reads which loan it is. A fee
  // in the refusal (a rental's next period) is one to accept first, as a checkout's.
  if (!answer.ok) {
    const feeAsked = answer.feeAmount !== undefined && answer.feeAmount.trim() !== '';
    const reason = reasonFromWording(screenMessages) ?? (feeAsked ? 'fee_required' : 'refused');
    throw new CirculationRefusal(reason, screenMessages, 'renew', { title: answer.titleIdentifier });
  }
  return {
    ok: true,
    item: circulatedItem(answer, options),
    screenMessages,
    printLines: answer.printLine ?? [],
  };
}

/** 66 → what was renewed and what not; ok 0 is a refusal (the patron, usually). */
export function renewAllResult(answer: Sip2Message<'renewAllResponse'>): RenewAllResult {
  const screenMessages = answer.screenMessage ?? [];
  if (!answer.ok) throw refusalFor('renewAll', screenMessages);
  return {
    ok: true,
    renewed: answer.renewedItems ?? [],
    unrenewed: answer.unrenewedItems ?? [],
    screenMessages,
    printLines: answer.printLine ?? [],
  };
}

/** 16 → the hold placed or cancelled, or a refusal. */
export function holdResult(
  answer: Sip2Message<'holdResponse'>,
  kind: 'hold' | 'holdCancel',
  options: MappingOptions = {},
): HoldResult {
  const screenMessages = answer.screenMessage ?? [];
  if (!answer.ok)
    throw refusalFor(kind, screenMessages, kind === 'holdCancel' ? 'hold_not_found' : 'refused');
  const expires = optionalDate(answer.expirationDate, options);
  const position = count(answer.queuePosition);
  return {
    ok: true,
    available: answer.available,
    ...defined('item', answer.itemIdentifier),
    ...defined('title', answer.titleIdentifier),
    ...defined('queuePosition', position),
    ...defined('pickupLocation', answer.pickupLocation),
    ...(expires ? { expires } : {}),
    screenMessages,
    printLines: answer.printLine ?? [],
  };
}

/** 38 → the payment taken, or a refusal. */
export function feePaymentResult(answer: Sip2Message<'feePaidResponse'>): FeePaymentResult {
  const screenMessages = answer.screenMessage ?? [];
  if (!answer.paymentAccepted) throw refusalFor('feePaid', screenMessages, 'payment_refused');
  return {
    accepted: true,
    ...defined('transactionId', answer.transactionId),
    screenMessages,
    printLines: answer.printLine ?? [],
  };
}

/**
 * 18 → the item. SIP2 has no "not found" flag: an item is unknown when the
 * wording says so, or when the ILS sent neither a title nor a known status.
 */
export function itemInformationResult(
  answer: Sip2Message<'itemInformationResponse'>,
  options: MappingOptions = {},
): ItemInformationResult {
  const screenMessages = answer.screenMessage ?? [];
  const status = nameOf(answer.circulationStatus);
  if (
    reasonFromWording(screenMessages) === 'item_not_found' ||
    (answer.titleIdentifier.trim() === '' && (status === 'other' || answer.circulationStatus.name === null))
  ) {
    throw new CirculationRefusal('item_not_found', screenMessages, 'item');
  }
  const dueDate = optionalDate(answer.dueDate, options);
  const holdPickupDate = optionalDate(answer.holdPickupDate, options);
  const holdQueueLength = count(answer.holdQueueLength);
  const feeAmount = answer.feeAmount?.trim();
  return {
    item: {
      id: answer.itemIdentifier,
      title: answer.titleIdentifier,
      ...defined('status', status),
      ...(dueDate ? { dueDate } : {}),
      ...defined('mediaType', nameOf(answer.mediaType)),
      ...defined('permanentLocation', answer.permanentLocation),
      ...defined('currentLocation', answer.currentLocation),
      ...defined('holdQueueLength', holdQueueLength),
      ...(holdPickupDate ? { holdPickupDate } : {}),
      ...(feeAmount
        ? {
            fee: {
              amount: feeAmount,
              currency: answer.currencyType ?? null,
              ...defined('type', nameOf(answer.feeType)),
            },
          }
        : {}),
      ...defined('securityMarker', nameOf(answer.securityMarker)),
    },
    screenMessages,
  };
}

/** 36 → whether the ILS ended the session. */
export function endSessionResult(answer: Sip2Message<'endSessionResponse'>): EndSessionResult {
  return { ended: answer.endSession, screenMessages: answer.screenMessage ?? [] };
}
