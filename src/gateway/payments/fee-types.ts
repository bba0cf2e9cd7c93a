/**
 * A fee's SIP2 type (BT) from how the ILS describes it: SIP2 2.00 lists fines
 * as text (AV) without their type, so the words say it. For the 37 and for the
 * statistics' "fees paid by type"; `other` when nothing fits.
 */
import type { FeeType } from '../../protocols/sip2/index.js';

const WORDS: ReadonlyArray<readonly [RegExp, FeeType]> = [
  [/overdue|late|fine/i, 'overdue'],
  [/lost|replac/i, 'replacement'],
  [/damage/i, 'damage'],
  [/rent|loan fee/i, 'rental'],
  [/hold|reserv/i, 'holdFee'],
  [/print|copy|computer|internet/i, 'computerAccess'],
  [/admin|card/i, 'administrative'],
  [/process/i, 'processing'],
];

export function feeTypeOf(description: string | undefined): FeeType {
  for (const [pattern, type] of WORDS) if (description && pattern.test(description)) return type;
  return 'other';
}
