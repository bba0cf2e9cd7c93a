export { EvolisModel, type PrintedCard, type SimulatedFaults } from './evolis-model.js';
export { type CardPrinterSimulator, type CardSummary, startCardPrinterSimulator } from './simulator.js';
