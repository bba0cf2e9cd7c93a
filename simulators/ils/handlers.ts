/**
 * One handler per SIP2 request (STYLE 8): a decoded request and the session's
 * terminal in, the response to send out. Login, 97 and 96 are the session's own
 * business (session.ts); everything here runs only after a login, except 99.
 */
import type {
  AnySip2Message,
  AnySip2MessageInput,
  Sip2Message,
  SupportedMessage,
  SupportedMessages,
} from '../../src/protocols/sip2/index.js';
import { SUPPORTED_MESSAGE_FLAGS, sip2Refusal } from '../../src/protocols/sip2/index.js';
import {
  checkinResponse,
  checkoutResponse,
  institutionOf,
  itemInformationResponse,
  messages,
  renewResponse,
} from './circulation-answers.js';
import type { AccountFixture } from './fixture.js';
import type { IlsLibrary } from './library.js';
import { formatMoney } from './library-model.js';
import { patronEnableResponse, patronInformationResponse, patronStatusResponse } from './patron-answers.js';

/** Where the request comes from: the logged-in self-check. */
export interface Terminal {
  library: IlsLibrary;
  institution: string;
  /** Branch the terminal stands in. */
  branch: string;
  /** CP of the login. */
  location: string;
  /** The logged-in account; undefined for a 99 before login. */
  account: AccountFixture | undefined;
}

export type CirculationRequestType =
  | 'scStatus'
  | 'checkout'
  | 'checkin'
  | 'patronStatusRequest'
  | 'patronInformation'
  | 'itemInformation'
  | 'renew'
  | 'renewAll'
  | 'endPatronSession'
  | 'feePaid'
  | 'hold'
  | 'itemStatusUpdate'
  | 'patronEnable'
  | 'blockPatron';

/** The BX flag that says whether a request is supported. */
export const SUPPORT_FLAG: Record<CirculationRequestType, SupportedMessage> = {
  scStatus: 'scAcsStatus',
  checkout: 'checkout',
  checkin: 'checkin',
  patronStatusRequest: 'patronStatusRequest',
  patronInformation: 'patronInformation',
  itemInformation: 'itemInformation',
  renew: 'renew',
  renewAll: 'renewAll',
  endPatronSession: 'endPatronSession',
  feePaid: 'feePaid',
  hold: 'hold',
  itemStatusUpdate: 'itemStatusUpdate',
  patronEnable: 'patronEnable',
  blockPatron: 'blockPatron',
};

type Handler<T extends CirculationRequestType> = (
  request: Sip2Message<T>,
  terminal: Terminal,
) => AnySip2MessageInput;

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** A SIP2 date from the request, read in the library's time zone; undefined when blank or malformed. */
function parseDate(terminal: Terminal, text: string | null): Date | undefined {
  return text === null ? undefined : terminal.library.parseSip2Date(text);
}

export function supportedMessages(unsupported: readonly SupportedMessage[]): SupportedMessages {
  const flags = {} as SupportedMessages;
  for (const flag of SUPPORTED_MESSAGE_FLAGS) flags[flag] = !unsupported.includes(flag);
  return flags;
}

/**
 * The 98's checkin ok / checkout ok for this terminal: the account's, else the
 * fixture's acs, else Y unless BX marks the message unsupported.
 */
function allows(terminal: Terminal, what: 'checkin' | 'checkout'): boolean {
  const acs = terminal.library.fixture.acs;
  const own = what === 'checkin' ? terminal.account?.checkinOk : terminal.account?.checkoutOk;
  const library = what === 'checkin' ? acs.checkinOk : acs.checkoutOk;
  return own ?? library ?? !acs.unsupportedMessages.includes(what);
}

/** The refusal of a checkin or checkout the 98 says this terminal may not do: nothing done. */
function notAllowed(request: AnySip2Message, terminal: Terminal, screenMessage: string): AnySip2MessageInput {
  return sip2Refusal(request, {
    transactionDate: terminal.library.now(),
    screenMessage,
    institutionId: terminal.institution,
  })!;
}

