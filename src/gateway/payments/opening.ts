/**
 * What a payment is for, worked out before any device takes money: the
 * patron's fees as the ILS lists them now (the ids asked for, each with its
 * amount, in the desk's currency, summing to what the kiosk showed), or a
 * print-account top-up within the configured limits.
 */
import { currencyExponent, minorOf, moneyText } from '../circulation/money.js';
import type { PatronView } from '../contracts/circulation.js';
import type { OpenPaymentRequest } from '../contracts/payments.js';
import type { PaymentsConfig } from './config.js';
import { PaymentError } from './errors.js';
import { feeTypeOf } from './fee-types.js';
import type { NewLine } from './store.js';

export interface PaymentPlan {
  amountDueMinor: number;
  lines: NewLine[];
}

function positiveMinor(value: number | undefined, what: string, currency: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new PaymentError(
      'amount_invalid',
      `${what} must be a whole number of the currency's smallest unit (for ${currency}, 150 is ${moneyText(150, currency)}), more than 0: nothing was started`,
    );
}

/** The lines of a fee payment: each fee asked for, as the patron's account lists it now. */
export function feeLines(
  request: OpenPaymentRequest & { purpose: { kind: 'fees' } },
  patron: PatronView,
  paymentId: string,
  config: PaymentsConfig,
): PaymentPlan {
  positiveMinor(request.amountDueMinor, 'amountDueMinor', config.currency);
  const ids = request.purpose.fees;
  if (ids.length === 0) throw new PaymentError('fee_unknown', 'name at least one fee to pay');
  // Not a fee the account lacks (fee_unknown): one the request names again, which would be paid twice.
  const twice = ids.find((id, index) => ids.indexOf(id) !== index);
  if (twice !== undefined)
    throw new PaymentError(
      'fee_listed_twice',
      `fee "${twice}" is listed twice: list each fee once; nothing was started`,
    );
  const currency = patron.fines.currency;
  if (currency !== null && currency !== config.currency)
    throw new PaymentError(
      'currency_mismatch',
      `the library system keeps these fees in ${currency}; this desk takes ${config.currency}`,
    );
  const exponent = currencyExponent(config.currency);
  const lines: NewLine[] = ids.map((id, index) => {
    const fee = patron.fines.items.find((item) => item.id === id);
    const amount = fee?.amount === undefined ? undefined : minorOf(fee.amount, exponent);
    if (!fee || amount === undefined || amount <= 0)
      throw new PaymentError('fee_unknown', `the patron's account lists no fee "${id}" with an amount`);
    return {
      kind: 'fee',
      feeId: id,
      feeType: feeTypeOf(fee.description ?? fee.text),
      description: fee.description,
      dueMinor: amount,
      owedBeforeMinor: amount,
      transactionId: `${paymentId}-${index + 1}`,
    };
  });
  const due = lines.reduce((sum, line) => sum + line.dueMinor, 0);
  if (due > config.maxAmountMinor)
    throw new PaymentError(
      'amount_invalid',
      `the fees come to ${moneyText(due, config.currency)}, more than one payment may be (${moneyText(config.maxAmountMinor, config.currency)}): pay them at the desk`,
    );
  if (request.amountDueMinor !== undefined && request.amountDueMinor !== due)
    throw new PaymentError(
      'amount_mismatch',
      `the fees come to ${moneyText(due, config.currency)} now, not ${moneyText(request.amountDueMinor, config.currency)}: show the patron the fees again`,
    );
  return { amountDueMinor: due, lines };
}

/** The one line of a top-up: the amount asked for, within the limits. */
export function topUpLines(
  request: OpenPaymentRequest & { purpose: { kind: 'print-topup' } },
  paymentId: string,
  config: PaymentsConfig,
): PaymentPlan {
  const amount = request.purpose.amountMinor;
  positiveMinor(amount, 'amountMinor', config.currency);
  positiveMinor(request.amountDueMinor, 'amountDueMinor', config.currency);
  if (amount < config.minTopUpMinor || amount > config.maxTopUpMinor) {
    const money = (minor: number) => moneyText(minor, config.currency);
    throw new PaymentError(
      'amount_invalid',
      `a top-up is between ${money(config.minTopUpMinor)} and ${money(config.maxTopUpMinor)} (amountMinor ${config.minTopUpMinor} to ${config.maxTopUpMinor}); ${money(amount)} was asked: nothing was started`,
    );
  }
  if (request.amountDueMinor !== undefined && request.amountDueMinor !== amount) {
    // Not fees that changed meanwhile (amount_mismatch): an amount that was sent wrong.
    const money = (minor: number) => moneyText(minor, config.currency);
    throw new PaymentError(
      'amount_invalid',
      `a top-up of ${money(amount)} is due ${money(amount)}, not ${money(request.amountDueMinor)}: send amountDueMinor ${amount} or leave it out; nothing was started`,
    );
  }
  return {
    amountDueMinor: amount,
    lines: [{ kind: 'print-topup', dueMinor: amount, transactionId: `${paymentId}:topup` }],
  };
}
