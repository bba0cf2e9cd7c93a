import { describe, expect, it } from 'vitest';
import type { EvolisModel } from '../../simulators/card-printer/evolis-model.js';
import { cardPrinterSimulators } from '../../simulators/card-printer/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { cardIssuesUnfinished } from '../helpers/card-issues-unfinished.js';
import { cardPrinterDesk } from '../helpers/card-printer-desk.js';
import { until } from '../helpers/until.js';

/**
 * A card printed whose issue Carrel then cannot record: the desk's database refuses the write that
 * finishes the issue (a full disk, a database locked past its wait) just after the card came out.
 * A card is like money: never twice for one request id, never lost. The client that sends the same
 * request again (its answer seemed lost, Print pressed again, MQTT's QoS 1) must not get a second
 * card, and no new card is printed at that printer until the first one's outcome is on record.
 * The real database fails: a trigger on it refuses to finish the issue, as SQLite refuses a write.
 */
const { desk, call, cards } = cardPrinterDesk();

/** Runs `during` with the desk's database refusing to finish any card issue. */
const finishingRefused = <T>(during: () => Promise<T>) => cardIssuesUnfinished(desk().databasePath, during);

/**
 * Sends `issue` with another connection taking the database's write lock (BEGIN IMMEDIATE) as the
 * simulated Evolis ejects the card, and runs `whileLocked` (once the answer is in) before letting it go.
 */
async function lockedAtEject<T>(
  issue: () => Promise<T>,
  whileLocked: () => Promise<void> = async () => {},
): Promise<{ first: T; locked: boolean }> {
  const outside = openDatabase(desk().databasePath);
  const model = desk().desk.simulators.handle(cardPrinterSimulators, 'card-printer-sim')!
    .model as EvolisModel;
  const heard = model.onCard;
  let locked = false;
  model.onCard = (card) => {
    heard(card);
    if (locked) return;
    outside.exec('BEGIN IMMEDIATE');
    locked = true;
  };
  try {
    const first = await issue();
    model.onCard = heard;
    await whileLocked();
    return { first, locked };
  } finally {
    model.onCard = heard;
    if (locked) outside.exec('ROLLBACK');
    outside.close();
  }
}

describe('a card printed whose issue cannot be recorded', () => {
  const requestId = 'c2f1d7a0-7e55-4d0e-9d7c-unrecorded01';
  const request = { patron: '21000002', number: 'patron', requestId };

  it('is said in words as printed, and the same request sent again prints no second card', async () => {
    const before = cards().length;
    const first = await finishingRefused(() => call('POST', '/cards', request));
    expect(cards()).toHaveLength(before + 1);
    expect(cards().at(-1)!.outcome).toBe('printed');
    // The database works again; the same request comes again (the page's Print card, MQTT's redelivery).
    const again = await call('POST', '/cards', request);
    expect(cards()).toHaveLength(before + 1);
    expect(again.json.code).toBe('request_in_doubt');
    // Not "the desk's database failed", which reads as nothing done: the card is out, and it is the patron's.
    expect(first.status).toBe(503);
    expect(first.json.code).toBe('card_outcome_unrecorded');
    expect(first.json.detail).toMatch(/^the card was printed/);
    expect(first.json.detail).toMatch(/give the patron the card/);
    expect(first.json.detail).not.toContain('21000002');
    const issueId = first.json.issueId as string;
    expect(issueId).toMatch(/^[0-9a-f-]{36}$/);

    // What was printed is recorded before the printer is given another card: issued, not lost.
    const next = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(next.json).toMatchObject({ result: 'issued' });
    expect(cards()).toHaveLength(before + 2);
    const recorded = await call('GET', `/cards/${issueId}`);
    expect(recorded.json).toMatchObject({ result: 'issued', cardNumber: '21000002', attempts: 1 });
  }, 30_000);

  it('prints nothing more at that printer while its outcome cannot be recorded', async () => {
    const before = cards().length;
    const answers = await finishingRefused(async () => [
      await call('POST', '/cards', { patron: '21000002', number: 'patron' }),
      await call('POST', '/cards', { patron: '21000003', number: 'patron' }),
    ]);
    expect(answers.map((answer) => answer.json.code)).toEqual([
      'card_outcome_unrecorded',
      'card_records_failing',
    ]);
    expect(answers[1]!.status).toBe(503);
    expect(answers[1]!.json.detail).toMatch(/nothing was printed/);
    expect(cards()).toHaveLength(before + 1);
    // Once the database works, the card waiting is recorded and the next one printed.
    const next = await call('POST', '/cards', { patron: '21000003', number: 'patron' });
    expect(next.json).toMatchObject({ result: 'issued' });
    const recorded = await call('GET', `/cards/${answers[0]!.json.issueId}`);
    expect(recorded.json).toMatchObject({ result: 'issued' });
  }, 30_000);

  it('is recorded as soon as the database takes writes again, with no other card printed', async () => {
    // Another process takes the database's write lock as the card comes out (a backup tool, a
    // sqlite3 shell left in a transaction): the desk reads it but cannot write, and its write of the
    // outcome gives up after SQLite's busy wait. Then the lock goes: the database is writable again.
    const before = cards().length;
    const { first, locked } = await lockedAtEject(() =>
      call('POST', '/cards', { patron: '21000003', number: 'patron' }),
    );
    expect(first.json.code).toBe('card_outcome_unrecorded');
    expect(locked).toBe(true);
    expect(first.json).toMatchObject({ code: 'card_outcome_unrecorded' });
    const { issueId } = first.json;
    // Nobody prints again: the card is on record as the patron's all the same, in a few seconds.
    const recorded = await until(
      async () => {
        const record = (await call('GET', `/cards/${issueId}`)).json;
        return record.result === 'printing' ? undefined : record;
      },
      20_000,
      'the card printed stayed unrecorded once the database was writable again',
      100,
    );
    expect(recorded).toMatchObject({ result: 'issued', cardNumber: '21000003' });
    expect(cards()).toHaveLength(before + 1);
  }, 40_000);

  it('does not hold the desk while it tries again against a database another process keeps locked', async () => {
    // The lock stays while the desk tries again by itself (after 1 s, then 2 s more). Each try must
    // not wait out SQLite's busy timeout (5 s) on the event loop: meanwhile the desk answers nothing —
    // not the page, not the gate, not a return at the RFID pad. Timers due meanwhile run on time.
    const before = cards().length;
    let latest = 0;
    const { first, locked } = await lockedAtEject(
      () => call('POST', '/cards', { patron: '21000002', number: 'patron' }),
      () =>
        new Promise<void>((resolve) => {
          const start = performance.now();
          let last = start;
          const tick = setInterval(() => {
            const now = performance.now();
            latest = Math.max(latest, now - last);
            last = now;
            if (now - start < 3500) return;
            clearInterval(tick);
            resolve();
          }, 20);
        }),
    );
    expect(locked).toBe(true);
    expect(first.json.code).toBe('card_outcome_unrecorded');
    expect(latest).toBeLessThan(500);
    // The lock gone, the card is on record at the next try, printed once.
    const recorded = await until(
      async () => {
        const record = (await call('GET', `/cards/${first.json.issueId}`)).json;
        return record.result === 'printing' ? undefined : record;
      },
      20_000,
      'the card printed stayed unrecorded once the database was writable again',
      100,
    );
    expect(recorded).toMatchObject({ result: 'issued', cardNumber: '21000002' });
    expect(cards()).toHaveLength(before + 1);
  }, 40_000);
});
