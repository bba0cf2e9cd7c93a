/**
 * Patron data that Carrel deletes leaves the disk: not in carrel.db's free
 * pages or freed cells, not in old page images in carrel.db-wal. The tables that
 * ever hold patron data: print_jobs (a receipt's bytes name the patron and
 * their loans) and offline_transactions (patron ids, and the ILS's screen
 * message for a conflict, which may name the patron). Checked by reading the
 * files' raw bytes, on every backend.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { OfflineJournal, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { PrintJobStore } from '../../../src/gateway/printing/print-job-store.js';
import {
  type Database,
  openDatabase,
  type StorageBackend,
  usableBackends,
} from '../../../src/gateway/storage/index.js';

const PATRON_NAME = 'Philippa Quattlebaum-Zwicky';
const PATRON_ID = '29041977123456';
const NOW = Date.UTC(2026, 3, 14, 10);
const DAY = 86_400_000;

let dirs: string[] = [];
let dbs: Database[] = [];
afterEach(() => {
  for (const db of dbs) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  dbs = [];
});

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-freed-'));
  dirs.push(dir);
  return path.join(dir, 'carrel.db');
}

/** Which of the database's files hold `text` anywhere in their bytes. */
function filesHolding(file: string, text: string): string[] {
  const needle = Buffer.from(text, 'utf8');
  return [file, `${file}-wal`]
    .filter((f) => existsSync(f) && readFileSync(f).includes(needle))
    .map((f) => path.basename(f));
}

/** A receipt as the printer gets it: ESC/POS around the patron's name and their loans. */
function receipt(): Uint8Array {
  return Buffer.concat([
    Buffer.from([0x1b, 0x40]),
    Buffer.from(`Riverside Library\nPatron: ${PATRON_NAME}\nCard: ${PATRON_ID}\n`, 'utf8'),
    Buffer.from('Middlemarch  due 2026-05-05\n'.repeat(40), 'utf8'),
    Buffer.from([0x1d, 0x56, 0x00]),
  ]);
}

describe.each(usableBackends())('patron data Carrel deletes, on %s', (backend: StorageBackend) => {
  function open(file: string): Database {
    const db = openDatabase(file, { backend });
    dbs.push(db);
    return db;
  }

  it('is gone from carrel.db and its WAL once a receipt is printed (its bytes are dropped)', () => {
    const file = tempFile();
    const store = new PrintJobStore(open(file), 'receipt-1');
    const job = store.insert({ id: 'job-1', template: 'checkout', bytes: receipt(), now: NOW });
    expect(filesHolding(file, PATRON_NAME)).not.toEqual([]);
    expect(store.markPrinting(job.id, NOW + 1)).toBe(true);
    store.markPrinted(job.id, NOW + 2);
    expect(store.get(job.id)?.state).toBe('printed');
    expect(filesHolding(file, PATRON_NAME)).toEqual([]);
    expect(filesHolding(file, PATRON_ID)).toEqual([]);
  });

  it('is gone from carrel.db and its WAL once a finished print job is pruned', () => {
    const file = tempFile();
    const store = new PrintJobStore(open(file), 'receipt-1');
    for (const id of ['job-1', 'job-2']) {
      store.insert({ id, template: 'checkout', bytes: receipt(), now: NOW });
      store.setState(id, 'failed', NOW + 1, { code: 'paper_out', message: 'the printer is out of paper' });
    }
    expect(filesHolding(file, PATRON_NAME)).not.toEqual([]);
    expect(store.prune(NOW + 7 * DAY)).toBe(2);
    expect(filesHolding(file, PATRON_NAME)).toEqual([]);
  });

  it('is gone from carrel.db and its WAL once settled offline transactions are purged', async () => {
    const file = tempFile();
    const clock = new ManualClock(NOW);
    const journal = new OfflineJournal(open(file), {
      policy: offlinePolicySchema.parse({ enabled: true }),
      clock,
    });
    const done = journal.accept({
      kind: 'checkout',
      patron: PATRON_ID,
      item: '31000004',
      terminal: 'kiosk-1',
      at: NOW,
    });
    const refused = journal.accept({
      kind: 'checkout',
      patron: PATRON_ID,
      item: '31000005',
      terminal: 'kiosk-1',
      at: NOW,
    });
    journal.beginReplay(done.id);
    journal.markDone(done.id, 'sent');
    journal.beginReplay(refused.id);
    journal.markConflict(refused.id, 'patron_blocked', `${PATRON_NAME} owes 40.00`);
    journal.resolve(refused.id, 'discard');
    expect(filesHolding(file, PATRON_ID)).not.toEqual([]);
    expect(filesHolding(file, PATRON_NAME)).not.toEqual([]);
    await clock.advance(31 * DAY);
    expect(journal.purgeSettled(clock.now() - 30 * DAY)).toBe(2);
    expect(filesHolding(file, PATRON_ID)).toEqual([]);
    expect(filesHolding(file, PATRON_NAME)).toEqual([]);
  });

  it('is gone from a database an older Carrel (without secure_delete) left it in, once it is opened', () => {
    const file = tempFile();
    const older = open(file);
    older.pragma('secure_delete = OFF');
    older.pragma('user_version = 0');
    const store = new PrintJobStore(older, 'receipt-1');
    store.insert({ id: 'job-1', template: 'checkout', bytes: receipt(), now: NOW });
    store.markPrinting('job-1', NOW + 1);
    store.markPrinted('job-1', NOW + 2);
    older.close();
    expect(filesHolding(file, PATRON_NAME)).toEqual(['carrel.db']);

    const db = open(file);
    expect(new PrintJobStore(db, 'receipt-1').get('job-1')?.state).toBe('printed');
    expect(filesHolding(file, PATRON_NAME)).toEqual([]);
    db.close();
    // Scrubbed once: the next start does not rebuild the file again.
    const again = open(file);
    expect(again.pragmaValue('user_version')).toBe(1);
  });
});
