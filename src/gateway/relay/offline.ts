/**
 * What the relay answers itself while the ILS is down, per the SIP2 offline
 * rules: a 98 with "online" N, timeout 000 and the offline flags of the policy;
 * for a checkout or checkin the offline journal took, its ok answer
 * (offlineAcceptance); for every other request its refusal (ok 0, nothing
 * done) with the policy's screen message.
 */
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  formatSip2Date,
  parseSip2Date,
  SIP2_MESSAGES,
  SUPPORTED_MESSAGE_FLAGS,
  type SupportedMessages,
  sip2Refusal,
} from '../../protocols/sip2/index.js';
import type { Sip2RelayConfig } from './config.js';

export type RelayOfflinePolicy = Sip2RelayConfig['offline'];

/**
 * The offline policy as the relay's answers may offer it: checkins and
 * checkouts only where an offline journal takes them (`journaled`). Without
 * one (the desk's offline.enabled false) every one is refused, so a 98 saying
 * "checkin ok" would send the self-check's patrons to a refusal.
 */
export function offeredOffline(policy: RelayOfflinePolicy, journaled: boolean): RelayOfflinePolicy {
  if (journaled || (!policy.checkinOk && !policy.checkoutOk)) return policy;
  return { ...policy, checkinOk: false, checkoutOk: false };
}

/**
 * The relay's offline policy as the desk's offline journal takes its work: a checkout (checkin) is
 * offered while the ILS is down only where the journal takes checkouts (checkins) — the desk's
 * offline.checkouts false would refuse every one a 98 said it took.
 */
export function offlineAsJournaled(
  policy: RelayOfflinePolicy,
  journal: { checkouts: boolean; checkins: boolean },
): RelayOfflinePolicy {
  return {
    ...policy,
    checkoutOk: policy.checkoutOk && journal.checkouts,
    checkinOk: policy.checkinOk && journal.checkins,
  };
}

export interface OfflineContext {
  policy: RelayOfflinePolicy;
  now: Date;
  /**
   * The zone the ILS writes its local times in (the ILS device's timeZone; the machine's when
   * unset): the self-check set its clock by the ILS's 98, so the relay's dates are in it too.
   */
  timeZone?: string | undefined;
  /** AO for a 98 (no request field to echo). */
  institutionId: string;
  /** AN for a 98. */
  terminalLocation?: string;
  /** The offline journal takes blocks of patrons' cards (01): the 98's BX says so. */
  blocksJournaled?: boolean;
}

/**
 * A 98 saying the ILS is offline; only the messages the relay can still answer
 * are listed supported. The timeout period is 000: "000 indicates that the ACS
 * is not on-line" (the policy's timeoutPeriod would contradict "online N").
 */
export function offlineAcsStatus(context: OfflineContext): AnySip2MessageInput {
  const { policy } = context;
  return {
    type: 'acsStatus',
    onlineStatus: false,
    checkinOk: policy.checkinOk,
    checkoutOk: policy.checkoutOk,
    acsRenewalPolicy: false,
    statusUpdateOk: false,
    offlineOk: policy.offlineOk,
    timeoutPeriod: 0,
    retriesAllowed: policy.retriesAllowed,
    dateTimeSync: formatSip2Date(context.now, { timeZone: context.timeZone }),
    protocolVersion: '2.00',
    institutionId: context.institutionId,
    supportedMessages: offlineSupportedMessages(policy, context.blocksJournaled === true),
    ...(context.terminalLocation ? { terminalLocation: context.terminalLocation } : {}),
    screenMessage: [policy.screenMessage],
  };
}

/**
 * BX while the ILS is down: 99, 97 and 93, which the relay answers itself, the
 * checkin and checkout the policy takes offline, and block patron where the
 * journal takes it; every other message N.
 */
function offlineSupportedMessages(policy: RelayOfflinePolicy, blocksJournaled: boolean): SupportedMessages {
  const supported = Object.fromEntries(
    SUPPORTED_MESSAGE_FLAGS.map((message) => [message, false]),
  ) as SupportedMessages;
  supported.scAcsStatus = true;
  supported.requestScAcsResend = true;
  supported.login = true;
  supported.checkin = policy.checkinOk;
  supported.checkout = policy.checkoutOk;
  supported.blockPatron = blocksJournaled;
  return supported;
}

/**
 * Whether the message is a request the relay carries to the ILS: one SIP2 gives
 * an answer (93 apart, which the relay answers itself). Exactly the messages
 * offlineRefusal has an answer for, without building it.
 */
export function isRelayedRequest(request: AnySip2Message): boolean {
  return (
    request.type !== 'login' && (SIP2_MESSAGES[request.type] as { response?: string }).response !== undefined
  );
}

/**
 * The answer to a request while the ILS is down: a 98 for a 99, the request's
 * refusal (sip2Refusal) with the policy's screen message for every other
 * request; undefined for what is not a request (responses, 96/97, 93 — the
 * relay answers those itself).
 */
