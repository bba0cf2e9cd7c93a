import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { ReleaseJournal } from '../../../src/gateway/print-accounts/release-journal.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';

const NOON = Date.UTC(2026, 5, 1, 12);
const PATRON = '21234000000001';

/**
 * The print statistics by hour, queue and colour, read from the release journal: every job
 * released counts (free ones too, which never reach the ledger), with the pages the printer said
 * it printed, and a job refunded before it printed counts no pages.
 */
describe('releases per quarter hour, for the statistics', () => {
  it('counts jobs and printed pages by queue and colour, free jobs included, unprinted refunds without pages', () => {
    const db = openDatabase(':memory:');
    const clock = new ManualClock(NOON);
    const ledger = new PrintLedger(db, { currency: 'EUR', clock });
    const journal = new ReleaseJournal(db, ledger, clock);
    ledger.deposit({
      requestId: 'deposit-1',
      patron: PATRON,
      amountMinor: 1000,
      currency: 'EUR',
      source: 'cash-desk',
      staff: 'desk-1',
    });
    let job = 0;
    const release = (queue: string, color: boolean | undefined, impressions: number, amountMinor: number) =>
      journal.begin({
        requestId: `r-${++job}`,
        account: PATRON,
        queue,
        jobId: job,
        jobKey: `${queue}:${job}`,
        jobName: 'Essay',
        quote: {
          impressions,
          freeImpressions: amountMinor ? 0 : impressions,
          priceMinor: impressions * 10,
          freeMinor: amountMinor ? 0 : impressions * 10,
          amountMinor,
          currency: 'EUR',
        },
        ...(color === undefined ? {} : { color }),
      }).release;
    const mono = release('public-bw', false, 3, 30);
    journal.settle(mono.id, {
      state: 'completed',
      printedImpressions: 2,
      refundMinor: 10,
      reason: 'printed less',
    });
    release('public-bw', false, 4, 0); // free pages: no charge in the ledger, still printed
    const colour = release('public-colour', true, 5, 250);
    journal.settle(colour.id, {
      state: 'refunded',
      printedImpressions: null,
      refundMinor: 250,
      reason: 'aborted',
    });
    release('public-colour', undefined, 1, 50); // journaled before the colour was kept
    expect(
      journal
        .perQuarter(NOON - 3_600_000, NOON + 3_600_000)
        .map(({ queue, colour, jobs, pages }) => ({ queue, colour, jobs, pages }))
        .sort((a, b) => `${a.queue}${a.colour}`.localeCompare(`${b.queue}${b.colour}`)),
    ).toEqual([
      { queue: 'public-bw', colour: 'mono', jobs: 2, pages: 6 },
      { queue: 'public-colour', colour: '', jobs: 1, pages: 1 },
      { queue: 'public-colour', colour: 'colour', jobs: 1, pages: 0 },
    ]);
    expect(journal.perQuarter(NOON + 3_600_000, NOON + 7_200_000)).toEqual([]);
    db.close();
  });
});
