import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { ReleaseJournal } from '../../../src/gateway/print-accounts/release-journal.js';
import { releaseView } from '../../../src/gateway/print-accounts/release-view.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

const PATRON = '21234000000001';

/**
 * A release an older Carrel settled with the print server's own words kept them in the journal:
 * the print desk reads them in words after the upgrade too.
 */
describe('how a release ended, read from the journal', () => {
  it("reads an older release refused by the print server in words, not the server's address and IPP status", () => {
    const db = openDatabase(':memory:');
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const ledger = new PrintLedger(db, { currency: 'EUR', clock });
    const journal = new ReleaseJournal(db, ledger, clock);
    ledger.deposit({
      requestId: 'deposit-1',
      patron: PATRON,
      amountMinor: 100,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const { release } = journal.begin({
      requestId: 'release-1',
      account: PATRON,
      queue: 'public-bw',
      jobId: 9,
      jobKey: 'public-bw:9',
      jobName: 'Invoice',
      quote: {
        impressions: 1,
        freeImpressions: 0,
        priceMinor: 10,
        freeMinor: 0,
        amountMinor: 10,
        currency: 'EUR',
      },
    });
    // As Carrel before this release wrote it.
    journal.settle(release.id, {
      state: 'refunded',
      printedImpressions: 0,
      refundMinor: 10,
      reason:
        'the print server did not release the job: ipp://127.0.0.1:8631/printers/public-bw: client-error-not-possible (job 9 is not held)',
    });
    const view = releaseView(journal.list({ account: PATRON })[0]!, true);
    expect(view.outcome).toBe(
      'not printed: the print server did not send the job to the printer; the charge was refunded',
    );
    db.close();
  });
});
