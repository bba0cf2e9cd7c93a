/**
 * The refusal of a SIP2 request: its answer with nothing done (ok 0, valid
 * patron N, payment not accepted, no session ended…), the request's own
 * institution, patron and item echoed, and a screen message saying why. Fixed
 * fields are what a strict self-check expects of "nothing done": desensitize and
 * resensitize N, magnetic media U (not known), the patron's four privileges
 * denied, counts 0000, item status 01 (other) with security marker 00 (other). A server
 * answers this when it will not act on a request — the ILS is down, a field is
 * too long — so the self-check is never left waiting. Pair it with fitSip2Answer:
 * an echo may itself be too long to send.
 */
import type { Sip2MessageType } from './messages.js';
import type { AnySip2Message, AnySip2MessageInput } from './types.js';

export interface Sip2RefusalContext {
  /** The answer's transaction date: a Date, or an 18-character SIP2 date. */
  transactionDate: Date | string;
  /** AF: why the request was refused. */
  screenMessage: string;
  /** AO when the request carries none. */
  institutionId?: string;
}

/**
 * Nothing is known of the patron, so nothing may be done for them: the four
 * privileges denied ("A Y in any position indicates that the condition is
 * true"), the rest blank, as SIPServer and Koha answer a patron they cannot verify.
 */
const PRIVILEGES_DENIED = {
  chargePrivilegesDenied: true,
  renewalPrivilegesDenied: true,
  recallPrivilegesDenied: true,
  holdPrivilegesDenied: true,
} as const;
const UNKNOWN_LANGUAGE = { code: '000' } as const;

/**
 * The refusal for a request; undefined for what has no refusal of this kind:
 * 99 (answered with a 98), 93 (a 94 with ok 0), 96/97 and answers.
 */
export function sip2Refusal(
  request: AnySip2Message,
  context: Sip2RefusalContext,
): AnySip2MessageInput | undefined {
  const transactionDate = context.transactionDate;
  const screenMessage = [context.screenMessage];
  const r = request as AnySip2Message & Record<string, unknown>;
  const institutionId = typeof r.institutionId === 'string' ? r.institutionId : (context.institutionId ?? '');
  const patronIdentifier = typeof r.patronIdentifier === 'string' ? r.patronIdentifier : '';
  const itemIdentifier = typeof r.itemIdentifier === 'string' ? r.itemIdentifier : '';
  // 23 and 63 name the language they want the answer in; 01 and 25 name none (000, unknown).
  const language = languageOf(r.language);
  const circulation = {
    ok: false,
    renewalOk: false,
    magneticMedia: 'unknown',
    desensitize: false,
    transactionDate,
    institutionId,
    patronIdentifier,
    itemIdentifier,
    titleIdentifier: '',
    dueDate: '',
    screenMessage,
  } as const;
  const patronStatusAnswer = {
    patronStatus: PRIVILEGES_DENIED,
    language,
    transactionDate,
    institutionId,
    patronIdentifier,
    personalName: '',
    validPatron: false,
    screenMessage,
  } as const;
  const answers: Partial<Record<Sip2MessageType, () => AnySip2MessageInput>> = {
    checkout: () => ({ type: 'checkoutResponse', ...circulation }),
    renew: () => ({ type: 'renewResponse', ...circulation }),
    checkin: () => ({
      type: 'checkinResponse',
      ok: false,
      resensitize: false,
      magneticMedia: 'unknown',
      alert: false,
      transactionDate,
      institutionId,
      itemIdentifier,
      permanentLocation: '',
      screenMessage,
    }),
    patronStatusRequest: () => ({ type: 'patronStatusResponse', ...patronStatusAnswer }),
    blockPatron: () => ({ type: 'patronStatusResponse', ...patronStatusAnswer }),
    patronEnable: () => ({ type: 'patronEnableResponse', ...patronStatusAnswer }),
    // The counts are 0000, not the four blanks that say the ACS does not support them.
    patronInformation: () => ({
      type: 'patronInformationResponse',
      ...patronStatusAnswer,
      holdItemsCount: 0,
      overdueItemsCount: 0,
      chargedItemsCount: 0,
      fineItemsCount: 0,
      recallItemsCount: 0,
      unavailableHoldsCount: 0,
    }),
    itemInformation: () => ({
      type: 'itemInformationResponse',
      circulationStatus: { code: '01' },
      securityMarker: { code: '00' },
      feeType: { code: '01' },
      transactionDate,
      itemIdentifier,
      titleIdentifier: '',
      screenMessage,
    }),
    renewAll: () => ({
      type: 'renewAllResponse',
      ok: false,
      renewedCount: 0,
      unrenewedCount: 0,
      transactionDate,
      institutionId,
      screenMessage,
    }),
    endPatronSession: () => ({
      type: 'endSessionResponse',
      endSession: false,
      transactionDate,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    feePaid: () => ({
      type: 'feePaidResponse',
      paymentAccepted: false,
      transactionDate,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    hold: () => ({
      type: 'holdResponse',
      ok: false,
      available: false,
      transactionDate,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    itemStatusUpdate: () => ({
      type: 'itemStatusUpdateResponse',
      itemPropertiesOk: false,
      transactionDate,
      itemIdentifier,
      screenMessage,
    }),
  };
  return answers[request.type]?.();
}

/** The request's language as the encoder takes it (a 3-digit code), else 000. */
function languageOf(value: unknown): { code: string } {
  const code = typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^\d{3}$/.test(code) ? { code } : UNKNOWN_LANGUAGE;
}
