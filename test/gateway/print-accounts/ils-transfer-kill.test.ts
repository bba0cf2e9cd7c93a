import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../../simulators/ils/server.js';
import { systemClock } from '../../../src/core/clock.js';
import { IlsTransferJournal } from '../../../src/gateway/print-accounts/ils-transfer-journal.js';
import { PrintLedger } from '../../../src/gateway/print-accounts/ledger.js';
import { openDatabase } from '../../../src/gateway/storage/index.js';
import { assertBuilt, builtChild, runKillableChild } from '../../helpers/killable-child.js';
import { sampleFixtureInput } from '../../simulators/ils/sample.js';

const CHILD = builtChild(import.meta.url, 'ils-transfer-child');
const PATRON = '21000010';
const CREDIT = 100_000;
const TRANSFERS = 12;
const ROUNDS = 24;

let dir: string;
let dbPath: string;
let simulator: IlsSimulator;

const runChild = (args: string[], killWhen: (line: string) => boolean) =>
  runKillableChild(CHILD, args, killWhen);

/** What the ILS and the ledger say: each side's transfers by request id, and what is still pending. */
function books() {
  const db = openDatabase(dbPath);
  try {
    const ledger = new PrintLedger(db, { currency: 'EUR', clock: systemClock });
    const journal = new IlsTransferJournal(db, ledger, systemClock);
    const rows = journal.list({ limit: 1000 });
    const deposits = ledger.entries(PATRON, 1000).filter((e) => e.source === 'ils-transfer');
    const depositedRequests = deposits.map((entry) => {
      const row = rows.find((r) => r.entryId === entry.id);
      return row?.requestId ?? `orphan ${entry.id}`;
    });
    const debits = simulator.state.patrons.get(PATRON)!.accountDebits;
    const debitedRequests = debits.map((d) => /\(Carrel (\S+)\)/.exec(d.description)?.[1] ?? d.description);
    return {
      depositedRequests: depositedRequests.sort(),
      debitedRequests: debitedRequests.sort(),
      pending: rows.filter((r) => r.state === 'pending').length,
      failed: rows.filter((r) => r.state === 'failed').length,
      violations: [...ledger.invariantViolations(), ...journal.invariantViolations()],
      debitedMinor: debits.reduce((total, d) => total + d.amountCents, 0),
      balanceMinor: ledger.balance(PATRON).balanceMinor,
    };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  await assertBuilt([
    'src/gateway/print-accounts',
    'src/devices/ils',
    'test/gateway/print-accounts/ils-transfer-child.ts',
  ]);
  dir = mkdtempSync(path.join(tmpdir(), 'carrel-ils-transfer-kill-'));
  dbPath = path.join(dir, 'carrel.db');
  const fixture = sampleFixtureInput();
  const patron = fixture.patrons?.find((p) => p.barcode === PATRON);
  if (!patron) throw new Error('the sample library has no patron in credit');
  patron.credit = CREDIT / 100;
  simulator = await startIlsSimulator({ fixture, httpPort: 0 });
  // The database exists, with its tables (the ledger migrates them), before the first child.
  const db = openDatabase(dbPath);
  new PrintLedger(db, { currency: 'EUR', clock: systemClock });
  db.close();
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('transfers from the ILS under SIGKILL', () => {
  it('never debits the ILS without depositing once, nor deposits without the debit', async () => {
    let kills = 0;
    let checks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Most lives are killed by the test at a random line, some only by themselves.
      const killAt = round % 3 === 2 ? Number.POSITIVE_INFINITY : Math.floor(Math.random() * 12) + 1;
      let seen = 0;
      const run = await runChild(
        ['transfer', dbPath, simulator.controlUrl ?? '', PATRON, String(TRANSFERS), '8'],
        () => ++seen >= killAt,
      );
      if (run.killed) kills++;
      if (round % 2 === 1) {
        // A restart that only settles: then the ILS and the ledger must agree, pending nothing.
        const settle = await runChild(['settle', dbPath, simulator.controlUrl ?? ''], () => false);
        expect(settle.lines).toContain('settled');
        const now = books();
        expect(now.pending, `round ${round}`).toBe(0);
        expect(now.violations, `round ${round}`).toEqual([]);
        expect(now.depositedRequests, `round ${round}`).toEqual(now.debitedRequests);
        checks++;
      }
      if (run.lines.includes('done') && round % 2 === 1) break;
    }
    expect(kills).toBeGreaterThan(0);
    const settle = await runChild(['settle', dbPath, simulator.controlUrl ?? ''], () => false);
    expect(settle.lines).toContain('settled');

    const end = books();
    expect(end.pending).toBe(0);
    expect(end.violations).toEqual([]);
    expect(end.depositedRequests).toEqual(end.debitedRequests);
    expect(new Set(end.debitedRequests).size).toBe(end.debitedRequests.length);
    expect(end.balanceMinor).toBe(end.debitedMinor);
    expect(simulator.state.patrons.get(PATRON)!.creditCents).toBe(CREDIT - end.debitedMinor);
    expect(end.debitedRequests.length).toBeGreaterThan(0);
    console.log(
      'ILS transfer kill test:',
      kills,
      'kills;',
      checks,
      'restarts checked;',
      end.debitedRequests.length,
      'deposited;',
      end.failed,
      'failed',
    );
  }, 180_000);
});
