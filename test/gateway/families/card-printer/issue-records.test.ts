import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CardIssueRecords } from '../../../../src/gateway/families/card-printer/issue-records.js';
import { openDatabase } from '../../../../src/gateway/storage/index.js';

describe('card issue records', () => {
  it('never hands out a number twice, across restarts, and stops at the end of the range', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'carrel-cards-')), 'carrel.db');
    let db = openDatabase(file);
    let records = new CardIssueRecords(db, 'cards-1');
    expect([records.allocate('codabar:21234:8', 5, 7), records.allocate('codabar:21234:8', 5, 7)]).toEqual([
      5, 6,
    ]);
    db.close();
    db = openDatabase(file);
    records = new CardIssueRecords(db, 'cards-1');
    expect(records.allocate('codabar:21234:8', 5, 7)).toBe(7);
    expect(() => records.allocate('codabar:21234:8', 5, 7)).toThrow(
      expect.objectContaining({ code: 'card_range_exhausted' }),
    );
    db.close();
  });

  it('finishes an issue a crash left printing as failed, and counts only issued cards per day', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'carrel-cards-')), 'carrel.db');
    let db = openDatabase(file);
    let records = new CardIssueRecords(db, 'cards-1');
    const at = '2026-12-03T10:00:00.000Z';
    const done = records.begin({
      cardNumber: '21000001',
      patron: '21000001',
      template: 'library-card',
      staff: 'desk',
      at,
    });
    records.finish(done, { result: 'issued', attempts: 1, at });
    const replacement = records.begin({
      cardNumber: '21234000000014',
      patron: '21000001',
      template: 'library-card',
      staff: 'desk',
      replaces: '21000001',
      at,
    });
    records.finish(replacement, { result: 'issued', attempts: 2, at });
    expect(records.get(done)?.replacedBy).toBe('21234000000014');
    expect(records.issuedNumber('21000001')).toBe(false);
    const interrupted = records.begin({
      cardNumber: '21000002',
      patron: '21000002',
      template: 'library-card',
      staff: 'desk',
      at,
    });
    db.close();
    db = openDatabase(file);
    records = new CardIssueRecords(db, 'cards-1');
    expect(records.get(interrupted)).toMatchObject({ result: 'failed', fault: 'interrupted' });
    expect(records.perDay(7)).toEqual([{ day: '2026-12-03', issued: 2, failed: 1 }]);
    db.close();
  });
});
