/**
 * The item parts of SIP2 answers (12, 30, 10, 18): what circulation.ts did,
 * in the fixed and variable fields the spec gives each answer, with the values
 * reference servers (SIPServer, Koha, Evergreen) send where the spec leaves a choice.
 */
import type { Sip2MessageInput } from '../../src/protocols/sip2/index.js';
import type { CheckinResult, CheckoutResult, RenewResult } from './circulation.js';
import type { Terminal } from './handlers.js';
import { circulationStatusOf, formatMoney, type Item } from './library-model.js';

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
export const institutionOf = (request: { institutionId: string }, terminal: Terminal) =>
  nonEmpty(request.institutionId) ?? terminal.institution;
export const messages = (list: string[]) => (list.length > 0 ? { screenMessage: list } : {});

interface CirculationRequest {
  institutionId: string;
  patronIdentifier: string;
  itemIdentifier?: string | undefined;
}

/**
 * 12 and 30 share a layout. Desensitize is Y only when an item has just been
 * lent to the patron at this terminal and has a security marker: a refusal lent
 * nothing (N, never U: the reference servers send `120NUN`), and a renewal (30)
 * renews an item that is already out and already desensitized (N). A checkout
 * (11) that renews says Y, as SIPServer does: the item is on the pad.
 */
function circulationResponse<T extends 'checkoutResponse' | 'renewResponse'>(
  type: T,
  result: CheckoutResult | RenewResult,
  request: CirculationRequest,
  terminal: Terminal,
  renewalOk: boolean,
): Sip2MessageInput<T> {
  const { item } = result;
  const fee = 'fee' in result ? result.fee : undefined;
  const lent = type === 'checkoutResponse' && result.ok && item !== undefined;
  const response = {
    type,
    ok: result.ok,
    renewalOk,
    magneticMedia: item ? item.magneticMedia : 'unknown',
    desensitize: lent && item.securityMarker !== 'none',
    transactionDate: terminal.library.now(),
    institutionId: institutionOf(request, terminal),
    patronIdentifier: request.patronIdentifier,
    itemIdentifier: item?.barcode ?? request.itemIdentifier ?? '',
    titleIdentifier: item?.title ?? '',
    dueDate: result.ok && result.due ? result.due : '',
    ...(fee
      ? {
          feeType: fee.type,
          currencyType: terminal.library.currency,
          feeAmount: formatMoney(fee.amountCents),
        }
      : {}),
    ...(item ? { mediaType: item.mediaType } : {}),
    ...(item?.properties !== undefined ? { itemProperties: item.properties } : {}),
    ...messages(result.messages),
  };
  return response as unknown as Sip2MessageInput<T>;
}

export function checkoutResponse(
  result: CheckoutResult,
  request: CirculationRequest,
  terminal: Terminal,
): Sip2MessageInput<'checkoutResponse'> {
  return circulationResponse('checkoutResponse', result, request, terminal, result.renewal);
}

export function renewResponse(
  result: RenewResult,
  request: CirculationRequest,
  terminal: Terminal,
): Sip2MessageInput<'renewResponse'> {
  return circulationResponse('renewResponse', result, request, terminal, result.ok);
}

/**
 * 10. AA names the patron whose loan the checkin ended (SIPServer, Koha and
 * Evergreen send it; sorters and self-checks use it); the patron a trapped item
 * waits for goes in CY, their extension for it. A checkin of an item that was
 * not out, trapped or in transit, and that nothing else happened to, answers ok
 * 0 unless the account accepts it (`checkinNotCheckedOut: accept`), as the
 * reference servers do; the item is put back either way.
 */
export function checkinResponse(
  result: CheckinResult,
  request: { institutionId: string; itemIdentifier: string },
  terminal: Terminal,
): Sip2MessageInput<'checkinResponse'> {
  const { item } = result;
  const refusedNotOut = result.notCheckedOut && terminal.account?.checkinNotCheckedOut !== 'accept';
  return {
    type: 'checkinResponse',
    ok: result.ok && !refusedNotOut,
    resensitize: result.resensitize,
    magneticMedia: item ? item.magneticMedia : 'unknown',
    alert: result.alert !== undefined,
    transactionDate: terminal.library.now(),
    institutionId: institutionOf(request, terminal),
    itemIdentifier: request.itemIdentifier,
    permanentLocation: item?.owningBranch ?? '',
    ...(item ? { titleIdentifier: item.title, mediaType: item.mediaType } : {}),
    ...(result.sortBin !== undefined ? { sortBin: result.sortBin } : {}),
    ...(result.patron !== undefined ? { patronIdentifier: result.patron } : {}),
    ...(item?.properties !== undefined ? { itemProperties: item.properties } : {}),
    ...(result.alert !== undefined ? { alertType: result.alert } : {}),
    ...messages(result.messages),
    ...(result.holdFor !== undefined ? { extraFields: [{ id: 'CY', value: result.holdFor }] } : {}),
  };
}

/**
 * 18. An unknown item: circulation status 01 (other), security marker 00
 * (other), fee type 01 (other/unknown), its id echoed, the title (required)
 * blank and "Unknown item" on the screen. SIPServer and Koha send the same but
 * for the security marker, where they write 01 (none) under a comment that says
 * "other": the spec's "other" is 00.
 */
export function itemInformationResponse(
  item: Item | undefined,
  request: { itemIdentifier: string },
  terminal: Terminal,
): Sip2MessageInput<'itemInformationResponse'> {
  const { library } = terminal;
  const base = { transactionDate: library.now(), itemIdentifier: request.itemIdentifier };
  if (!item) {
    return {
      type: 'itemInformationResponse',
      circulationStatus: 'other',
      securityMarker: 'other',
      feeType: 'other',
      ...base,
      titleIdentifier: '',
      screenMessage: ['Unknown item'],
    };
  }
  return {
    type: 'itemInformationResponse',
    circulationStatus: circulationStatusOf(item),
    securityMarker: item.securityMarker,
    feeType: item.fee?.type ?? 'other',
    ...base,
    holdQueueLength: String(item.holdQueue.length),
    ...(item.loan ? { dueDate: item.loan.due } : {}),
    ...(item.onHoldShelf ? { holdPickupDate: item.onHoldShelf.until } : {}),
    titleIdentifier: item.title,
    owner: item.institution,
    ...(item.fee ? { currencyType: library.currency, feeAmount: formatMoney(item.fee.amountCents) } : {}),
    mediaType: item.mediaType,
    ...(item.owningBranch !== undefined ? { permanentLocation: item.owningBranch } : {}),
    ...(item.currentBranch !== undefined ? { currentLocation: item.currentBranch } : {}),
    ...(item.properties !== undefined ? { itemProperties: item.properties } : {}),
    ...(item.parts > 1 ? { screenMessage: [`${item.parts} parts`] } : {}),
  };
}
