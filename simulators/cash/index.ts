export { BillValidatorModel, type NoteInsertion, type StackerState } from './bill-validator.js';
export { type BusFaults, busFaultsSchema, CctalkBus } from './bus.js';
export { CoinAcceptorModel, type CoinInsertion } from './coin-acceptor.js';
export { CURRENCY_TABLES, type CurrencyTable, type SimulatedCurrency } from './denominations.js';
export {
  type CashSimulator,
  type CashSimulatorOptions,
  type CashSimulatorState,
  startCashSimulator,
} from './simulator.js';
