/**
 * The process the print release kill test SIGKILLs. `npm run build` compiles
 * it with the gateway, and the test runs it from dist/test/.
 *
 *   node release-child.js release <db> <queue-url> <patron> <die-one-in>
 *     settles what a previous life left open, then releases every held job of
 *     <patron> (request id per job, so a retry is the same release), printing
 *     `charged <job>` when a charge is committed and `released <job>` when the
 *     release is confirmed; one charge in <die-one-in> kills the process right
 *     after it is committed, before Release-Job is sent.
 *   node release-child.js settle <db> <queue-url>
 *     settles and follows until no release is open, then prints `settled`.
 *   node release-child.js refund <db> <queue-url> <count> [<die-after-ms>]
 *     staff refunds of 1 cent, request ids `kill-refund-0` … `kill-refund-<count − 1>` spread over
 *     the printed releases, sent in waves of ten without waiting for the wave before (staff at
 *     several desks), printing `refunded <request id>` (`… again` for one answered as made before)
 *     as each is answered, then `done`. Sent again in the next life, every id is the same refund.
 *     With <die-after-ms> above 0 the process SIGKILLs itself that many ms after it opened the
 *     database, wherever it is then.
 *   node release-child.js payout <db> <queue-url> <count> <die-after-ms>
 *     <count> patrons (`23000000` …) each topped up at the desk (request id `kill-topup-<k>`,
 *     1.00 EUR + k cents) and paid out that balance (`kill-payout-<k>`), all at once (their writes
 *     share group commits), printing `paid <request id> <amount>` (`… again` for one answered as made
 *     before) as each payout is answered, then `done`. With <die-after-ms> above 0 the process
 *     SIGKILLs itself that many ms after it has opened the database, wherever it is then.
 */

import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { IppClient } from '../../../src/devices/print-queue/ipp-client.js';
import { IppHttpTransport } from '../../../src/devices/transport/ipp-http.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { tariffSchema } from '../../../src/gateway/print-accounts/tariff.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { say } from '../../helpers/child-say.js';
import { ippReleaseQueue } from '../../helpers/ipp-release-queue.js';

const [mode, dbPath, queueUrl, patron, dieOneIn] = process.argv.slice(2);
const client = new IppClient(new IppHttpTransport({ url: queueUrl!, clock: systemClock }));
const db = openDatabase(dbPath!);
/** The queue as the workflow sees it; the simulator's documents are its sample PDFs, one page per job name's digit. */
const { queue, refresh } = ippReleaseQueue(
  client,
  tariffSchema.parse({ mono: 10 }),
  (job) => Number(job.name.replace(/\D/g, '')) || 1,
);

const every = Number(dieOneIn ?? 0);
const accounts = new PrintAccounts({
  config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
  database: () => db,
  queues: () => [queue],
  clock: systemClock,
  logger: silentLogger(),
  followIntervalMs: 3_600_000,
  afterRefund: (release) => {
    if (mode !== 'refund-rest') return;
    say(`refunded ${release.jobId} rest after ${release.cancelRestAfter}`);
    process.kill(process.pid, 'SIGKILL');
  },
  afterCharge: (release) => {
    say(`charged ${release.jobId}`);
    if (every > 0 && Math.floor(Math.random() * every) === 0) process.kill(process.pid, 'SIGKILL');
  },
});

/** SIGKILLs this process `ms` after now (0: never), wherever it is then: mid-flush, between a COMMIT and its answer. */
function killAfter(ms: number): void {
  if (ms > 0) setTimeout(() => process.kill(process.pid, 'SIGKILL'), ms);
}

if (mode === 'release') {
  await accounts.follow();
  await refresh();
  // Three at a time, as three stations releasing at the same moment: their charges share a group
  // commit, and a kill can fall between a group's COMMIT and the releases it answers.
  const mine = queue.heldJobs().filter((j) => j.patron === patron);
  for (let i = 0; i < mine.length; i += 3) {
    await Promise.all(
      mine.slice(i, i + 3).map(async (job) => {
        try {
          await accounts.release({
            requestId: `kill-release-${job.key}`,
            patron: patron!,
            queue: 'public-bw',
            jobId: job.jobId,
          });
          say(`released ${job.jobId}`);
        } catch (error) {
          say(`refused ${job.jobId} ${(error as { code?: string }).code}`);
        }
      }),
    );
  }
  say('done');
} else if (mode === 'refund') {
  const count = Number(patron);
  killAfter(Number(dieOneIn ?? 0));
  // The same releases in every life: printed, charged enough for their share of the refunds.
  const printed = accounts
    .releases({ limit: 500 })
    .filter((r) => r.state === 'completed' && r.amountMinor >= 10)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .slice(0, 10);
  const waves: Promise<void>[] = [];
  for (let wave = 0; wave < count; wave += 10) {
    waves.push(
      (async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.all(
          Array.from({ length: Math.min(10, count - wave) }, async (_, k) => {
            const requestId = `kill-refund-${wave + k}`;
            let again = false;
            await accounts.refund({
              requestId,
              releaseId: printed[(wave + k) % printed.length]!.id,
              amountMinor: 1,
              reason: 'smudged page',
              staff: 'desk',
              onReplay: () => {
                again = true;
              },
            });
            say(`refunded ${requestId}${again ? ' again' : ''}`);
          }),
        );
      })(),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(waves);
  say('done');
} else if (mode === 'payout') {
  const count = Number(patron);
  killAfter(Number(dieOneIn ?? 0));
  await Promise.all(
    Array.from({ length: count }, async (_, k) => {
      const who = String(23_000_000 + k);
      const amountMinor = 100 + k;
      await accounts.depositAtDesk({
        requestId: `kill-topup-${k}`,
        patron: who,
        amountMinor,
        currency: 'EUR',
        source: 'cash-desk',
      });
      let again = false;
      const entry = await accounts.payout({
        requestId: `kill-payout-${k}`,
        patron: who,
        staff: 'desk',
        amountMinor,
        onReplay: () => {
          again = true;
        },
      });
      say(`paid kill-payout-${k} ${-entry.amountMinor}${again ? ' again' : ''}`);
    }),
  );
  say('done');
} else if (mode === 'refund-rest') {
  // Staff refund in full a job the printer has not printed (it is stopped): killed once the refund
  // is on disk, before the rest of the job is cancelled at the print server.
  await accounts.follow();
  const release = accounts.releases({ patron: patron! }).find((r) => r.state === 'released');
  if (!release) throw new Error('no release at the printer');
  await accounts.refund({
    requestId: `kill-refund-rest-${release.id}`,
    releaseId: release.id,
    reason: 'the printer is off',
    staff: 'desk',
  });
  say('done');
} else {
  for (let i = 0; i < 400; i++) {
    await refresh();
    await accounts.follow();
    const open = accounts
      .releases({ limit: 500 })
      .filter((r) => r.state === 'charged' || r.state === 'released');
    if (open.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  say('settled');
}
db.close();
process.exit(0);
