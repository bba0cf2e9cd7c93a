/**
 * What a self-check's connection to the relay is given: the relay's settings,
 * the ILS link per account, the offline journal, the statistics listener and
 * the offline backlog. The types the relay's session, server and answers share.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { AnySip2Message, AnySip2MessageInput, Sip2VerbatimBody } from '../../protocols/sip2/index.js';
import type { OfflineIntake, OfflineOrdering } from '../contracts/offline.js';
import type { Sip2RelayAccount, Sip2RelayConfig } from './config.js';
import type { RelayNotices } from './notices.js';
import type { RelaySession } from './session.js';
import type { RelayTransactionListener } from './statistics.js';

/**
 * The ILS link as the relay needs it: the pool's `exchange` fits. It numbers
 * its requests itself (the request's `sequence` is not sent on); `asItCame` is
 * the request's body as the self-check sent it, which the link writes as it
 * came when encoding the request would write the same.
 */
export interface IlsForRelay {
  exchange(
    request: AnySip2MessageInput,
    asItCame?: Sip2VerbatimBody,
  ): Promise<{ message: AnySip2Message; verbatim?: Sip2VerbatimBody | undefined }>;
}

/**
 * What the offline journal made of a request taken while the ILS is down: its
 * ok answer, or why it would not take it (`offline_not_allowed`,
 * `offline_limit_reached`…) — the relay then answers its own refusal.
 */
export type RelayOfflineOutcome = { answer: AnySip2MessageInput } | { refused: string };

/**
 * Takes a request while the ILS is down (the offline journal). `timeZone` is the
 * zone the self-check's local dates are in and its answer's are written in: the
 * ILS's (RelaySessionContext.timeZone).
 */
export type RelayOfflineHandler = (
  request: AnySip2Message,
  account: Sip2RelayAccount,
  timeZone?: string | undefined,
) => RelayOfflineOutcome | Promise<RelayOfflineOutcome>;

export interface RelaySessionContext {
  config: Sip2RelayConfig;
  ilsFor(account: Sip2RelayAccount | undefined): IlsForRelay;
  clock: Clock;
  logger: Logger;
  /** The ILS's zone (its device's timeZone), which its local dates and the self-check's are in; the machine's when unset. */
  timeZone?: string | undefined;
  /** The library's institution id on the ILS link: the relay's own answers' AO until the self-check names one. */
  institution?: string | undefined;
  onOffline?: RelayOfflineHandler;
  /** Counts each relayed checkout, checkin, renew and renew all (the desk statistics). */
  onTransaction?: RelayTransactionListener;
  /** The offline backlog: a request about an item or patron waits for their journaled work first. */
  ordering?: OfflineOrdering;
  /**
   * The offline journal, for what it takes whatever its policy: a fee payment whose 37 went out
   * and whose answer was lost while the ILS cannot say whether it has it (the cash is taken), and
   * a block of a patron's card (01) while the ILS is down (the self-check kept the card). None:
   * such a payment, and such a block, is refused.
   */
  journal?: OfflineIntake;
  /** Advice to IT about a self-check's settings, once an hour per account across connections; the session's own when absent. */
  notices?: RelayNotices;
  /** Told before a connection that did not log in in time is closed (the server logs it per source). */
  onLoginTimeout?: (session: RelaySession) => void;
}
