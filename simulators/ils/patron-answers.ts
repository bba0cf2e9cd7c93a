/**
 * The patron parts of SIP2 answers (24, 26, 64): status flags, BL/CQ only when
 * known, money, counts and the one summary list the 63 asked for.
 */
import type {
  PatronStatus,
  Sip2ExtraField,
  Sip2Message,
  Sip2MessageInput,
  SummaryItems,
} from '../../src/protocols/sip2/index.js';
import { formatSip2Date, PATRON_STATUS_FLAGS } from '../../src/protocols/sip2/index.js';
import type { IlsLibrary } from './library.js';
import { formatMoney, type Patron, type PatronStanding } from './library-model.js';

/** What an unknown patron gets: every privilege denied. */
function unknownPatronStatus(): PatronStatus {
  const status = {} as PatronStatus;
  for (const flag of PATRON_STATUS_FLAGS) status[flag] = false;
  status.chargePrivilegesDenied = true;
  status.renewalPrivilegesDenied = true;
  status.recallPrivilegesDenied = true;
  status.holdPrivilegesDenied = true;
  return status;
}

/** The words of a condition the patron status flags on its own (SIP2's names for them). */
const CONDITION_WORDS: ReadonlyArray<[keyof PatronStatus, string]> = [
  ['cardReportedLost', 'Card reported lost'],
  ['tooManyItemsCharged', 'Loan limit reached'],
  ['tooManyItemsOverdue', 'Too many overdue items'],
  ['tooManyRenewals', 'Too many renewals'],
  ['tooManyClaimsOfItemsReturned', 'Too many claims of items returned'],
  ['tooManyItemsLost', 'Too many items lost'],
  ['excessiveOutstandingFines', 'Outstanding fines and fees too high'],
  ['excessiveOutstandingFees', 'Outstanding fines and fees too high'],
  ['recallOverdue', 'Recalled item overdue'],
  ['tooManyItemsBilled', 'Too many items billed'],
];

/**
 * The screen message (AF) of a 24, 26 or 64: what its patron status flags say, in their order, each
 * reason once — why borrowing, renewing, recalls and holds are denied when their flag is Y (a card
 * blocked denies all four: said once), then each condition flagged — and nothing a flag does not
 * say: a patron who may borrow is told nothing about borrowing.
 */
function statusWords(standing: PatronStanding): string[] {
  const { status } = standing;
  const words = [
    ...(status.chargePrivilegesDenied ? standing.checkoutBlocks : []),
    ...(status.renewalPrivilegesDenied ? standing.renewalBlocks : []),
    ...(status.recallPrivilegesDenied ? standing.recallBlocks : []),
    ...(status.holdPrivilegesDenied ? standing.holdBlocks : []),
  ];
  for (const [flag, said] of CONDITION_WORDS) if (status[flag]) words.push(said);
  return [...new Set(words)];
}

export interface PatronLookup {
  patron?: Patron;
  standing?: PatronStanding;
  status: PatronStatus;
  /** BL: the patron is known. */
  validPatron: boolean;
  /** CQ: whenever the request carried AD (empty or not) and the patron is known. */
  validPatronPassword?: boolean;
  screenMessage: string[];
}

export function lookUpPatron(
  library: IlsLibrary,
  barcode: string,
  password: string | undefined,
): PatronLookup {
  const patron = library.patron(barcode);
  if (!patron) {
    return { status: unknownPatronStatus(), validPatron: false, screenMessage: ['Unknown patron'] };
  }
  const standing = library.standing(patron);
  const lookup: PatronLookup = {
    patron,
    standing,
    status: standing.status,
    validPatron: true,
    screenMessage: statusWords(standing),
  };
  // CQ whenever the request carried AD, an empty one too (the 23 always does): N unless it is the
  // patron's PIN (an empty AD matches only a patron with none), as SIPServer's check_password says.
  // A missing CQ means invalid at most clients, valid at some: never left to them to guess.
  if (password !== undefined) {
    lookup.validPatronPassword = password === patron.pin;
    // No PIN typed (a card looked at before the PIN is asked) is no wrong PIN to tell the patron of.
    if (!lookup.validPatronPassword && password !== '') lookup.screenMessage.unshift('Invalid PIN');
  }
  return lookup;
}

function patronCommon(lookup: PatronLookup) {
  const common: {
    validPatron: boolean;
    validPatronPassword?: boolean;
    screenMessage?: string[];
  } = { validPatron: lookup.validPatron };
  if (lookup.validPatronPassword !== undefined) common.validPatronPassword = lookup.validPatronPassword;
  if (lookup.screenMessage.length > 0) common.screenMessage = lookup.screenMessage;
  return common;
}

/**
 * 24. `language` is the 23's own (its "language" fixed field, echoed as
 * SIPServer and Koha do); a 01 names none, so then the patron's language, or
 * 000 for an unknown patron.
 */
export function patronStatusResponse(
  library: IlsLibrary,
  institutionId: string,
  barcode: string,
  password: string | undefined,
  language?: Sip2Message<'patronStatusRequest'>['language'],
): Sip2MessageInput<'patronStatusResponse'> {
  const lookup = lookUpPatron(library, barcode, password);
  return {
    type: 'patronStatusResponse',
    patronStatus: lookup.status,
    language: language ?? lookup.patron?.language ?? 'unknown',
    transactionDate: library.now(),
    institutionId,
    patronIdentifier: barcode,
    personalName: lookup.patron?.name ?? '',
    ...patronCommon(lookup),
    ...(lookup.standing
      ? { currencyType: library.currency, feeAmount: formatMoney(Math.max(0, lookup.standing.balanceCents)) }
      : {}),
  };
}

