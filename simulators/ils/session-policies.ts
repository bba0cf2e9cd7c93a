/**
 * The session rules a fixture chooses (docs/ils-fixture.md), decided here so
 * session.ts only carries them out: error detection per account or per
 * request, what a 99 before login gets, and what a request BX calls
 * unsupported gets.
 */
import type { AnySip2Message } from '../../src/protocols/sip2/index.js';
import type { AccountFixture, IlsFixture } from './fixture.js';
import { type CirculationRequestType, SUPPORT_FLAG } from './handlers.js';

/** The screen message of a refused request that BX marks unsupported. */
export const NOT_SUPPORTED_MESSAGE = 'Not supported';

/** A checksum that is there is checked, except on an account with error detection off. */
export function checksChecksums(account: AccountFixture | undefined): boolean {
  return account === undefined || account.errorDetection !== false;
}

/**
 * Whether an answer carries AY/AZ: as the account says, or (before a login, and
 * for `perRequest`) when the request carried a checksum.
 */
export function answersWithChecksum(
  account: AccountFixture | undefined,
  checksum: 'valid' | 'invalid' | 'absent',
): boolean {
  if (account === undefined || account.errorDetection === 'perRequest') return checksum === 'valid';
  return account.errorDetection;
}

/** What the session does with a request before the library sees it. */
export type Admission =
  | { action: 'handle' }
  | { action: 'refuse'; screenMessage: string }
  | { action: 'ignore'; reason: string }
  | { action: 'drop'; reason: string };

/**
 * Before a login only a 99 may come (answered, ignored or dropped as
 * `acs.scStatusBeforeLogin` says); anything else drops the link. A request BX
 * marks unsupported is refused, dropped or ignored as `acs.unsupportedAnswer`
 * says; a 99 is always answered, since its 98 is how the SC learns what is supported.
 */
export function admit(
  request: AnySip2Message & { type: CirculationRequestType },
  account: AccountFixture | undefined,
  acs: IlsFixture['acs'],
): Admission {
  if (account === undefined) {
    if (request.type !== 'scStatus') return { action: 'drop', reason: `${request.type} before login` };
    switch (acs.scStatusBeforeLogin) {
      case 'answer':
        return { action: 'handle' };
      case 'ignore':
        return { action: 'ignore', reason: '99 before login' };
      case 'drop':
        return { action: 'drop', reason: '99 before login' };
    }
  }
  if (request.type === 'scStatus' || !acs.unsupportedMessages.includes(SUPPORT_FLAG[request.type])) {
    return { action: 'handle' };
  }
  switch (acs.unsupportedAnswer) {
    case 'refuse':
      return { action: 'refuse', screenMessage: NOT_SUPPORTED_MESSAGE };
    case 'drop':
      return { action: 'drop', reason: `${request.type} is unsupported` };
    case 'silence':
      return { action: 'ignore', reason: `${request.type} is unsupported` };
  }
}
