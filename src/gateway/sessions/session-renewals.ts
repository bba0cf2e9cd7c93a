/**
 * The renewals of one self-check session: one loan by name, every loan with Renew All, or — the
 * patron's "renew my loans" — the loans she had before the session, one by one, each result
 * joining the session as it comes back.
 */
import { CirculationRefusal } from '../circulation/reasons.js';
import type { CirculationService, PatronLoansResult, RenewalRequest } from '../contracts/circulation.js';
import type { SessionRenewalView, SessionRenewRequest } from '../contracts/sessions.js';
import { renewAllLoans, renewOne } from './renewals.js';

/** What a patron whose account may not renew reads when the ILS gave no words of its own. */
export const RENEWALS_DENIED_WORDS = 'Your account cannot renew loans: please ask at the desk';

/** What the renewals need of their session. */
export interface RenewalSession {
  readonly circulation: CirculationService;
  /** The patron's barcode and PIN; null in a return session. */
  readonly patron: { barcode: string; pin: string | undefined } | null;
  /** The terminal (token name) that opened the session. */
  readonly terminal: string;
  /** Accepting no more work: ending, or ended. */
  closed(): boolean;
  /** Runs ILS work in the session's queue, after what was asked before it. */
  enqueue(work: () => Promise<void>): Promise<void>;
  /** An item this session lent, is lending, or may have lent: none of her earlier loans. */
  borrowedHere(item: string): boolean;
  /** The renewals changed: the session's watchers are told. */
  changed(): void;
}

export class SessionRenewals {
  private readonly renewals: SessionRenewalView[] = [];
  /** The patron's earlier loans being renewed now: how far along (see SessionView.renewing). */
  private progress: { done: number; total: number } | undefined;
  /** Loans the ILS answered a renewal of in this session (renewed or refused): not asked again. */
  private readonly answered = new Set<string>();
  /** That renewal under way: a second ask joins it rather than sending any loan's renewal twice. */
  private run: Promise<SessionRenewalView[]> | undefined;
  /**
   * Loans the ILS renewed in this session, by item: its last renewal, kept within the session's
   * queue as the answer comes, so that an item placed after it in the queue finds it.
   */
  private readonly renewedOk = new Map<string, SessionRenewalView>();

  constructor(private readonly session: RenewalSession) {}

  /** Every renewal asked in the session, in order. */
  views(): SessionRenewalView[] {
    return this.renewals.map((renewal) => ({ ...renewal }));
  }

  /** The renewal the ILS granted this loan in this session, if it did: it is hers, due then. */
  renewed(item: string): SessionRenewalView | undefined {
    const renewal = this.renewedOk.get(item);
    return renewal && { ...renewal };
  }

  /** The ILS answered these renewals (in the session's queue): those granted are kept by item. */
  private granted(renewals: readonly SessionRenewalView[]): void {
    for (const renewal of renewals) if (renewal.ok) this.renewedOk.set(renewal.item, renewal);
  }

  /** How far along the renewal of her earlier loans is, while it runs. */
  renewing(): { done: number; total: number } | undefined {
    return this.progress ? { ...this.progress } : undefined;
  }

  /**
   * Renews one loan (`item`), every loan at once with Renew All (`all`), or — neither named, the
   * patron's "renew my loans" — the loans she had before this session, one by one
   * (`renewEarlierLoans`). `onResult` is told of each renewal as it comes back.
   */
  async renew(request: SessionRenewRequest, onResult?: () => void): Promise<SessionRenewalView[]> {
    const patron = this.session.patron;
    if (!patron) return [];
    // A fee accepted is for the loan (or Renew All) named: never for the sweep of her earlier loans.
    const ref: RenewalRequest = { patron: patron.barcode, pin: patron.pin };
    if (request.feeAcknowledged !== undefined) ref.feeAcknowledged = request.feeAcknowledged;
    const context = { terminal: this.session.terminal };
    const { item } = request;
    if (item === undefined && request.all !== true) {
      this.run ??= this.renewEarlierLoans(onResult).finally(() => {
        this.run = undefined;
      });
      return this.run;
    }
    let results: SessionRenewalView[] = [];
    await this.session.enqueue(async () => {
      if (item === undefined) {
        // Renew All answered for every loan it names, renewed or not.
        results = await renewAllLoans(this.session.circulation, ref, context);
        for (const renewal of results) this.answered.add(renewal.item);
        this.granted(results);
        return;
      }
      const outcome = await renewOne(this.session.circulation, ref, item, context);
      if (!outcome.stop) this.answered.add(item);
      results = [outcome.renewal];
      this.granted(results);
    });
    this.renewals.push(...results);
    this.session.changed();
    return results;
  }

