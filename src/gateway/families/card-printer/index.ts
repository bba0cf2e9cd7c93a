/**
 * The card printer family: Evolis and Magicard card printers (TCP, serial, /dev/usb/lp*) behind one
 * CardPrinterDriver, that issue library cards from SVG templates, with the stripe written (and, on
 * an Evolis, read back). Its simulator kind is
 * `card-printer`.
 */
import { deviceFamily } from '../../family.js';
import { checkSimulatorTransport } from '../simulator-check.js';
import { type CardPrinterConfig, cardPrinterSchema } from './config.js';
import { CARD_PRINTER_EVENTS, type CardPrinterEvents } from './events.js';

export { type CardPrinterConfig, cardPrinterSchema } from './config.js';
export type { CardIssueEvent, CardPrinterEvents } from './events.js';
export type { CardIssueRecord, IssuesPerDay } from './issue-records.js';
export type { CardIssueRequest, CardPrinterPort } from './port.js';

export const cardPrinters = deviceFamily<CardPrinterEvents>()({
  kind: 'card-printer',
  inWords: 'a card printer',
  wrongKindCode: 'not_a_card_printer',
  config: cardPrinterSchema,
  events: CARD_PRINTER_EVENTS,
  check: (config: CardPrinterConfig, layout, issue) => {
    checkSimulatorTransport(config.transport, 'card-printer', layout, issue);
    const simulator = layout.simulators.find(
      (s) => config.transport.type === 'simulator' && s.id === config.transport.simulator,
    ) as { kind: string; model?: string } | undefined;
    if (simulator?.kind === 'card-printer' && (simulator.model ?? 'evolis') !== config.driver)
      issue(
        ['driver'],
        `simulator "${(config.transport as { simulator: string }).simulator}" plays ${simulator.model ?? 'evolis'}, not ${config.driver}`,
      );
    if (config.rfid && !layout.devices.some((device) => device.id === config.rfid?.reader))
      issue(['rfid', 'reader'], `no device with id "${config.rfid.reader}" is configured`);
  },
  create: async (config: CardPrinterConfig, context) =>
    new (await import('./entry.js')).CardPrinterEntry(config, context),
});
