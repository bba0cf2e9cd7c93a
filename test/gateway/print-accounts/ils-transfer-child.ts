/**
 * The process the ILS transfer kill test SIGKILLs. `npm run build` compiles it
 * with the gateway, and the test runs it from dist/test/.
 *
 *   node ils-transfer-child.js transfer <db> <ils-url> <patron> <count> <die-one-in>
 *     settles what a previous life left pending, then transfers 1.00 from the
 *     patron's ILS credit <count> times (request id per transfer, the same in
 *     every life, so a retry is the same transfer), printing `journaled <i>`
 *     when the row is committed, `debited <i>` when the deposit is, and
 *     `deposited <i>` / `refused <i> <code>` with the answer; one hook call in
 *     <die-one-in> kills the process right there (after the journal, before the
 *     debit is sent; or after the deposit, before the answer).
 *   node ils-transfer-child.js settle <db> <ils-url>
 *     settles every pending transfer, then prints `settled`.
 */

import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { KohaRestAccounts } from '../../../src/devices/ils/koha-accounts.js';
import { kohaRestAccountsSchema } from '../../../src/devices/ils/koha-accounts-config.js';
import type { IlsTransferRow } from '../../../src/gateway/print-accounts/ils-transfer-journal.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { say } from '../../helpers/child-say.js';

const [mode, dbPath, ilsUrl, patron, count, dieOneIn] = process.argv.slice(2);
const every = Number(dieOneIn ?? 0);
const maybeDie = () => {
  if (every > 0 && Math.floor(Math.random() * every) === 0) process.kill(process.pid, 'SIGKILL');
};
const index = (row: IlsTransferRow) => row.requestId.replace('kill-transfer-', '');

const db = openDatabase(dbPath!);
const accounts = new PrintAccounts({
  config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
  database: () => db,
  queues: () => [],
  clock: systemClock,
  logger: silentLogger(),
  ilsTransfer: {
    accounts: new KohaRestAccounts(
      kohaRestAccountsSchema.parse({
        kind: 'koha-rest',
        url: ilsUrl,
        clientId: 'carrel-desk',
        clientSecret: 'carrel-desk-secret',
        timeoutMs: 5000,
      }),
      { exponent: 2, clock: systemClock },
    ),
    // The simulator adds a debit when the whole request has arrived, at once: by the time the next
    // life starts, a debit sent by the last one is there or never will be.
    settleAfterMs: 0,
    settleIntervalMs: 3_600_000,
    afterJournal: (row) => {
      say(`journaled ${index(row)}`);
      maybeDie();
    },
    afterDebit: (row) => {
      say(`debited ${index(row)}`);
      maybeDie();
    },
  },
});

await accounts.settleIlsTransfers();
if (mode === 'transfer') {
  for (let i = 0; i < Number(count); i++) {
    try {
      await accounts.transferFromIls({ requestId: `kill-transfer-${i}`, patron: patron!, amountMinor: 100 });
      say(`deposited ${i}`);
    } catch (error) {
      say(`refused ${i} ${(error as { code?: string }).code}`);
    }
  }
  say('done');
} else {
  say('settled');
}
db.close();
process.exit(0);