  /**
   * The loans the patron had before this session, renewed one by one (29 each) in the order the
   * ILS lists them (63, charged items): not the items borrowed here (renewing those would spend a
   * renewal for nothing), nor a loan the ILS answered for already in this session (renewed or
   * refused) or whose renewal may have gone through (its answer lost). Each result joins the session as it comes (a `session` update,
   * with `renewing` saying how far along). When the ILS stops answering, what was renewed stays
   * renewed and the loans after are not sent (`notTried`); nothing is sent twice. Listing the loans
   * failing (the ILS away, the patron refused) throws: nothing was renewed. So does a patron whose
   * renewal privileges the ILS denies (its 63 answer says so): one refusal, no loan asked.
   */
  private async renewEarlierLoans(onResult: (() => void) | undefined): Promise<SessionRenewalView[]> {
    const patron = this.session.patron;
    if (!patron) return [];
    const ref = { patron: patron.barcode, pin: patron.pin };
    const context = { terminal: this.session.terminal };
    let listed: PatronLoansResult = { items: [] };
    await this.session.enqueue(async () => {
      listed = await this.session.circulation.patronLoans(ref, context);
    });
    const { items: loans, renewalsDenied } = listed;
    if (renewalsDenied !== undefined) {
      // Her account may not renew: one answer, in the ILS's words, rather than each loan refused.
      const { reason, screenMessages } = renewalsDenied;
      const words = screenMessages.filter((message) => message.trim() !== '').join(' ');
      throw new CirculationRefusal(reason, screenMessages, 'renew', {
        message: words !== '' ? words : RENEWALS_DENIED_WORDS,
      });
    }
    const earlier = loans.filter((item) => !this.session.borrowedHere(item) && !this.renewedHere(item));
    const results: SessionRenewalView[] = [];
    if (earlier.length === 0) return results;
    const progress = { done: 0, total: earlier.length };
    this.progress = progress;
    this.session.changed();
    /** Why the loans after are not sent: the code, and in words. */
    let stopped: string | undefined;
    let stoppedWords = '';
    try {
      for (const item of earlier) {
        if (stopped === undefined && this.session.closed()) {
          stopped = 'session_ended';
          stoppedWords = "Not sent: the session ended before this loan's turn; nothing changed.";
        }
        let renewal: SessionRenewalView | undefined;
        if (stopped !== undefined) {
          renewal = {
            item,
            ok: false,
            reason: stopped,
            message: stoppedWords,
            notTried: true,
            screenMessages: [],
          };
        } else {
          // Step by step in the session's queue: an item placed meanwhile is checked out between two.
          await this.session.enqueue(async () => {
            // Placed on the pad since the list was read, and lent (renewed) by that checkout.
            if (this.session.borrowedHere(item)) return;
            const outcome = await renewOne(this.session.circulation, ref, item, context);
            renewal = outcome.renewal;
            this.granted([renewal]);
            if (outcome.stop) {
              stopped = renewal.reason ?? 'ils_offline';
              stoppedWords = `Not sent: the renewal before it failed (${renewal.message ?? stopped}), so this loan was not tried; nothing changed, and renewing the loans again tries it.`;
            } else this.answered.add(item);
          });
        }
        if (renewal === undefined) {
          progress.total--;
          continue;
        }
        results.push(renewal);
        this.renewals.push(renewal);
        progress.done++;
        if (renewal.notTried !== true) {
          onResult?.();
          this.session.changed();
        }
      }
    } finally {
      this.progress = undefined;
      this.session.changed();
    }
    return results;
  }

  /**
   * A loan renewed in this session already, refused by the ILS in it (asking again the same minute
   * gets the same no), or whose renewal may have gone through (its answer lost).
   */
  private renewedHere(item: string): boolean {
    return (
      this.answered.has(item) ||
      this.renewals.some((renewal) => renewal.item === item && (renewal.ok || renewal.answerLost === true))
    );
  }
}
