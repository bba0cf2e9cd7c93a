/**
 * What a patron-status answer (24, 26, 64) means, read the safe way: a missing
 * BL (valid patron) or CQ (valid patron password) means invalid, never valid.
 * Servers that leave CQ out have let patrons in with no PIN.
 */

import { PATRON_STATUS_FLAGS, type PatronStatus } from './flags.js';

interface PatronAnswer {
  validPatron?: boolean;
  validPatronPassword?: boolean;
  patronStatus?: PatronStatus;
}

export function isValidPatron(answer: PatronAnswer): boolean {
  return answer.validPatron === true;
}

export function isValidPatronPassword(answer: PatronAnswer): boolean {
  return answer.validPatronPassword === true;
}

/** The patron-status flags that are set (privileges denied or conditions true), in wire order. */
export function patronStatusProblems(status: PatronStatus): Array<(typeof PATRON_STATUS_FLAGS)[number]> {
  return PATRON_STATUS_FLAGS.filter((flag) => status[flag]);
}
