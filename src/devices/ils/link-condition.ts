/**
 * The ILS link's condition as the supervisor shows it (health record, dashboard, MQTT):
 * what is wrong in words, and the pool's figures. Computed from what the pool keeps; no
 * patron, no copies of requests.
 */
import type { DeviceCondition } from '../device.js';
import type { Slot } from './pool-slot.js';

export interface LinkFigures {
  slots: readonly Slot[];
  perTransaction: boolean;
  /** The smoothed round trip, in ms; null before the first answer. */
  roundTrip: number | null;
  slowRoundTripMs: number;
  /** What the ILS said of itself in its last 98; null before the first. */
  acsOnline: boolean | null;
  /** Per-transaction mode: transactions left unanswered since the last answered one. */
  unansweredTransactions: number;
  /** The latest failure of a connection, shown as lastError while the link is degraded. */
  lastFailure: { code: string; message: string } | undefined;
  /**
   * Connections the ILS dropped under Carrel (its idle timeout, a restart) since the link began,
   * each opened again quietly: an ILS that keeps dropping them shows here, not as a reconnect.
   */
  dropped: number;
  /**
   * When (monotonic ms) a request last failed because the ILS kept asking for it again (96); shown
   * for RESEND_TROUBLE_MS after, as requests that get through meanwhile (plain ASCII ones, when the
   * charsets disagree) do not mean the trouble is gone.
   */
  resendLimitAt: number | undefined;
}

/** How long a request the ILS kept asking for again (96) keeps the link degraded. */
export const RESEND_TROUBLE_MS = 15 * 60_000;

function resendTrouble(link: LinkFigures, now: number): boolean {
  return link.resendLimitAt !== undefined && now - link.resendLimitAt < RESEND_TROUBLE_MS;
}

/** What is wrong with the link, in words; empty when nothing is. */
export function linkProblems(link: LinkFigures, now: number): string[] {
  const problems: string[] = [];
  let failing = 0;
  for (const slot of link.slots) if (slot.failing) failing++;
  if (failing > 0) problems.push(`${failing} of ${link.slots.length} ILS connections failing`);
  if (link.unansweredTransactions > 0) problems.push('the ILS left a transaction unanswered');
  if (link.roundTrip !== null && link.roundTrip > link.slowRoundTripMs) {
    problems.push(`slow ILS: ${Math.round(link.roundTrip)} ms round trip`);
  }
  if (link.acsOnline === false) problems.push('the ILS reports itself offline');
  if (resendTrouble(link, now))
    problems.push(
      "the ILS kept asking for a request again (96): check the ILS device's errorDetection and charset against the ILS's SIP2 account",
    );
  return problems;
}

/** `waiting`: callers waiting for a connection. */
export function linkCondition(link: LinkFigures, waiting: number, now: number): DeviceCondition {
  const problems = linkProblems(link, now);
  const { slots, perTransaction, lastFailure, roundTrip } = link;
  const open = slots.filter((s) => s.connection?.isOpen);
  return {
    status: problems.length > 0 ? 'degraded' : 'online',
    reason: problems.length > 0 ? problems.join('; ') : null,
    ...(lastFailure &&
    (link.unansweredTransactions > 0 || slots.some((s) => s.failing) || resendTrouble(link, now))
      ? { lastError: lastFailure }
      : {}),
    detail: {
      roundTripMs: roundTrip === null ? null : Math.round(roundTrip * 10) / 10,
      connections: perTransaction ? slots.filter((s) => s.busy).length : open.length,
      idle: perTransaction ? slots.filter((s) => !s.busy).length : open.filter((s) => !s.busy).length,
      waiting,
      connectionsDropped: link.dropped,
    },
  };
}