export function offlineRefusal(
  request: AnySip2Message,
  context: OfflineContext,
): AnySip2MessageInput | undefined {
  if (request.type === 'scStatus') return offlineAcsStatus(context);
  return sip2Refusal(request, {
    transactionDate: formatSip2Date(context.now, { timeZone: context.timeZone }),
    screenMessage: context.policy.screenMessage,
    institutionId: context.institutionId,
  });
}

/**
 * The screen message (AF) of a request the ILS is there for but could not read (it kept asking
 * for it again, 96): nothing was done, and the patron is sent to staff.
 */
export const ILS_COULD_NOT_READ_MESSAGE =
  'Not done: the library system could not read this request, please see staff';

/**
 * The screen message (AF) of a request the ILS had but whose answer stayed unreadable however often
 * the relay asked for it again (97): it may have been done, and the patron is sent to staff.
 */
export const ILS_ANSWER_UNREADABLE_MESSAGE =
  "Not sure this was done: the library system's answer could not be read, please see staff";

/**
 * The answer to a request the ILS could not read (96 past the limit): its refusal with
 * ILS_COULD_NOT_READ_MESSAGE, and for a 99 the 98 with online N offering nothing offline (no
 * checkin, checkout or offline ok, no block), as the ILS is there and what a self-check took
 * offline would meet the same 96 when forwarded.
 */
export function unreadRefusal(
  request: AnySip2Message,
  context: OfflineContext,
): AnySip2MessageInput | undefined {
  return ilsThereRefusal(request, context, ILS_COULD_NOT_READ_MESSAGE);
}

/**
 * The answer to a request the ILS may have done whose answer could not be read (97 past the
 * limit): its refusal (ok 0: the self-check does nothing on its own word) with
 * ILS_ANSWER_UNREADABLE_MESSAGE; for a 99, as unreadRefusal's.
 */
export function unsureRefusal(
  request: AnySip2Message,
  context: OfflineContext,
): AnySip2MessageInput | undefined {
  return ilsThereRefusal(request, context, ILS_ANSWER_UNREADABLE_MESSAGE);
}

/**
 * The relay's own answer to a request, by why it gives one: the ILS cannot be reached, could not
 * read the request (96), or its answer could not be read (97).
 */
export const RELAY_REFUSALS = { offline: offlineRefusal, unread: unreadRefusal, unsure: unsureRefusal };

/** A refusal saying `screenMessage` while the ILS is there: a 98 offers nothing offline. */
function ilsThereRefusal(
  request: AnySip2Message,
  context: OfflineContext,
  screenMessage: string,
): AnySip2MessageInput | undefined {
  return offlineRefusal(request, {
    ...context,
    policy: { ...context.policy, checkinOk: false, checkoutOk: false, offlineOk: false, screenMessage },
    blocksJournaled: false,
  });
}

/**
 * The ok answer to a checkout or checkin the offline journal took; undefined
 * for anything else. A checkout: ok 1, renewal N, magnetic media U (the relay
 * does not know the item), desensitize Y (the patron leaves with it), AH the
 * no-block due date the SC gave, else empty (the ILS sets it on replay). A
 * checkin: ok 1, resensitize Y, magnetic media U, alert N, AQ empty.
 */
export function offlineAcceptance(
  request: AnySip2Message,
  context: OfflineContext,
): AnySip2MessageInput | undefined {
  if (request.type !== 'checkout' && request.type !== 'checkin') return undefined;
  const refusal = offlineRefusal(request, context);
  if (refusal?.type === 'checkoutResponse' && request.type === 'checkout') {
    const dueDate = request.noBlock && request.nbDueDate !== null ? request.nbDueDate : '';
    return { ...refusal, ok: true, desensitize: true, dueDate };
  }
  if (refusal?.type === 'checkinResponse') return { ...refusal, ok: true, resensitize: true };
  return undefined;
}

/**
 * When a checkout or checkin the relay journals while the ILS is down happened, for the journal to
 * replay it with (transaction date, and a checkin's return date: the day overdue fines stop). A
 * self-check sending one with no block Y reports what it did while it could not reach the ILS
 * itself (store and forward): that happened at its own date — for a checkin its return date, else
 * its transaction date. One sent live (no block N), or whose date cannot be read or lies ahead of
 * the desk's clock (a kiosk clock running fast), happens now. Journaled at the moment the relay
 * took it, a return the kiosk took on Friday and forwarded on Monday, with the ILS down then too,
 * was replayed as returned on Monday: three more days of fines. A local date is read in `timeZone`,
 * the ILS's (the self-check keeps the ILS's time); the machine's when unset.
 */
export function offlineTransactionTime(
  request: AnySip2Message,
  now: number,
  timeZone?: string | undefined,
): number {
  if ((request.type !== 'checkout' && request.type !== 'checkin') || !request.noBlock) return now;
  const dates =
    request.type === 'checkin' ? [request.returnDate, request.transactionDate] : [request.transactionDate];
  for (const text of dates) {
    const parsed = typeof text === 'string' ? parseSip2Date(text, { timeZone }) : undefined;
    if (parsed?.ok) return Math.min(parsed.date.getTime(), now);
  }
  return now;
}
