/**
 * A staff refund of a release sent again with its request id (an answer lost, MQTT's QoS 1 delivering
 * it twice, staff pressing Refund at two desks): it is the refund made before, answered as it was
 * then; the id sent with another refund is refused naming what differs. The answer is kept beside
 * the refund, in its transaction (`print_refund_answers`).
 */
import type { PrintLedgerEntry, PrintReleaseState } from '../contracts/print-accounts.js';
import { type Database, type Statement, statementsOn } from '../storage/index.js';
import { kindName, requestIdClash } from './ledger.js';
import type { ChargedRelease } from './release-journal.js';

/** What a refund was answered, as kept with it. */
interface AnswerRow {
  state: PrintReleaseState;
  refunded_minor: number;
  printed_impressions: number | null;
  outcome: string | null;
  updated_at: number;
  cancel_rest_after: number | null;
}

/** A staff refund as it is asked for: which release, how much (none: all that is left), why. */
export interface RefundAsked {
  requestId: string;
  releaseId: string;
  amountMinor?: number;
  reason: string;
}

export class RefundAnswers {
  /** Prepared once, as the journal's. */
  private readonly sql: (text: string) => Statement;

  constructor(
    db: Database,
    /** The release with this id as the journal has it now (refused when there is none). */
    private readonly release: (id: string) => ChargedRelease,
  ) {
    this.sql = statementsOn(db);
  }

  /** Keeps what the refund made with `requestId` was answered: the release as it stood once refunded. */
  keep(requestId: string, answered: ChargedRelease): void {
    this.sql(
      `INSERT INTO print_refund_answers (request_id, state, refunded_minor, printed_impressions, outcome, updated_at,
           cancel_rest_after)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      requestId,
      answered.state,
      answered.refundedMinor,
      answered.printedImpressions,
      answered.outcome,
      answered.updatedAt,
      answered.cancelRestAfter,
    );
  }

  /**
   * The refund `entry` the request id made before, asked for again: refused when it is another
   * refund, else answered as it was the first time — the release as it stood once the refund was
   * made, kept with it, whatever happened to the release since (another refund, the printer's end),
   * with the rest of the job as it was marked to be cancelled then (where the print server is with
   * that cancel is the release's now). A refund made by a Carrel from before it kept its answer is
   * answered with the release as it is now: nothing else of it is known.
   */
  again(entry: PrintLedgerEntry, request: RefundAsked, onReplay?: () => void): ChargedRelease {
    const differs = this.differs(entry, request);
    if (differs) throw requestIdClash(request.requestId, differs);
    onReplay?.();
    const release = this.release(request.releaseId);
    const kept = this.sql(
      `SELECT state, refunded_minor, printed_impressions, outcome, updated_at, cancel_rest_after
         FROM print_refund_answers WHERE request_id = ?`,
    ).get(request.requestId) as AnswerRow | undefined;
    if (!kept) return release;
    return {
      ...release,
      state: kept.state,
      refundedMinor: kept.refunded_minor,
      printedImpressions: kept.printed_impressions,
      outcome: kept.outcome,
      updatedAt: kept.updated_at,
      cancelRestAfter: kept.cancel_rest_after ?? null,
    };
  }

  /**
   * What differs between the refund a request id made and the refund asked for again with it:
   * the release, the amount (none asked is all that was left when the first was made), the reason.
   */
  private differs(entry: PrintLedgerEntry, request: RefundAsked): string | undefined {
    if (entry.kind !== 'refund') return `it was ${kindName(entry.kind)}, not a refund`;
    if (entry.releaseId !== request.releaseId) return 'another releaseId';
    const release = this.release(request.releaseId);
    const asked = request.amountMinor ?? release.amountMinor - this.refundedBefore(release.id, entry.id);
    if (entry.amountMinor !== asked) return 'another amountMinor';
    if (entry.reason !== request.reason) return 'another reason';
    return undefined;
  }

  /** What the ledger had refunded of a release before one of its entries. */
  private refundedBefore(releaseId: string, entryId: string): number {
    const row = this.sql(
      `SELECT COALESCE(SUM(amount_minor), 0) AS refunded FROM print_ledger
         WHERE release_id = ? AND kind = 'refund' AND seq < (SELECT seq FROM print_ledger WHERE id = ?)`,
    ).get(releaseId, entryId) as { refunded: number };
    return row.refunded;
  }
}
