/**
 * What the relay answers itself while the ILS is down, per the SIP2 offline
 * rules: a 98 with "online" N and the offline flags of the policy, and for every
 * other request its response with ok 0 (nothing done) and a screen message.
 */
import {
  type AnySip2Message,
  type AnySip2MessageInput,
  formatSip2Date,
  type Sip2MessageType,
} from '../../protocols/sip2/index.js';
import type { Sip2RelayConfig } from './config.js';

export type RelayOfflinePolicy = Sip2RelayConfig['offline'];

export interface OfflineContext {
  policy: RelayOfflinePolicy;
  now: Date;
  /** AO for a 98 (no request field to echo). */
  institutionId: string;
  /** AN for a 98. */
  terminalLocation?: string;
}

const NO_STATUS = {} as const;
const UNKNOWN_LANGUAGE = { code: '000' } as const;

/** A 98 saying the ILS is offline; only the messages the relay can still answer are listed supported. */
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
    timeoutPeriod: policy.timeoutPeriod,
    retriesAllowed: policy.retriesAllowed,
    dateTimeSync: formatSip2Date(context.now),
    protocolVersion: '2.00',
    institutionId: context.institutionId,
    supportedMessages: {
      scStatus: true,
      requestAcsResend: true,
      login: true,
      checkin: policy.checkinOk,
      checkout: policy.checkoutOk,
    },
    ...(context.terminalLocation ? { terminalLocation: context.terminalLocation } : {}),
    screenMessage: [policy.screenMessage],
  } as AnySip2MessageInput;
}

/**
 * The refusal for a request while the ILS is down; undefined for what is not a
 * request (responses, 96/97, 93 — the relay answers those itself).
 */
export function offlineRefusal(
  request: AnySip2Message,
  context: OfflineContext,
): AnySip2MessageInput | undefined {
  const date = formatSip2Date(context.now);
  const screenMessage = [context.policy.screenMessage];
  const r = request as AnySip2Message & Record<string, unknown>;
  const institutionId = typeof r.institutionId === 'string' ? r.institutionId : context.institutionId;
  const patronIdentifier = typeof r.patronIdentifier === 'string' ? r.patronIdentifier : '';
  const itemIdentifier = typeof r.itemIdentifier === 'string' ? r.itemIdentifier : '';
  const circulation = {
    ok: false,
    renewalOk: false,
    magneticMedia: 'unknown',
    desensitize: false,
    transactionDate: date,
    institutionId,
    patronIdentifier,
    itemIdentifier,
    titleIdentifier: '',
    dueDate: '',
    screenMessage,
  } as const;
  const patronStatusAnswer = {
    patronStatus: NO_STATUS,
    language: UNKNOWN_LANGUAGE,
    transactionDate: date,
    institutionId,
    patronIdentifier,
    personalName: '',
    validPatron: false,
    screenMessage,
  } as const;
  const answers: Partial<Record<Sip2MessageType, () => AnySip2MessageInput>> = {
    scStatus: () => offlineAcsStatus(context),
    checkout: () => ({ type: 'checkoutResponse', ...circulation }),
    renew: () => ({ type: 'renewResponse', ...circulation }),
    checkin: () => ({
      type: 'checkinResponse',
      ok: false,
      resensitize: false,
      magneticMedia: 'unknown',
      alert: false,
      transactionDate: date,
      institutionId,
      itemIdentifier,
      permanentLocation: '',
      screenMessage,
    }),
    patronStatusRequest: () => ({ type: 'patronStatusResponse', ...patronStatusAnswer }),
    blockPatron: () => ({ type: 'patronStatusResponse', ...patronStatusAnswer }),
    patronEnable: () => ({ type: 'patronEnableResponse', ...patronStatusAnswer }),
    patronInformation: () => ({ type: 'patronInformationResponse', ...patronStatusAnswer }),
    itemInformation: () => ({
      type: 'itemInformationResponse',
      circulationStatus: { code: '01' },
      securityMarker: { code: '00' },
      feeType: { code: '01' },
      transactionDate: date,
      itemIdentifier,
      titleIdentifier: '',
      screenMessage,
    }),
    renewAll: () => ({
      type: 'renewAllResponse',
      ok: false,
      renewedCount: 0,
      unrenewedCount: 0,
      transactionDate: date,
      institutionId,
      screenMessage,
    }),
    endPatronSession: () => ({
      type: 'endSessionResponse',
      endSession: false,
      transactionDate: date,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    feePaid: () => ({
      type: 'feePaidResponse',
      paymentAccepted: false,
      transactionDate: date,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    hold: () => ({
      type: 'holdResponse',
      ok: false,
      available: false,
      transactionDate: date,
      institutionId,
      patronIdentifier,
      screenMessage,
    }),
    itemStatusUpdate: () => ({
      type: 'itemStatusUpdateResponse',
      itemPropertiesOk: false,
      transactionDate: date,
      itemIdentifier,
      screenMessage,
    }),
  };
  return answers[request.type]?.();
}
