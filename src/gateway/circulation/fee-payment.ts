/**
 * A fee payment (SIP2 37) that is not posted twice. The patron's fee list is
 * read first (63 with fine items: it also says the account's currency). When
 * the 37's answer is lost (or stays unreadable: the same to us), the list is read again: the fee owes the payment
 * less — the ILS has it, it is not sent again; it owes the same — sent once
 * more; anything else, or no list to read — the lost answer stands, and the
 * caller journals the payment with what the fee owed before, for the offline
 * replay's own check.
 */
import { type IlsClient, IlsError } from '../../devices/ils/index.js';
import type { FeePaymentRequest, FeePaymentResult } from '../contracts/circulation.js';
import { feeSnapshot, owed, paymentCheck } from './fee-check.js';
import { feePaymentResult } from './mapping.js';
import { currencyExponent, minorOf } from './money.js';

/** What the caller needs to journal a payment whose 37 may or may not have reached the ILS. */
export interface FeePaymentAttempt {
  currency: string | undefined;
  /** What the fee owed before the first 37 went out; undefined when it could not be read. */
  owedBeforeMinor: number | undefined;
  /** A 37 went out (its answer may have been lost): the ILS may have it. */
  sent: boolean;
}

export async function payFeeOnce(
  ils: IlsClient,
  request: FeePaymentRequest,
  attempt: FeePaymentAttempt,
  refine: <T>(map: () => T) => T | Promise<T>,
): Promise<FeePaymentResult> {
  const pin = request.pin !== undefined && request.pin !== '' ? { pin: request.pin } : {};
  const before = (await ils.patronInformation(request.patron, { ...pin, summary: 'fineItems' })).message;
  // SIP2 wants a currency on every payment: the patron's account says which, when the caller does not.
  const accountCurrency = before.currencyType?.trim();
  const currency =
    request.currency ?? (accountCurrency && /^[A-Z]{3}$/.test(accountCurrency) ? accountCurrency : undefined);
  attempt.currency = currency;
  const exponent = currencyExponent(currency);
  attempt.owedBeforeMinor = owed(feeSnapshot(before, exponent), request.feeId);
  const options = {
    amount: request.amount,
    ...pin,
    ...(request.feeId !== undefined ? { feeId: request.feeId } : {}),
    ...(request.feeType !== undefined ? { feeType: request.feeType } : {}),
    ...(request.paymentType !== undefined ? { paymentType: request.paymentType } : {}),
    ...(request.transactionId !== undefined ? { transactionId: request.transactionId } : {}),
    ...(currency !== undefined ? { currency } : {}),
  };
  const send = async () => {
    try {
      return await ils.feePaid(request.patron, options);
    } catch (error) {
      if (error instanceof IlsError && error.requestSent) attempt.sent = true;
      throw error;
    }
  };
  let answer: Awaited<ReturnType<IlsClient['feePaid']>>;
  try {
    answer = await send();
  } catch (error) {
    if (!(error instanceof IlsError) || !error.answerLost) throw error;
    const after = await ils
      .patronInformation(request.patron, { ...pin, summary: 'fineItems' })
      .catch(() => undefined);
    const amountMinor = minorOf(request.amount, exponent);
    const check =
      after === undefined || amountMinor === undefined
        ? 'unknown'
        : paymentCheck(
            attempt.owedBeforeMinor,
            owed(feeSnapshot(after.message, exponent), request.feeId),
            amountMinor,
          );
    if (check === 'taken')
      return {
        accepted: true,
        ...(request.transactionId !== undefined ? { transactionId: request.transactionId } : {}),
        verifiedAfterLostAnswer: true,
        screenMessages: [],
        printLines: [],
      };
    if (check !== 'not_taken') throw error;
    answer = await send();
  }
  return refine(() => feePaymentResult(answer.message));
}
