/** Carrel as a SIP2 server for existing self-checks and sorters, relaying to the ILS. */
export {
  ilsConfigForAccount,
  parseSip2RelayConfig,
  type Sip2RelayAccount,
  type Sip2RelayConfig,
  type Sip2RelayConfigInput,
  sip2RelayAccountSchema,
  sip2RelayOfflineSchema,
  sip2RelaySchema,
} from './config.js';
export { RELAY_FEE_UNCHECKED_MESSAGE } from './fee-payment.js';
export {
  ILS_ANSWER_UNREADABLE_MESSAGE,
  ILS_COULD_NOT_READ_MESSAGE,
  isRelayedRequest,
  type OfflineContext,
  offlineAcceptance,
  offlineAcsStatus,
  offlineAsJournaled,
  offlineRefusal,
  offlineTransactionTime,
  type RelayOfflinePolicy,
} from './offline.js';
export { RELAY_BLOCK_JOURNALED_MESSAGE } from './relaying.js';
export { Sip2RelayServer, type Sip2RelayServerOptions } from './server.js';
export {
  type IlsForRelay,
  MAX_FAILED_LOGINS,
  type RelayOfflineHandler,
  type RelayOfflineOutcome,
} from './session.js';
export {
  countedKind,
  type RelayAnswerSource,
  type RelayTransaction,
  type RelayTransactionKind,
  type RelayTransactionListener,
  relayTransaction,
} from './statistics.js';
