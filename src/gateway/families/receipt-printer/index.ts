/**
 * The receipt printer family: ESC/POS printers on TCP 9100, a serial line or
 * USB (/dev/usb/lp*), each fed by a durable print queue that prints a receipt
 * exactly once. Its simulator kind is `printer`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type ReceiptPrinterConfig, receiptPrinterSchema } from './config.js';
import { RECEIPT_PRINTER_EVENTS, type ReceiptPrinterEvents } from './events.js';

export { type ReceiptPrinterConfig, receiptPrinterSchema } from './config.js';
export type { ReceiptPrinterEvents } from './events.js';
export type { PrintJobView, ReceiptPrinterPort } from './port.js';
export { localTimestamp } from './timestamp.js';

export const receiptPrinters = deviceFamily<ReceiptPrinterEvents>()({
  kind: 'receipt-printer',
  inWords: 'a receipt printer',
  wrongKindCode: 'not_a_printer',
  config: receiptPrinterSchema,
  events: RECEIPT_PRINTER_EVENTS,
  check: (config: ReceiptPrinterConfig, layout, issue) =>
    checkSimulatorTransport(config.transport, 'printer', layout, issue),
  create: async (config: ReceiptPrinterConfig, context) =>
    new (await import('./entry.js')).ReceiptPrinterEntry(config, context),
});
