import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/gateway/storage/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/** The card issue table as a Carrel before schema step 5 kept it: a chip known only by its UID. */
const STEPS_BEFORE_CHIP_ENCODED = [
  `CREATE TABLE card_issues (id TEXT PRIMARY KEY, device TEXT NOT NULL, card_number TEXT NOT NULL,
     patron TEXT NOT NULL, template TEXT NOT NULL, staff TEXT NOT NULL, requested_at TEXT NOT NULL,
     finished_at TEXT, result TEXT NOT NULL CHECK (result IN ('printing', 'issued', 'failed')),
     fault TEXT, attempts INTEGER NOT NULL DEFAULT 0, replaces TEXT, replaced_by TEXT);
   CREATE TABLE card_number_counters (numbering TEXT PRIMARY KEY, next INTEGER NOT NULL);`,
  'ALTER TABLE card_issues ADD COLUMN rfid_uid TEXT',
  `ALTER TABLE card_issues ADD COLUMN magstripe TEXT CHECK (magstripe IN ('verified', 'written'))`,
  `ALTER TABLE card_issues ADD COLUMN ils_done_at TEXT;
   ALTER TABLE card_issues ADD COLUMN chip_given_up_at TEXT;`,
];

const ISSUE = '5b0c2a55-3f7e-4a8e-9a53-0d6c1e2f4a11';

/**
 * A card record an older Carrel forgot (its patron, number and chip UID blanked before the records
 * kept `chipEncoded`) lost with its UID whether the card's chip works. The card page shows nothing of
 * it — no ILS step, no chip offer — and the API refuses what the page does not offer, in words:
 * giving up its chip (a working card, perhaps, to be thrown away) and its ILS step, whose card number
 * is gone. The record stays as it was. Over HTTP, against the simulated desk started on that database.
 */
describe('a card record forgotten by an older Carrel', () => {
  let dir: string;
  let testDesk: TestDesk;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-card-older-forgotten-'));
    const db = openDatabase(join(dir, 'carrel.db'));
    migrate(db, 'card-issues', STEPS_BEFORE_CHIP_ENCODED);
    // Printed, encoded, then forgotten by that Carrel: nothing says its chip was written.
    db.prepare(
      `INSERT INTO card_issues (id, device, card_number, patron, template, staff, requested_at, finished_at,
         result, attempts, rfid_uid)
       VALUES (?, 'cards-1', '', '', 'library-card', 'desk', '2026-06-01T10:00:00.000Z',
               '2026-06-01T10:00:00.000Z', 'issued', 1, NULL)`,
    ).run(ISSUE);
    db.close();
    testDesk = await startTestDesk((config) => ({
      ...config,
      storage: { ...config.storage, path: join(dir, 'carrel.db') },
    }));
    await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: 'GET' | 'POST', path: string) {
    const response = await fetch(`${testDesk.api}/api/v1${path}`, { method });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    return { status: response.status, json: (await response.json()) as any };
  }
  const record = async () =>
    (await call('GET', '/cards')).json.issues.find((issue: { issueId: string }) => issue.issueId === ISSUE);

  it('refuses to give up its chip, in words, and keeps its record as it was', async () => {
    const before = await record();
    expect(before).toMatchObject({
      cardNumber: '',
      chipEncoded: false,
      chipGivenUpAt: null,
      ilsDoneAt: null,
    });
    const refused = await call('POST', `/cards/${ISSUE}/chip-given-up`);
    expect(refused).toMatchObject({
      status: 409,
      json: {
        code: 'card_number_forgotten',
        title: 'The card’s number is no longer kept',
        detail:
          'its record was forgotten (its card number and patron with it, 90 days after the issue), so its chip was not given up: whether it works may not be known any more — if the card is spoilt or lost, print the patron a new card and block the old one in the ILS',
      },
    });
    expect(await record()).toEqual(before);
  });

  it('refuses to mark its ILS step done, in words: the page shows none', async () => {
    const before = await record();
    const refused = await call('POST', `/cards/${ISSUE}/ils-done`);
    expect(refused).toMatchObject({
      status: 409,
      json: {
        code: 'card_number_forgotten',
        detail:
          'its record was forgotten (its card number and patron with it, 90 days after the issue), so its ILS step was not marked done: the step named a card number no longer kept — if the card is spoilt or lost, print the patron a new card and block the old one in the ILS',
      },
    });
    expect(await record()).toEqual(before);
  });
});
