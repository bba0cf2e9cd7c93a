/**
 * The print queue family: a queue on the library's IPP print server (CUPS)
 * whose jobs are held until a patron releases them at a release station. Its
 * simulator kind is `print-server`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type PrintQueueConfig, printQueueSchema } from './config.js';
import { PRINT_QUEUE_EVENTS, type PrintQueueEventsMap } from './events.js';

export { type PrintQueueConfig, printQueueSchema } from './config.js';
export type { PrintJobEvent, PrintQueueEventsMap } from './events.js';
export type { PrintQueuePort, PrintQueueStatusView } from './port.js';

export const printQueues = deviceFamily<PrintQueueEventsMap>()({
  kind: 'print-queue',
  inWords: 'a print queue',
  wrongKindCode: 'not_a_print_queue',
  config: printQueueSchema,
  events: PRINT_QUEUE_EVENTS,
  check: (config: PrintQueueConfig, layout, issue) =>
    checkSimulatorTransport(config.transport, 'print-server', layout, issue),
  create: async (config: PrintQueueConfig, context) =>
    new (await import('./entry.js')).PrintQueueEntry(config, context),
});
