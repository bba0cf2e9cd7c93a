/**
 * Who made a print account's entries, on a desk without tokens (the default: it serves this machine
 * only, and no one there holds a token): the API says "at this desk", as it says of a card issued
 * or a gate alarm acknowledged there — never Carrel's technical name for such a caller
 * ('loopback'), and entries an older Carrel kept as by 'loopback' read so too.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk();
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);

describe('who made a print account entry, on a desk without tokens', () => {
  it('says a top-up, a correction and a payout made over HTTP were made at this desk, in the answers and the statement', async () => {
    const patron = '21000001';
    const topUp = await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 500,
      currency: 'EUR',
      source: 'cash-desk',
    });
    expect(topUp.status).toBe(201);
    const correction = await post('/print/accounts/adjust', {
      requestId: randomUUID(),
      patron,
      amountMinor: -100,
      currency: 'EUR',
      reason: 'counted twice',
    });
    expect(correction.status).toBe(200);
    // It answered staff 'loopback'.
    expect(correction.json.staff).toBe('at this desk');
    const payout = await post('/print/accounts/payout', {
      requestId: randomUUID(),
      patron,
      amountMinor: 400,
    });
    expect(payout.status).toBe(200);
    expect(payout.json.staff).toBe('at this desk');
    const { entries } = (await post('/print/accounts/find', { patron })).json.statement;
    expect(entries.map((e: { kind: string; staff: string }) => [e.kind, e.staff])).toEqual(
      expect.arrayContaining([
        ['deposit', 'at this desk'],
        ['adjustment', 'at this desk'],
        ['payout', 'at this desk'],
      ]),
    );
    expect(JSON.stringify(entries)).not.toContain('loopback');
  });

  it("reads an entry an older Carrel kept as by 'loopback' as made at this desk", async () => {
    const patron = '21000002';
    // A top-up made at this desk by an older Carrel, which kept its caller's name.
    // Through Carrel's own storage: better-sqlite3 is Node 20's, node:sqlite 22's and 24's.
    const db = openDatabase(testDesk.databasePath);
    try {
      db.prepare(
        `INSERT INTO print_ledger (id, request_id, account, kind, amount_minor, currency, balance_after,
           source, staff, reason, queue, release_id, pages, created_at)
         VALUES (?, ?, ?, 'deposit', 200, 'EUR', 200, 'cash-desk', 'loopback', NULL, NULL, NULL, NULL, ?)`,
      ).run(randomUUID(), randomUUID(), patron, Date.now());
    } finally {
      db.close();
    }
    const { statement } = (await post('/print/accounts/find', { patron })).json;
    expect(statement.balanceMinor).toBe(200);
    // It read 'loopback'.
    expect(statement.entries.map((e: { staff: string }) => e.staff)).toEqual(['at this desk']);
  });
});
