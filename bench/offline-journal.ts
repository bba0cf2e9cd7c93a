/**
 * Offline journal throughput: acknowledged transactions per second, each
 * committed to a file database (WAL, synchronous=FULL) before `accept`
 * returns, as the desk does while the ILS is away. Prints nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OfflineJournal, offlinePolicySchema } from '../src/gateway/offline/index.js';
import { openDatabase } from '../src/gateway/storage/index.js';
import type { BenchResult } from './types.js';

const WARM_UP = 50;
const MEASURED = 2000;
/** A busy desk with the ILS away: a checkout every second or two per terminal; 200/s leaves room for a branch. */
const TARGET_PER_SECOND = 200;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-offline-'));
  const db = openDatabase(path.join(dir, 'carrel.db'));
  try {
    const journal = new OfflineJournal(db, {
      policy: offlinePolicySchema.parse({
        enabled: true,
        maxCheckoutsPerPatron: 1_000_000,
        maxTransactionsTotal: 1_000_000,
      }),
    });
    const accept = (i: number) =>
      journal.accept({
        kind: i % 4 === 3 ? 'checkin' : 'checkout',
        ...(i % 4 === 3 ? {} : { patron: `2100${i % 500}` }),
        item: `3100${i}`,
        terminal: 'desk-1',
        at: Date.now(),
      });
    for (let i = 0; i < WARM_UP; i++) accept(i);
    const latencies: number[] = [];
    const start = performance.now();
    for (let i = WARM_UP; i < WARM_UP + MEASURED; i++) {
      const before = performance.now();
      accept(i);
      latencies.push(performance.now() - before);
    }
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const perSecond = MEASURED / seconds;
    return [
      {
        name: 'journal commits/s (WAL, synchronous=FULL)',
        value: Math.round(perSecond),
        unit: 'tx/s',
        target: `≥ ${TARGET_PER_SECOND}`,
        met: perSecond >= TARGET_PER_SECOND,
      },
      {
        name: 'accept latency p99',
        value: latencies[Math.floor(latencies.length * 0.99)]!,
        unit: 'ms',
      },
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
