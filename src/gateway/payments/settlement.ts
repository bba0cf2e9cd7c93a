/**
 * Applying the money of a payment: the fees in order (the last maybe in part),
 * each posted to the ILS as a SIP2 37 with its own transaction id, or a
 * print-account deposit; then what is over. Each line is committed as
 * `posting` before it goes out and with its outcome after, so a settlement cut
 * short (a crash) is taken up where it stopped: a line found `posting` may
 * have reached the ILS, so it goes to the offline journal with what the fee
 * owed before, and the replay's fee-list check decides — never a second 37.
 */
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { currencyExponent, decimalOf } from '../circulation/money.js';
import { CirculationRefusal } from '../circulation/reasons.js';
import type { CirculationService } from '../contracts/circulation.js';
import type { OfflineIntake } from '../contracts/offline.js';
import type { PaymentLineState } from '../contracts/payments.js';
import type { PrintAccountDeposits } from '../contracts/print-accounts.js';
import type { PaymentsConfig } from './config.js';
import type { LineRow, PaymentRow, PaymentStore } from './store.js';

export interface SettlementDeps {
  circulation: CirculationService;
  store: PaymentStore;
  offline: OfflineIntake | undefined;
  printAccounts: PrintAccountDeposits | undefined;
  config: PaymentsConfig;
  logger: Logger;
  now: () => number;
}

const DONE: ReadonlySet<PaymentLineState> = new Set(['posted', 'journaled', 'refused', 'failed', 'unpaid']);

/** Settles a payment of `paidMinor` (all credits journaled for it); the PIN only while the process has it. */
export async function settle(
  payment: PaymentRow,
  paidMinor: number,
  pin: string | undefined,
  deps: SettlementDeps,
): Promise<void> {
  const { store } = deps;
  let left = paidMinor;
  for (const line of store.lines(payment.id)) {
    if (line.kind === 'overpayment') continue;
    if (DONE.has(line.state)) {
      left -= line.paid_minor;
      continue;
    }
    const share = line.state === 'posting' ? line.paid_minor : Math.min(left, line.due_minor);
    left -= share;
    if (share <= 0) {
      store.setLine(payment.id, line.line, { paidMinor: 0, state: 'unpaid' }, deps.now());
      continue;
    }
    const interrupted = line.state === 'posting';
    store.setLine(payment.id, line.line, { paidMinor: share, state: 'posting' }, deps.now());
    const outcome =
      line.kind === 'print-topup'
        ? deposit(payment, line.transaction_id, share, deps)
        : interrupted
          ? journalInterrupted(payment, line, share, deps)
          : await postFee(payment, line, share, pin, deps);
    store.setLine(payment.id, line.line, outcome, deps.now());
  }
  // Money for a fee the ILS said no to is nowhere: it is owed back to the patron, as an excess is.
  const refusedMinor = store
    .lines(payment.id)
    .filter((line) => line.kind !== 'overpayment' && line.state === 'refused')
    .reduce((sum, line) => sum + line.paid_minor, 0);
  if (left > 0) overpaid(payment, left, refusedMinor, deps);
  else if (refusedMinor > 0) store.setOverpayment(payment.id, 0, refusedMinor);
}

type Outcome = { state: PaymentLineState; message?: string | null };

async function postFee(
  payment: PaymentRow,
  line: LineRow,
  share: number,
  pin: string | undefined,
  deps: SettlementDeps,
): Promise<Outcome> {
  try {
    const result = await deps.circulation.payFee(
      {
        patron: payment.patron,
        pin,
        amount: decimalOf(share, currencyExponent(payment.currency)),
        ...(line.fee_id !== null ? { feeId: line.fee_id } : {}),
        feeType: line.fee_type ?? 'other',
        paymentType: 'cash',
        currency: payment.currency,
        transactionId: line.transaction_id,
      },
      { terminal: payment.terminal },
    );
    const message = result.screenMessages.join(' / ') || null;
    return { state: result.offline ? 'journaled' : 'posted', message };
  } catch (error) {
    if (error instanceof CirculationRefusal)
      return { state: 'refused', message: error.screenMessages.join(' / ') || error.reason };
    const { code, message } = describeError(error);
    deps.logger.warn({ payment: payment.id, code }, 'fee payment not posted: staff must see to it');
    return { state: 'failed', message: `${code}: ${message}` };
  }
}

/** A 37 that may have gone out before the process died: the offline journal and its replay's check decide. */
function journalInterrupted(
  payment: PaymentRow,
  line: LineRow,
  share: number,
  deps: SettlementDeps,
): Outcome {
  if (!deps.offline || line.owed_before_minor === null)
    return { state: 'failed', message: 'interrupted while posting; nothing to check it against' };
  deps.offline.accept({
    kind: 'feePaid',
    patron: payment.patron,
    terminal: payment.terminal,
    at: deps.now(),
    fee: {
      ...(line.fee_id !== null ? { id: line.fee_id } : {}),
      type: line.fee_type ?? 'other',
      amountMinor: share,
      currency: payment.currency,
      transactionId: line.transaction_id,
      owedBeforeMinor: line.owed_before_minor,
    },
  });
  return {
    state: 'journaled',
    message: 'interrupted while posting: checked against the fee list when replayed',
  };
}

/** A print-account deposit: idempotent by its request id, so one cut short is simply made again. */
function deposit(payment: PaymentRow, requestId: string, amountMinor: number, deps: SettlementDeps): Outcome {
  if (!deps.printAccounts) return { state: 'failed', message: 'print_accounts_unavailable' };
  try {
    const result = deps.printAccounts.deposit({
      requestId,
      patron: payment.patron,
      amountMinor,
      currency: payment.currency,
      source: 'payment-device',
      note: 'paid in cash at a payment device',
    });
    return { state: 'posted', message: `print balance ${result.balanceMinor}` };
  } catch (error) {
    const { code } = describeError(error);
    return { state: 'failed', message: code };
  }
}

/**
 * Money beyond what was due: to the print account when the desk says so and has one, else owed
 * back; owed back with it, what was paid for fees the ILS refused.
 */
function overpaid(
  payment: PaymentRow,
  amountMinor: number,
  refusedMinor: number,
  deps: SettlementDeps,
): void {
  const { store } = deps;
  const toPrint = deps.config.overpayment === 'print-account' && deps.printAccounts !== undefined;
  if (!toPrint) {
    store.setOverpayment(payment.id, 0, amountMinor + refusedMinor);
    return;
  }
  const existing = store.lines(payment.id).find((line) => line.kind === 'overpayment');
  const index =
    existing?.line ??
    store.addLine(
      payment.id,
      { kind: 'overpayment', dueMinor: amountMinor, transactionId: `${payment.id}:overpayment` },
      deps.now(),
    );
  if (existing?.state === 'posted') {
    store.setOverpayment(payment.id, amountMinor, refusedMinor);
    return;
  }
  store.setLine(payment.id, index, { paidMinor: amountMinor, state: 'posting' }, deps.now());
  const outcome = deposit(payment, `${payment.id}:overpayment`, amountMinor, deps);
  store.setLine(payment.id, index, outcome, deps.now());
  if (outcome.state === 'posted') store.setOverpayment(payment.id, amountMinor, refusedMinor);
  else store.setOverpayment(payment.id, 0, amountMinor + refusedMinor);
}
