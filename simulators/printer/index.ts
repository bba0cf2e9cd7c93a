export type { PrinterCondition } from './printer-status.js';
export type { PrintArea, Receipt, RenderedLine, StyledRun } from './receipt.js';
export { receiptSvg } from './receipt-svg.js';
export { receiptText } from './receipt-text.js';
export {
  PrinterSimulator,
  type PrinterSimulatorOptions,
  type PrinterState,
  startPrinterSimulator,
} from './simulator.js';