const HANDLERS: { [T in CirculationRequestType]: Handler<T> } = {
  scStatus: (_request, terminal) => {
    const { library } = terminal;
    const acs = library.fixture.acs;
    const libraryName = terminal.account?.libraryName ?? acs.libraryName ?? library.name;
    return {
      type: 'acsStatus',
      onlineStatus: true,
      checkinOk: allows(terminal, 'checkin'),
      checkoutOk: allows(terminal, 'checkout'),
      acsRenewalPolicy: library.rules.renewOnCheckout,
      statusUpdateOk: acs.statusUpdateOk,
      offlineOk: acs.offlineOk,
      timeoutPeriod: acs.timeoutPeriod,
      retriesAllowed: acs.retriesAllowed,
      dateTimeSync: library.now(),
      protocolVersion: '2.00',
      institutionId: terminal.institution,
      ...(libraryName !== '' ? { libraryName } : {}),
      supportedMessages: supportedMessages(acs.unsupportedMessages),
      terminalLocation: terminal.location,
    };
  },

  checkout: (request, terminal) => {
    if (!allows(terminal, 'checkout')) return notAllowed(request, terminal, 'Checkout is not allowed here');
    const result = terminal.library.checkout({
      patron: request.patronIdentifier,
      item: request.itemIdentifier,
      branch: terminal.branch,
      ...(request.patronPassword !== undefined ? { patronPassword: request.patronPassword } : {}),
      scRenewalPolicy: request.scRenewalPolicy,
      noBlock: request.noBlock,
      ...(request.noBlock ? { noBlockDueDate: parseDate(terminal, request.nbDueDate) } : {}),
      feeAcknowledged: request.feeAcknowledged === true,
      cancel: request.cancel === true,
    });
    return checkoutResponse(result, request, terminal);
  },

  checkin: (request, terminal) => {
    if (!allows(terminal, 'checkin')) return notAllowed(request, terminal, 'Checkin is not allowed here');
    const { library } = terminal;
    const branch = library.isBranch(request.currentLocation) ? request.currentLocation : terminal.branch;
    const returnDate = parseDate(terminal, request.returnDate);
    const result = library.checkin({
      item: request.itemIdentifier,
      branch,
      ...(returnDate ? { returnDate } : {}),
      cancel: request.cancel === true,
    });
    return checkinResponse(result, request, terminal);
  },

  patronStatusRequest: (request, terminal) =>
    patronStatusResponse(
      terminal.library,
      institutionOf(request, terminal),
      request.patronIdentifier,
      request.patronPassword,
      request.language,
    ),

  patronInformation: (request, terminal) =>
    patronInformationResponse(terminal.library, request, institutionOf(request, terminal)),

  itemInformation: (request, terminal) =>
    itemInformationResponse(terminal.library.item(request.itemIdentifier), request, terminal),

  renew: (request, terminal) => {
    const result = terminal.library.renew({
      patron: request.patronIdentifier,
      ...(request.itemIdentifier !== undefined ? { item: request.itemIdentifier } : {}),
      ...(request.titleIdentifier !== undefined ? { title: request.titleIdentifier } : {}),
      ...(request.patronPassword !== undefined ? { patronPassword: request.patronPassword } : {}),
      noBlock: request.noBlock,
      ...(request.noBlock ? { noBlockDueDate: parseDate(terminal, request.nbDueDate) } : {}),
      feeAcknowledged: request.feeAcknowledged === true,
    });
    return renewResponse(result, request, terminal);
  },

  renewAll: (request, terminal) => {
    const result = terminal.library.renewAll(
      request.patronIdentifier,
      request.patronPassword,
      request.feeAcknowledged === true,
    );
    return {
      type: 'renewAllResponse',
      ok: result.ok,
      renewedCount: result.renewed.length,
      unrenewedCount: result.unrenewed.length,
      transactionDate: terminal.library.now(),
      institutionId: institutionOf(request, terminal),
      ...(result.renewed.length > 0 ? { renewedItems: result.renewed } : {}),
      ...(result.unrenewed.length > 0 ? { unrenewedItems: result.unrenewed } : {}),
      ...messages(result.messages),
    };
  },

  endPatronSession: (request, terminal) => ({
    type: 'endSessionResponse',
    endSession: true,
    transactionDate: terminal.library.now(),
    institutionId: institutionOf(request, terminal),
    patronIdentifier: request.patronIdentifier,
    screenMessage: ['Thank you, goodbye'],
  }),

  feePaid: (request, terminal) => {
    const result = terminal.library.payFee({
      patron: request.patronIdentifier,
      amount: request.feeAmount,
      ...(request.patronPassword !== undefined ? { patronPassword: request.patronPassword } : {}),
      ...(request.feeType.name ? { feeType: request.feeType.name } : {}),
      ...(request.feeIdentifier !== undefined ? { feeId: request.feeIdentifier } : {}),
      currency: request.currencyType,
      ...(request.transactionId !== undefined ? { transactionId: request.transactionId } : {}),
    });
    const balance =
      result.remainingCents !== undefined
        ? [`Balance ${formatMoney(result.remainingCents)} ${terminal.library.currency}`]
        : [];
    return {
      type: 'feePaidResponse',
      paymentAccepted: result.accepted,
      transactionDate: terminal.library.now(),
      institutionId: institutionOf(request, terminal),
      patronIdentifier: request.patronIdentifier,
      transactionId: result.transactionId,
      ...messages([...result.messages, ...balance]),
    };
  },

  hold: (request, terminal) => {
    const { library } = terminal;
    const expires =
      request.expirationDate !== undefined ? parseDate(terminal, request.expirationDate) : undefined;
    const result = library.hold({
      mode: request.holdMode.name ?? 'add',
      patron: request.patronIdentifier,
      ...(request.patronPassword !== undefined ? { patronPassword: request.patronPassword } : {}),
      ...(request.itemIdentifier !== undefined ? { item: request.itemIdentifier } : {}),
      ...(request.titleIdentifier !== undefined ? { title: request.titleIdentifier } : {}),
      ...(request.pickupLocation !== undefined ? { pickup: request.pickupLocation } : {}),
      ...(expires ? { expires } : {}),
    });
    return {
      type: 'holdResponse',
      ok: result.ok,
      available: result.available,
      transactionDate: library.now(),
      ...(result.expires ? { expirationDate: result.expires } : {}),
      ...(result.position !== undefined ? { queuePosition: String(result.position) } : {}),
      ...(result.pickup !== undefined ? { pickupLocation: result.pickup } : {}),
      institutionId: institutionOf(request, terminal),
      patronIdentifier: request.patronIdentifier,
      ...(result.item ? { itemIdentifier: result.item.barcode, titleIdentifier: result.item.title } : {}),
      ...messages(result.messages),
    };
  },

  itemStatusUpdate: (request, terminal) => {
    const item = terminal.library.updateItemProperties(request.itemIdentifier, request.itemProperties);
    return {
      type: 'itemStatusUpdateResponse',
      itemPropertiesOk: item !== undefined,
      transactionDate: terminal.library.now(),
      itemIdentifier: request.itemIdentifier,
      ...(item ? { titleIdentifier: item.title, itemProperties: item.properties ?? '' } : {}),
      ...(item ? {} : { screenMessage: ['Unknown item'] }),
    };
  },

  patronEnable: (request, terminal) => {
    // A wrong patron password enables nothing (SIPServer does the same); CQ N says why.
    const patron = terminal.library.patron(request.patronIdentifier);
    const password = nonEmpty(request.patronPassword);
    if (patron && (password === undefined || password === patron.pin)) {
      terminal.library.enablePatron(request.patronIdentifier);
    }
    return patronEnableResponse(
      terminal.library,
      institutionOf(request, terminal),
      request.patronIdentifier,
      request.patronPassword,
    );
  },

  blockPatron: (request, terminal) => {
    terminal.library.blockPatron(
      request.patronIdentifier,
      nonEmpty(request.blockedCardMessage),
      request.cardRetained,
    );
    // The block's message is the patron's first screen message now: said once.
    return patronStatusResponse(
      terminal.library,
      institutionOf(request, terminal),
      request.patronIdentifier,
      undefined,
    );
  },
};

export function isCirculationRequest(type: string): type is CirculationRequestType {
  return Object.hasOwn(HANDLERS, type);
}

/** Runs the handler for a request type. */
export function handleCirculationRequest<T extends CirculationRequestType>(
  request: Sip2Message<T>,
  terminal: Terminal,
): AnySip2MessageInput {
  const handler = HANDLERS[request.type as T] as Handler<T>;
  return handler(request, terminal);
}
