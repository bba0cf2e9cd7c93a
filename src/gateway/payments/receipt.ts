/**
 * The payment receipt's data, for the built-in `payment` template
 * (templates/receipts): printed on the desk's printer, or handed back to the
 * kiosk. The patron's name is on it; the barcode and PIN never are. It says
 * what was paid for and how each part ended — sent to the library system,
 * kept to be sent when it is back, or for staff to see to.
 */
import { currencyExponent, decimalOf } from '../circulation/money.js';
import type { PaymentLineView, PaymentReceiptData, PaymentView } from '../contracts/payments.js';
import { localTimestamp } from '../families/receipt-printer/index.js';

export interface PaymentReceiptContext {
  library: string;
  branch?: string | undefined;
  desk: string;
  now: number;
}

const STATUS: Record<PaymentLineView['state'], string> = {
  pending: 'pending',
  posting: 'pending',
  posted: 'paid',
  journaled: 'paid, to be sent to the library system',
  refused: 'not accepted: please see staff',
  failed: 'not recorded: please see staff',
  unpaid: 'not paid',
};

/** A fee paid in part says so: 'paid' alone reads as settled. */
function lineStatus(line: PaymentLineView): string {
  const status = STATUS[line.state];
  const inPart = line.paidMinor > 0 && line.paidMinor < line.dueMinor;
  return inPart && (line.state === 'posted' || line.state === 'journaled')
    ? status.replace(/^paid/, 'paid in part')
    : status;
}

export function paymentReceipt(payment: PaymentView, context: PaymentReceiptContext): PaymentReceiptData {
  const exponent = currencyExponent(payment.currency);
  const money = (minor: number) => `${decimalOf(minor, exponent)} ${payment.currency}`;
  const lines = payment.lines.map((line) => ({
    description:
      line.kind === 'fee'
        ? (line.description ?? `Fee ${line.feeId ?? ''}`.trim())
        : line.kind === 'print-topup'
          ? 'Print credit'
          : 'Overpayment to print credit',
    due: money(line.dueMinor),
    paid: money(line.paidMinor),
    status: lineStatus(line),
    transactionId: line.transactionId,
  }));
  const { owedToPatronMinor, paidOutMinor } = payment.overpayment;
  return {
    template: 'payment',
    data: {
      library: { name: context.library, ...(context.branch ? { branch: context.branch } : {}) },
      patron: { name: payment.patron.name },
      lines,
      total: money(payment.paidMinor),
      due: money(payment.amountDueMinor),
      ...(payment.remainingMinor > 0 ? { remaining: money(payment.remainingMinor) } : {}),
      ...(owedToPatronMinor - paidOutMinor > 0
        ? { owedToPatron: money(owedToPatronMinor - paidOutMinor) }
        : {}),
      offline: payment.offline,
      payment: payment.id,
      printedAt: localTimestamp(new Date(context.now)),
      desk: context.desk,
    },
  };
}
