import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CardIssueRecords } from '../../../../src/gateway/families/card-printer/issue-records.js';
import { migrate, openDatabase } from '../../../../src/gateway/storage/index.js';
import { tempFolders } from '../../../helpers/temp-folders.js';

const tempFolder = tempFolders('carrel-cards-');

/** The card issue table's first two schema steps, as the releases before wrote them. */
const FIRST_TWO_STEPS = [
  `CREATE TABLE card_issues (id TEXT PRIMARY KEY, device TEXT NOT NULL, card_number TEXT NOT NULL,
     patron TEXT NOT NULL, template TEXT NOT NULL, staff TEXT NOT NULL, requested_at TEXT NOT NULL,
     finished_at TEXT, result TEXT NOT NULL CHECK (result IN ('printing', 'issued', 'failed')),
     fault TEXT, attempts INTEGER NOT NULL DEFAULT 0, replaces TEXT, replaced_by TEXT);
   CREATE TABLE card_number_counters (numbering TEXT PRIMARY KEY, next INTEGER NOT NULL);`,
  'ALTER TABLE card_issues ADD COLUMN rfid_uid TEXT',
];

describe('card issue records', () => {
  it('keeps whether an issued card’s stripe was verified or only written, over a database made before', () => {
    const file = path.join(tempFolder(), 'carrel.db');
    const db = openDatabase(file);
    // A database of the release before: the issue table without the stripe column.
    migrate(db, 'card-issues', [...FIRST_TWO_STEPS]);
    db.prepare(
      `INSERT INTO card_issues (id, device, card_number, patron, template, staff, requested_at, result)
       VALUES ('old', 'cards-1', '21000009', '21000009', 'library-card', 'desk', '2026-01-01', 'issued')`,
    ).run();
    db.prepare(
      `INSERT INTO card_issues (id, device, card_number, patron, template, staff, requested_at, finished_at, result)
       VALUES ('finished', 'cards-1', '21234000000018', '21000009', 'library-card', 'desk', '2026-01-02',
               '2026-01-02T10:00:00.000Z', 'issued')`,
    ).run();
    const records = new CardIssueRecords(db, 'cards-1');
    expect(records.get('old')).toMatchObject({ result: 'issued', magstripe: null });
    // Printed before the desk kept what staff settled: its page settled it or lost it; no page shows it again.
    expect(records.get('finished')).toMatchObject({
      ilsDoneAt: '2026-01-02T10:00:00.000Z',
      chipGivenUpAt: '2026-01-02T10:00:00.000Z',
    });
    const at = '2026-12-03T10:00:00.000Z';
    const issue = { patron: '21000001', template: 'library-card', staff: 'desk', at };
    const written = records.begin({ ...issue, cardNumber: '21000001' });
    const verified = records.begin({ ...issue, cardNumber: '21000002' });
    const none = records.begin({ ...issue, cardNumber: '21000003' });
    records.finish(written, { result: 'issued', magstripe: 'written', attempts: 1, at });
    records.finish(verified, { result: 'issued', magstripe: 'verified', attempts: 1, at });
    records.finish(none, { result: 'issued', attempts: 1, at });
    expect(records.get(none)).toMatchObject({ ilsDoneAt: null, chipGivenUpAt: null });
    expect([written, verified, none].map((id) => records.get(id)?.magstripe)).toEqual([
      'written',
      'verified',
      null,
    ]);
    db.close();
  });

  it('records a card found in the output hopper with the stripe its issue asked for; one recorded before that was kept, as configured', () => {
    const db = openDatabase(path.join(tempFolder(), 'carrel.db'));
    const records = new CardIssueRecords(db, 'cards-1');
    const at = '2026-12-03T10:00:00.000Z';
    const unknown = (patron: string, magstripe?: boolean) => {
      const id = records.begin({
        patron,
        cardNumber: patron,
        template: 'library-card',
        staff: 'desk',
        at,
        ...(magstripe === undefined ? {} : { magstripe }),
      });
      records.finish(id, { result: 'failed', fault: 'outcome_unknown', attempts: 1, at });
      return id;
    };
    const found = (configuredStripe: boolean) => ({
      printerStripe: 'verified' as const,
      configuredStripe,
      staff: 'desk-staff',
      at,
    });
    expect(records.foundInHopper(unknown('21000001', false), found(true)).magstripe).toBeNull();
    expect(records.foundInHopper(unknown('21000002', true), found(false)).magstripe).toBe('verified');
    // Begun before the issue kept whether it asked for a stripe: as the desk is configured.
    expect(records.foundInHopper(unknown('21000003'), found(true)).magstripe).toBe('verified');
    expect(records.foundInHopper(unknown('21000004'), found(false))).toMatchObject({
      magstripe: null,
      foundInHopperBy: 'desk-staff',
      foundInHopperAt: at,
    });
    db.close();
  });

  it('never hands out a number twice, across restarts, and stops at the end of the range', () => {
    const file = path.join(tempFolder(), 'carrel.db');
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

  it('finishes an issue a crash left printing as failed with its outcome unknown, and counts only issued cards per day', () => {
    const file = path.join(tempFolder(), 'carrel.db');
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
    // Carrel stopped while it printed: the card may have been made, its outcome is unknown.
    expect(records.get(interrupted)).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
    expect(records.outcomeUnknown('21000002')).toBe(true);
    expect(records.perDay(7)).toEqual([{ day: '2026-12-03', issued: 2, failed: 1 }]);
    db.close();
  });

  it('lets one printer of the desk replace a card while another prints its replacement, not both', () => {
    const db = openDatabase(path.join(tempFolder(), 'carrel.db'));
    const front = new CardIssueRecords(db, 'cards-1');
    const back = new CardIssueRecords(db, 'cards-2');
    const at = '2026-12-03T10:00:00.000Z';
    const issue = { patron: '21000001', template: 'library-card', staff: 'desk', at };
    front.finish(front.begin({ ...issue, cardNumber: '21234000000018' }), {
      result: 'issued',
      attempts: 1,
      at,
    });
    const printing = front.begin({ ...issue, cardNumber: '21234000000026', replaces: '21234000000018' });
    expect(() => back.begin({ ...issue, cardNumber: '21234000000034', replaces: '21234000000018' })).toThrow(
      expect.objectContaining({ code: 'replaced_card_already_replaced' }),
    );
    expect(back.latest(5)).toEqual([]);
    // The replacement failed: the card was not replaced, and the other printer may replace it.
    front.finish(printing, { result: 'failed', fault: 'no_card', attempts: 1, at });
    const replaced = back.begin({ ...issue, cardNumber: '21234000000034', replaces: '21234000000018' });
    back.finish(replaced, { result: 'issued', attempts: 1, at });
    expect(front.latest(5).find((record) => record.cardNumber === '21234000000018')?.replacedBy).toBe(
      '21234000000034',
    );
    db.close();
  });

  it('refuses to name a forgotten card as replaced, saying to print without it and block the old card by hand', () => {
    const file = path.join(tempFolder(), 'carrel.db');
    const db = openDatabase(file);
    const records = new CardIssueRecords(db, 'cards-1');
    const at = '2026-09-01T10:00:00.000Z';
    const id = records.begin({
      cardNumber: '21234000000018',
      patron: '21000001',
      template: 'c',
      staff: 'desk',
      at,
    });
    records.finish(id, { result: 'issued', attempts: 1, at });
    expect(() => records.checkReplaceable('21234000000018', '21000001')).not.toThrow();
    // patronDataDays later: the card's number and patron are forgotten.
    expect(records.forgetPatrons(Date.parse('2026-12-01T00:00:00.000Z'))).toBe(1);
    expect(records.get(id)).toMatchObject({ cardNumber: '', patron: '', result: 'issued' });
    expect(() => records.checkReplaceable('21234000000018', '21000001')).toThrow(
      expect.objectContaining({
        code: 'replaced_card_not_found',
        message:
          'no card with that number was issued at this desk (or its record has since been forgotten): ' +
          'print the new card without naming a card it replaces, and block the old one in the ILS',
      }),
    );
    db.close();
  });
  it('keeps that a chip was encoded when it forgets the patron and the UID, over a database made before', () => {
    const file = path.join(tempFolder(), 'carrel.db');
    const db = openDatabase(file);
    // A database of the release before: the chip known only by its UID.
    migrate(db, 'card-issues', [
      ...FIRST_TWO_STEPS,
      `ALTER TABLE card_issues ADD COLUMN magstripe TEXT CHECK (magstripe IN ('verified', 'written'))`,
      `ALTER TABLE card_issues ADD COLUMN ils_done_at TEXT;
       ALTER TABLE card_issues ADD COLUMN chip_given_up_at TEXT;`,
    ]);
    db.prepare(
      `INSERT INTO card_issues (id, device, card_number, patron, template, staff, requested_at, finished_at,
         result, rfid_uid)
       VALUES ('encoded', 'cards-1', '21234000000018', '21000001', 'c', 'desk', '2026-09-01T10:00:00.000Z',
               '2026-09-01T10:00:00.000Z', 'issued', 'E004010012345678'),
              ('blank', 'cards-1', '21234000000026', '21000002', 'c', 'desk', '2026-09-01T10:00:00.000Z',
               '2026-09-01T10:00:00.000Z', 'issued', NULL)`,
    ).run();
    const records = new CardIssueRecords(db, 'cards-1');
    expect(records.get('encoded')).toMatchObject({ rfidUid: 'E004010012345678', chipEncoded: true });
    expect(records.get('blank')).toMatchObject({ rfidUid: null, chipEncoded: false });
    // A chip written while its record was being forgotten: that it was encoded is kept, its UID not.
    const writing = records.begin({
      cardNumber: '21234000000034',
      patron: '21000003',
      template: 'c',
      staff: 'desk',
      at: '2026-09-01T10:00:00.000Z',
    });
    records.finish(writing, { result: 'issued', attempts: 1, at: '2026-09-01T10:00:00.000Z' });

    expect(records.forgetPatrons(Date.parse('2026-12-01T00:00:00.000Z'))).toBe(3);
    expect(records.encoded(writing, 'E004010087654321')).toMatchObject({ rfidUid: null, chipEncoded: true });
    expect(records.get('encoded')).toMatchObject({
      patron: '',
      cardNumber: '',
      rfidUid: null,
      chipEncoded: true,
    });
    expect(records.get('blank')).toMatchObject({ patron: '', rfidUid: null, chipEncoded: false });
    const kept = db.prepare('SELECT rfid_uid FROM card_issues WHERE rfid_uid IS NOT NULL').all();
    expect(kept).toEqual([]);
    db.close();
  });
  it('records no second card for a patron at another printer while one prints, in the same transaction as its row', () => {
    const db = openDatabase(path.join(tempFolder(), 'carrel.db'));
    const first = new CardIssueRecords(db, 'cards-1');
    const second = new CardIssueRecords(db, 'cards-2');
    const issue = { patron: '21000001', template: 'c', staff: 'desk', at: '2026-12-03T10:00:00.000Z' };
    const id = first.begin({ ...issue, cardNumber: '21000001' });
    // Both looked the patron up and rendered their card: the second to record its issue is refused.
    expect(() => second.begin({ ...issue, cardNumber: '21234000000018' })).toThrow(
      expect.objectContaining({ code: 'card_printing_elsewhere' }),
    );
    expect(second.latest(10)).toEqual([]);
    // Another patron's card prints meanwhile; the first ended, a second card is an issue as any.
    second.begin({ ...issue, patron: '21000002', cardNumber: '21000002' });
    first.finish(id, { result: 'issued', attempts: 1, at: issue.at });
    expect(() => second.checkNonePrinting('21000001')).not.toThrow();
    db.close();
  });
  it('refuses a reprint at any printer of the desk while the card’s chip is written, until the write ends or Carrel starts again', () => {
    const file = path.join(tempFolder(), 'carrel.db');
    const db = openDatabase(file);
    const first = new CardIssueRecords(db, 'cards-1');
    const second = new CardIssueRecords(db, 'cards-2');
    const at = '2026-12-03T10:00:00.000Z';
    const id = first.begin({
      cardNumber: '21234000000018',
      patron: '21000001',
      template: 'c',
      staff: 'desk',
      at,
    });
    first.finish(id, { result: 'issued', attempts: 1, at });
    expect(first.encodingStarted(id, at)).toBe(true);
    // A second write of the same chip is not begun while the first is under way.
    expect(first.encodingStarted(id, at)).toBe(false);
    const refusal = expect.objectContaining({
      code: 'card_chip_being_encoded',
      message:
        'the chip of the card named as replaced is being encoded now, so nothing was printed: wait for the encoding to end, then print the new card replacing it',
    });
    expect(() => second.checkReplaceable('21234000000018', '21000001')).toThrow(refusal);
    expect(() =>
      second.begin({
        cardNumber: '21234000000026',
        patron: '21000001',
        template: 'c',
        staff: 'desk',
        at,
        replaces: '21234000000018',
      }),
    ).toThrow(refusal);
    first.encodingEnded(id);
    expect(first.chipBeingEncoded(id)).toBe(false);
    expect(() => second.checkReplaceable('21234000000018', '21000001')).not.toThrow();
    // A write a stop cut short: the printer's records, opened as Carrel starts, end it, and keep
    // when it began: the chip may hold the number. Encoded (read on the pad), it is settled.
    expect(first.encodingStarted(id, at)).toBe(true);
    const restarted = new CardIssueRecords(db, 'cards-1');
    expect(restarted.chipBeingEncoded(id)).toBe(false);
    expect(restarted.get(id)).toMatchObject({ chipEncoded: false, chipWriteCutShortAt: at });
    expect(() => second.checkReplaceable('21234000000018', '21000001')).not.toThrow();
    expect(restarted.encoded(id, 'E004010000000001')).toMatchObject({
      chipEncoded: true,
      chipWriteCutShortAt: null,
    });
    // A write of a chip encoded before (encoding again) that a stop cut short leaves it encoded.
    expect(restarted.encodingStarted(id, at)).toBe(true);
    expect(new CardIssueRecords(db, 'cards-1').get(id)).toMatchObject({
      chipEncoded: true,
      chipWriteCutShortAt: null,
    });
    db.close();
  });
  it('refuses to begin a card’s chip write while a new card replacing it prints at any printer of the desk, until that print ends', () => {
    const file = path.join(tempFolder(), 'carrel.db');
    const db = openDatabase(file);
    const first = new CardIssueRecords(db, 'cards-1');
    const second = new CardIssueRecords(db, 'cards-2');
    const at = '2026-12-03T10:00:00.000Z';
    const card = { patron: '21000001', template: 'c', staff: 'desk', at };
    const id = first.begin({ ...card, cardNumber: '21234000000018' });
    first.finish(id, { result: 'issued', attempts: 1, at });
    const refusal = expect.objectContaining({
      code: 'card_being_replaced',
      message:
        'a new card replacing this one is being printed now, so nothing was written: its chip would make a second working card beside the new one — wait for the print to end: printed, encode the new card’s chip and throw this one away; not printed, press Encode chip again',
    });
    // A reprint under a new number at the other printer, then one under the card's own number.
    for (const cardNumber of ['21234000000026', '21234000000018']) {
      const reprint = second.begin({ ...card, cardNumber, replaces: '21234000000018' });
      expect(() => first.encodingStarted(id, at)).toThrow(refusal);
      expect(first.chipBeingEncoded(id)).toBe(false);
      // The print failed: the card is not replaced, its chip may be written.
      second.finish(reprint, { result: 'failed', fault: 'jam', attempts: 1, at });
    }
    expect(first.encodingStarted(id, at)).toBe(true);
    first.encodingEnded(id);
    db.close();
  });
});