export function patronEnableResponse(
  library: IlsLibrary,
  institutionId: string,
  barcode: string,
  password: string | undefined,
): Sip2MessageInput<'patronEnableResponse'> {
  const lookup = lookUpPatron(library, barcode, password);
  return {
    type: 'patronEnableResponse',
    patronStatus: lookup.status,
    language: lookup.patron?.language ?? 'unknown',
    transactionDate: library.now(),
    institutionId,
    patronIdentifier: barcode,
    personalName: lookup.patron?.name ?? '',
    ...patronCommon(lookup),
  };
}

/** BP/BQ: a 1-based inclusive range; defaults to the whole list. */
function range<T>(list: T[], start: string | undefined, end: string | undefined): T[] {
  const from = start !== undefined && /^\d+$/.test(start.trim()) ? Math.max(1, Number(start)) : 1;
  const to = end !== undefined && /^\d+$/.test(end.trim()) ? Number(end) : list.length;
  return list.slice(from - 1, Math.max(from - 1, to));
}

const limit = (value: number | null) => (value === null ? undefined : String(value).padStart(4, '0'));

/**
 * The 64's extension fields as SIPServer, Evergreen and Koha send them: AQ home
 * library, PA expiry and PB birth date (YYYYMMDD), PC patron type, PI internet
 * privileges; each only when the patron has it.
 */
function patronExtensions(library: IlsLibrary, patron: Patron): Sip2ExtraField[] {
  const fields: Sip2ExtraField[] = [{ id: 'AQ', value: patron.homeBranch }];
  if (patron.expires !== undefined) {
    const day = formatSip2Date(patron.expires, { timeZone: library.timeZone }).slice(0, 8);
    fields.push({ id: 'PA', value: day });
  }
  if (patron.birthDate !== undefined) fields.push({ id: 'PB', value: patron.birthDate.replaceAll('-', '') });
  if (patron.patronType !== undefined) fields.push({ id: 'PC', value: patron.patronType });
  if (patron.internetPrivileges !== undefined) fields.push({ id: 'PI', value: patron.internetPrivileges });
  return fields;
}

export function patronInformationResponse(
  library: IlsLibrary,
  request: Sip2Message<'patronInformation'>,
  institutionId: string,
): Sip2MessageInput<'patronInformationResponse'> {
  const lookup = lookUpPatron(library, request.patronIdentifier, request.patronPassword);
  const base: Sip2MessageInput<'patronInformationResponse'> = {
    type: 'patronInformationResponse',
    patronStatus: lookup.status,
    // The patron's own language, as SIPServer answers a 63; the 63's for a patron it does not know.
    language: lookup.patron?.language ?? request.language,
    transactionDate: library.now(),
    holdItemsCount: 0,
    overdueItemsCount: 0,
    chargedItemsCount: 0,
    fineItemsCount: 0,
    // Recalls are not simulated, so there are none: 0000 (blanks would say the count is unsupported).
    recallItemsCount: 0,
    unavailableHoldsCount: 0,
    institutionId,
    patronIdentifier: request.patronIdentifier,
    personalName: lookup.patron?.name ?? '',
    ...patronCommon(lookup),
  };
  const { patron, standing } = lookup;
  if (!patron || !standing) return base;

  const available = library.availableHoldsOf(patron.barcode).map((item) => item.barcode);
  const waiting = library.unavailableHoldsOf(patron.barcode).map((item) => item.barcode);
  const lists: Record<SummaryItems, string[]> = {
    holdItems: available,
    overdueItems: standing.overdue.map((loan) => loan.item),
    chargedItems: standing.loans.map((loan) => loan.item),
    fineItems: patron.fees.map(
      (fee) => `${fee.id} ${formatMoney(fee.amountCents)} ${fee.description ?? fee.type}`,
    ),
    recallItems: [],
    unavailableHoldItems: waiting,
  };
  const rules = library.rules;
  const response: Sip2MessageInput<'patronInformationResponse'> = {
    ...base,
    holdItemsCount: available.length,
    overdueItemsCount: standing.overdue.length,
    chargedItemsCount: standing.loans.length,
    fineItemsCount: patron.fees.length,
    unavailableHoldsCount: waiting.length,
    currencyType: library.currency,
    // BV as Koha sends it: what is owed, 0.00 for a patron in credit (never negative).
    feeAmount: formatMoney(Math.max(0, standing.balanceCents)),
    extraFields: patronExtensions(library, patron),
  };
  // No limit ("none"): no CB or CC at all.
  const chargedLimit = limit(rules.loanLimit);
  if (chargedLimit !== undefined) response.chargedItemsLimit = chargedLimit;
  if (rules.fineThreshold !== null) response.feeLimit = formatMoney(rules.fineThreshold);
  const holdLimit = limit(rules.holdLimit);
  if (holdLimit !== undefined) response.holdItemsLimit = holdLimit;
  const overdueLimit = limit(rules.overdueLimit);
  if (overdueLimit !== undefined) response.overdueItemsLimit = overdueLimit;
  if (patron.address !== undefined) response.homeAddress = patron.address;
  if (patron.email !== undefined) response.emailAddress = patron.email;
  if (patron.phone !== undefined) response.homePhoneNumber = patron.phone;
  if (request.summary) {
    response[request.summary] = range(lists[request.summary], request.startItem, request.endItem);
  }
  return response;
}
