/**
 * What a payment is for and who pays, worked out before any device takes money: the PIN asked
 * for, the cash devices named, the patron (a barcode, or the card on a pad) as the ILS knows them
 * now, and the patron's fees as the ILS lists them now (the ids asked for, each with its amount, in
 * the desk's currency, summing to what the kiosk showed), or a print-account top-up within the
 * configured limits for a card the release station would log in.
 */
import { randomUUID } from 'node:crypto';
import { currencyExponent, minorOf, moneyText } from '../circulation/money.js';
import type { CirculationService, PatronView } from '../contracts/circulation.js';
import type { OpenPaymentRequest, PaymentCaller } from '../contracts/payments.js';
import type { PrintAccountDeposits } from '../contracts/print-accounts.js';
import type { PortLookup } from '../family.js';
import { cardNotUsable } from '../print-accounts/card-usable.js';
import { paymentDevices } from './cash-devices.js';
import type { PaymentsConfig } from './config.js';
import { PaymentError } from './errors.js';
import { feeTypeOf } from './fee-types.js';
import { payingPatron } from './patron.js';
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

export interface OpeningDeps {
  circulation: CirculationService;
  devices: PortLookup;
  config: PaymentsConfig;
  printAccounts: PrintAccountDeposits | undefined;
}

/** A payment worked out and not yet recorded: nothing is claimed or taken for it yet. */
export interface PreparedPayment {
  id: string;
  /** The patron's barcode, as given or read from the card on the pad. */
  patron: string;
  patronName: string;
  /** Never stored: held in memory while the payment collects (the ILS is asked with it). */
  pin: string | undefined;
  plan: PaymentPlan;
  /** The cash devices that are to take its money, whoever holds them now. */
  devices: ReturnType<typeof paymentDevices>;
}

/**
 * Everything a payment needs before it is recorded, each refusal with nothing started: the PIN
 * (unless the caller checked it), the devices, the paying patron, the ILS's answer, the lines.
 */
export async function preparePayment(
  request: OpenPaymentRequest,
  caller: PaymentCaller,
  options: { pinChecked?: boolean },
  deps: OpeningDeps,
): Promise<PreparedPayment> {
  const { config } = deps;
  const pin = request.pin === '' ? undefined : request.pin;
  if (config.requirePin && pin === undefined && options.pinChecked !== true)
    throw new PaymentError('pin_required', "the patron's PIN is required to pay");
  const devices = paymentDevices(request.devices, config, deps.devices);
  if (request.purpose.kind === 'print-topup' && !deps.printAccounts)
    throw new PaymentError('print_accounts_unavailable', 'no print accounts are wired into this desk');
  // A card on a pad is read as it lies there now (an inventory round): waits, as the ILS below
  // does. Whose the devices are is read only after both (the manager claims them), before the
  // record is made: a payment opening meanwhile is refused with nothing recorded.
  const barcode = await payingPatron(request, deps.devices);
  const id = randomUUID();
  // A top-up is checked before the ILS is asked; fees only once their list is read.
  const topUp: PaymentPlan | undefined =
    request.purpose.kind === 'print-topup'
      ? topUpLines({ ...request, purpose: request.purpose }, id, config)
      : undefined;
  const { patron } =
    request.purpose.kind === 'fees'
      ? await deps.circulation.patronFees({ patron: barcode, pin }, { terminal: caller.terminal })
      : await deps.circulation.identifyPatron({ patron: barcode, pin }, { terminal: caller.terminal });
  // Money topped up on a card reported lost (the finder's coins), expired or blocked could not be
  // printed with: the release station refuses such a card, as a checkout does.
  const unusable =
    request.purpose.kind === 'print-topup'
      ? cardNotUsable(patron, 'nothing was started, no money is taken for it')
      : undefined;
  if (unusable) throw unusable;
  const plan =
    topUp ??
    feeLines(
      { ...request, purpose: request.purpose as { kind: 'fees'; fees: string[] } },
      patron,
      id,
      config,
    );
  return { id, patron: barcode, patronName: patron.name, pin, plan, devices };
}
