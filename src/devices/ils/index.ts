/** The SIP2 ILS client: a pool of connections (the supervised ILS link) and a typed API over it. */

export {
  IlsAccountError,
  type IlsAccountErrorCode,
  type IlsAccountPatron,
  type IlsAccounts,
  type IlsDebit,
} from './accounts.js';
export {
  type CirculationAnswer,
  type IlsAnswer,
  IlsClient,
  type IlsClientOptions,
  type Sip2ResponseTo,
} from './client.js';
export {
  type IlsConfig,
  type IlsConfigInput,
  type IlsExtraField,
  ilsConfigSchema,
  ilsExtraFieldSchema,
  ilsPoolSchema,
  ilsTlsSchema,
  parseIlsConfig,
} from './config.js';
export {
  IlsConnection,
  type IlsConnectionOptions,
  type IlsConnectionSettings,
  type Sip2Exchange,
  type Sip2FrameListener,
  type Sip2Request,
} from './connection.js';
export { IlsError, type IlsErrorCode } from './errors.js';
export { KohaRestAccounts } from './koha-accounts.js';
export { type KohaRestAccountsConfig, kohaRestAccountsSchema } from './koha-accounts-config.js';
export type { LostAnswerVerification } from './lost-answer.js';
export { IlsConnectionPool, type IlsEventType, type IlsPoolOptions } from './pool.js';
export type {
  BlockPatronOptions,
  CheckinOptions,
  CheckoutOptions,
  FeePaidOptions,
  HoldOptions,
  PatronInformationOptions,
  PatronStatusOptions,
  RenewAllOptions,
  RenewOptions,
} from './requests.js';
export { createIlsTransport } from './transport.js';
