/**
 * A patron's standing, computed from the fixture's rules at one instant: the 14
 * status flags, money owed, and why checkout, renewal and holds are refused.
 */
import { PATRON_STATUS_FLAGS, type PatronStatus } from '../../src/protocols/sip2/index.js';
import type { CirculationRules } from './fixture.js';
import type { Loan, Patron, PatronStanding } from './library-model.js';

/** The patron's 14 status flags, money owed and what they may not do, at `now` (ms). */
export function patronStanding(
  patron: Patron,
  loans: Loan[],
  rules: CirculationRules,
  now: number,
): PatronStanding {
  const overdue = loans.filter((loan) => loan.due.getTime() < now);
  const finesCents = sum(patron.fees.filter((fee) => fee.type === 'overdue').map((fee) => fee.amountCents));
  const feesCents = sum(patron.fees.filter((fee) => fee.type !== 'overdue').map((fee) => fee.amountCents));
  const totalOwedCents = finesCents + feesCents;
  const expired = patron.expires !== undefined && patron.expires.getTime() < now;
  const explicit = patron.flags;

  // A null limit is no limit ("none" in the fixture).
  const tooManyCharged = rules.loanLimit !== null && loans.length >= rules.loanLimit;
  const tooManyOverdue = rules.overdueLimit !== null && overdue.length >= rules.overdueLimit;
  const owesTooMuch = rules.fineThreshold !== null && totalOwedCents >= rules.fineThreshold;
  const suspended = patron.suspended;

  const common: string[] = [];
  if (patron.blocked) common.push(patron.blockedMessage ?? 'Card blocked, please see staff');
  if (expired) common.push('Card expired, please see staff');
  if (explicit.cardReportedLost) common.push('Card reported lost');
  const checkoutBlocks = [...common];
  if (explicit.chargePrivilegesDenied) checkoutBlocks.push('Borrowing not allowed');
  if (suspended.has('charge')) checkoutBlocks.push('Borrowing suspended, please see staff');
  if (owesTooMuch) checkoutBlocks.push('Outstanding fines and fees too high');
  if (tooManyCharged) checkoutBlocks.push('Loan limit reached');
  if (tooManyOverdue) checkoutBlocks.push('Too many overdue items');
  const renewalBlocks = [...common];
  if (explicit.renewalPrivilegesDenied) renewalBlocks.push('Renewal not allowed');
  if (suspended.has('renewal')) renewalBlocks.push('Renewals suspended, please see staff');
  if (owesTooMuch) renewalBlocks.push('Outstanding fines and fees too high');
  const recallBlocks = [...common];
  if (suspended.has('recall')) recallBlocks.push('Recalls suspended');
  const holdBlocks = [...common];
  if (explicit.holdPrivilegesDenied) holdBlocks.push('Holds not allowed');
  if (suspended.has('hold')) holdBlocks.push('Holds suspended, please see staff');

  const status = {} as PatronStatus;
  for (const flag of PATRON_STATUS_FLAGS) status[flag] = explicit[flag] === true;
  status.chargePrivilegesDenied = checkoutBlocks.length > 0;
  status.renewalPrivilegesDenied = renewalBlocks.length > 0;
  status.recallPrivilegesDenied ||= recallBlocks.length > 0;
  status.holdPrivilegesDenied = holdBlocks.length > 0;
  status.tooManyItemsCharged ||= tooManyCharged;
  status.tooManyItemsOverdue ||= tooManyOverdue;
  const threshold = rules.fineThreshold;
  status.excessiveOutstandingFines ||= threshold !== null && finesCents >= threshold;
  status.excessiveOutstandingFees ||= (threshold !== null && feesCents >= threshold) || owesTooMuch;
  return {
    status,
    expired,
    finesCents,
    feesCents,
    totalOwedCents,
    creditCents: patron.creditCents,
    balanceCents: totalOwedCents - patron.creditCents,
    loans,
    overdue,
    checkoutBlocks,
    renewalBlocks,
    recallBlocks,
    holdBlocks,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
