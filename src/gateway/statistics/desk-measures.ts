/**
 * The measure sources of one desk: the circulation statistics, the gates, the
 * print ledger, the payment journals and the card issue records. A family whose journal holds a
 * statistic adds its source here.
 */
import type { DeskServices } from '../contracts/desk.js';
import { cardPrinters } from '../families/card-printer/index.js';
import { cardMeasures } from '../families/card-printer/measures.js';
import { gates } from '../families/gate/index.js';
import { gateMeasures } from '../families/gate/measures.js';
import { paymentMeasures } from '../payments/measures.js';
import { printMeasures } from '../print-accounts/measures.js';
import { circulationMeasures, type TerminalChannel } from './circulation-measures.js';
import type { MeasureSource } from './measures.js';

export function deskMeasures(
  services: Pick<DeskServices, 'statistics' | 'ports' | 'printAccounts' | 'payments'>,
  channelOf?: (terminal: string) => TerminalChannel,
): MeasureSource[] {
  return [
    circulationMeasures(services.statistics, channelOf),
    gateMeasures(() => services.ports.all(gates)),
    printMeasures(services.printAccounts),
    paymentMeasures(services.payments),
    cardMeasures(() => services.ports.all(cardPrinters)),
  ];
}
