export type { CheckinResult, CheckoutResult, RenewAllResult, RenewResult } from './circulation.js';
export { type IlsFaults, ilsFaultsSchema, parseIlsFaults } from './faults.js';
export {
  type IlsFixture,
  type IlsFixtureInput,
  ilsFixtureSchema,
  loadIlsFixture,
  parseIlsFixture,
} from './fixture.js';
export { IlsLibrary, type IlsLibraryOptions } from './library.js';
export type { Fee, Hold, Item, Loan, Patron, PatronStanding } from './library-model.js';
export { DEFAULT_ILS_CONTROL_PORT, DEFAULT_ILS_PORT, runIlsSimulator, sampleFixturePath } from './main.js';
export type { FeePaymentResult, HoldResult } from './patron-services.js';
export { type IlsSimulator, type IlsSimulatorOptions, startIlsSimulator } from './server.js';
export type { IlsConnectionState } from './session.js';
