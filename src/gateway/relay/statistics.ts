/**
 * What the relay reports for the desk statistics: one count per relayed
 * circulation request (checkout 11, checkin 09, renew 29, renew all 65), named
 * by the self-check's relay account, never by a patron. The outcome is the
 * answer's ok flag; an answer the relay gave itself because the ILS could not
 * be reached (journaled or refused) is counted as offline, one for a request the ILS
 * could not read (96), or whose answer it could not (97), as failed.
 */
import type { AnySip2Message, AnySip2MessageInput } from '../../protocols/sip2/index.js';
import { reasonFromWording } from '../circulation/reasons.js';

/** The SIP2 requests the relay counts, and the statistics kind each is counted as. */
const COUNTED_KINDS = {
  checkout: 'checkout',
  checkin: 'checkin',
  renew: 'renew',
  renewAll: 'renewAll',
} as const satisfies Partial<Record<AnySip2Message['type'], string>>;

export type RelayTransactionKind = (typeof COUNTED_KINDS)[keyof typeof COUNTED_KINDS];

/** One relayed transaction, as the desk statistics count it (a DeskTransaction). */
export interface RelayTransaction {
  kind: RelayTransactionKind;
  /** The self-check's relay account (its 93 login user): never a patron. */
  terminal: string;
  outcome: 'ok' | 'refused' | 'failed';
  /** The refusal reason read from the ILS's wording, or the error code of a failure. */
  reason?: string;
  /** Answered by the relay itself while the ILS could not be reached. */
  offline?: boolean;
}

/** Sees each relayed transaction; it must not throw (the relay ignores it if it does). */
export type RelayTransactionListener = (transaction: RelayTransaction) => void;

/**
 * How an answer was had: from the ILS, or by the relay itself while the ILS was
 * away — with the ILS's error code, or the offline journal's when it refused —
 * or by the relay itself for a request the ILS is there for but failed (`failed`, the
 * ILS error's code: it could not read it, 96, or its answer could not be read, 97), counted as failed.
 */
export type RelayAnswerSource = { offline: false; failed?: string } | { offline: true; errorCode: string };

/** The kind a request is counted as; undefined for requests that are not counted (status, patron info…). */
export function countedKind(request: AnySip2Message): RelayTransactionKind | undefined {
  return (COUNTED_KINDS as Partial<Record<string, RelayTransactionKind>>)[request.type];
}

/**
 * The count for an answered request; undefined for one that is not counted.
 * A journaled offline answer is ok and offline; an offline refusal is refused,
 * offline, with the journal's reason (offline_limit_reached…) or, when there is
 * no journal, the ILS error; an ILS refusal carries the reason
 * its screen messages name (`refused` when they name none). Only reason codes
 * are kept: never the screen message itself, which may name the patron.
 */
export function relayTransaction(
  request: AnySip2Message,
  answer: AnySip2MessageInput,
  terminal: string,
  source: RelayAnswerSource,
): RelayTransaction | undefined {
  const kind = countedKind(request);
  if (kind === undefined) return undefined;
  const fields = answer as { ok?: unknown; screenMessage?: unknown };
  if (!source.offline && source.failed !== undefined)
    return { kind, terminal, outcome: 'failed', reason: source.failed };
  const offline = source.offline ? { offline: true } : {};
  if (fields.ok === true) return { kind, terminal, outcome: 'ok', ...offline };
  const reason = source.offline
    ? source.errorCode
    : (reasonFromWording(screenMessages(fields.screenMessage)) ?? 'refused');
  return { kind, terminal, outcome: 'refused', reason, ...offline };
}

function screenMessages(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((m): m is string => typeof m === 'string') : [];
}
