import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrintServerSimulator,
  startPrintServerSimulator,
} from '../../../simulators/print-server/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { PrintAccounts } from '../../../src/gateway/print-accounts/service.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { assertBuilt, builtChild, runKillableChild } from '../../helpers/killable-child.js';

const CHILD = builtChild(import.meta.url, 'release-child');
const PATRON = '21000001';
const JOBS = 40;
const ROUNDS = 25;

let dir: string;
let dbPath: string;
let server: PrintServerSimulator;

const runChild = (args: string[], killWhen: (line: string) => boolean) =>
  runKillableChild(CHILD, args, killWhen);

beforeAll(async () => {
  await assertBuilt([
    'src/gateway/print-accounts',
    'src/devices/print-queue',
    'test/gateway/print-accounts/release-child.ts',
    'test/helpers/ipp-release-queue.ts',
  ]);
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-release-kill-'));
  dbPath = path.join(dir, 'carrel.db');
  server = await startPrintServerSimulator({
    id: 'print-server',
    host: '127.0.0.1',
    port: 0,
    queues: ['public-bw'],
    pageMs: 2,
    holdAll: true,
    logger: createLogger({ level: 'silent' }),
  });
  const db = openDatabase(dbPath);
  new PrintLedger(db, { currency: 'EUR', clock: systemClock }).deposit({
    requestId: 'kill-test-deposit',
    patron: PATRON,
    amountMinor: 100_000,
    currency: 'EUR',
    source: 'cash-desk',
  });
  db.close();
  for (let i = 0; i < JOBS; i++)
    await server.submit({ user: PATRON, title: `job ${1 + (i % 3)}`, pages: 1 + (i % 3) });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('print release under SIGKILL', () => {
  it('never leaves a job charged and not printed, or printed and not charged', async () => {
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const killAt = Math.floor(Math.random() * 6) + 1;
      let seen = 0;
      const run = await runChild(['release', dbPath, server.queueUrl(), PATRON, '3'], () => ++seen >= killAt);
      if (run.killed) kills++;
      // Killed right after a charge: now and then the job is cancelled at the server before
      // anyone releases it (staff at CUPS, an expiry) — recovery must refund it, not print it.
      const last = run.lines[run.lines.length - 1] ?? '';
      if (last.startsWith('charged ') && round % 2 === 0) server.model.cancel(Number(last.split(' ')[1]));
      if (
        run.lines.includes('done') &&
        !server.model.list('public-bw', 'not-completed').some((j) => j.state === 'pending-held')
      )
        break;
    }
    expect(kills).toBeGreaterThan(0);
    const settle = await runChild(['settle', dbPath, server.queueUrl()], () => false);
    expect(settle.lines).toContain('settled');
    // Let the printer finish what it was given, then settle what finished.
    const printing = () =>
      server.model.list('public-bw', 'not-completed').some((j) => j.state !== 'pending-held');
    const deadline = performance.now() + 20_000;
    while (printing() && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await runChild(['settle', dbPath, server.queueUrl()], () => false);

    const db = openDatabase(dbPath);
    try {
      expect(db.pragmaValue('integrity_check')).toBe('ok');
      const accounts = new PrintAccounts({
        config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
        database: () => db,
        queues: () => [],
        clock: systemClock,
        logger: silentLogger(),
      });
      expect(accounts.invariantViolations()).toEqual([]);
      const releases = accounts.releases({ limit: 500 });
      expect(releases.every((r) => r.state === 'completed' || r.state === 'refunded')).toBe(true);
      let printedValue = 0;
      for (const job of server.model.list('public-bw', 'all')) {
        const release = releases.find((r) => r.jobId === job.id);
        const net = release ? release.amountMinor - release.refundedMinor : 0;
        if (job.state === 'completed') {
          expect(release, `job ${job.id} printed`).toBeDefined();
          expect(net, `job ${job.id} printed and charged`).toBe(job.pages * 10);
          printedValue += net;
        } else {
          // Cancelled before it printed: nothing charged. Cancelled mid-print (the child killed
          // after Release-Job left, the test cancelling it at the server): what came out is charged.
          const printed = job.impressionsCompleted ?? 0;
          expect(net, `job ${job.id} (${job.state}) charged for the ${printed} pages printed`).toBe(
            printed * 10,
          );
          printedValue += net;
        }
      }
      expect(accounts.balance(PATRON).balanceMinor).toBe(100_000 - printedValue);
      expect(releases.filter((r) => r.state === 'completed').length).toBeGreaterThan(0);
      expect(releases.filter((r) => r.state === 'refunded').length).toBeGreaterThan(0);
      console.log(
        'kill test:',
        kills,
        'kills;',
        releases.length,
        'releases;',
        releases.filter((r) => r.state === 'refunded').length,
        'refunded;',
        server.model.list('public-bw', 'all').filter((j) => j.state === 'completed').length,
        'printed',
      );
    } finally {
      db.close();
    }
  }, 180_000);

  it('keeps every staff refund answered before a SIGKILL, and makes none twice when sent again', async () => {
    const REFUNDS = 60;
    const ledgerRefunds = () => {
      const db = openDatabase(dbPath);
      try {
        return db
          .prepare(
            "SELECT request_id AS id, COUNT(*) AS n, SUM(amount_minor) AS minor FROM print_ledger WHERE request_id LIKE 'kill-refund-%' GROUP BY request_id",
          )
          .all() as Array<{ id: string; n: number; minor: number }>;
      } finally {
        db.close();
      }
    };
    const answered = new Set<string>();
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      const killAt = Math.floor(Math.random() * REFUNDS) + 1;
      // Every other life is killed wherever it is a few ms after it opened the database (mid-flush,
      // between a COMMIT and its answers), the others after a number of refunds answered.
      const dieAfterMs = round % 2 === 1 ? 1 + Math.floor(Math.random() * 70) : 0;
      let seen = 0;
      const run = await runChild(
        ['refund', dbPath, server.queueUrl(), String(REFUNDS), String(dieAfterMs)],
        (line) => dieAfterMs === 0 && line.startsWith('refunded ') && ++seen >= killAt,
      );
      if (run.killed) kills++;
      for (const line of run.lines) if (line.startsWith('refunded ')) answered.add(line.split(' ')[1]!);
      // What staff were told was refunded is on disk after the kill, once.
      const kept = new Map(ledgerRefunds().map((row) => [row.id, row]));
      for (const id of answered)
        expect(kept.get(id), `${id} answered, then lost`).toMatchObject({ n: 1, minor: 1 });
      // Done: every refund made; a life or two more kills while they are sent again.
      if (run.lines.includes('done') && round >= 3) break;
    }
    expect(kills).toBeGreaterThan(0);
    // A last life without a kill sends every id again: the missing ones are made, none twice.
    const last = await runChild(['refund', dbPath, server.queueUrl(), String(REFUNDS)], () => false);
    expect(last.lines).toContain('done');
    const rows = ledgerRefunds();
    expect(rows).toHaveLength(REFUNDS);
    expect(rows.every((row) => row.n === 1 && row.minor === 1)).toBe(true);
    const db = openDatabase(dbPath);
    try {
      const accounts = new PrintAccounts({
        config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
        database: () => db,
        queues: () => [],
        clock: systemClock,
        logger: silentLogger(),
      });
      expect(accounts.invariantViolations()).toEqual([]);
      // A refund answered before a kill is answered again, as made before, when sent again.
      const again = new Set(
        last.lines.filter((line) => line.endsWith(' again')).map((line) => line.split(' ')[1]),
      );
      for (const id of answered) expect(again.has(id), `${id} made twice`).toBe(true);
      console.log(
        'refund kill test:',
        kills,
        'kills;',
        answered.size,
        'refunds answered before the last life',
      );
    } finally {
      db.close();
    }
  }, 120_000);
  it('pays out each balance once across SIGKILLs at random points, every payout answered on disk, the balances 0 after', async () => {
    // Each life pays out 30 more patrons than the one before, and sends the earlier ones again.
    const PER_LIFE = 30;
    const LIVES = 8;
    const PAYOUTS = PER_LIFE * LIVES;
    const ledgerRows = () => {
      const db = openDatabase(dbPath);
      try {
        return db
          .prepare(
            `SELECT request_id AS id, account, kind, amount_minor AS minor, balance_after AS after FROM print_ledger
               WHERE request_id LIKE 'kill-payout-%' OR request_id LIKE 'kill-topup-%'`,
          )
          .all() as Array<{ id: string; account: string; kind: string; minor: number; after: number }>;
      } finally {
        db.close();
      }
    };
    const answered = new Map<string, number>();
    let kills = 0;
    for (let life = 0; life < LIVES; life++) {
      const count = PER_LIFE * (life + 1);
      // Killed wherever the child is a few ms after it opened the database (a top-up or a payout
      // in its group commit, between a COMMIT and its answer), or after a number of payouts answered.
      const dieAfterMs = life % 2 === 0 ? 1 + Math.floor(Math.random() * 70) : 0;
      const killAt = Math.floor(Math.random() * count) + 1;
      let seen = 0;
      const run = await runChild(
        ['payout', dbPath, server.queueUrl(), String(count), String(dieAfterMs)],
        (line) => dieAfterMs === 0 && line.startsWith('paid ') && ++seen >= killAt,
      );
      if (run.killed) kills++;
      for (const line of run.lines) {
        const [word, id, amount] = line.split(' ');
        if (word === 'paid') answered.set(id!, Number(amount));
      }
      // What staff were told was paid out is on disk after the kill, once, and emptied the account.
      const rows = ledgerRows();
      for (const [id, amount] of answered)
        expect(
          rows.filter((row) => row.id === id),
          `${id} answered, then lost`,
        ).toMatchObject([{ kind: 'payout', minor: -amount, after: 0 }]);
    }
    expect(kills).toBeGreaterThan(0);
    // A last life without a kill sends every top-up and payout again: the missing ones are made, none twice.
    const last = await runChild(['payout', dbPath, server.queueUrl(), String(PAYOUTS), '0'], () => false);
    expect(last.lines).toContain('done');
    const rows = ledgerRows();
    expect(rows).toHaveLength(2 * PAYOUTS);
    const db = openDatabase(dbPath);
    try {
      const ledger = new PrintLedger(db, { currency: 'EUR', clock: systemClock });
      for (let k = 0; k < PAYOUTS; k++) {
        const mine = rows.filter((row) => row.account === String(23_000_000 + k));
        expect(mine.map((row) => [row.kind, row.minor]).sort()).toEqual([
          ['deposit', 100 + k],
          ['payout', -(100 + k)],
        ]);
        expect(ledger.balance(String(23_000_000 + k)).balanceMinor).toBe(0);
      }
      const accounts = new PrintAccounts({
        config: { currency: 'EUR', maxAmountMinor: 1_000_000 },
        database: () => db,
        queues: () => [],
        clock: systemClock,
        logger: silentLogger(),
      });
      expect(accounts.invariantViolations()).toEqual([]);
      expect(db.pragmaValue('integrity_check')).toBe('ok');
      // A payout answered before a kill is answered again, as made before, when sent again.
      const again = new Set(
        last.lines.filter((line) => line.endsWith(' again')).map((line) => line.split(' ')[1]),
      );
      for (const id of answered.keys()) expect(again.has(id), `${id} paid out twice`).toBe(true);
      console.log(
        'payout kill test:',
        kills,
        'kills;',
        answered.size,
        'payouts answered before the last life',
      );
    } finally {
      db.close();
    }
  }, 120_000);

  it('cancels the rest of a job refunded at the desk once Carrel is back, when it was killed before it could', async () => {
    const patron = '21000009';
    const db = openDatabase(dbPath);
    new PrintLedger(db, { currency: 'EUR', clock: systemClock }).deposit({
      requestId: 'kill-test-deposit-rest',
      patron,
      amountMinor: 1000,
      currency: 'EUR',
      source: 'cash-desk',
    });
    db.close();
    // The printer is off: the job released waits at the print server, nothing printed.
    server.setFaults({ stopped: true });
    try {
      const jobId = await server.submit({ user: patron, title: 'job 9', pages: 9 });
      const released = await runChild(['release', dbPath, server.queueUrl(), patron, '0'], () => false);
      expect(released.lines).toContain(`released ${jobId}`);
      const refunded = await runChild(['refund-rest', dbPath, server.queueUrl(), patron], () => false);
      expect(refunded.lines).toContain(`refunded ${jobId} rest after 0`);
      expect(refunded.lines).not.toContain('done');
      expect(server.job(jobId)?.state, 'killed before Cancel-Job').toBe('pending');
      // Carrel again: its follower cancels what the refund left unpaid.
      await runChild(['settle', dbPath, server.queueUrl(), patron], () => false);
      expect(server.job(jobId)?.state).toBe('canceled');
      server.setFaults({ stopped: false });
      expect(server.job(jobId)?.impressionsCompleted).toBe(0);
      const check = openDatabase(dbPath);
      try {
        expect(
          new PrintLedger(check, { currency: 'EUR', clock: systemClock }).balance(patron).balanceMinor,
        ).toBe(1000);
      } finally {
        check.close();
      }
    } finally {
      server.setFaults({ stopped: false });
    }
  }, 60_000);
});
