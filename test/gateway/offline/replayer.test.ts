import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IlsError } from '../../../src/devices/ils/errors.js';
import {
  type OfflineEvent,
  OfflineJournal,
  OfflineReplayer,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { FakeIls } from './fake-ils.js';

const PATRON = '21000001';
const OTHER = '21000009';
const AT = Date.UTC(2026, 0, 5, 10, 30);

let db: Database;
let journal: OfflineJournal;
let ils: FakeIls;
let events: OfflineEvent[];
let replayer: OfflineReplayer;

beforeEach(() => {
  db = openDatabase(':memory:');
  journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
  ils = new FakeIls();
  events = [];
  replayer = new OfflineReplayer({ journal, ils, onEvent: (event) => events.push(event) });
});
afterEach(() => db.close());

function checkout(item: string, at = AT, patron = PATRON) {
  return journal.accept({ kind: 'checkout', patron, item, terminal: 'desk-1', at });
}
function checkin(item: string, at = AT) {
  return journal.accept({ kind: 'checkin', item, terminal: 'desk-1', at });
}

describe('OfflineReplayer', () => {
  it('replays in sequence order, checking each item first, sending no-block with the journaled date', async () => {
    ils.loans.set('31000001', OTHER);
    const a = checkout('31000005', AT);
    const b = checkin('31000001', AT + 1000);
    const c = checkout('31000001', AT + 2000);

    expect(await replayer.run()).toEqual({ replayed: 3, conflicts: 0, remaining: 0 });
    expect(ils.calls).toEqual([
      { op: 'itemInformation', item: '31000005' },
      {
        op: 'checkout',
        patron: PATRON,
        item: '31000005',
        options: { noBlock: true, transactionDate: new Date(AT) },
      },
      { op: 'itemInformation', item: '31000001' },
      {
        op: 'checkin',
        item: '31000001',
        options: { noBlock: true, transactionDate: new Date(AT + 1000), returnDate: new Date(AT + 1000) },
      },
      { op: 'itemInformation', item: '31000001' },
      {
        op: 'checkout',
        patron: PATRON,
        item: '31000001',
        options: { noBlock: true, transactionDate: new Date(AT + 2000) },
      },
    ]);
    expect(ils.loans.get('31000001')).toBe(PATRON);
    expect(journal.all().map((tx) => [tx.id, tx.state, tx.reason, tx.attempts])).toEqual([
      [a.id, 'done', 'sent', 1],
      [b.id, 'done', 'sent', 1],
      [c.id, 'done', 'sent', 1],
    ]);
    expect(events.map((event) => [event.type, event.data.id, event.data.reason])).toEqual([
      ['offline.replayed', a.id, 'sent'],
      ['offline.replayed', b.id, 'sent'],
      ['offline.replayed', c.id, 'sent'],
    ]);
    expect(JSON.stringify(events)).not.toContain(PATRON);
  });

  it('does not send what the ILS already has: charged to the patron, or already checked in', async () => {
    ils.loans.set('31000005', PATRON);
    const a = checkout('31000005');
    const b = checkin('31000002');
    expect(await replayer.run()).toMatchObject({ replayed: 2, conflicts: 0 });
    expect(ils.sent()).toEqual([]);
    expect(journal.get(a.id)).toMatchObject({ state: 'done', reason: 'already_done' });
    expect(journal.get(b.id)).toMatchObject({ state: 'done', reason: 'already_done' });
    expect(events.map((event) => event.data.reason)).toEqual(['already_done', 'already_done']);
  });

  it('asks for the patron charged items when the 18 does not name the borrower', async () => {
    ils.namesBorrower = false;
    ils.loans.set('31000005', PATRON);
    ils.loans.set('31000006', OTHER);
    const mine = checkout('31000005');
    const theirs = checkout('31000006');
    await replayer.run();
    expect(ils.sent()).toEqual([]);
    expect(journal.get(mine.id)).toMatchObject({ state: 'done', reason: 'already_done' });
    expect(journal.get(theirs.id)).toMatchObject({
      state: 'conflict',
      reason: 'item_checked_out_to_another',
    });
  });

  it('makes a conflict of an unnamed borrower when the port cannot list charged items', async () => {
    const { patronInformation: _ignored, ...withoutPatronInformation } = {
      patronInformation: undefined,
      itemInformation: ils.itemInformation.bind(ils),
      checkout: ils.checkout.bind(ils),
      checkin: ils.checkin.bind(ils),
    };
    ils.namesBorrower = false;
    ils.loans.set('31000005', PATRON);
    const tx = checkout('31000005');
    await new OfflineReplayer({ journal, ils: withoutPatronInformation }).run();
    expect(journal.get(tx.id)).toMatchObject({ state: 'conflict', reason: 'item_borrower_unknown' });
    expect(ils.sent()).toEqual([]);
  });

  it('reports an item checked out to someone else, and a refusal, as conflicts for staff and goes on', async () => {
    ils.loans.set('31000006', OTHER);
    ils.refuseCheckout = (patron) => (patron === '21000005' ? ['Card blocked, please see staff'] : undefined);
    const taken = checkout('31000006');
    const blocked = checkout('31000007', AT, '21000005');
    const fine = checkout('31000008');

    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 2, remaining: 0 });
    expect(journal.conflicts()).toEqual([
      expect.objectContaining({ id: taken.id, reason: 'item_checked_out_to_another' }),
      expect.objectContaining({
        id: blocked.id,
        reason: 'patron_blocked',
        message: 'Card blocked, please see staff',
        patron: '21000005',
      }),
    ]);
    expect(journal.get(fine.id)?.state).toBe('done');
    expect(ils.loans.get('31000006')).toBe(OTHER);
    expect(events.map((event) => [event.type, event.data.reason])).toEqual([
      ['offline.conflict', 'item_checked_out_to_another'],
      ['offline.conflict', 'patron_blocked'],
      ['offline.replayed', 'sent'],
    ]);
    expect(events[1]?.data).toEqual({
      id: blocked.id,
      sequence: blocked.sequence,
      kind: 'checkout',
      item: '31000007',
      reason: 'patron_blocked',
    });
  });

  it('stops at an ILS error, leaving that transaction and the rest pending in order, and resumes later', async () => {
    const a = checkout('31000005');
    const b = checkout('31000006');
    const c = checkout('31000007');
    ils.failures.set('itemInformation', new IlsError('ils_offline', 'not connected'));
    expect(await replayer.run()).toEqual({
      replayed: 0,
      conflicts: 0,
      remaining: 3,
      stoppedBy: { code: 'ils_offline', message: 'not connected' },
    });
    expect(journal.pending().map((tx) => [tx.id, tx.state, tx.attempts, tx.lastError])).toEqual([
      [a.id, 'pending', 1, 'ils_offline'],
      [b.id, 'pending', 0, undefined],
      [c.id, 'pending', 0, undefined],
    ]);
    expect(ils.sent()).toEqual([]);

    // The answer to a's checkout is lost: the run stops there; b and c wait behind it.
    ils.failures.set('checkout', new IlsError('ils_timeout', 'no answer', { requestSent: true }));
    expect(await replayer.run()).toMatchObject({
      replayed: 0,
      remaining: 3,
      stoppedBy: { code: 'ils_timeout' },
    });
    expect(journal.pending().map((tx) => tx.id)).toEqual([a.id, b.id, c.id]);

    expect(await replayer.run()).toEqual({ replayed: 3, conflicts: 0, remaining: 0 });
    expect(ils.sent().map((call) => call.item)).toEqual(['31000005', '31000005', '31000006', '31000007']);
    expect(journal.get(a.id)).toMatchObject({ state: 'done', attempts: 3 });
  });

  it('re-checks the item first after a crash mid-replay, so nothing is sent twice', async () => {
    const tx = checkout('31000005');
    // A previous process marked it replaying, sent the checkout, and died before marking it done.
    expect(journal.beginReplay(tx.id)).toBe(true);
    ils.loans.set('31000005', PATRON);
    expect(journal.pending()).toEqual([expect.objectContaining({ id: tx.id, state: 'replaying' })]);

    expect(await replayer.run()).toMatchObject({ replayed: 1, remaining: 0 });
    expect(ils.sent()).toEqual([]);
    expect(journal.get(tx.id)).toMatchObject({ state: 'done', reason: 'already_done', attempts: 2 });
  });

  it('makes a conflict of a request the ILS link cannot encode, instead of stopping for ever', async () => {
    const tx = checkout('31000005');
    const next = checkout('31000006');
    ils.failures.set('checkout', new IlsError('ils_bad_request', 'item identifier too long'));
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 1, remaining: 0 });
    expect(journal.get(tx.id)).toMatchObject({ state: 'conflict', reason: 'ils_bad_request' });
    expect(journal.get(next.id)?.state).toBe('done');
  });

  it('replays a conflict staff chose to retry, and leaves a discarded one alone', async () => {
    ils.loans.set('31000005', OTHER);
    ils.loans.set('31000006', OTHER);
    const retried = checkout('31000005');
    const discarded = checkout('31000006');
    await replayer.run();
    ils.loans.delete('31000005');
    journal.resolve(retried.id, 'retry');
    journal.resolve(discarded.id, 'discard');
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(ils.loans.get('31000005')).toBe(PATRON);
    expect(ils.loans.get('31000006')).toBe(OTHER);
    expect(journal.get(discarded.id)?.state).toBe('discarded');
  });

  it('runs once at a time: a second call joins the run under way', async () => {
    checkout('31000005');
    checkout('31000006');
    const first = replayer.run();
    expect(replayer.replaying).toBe(true);
    const second = replayer.run();
    expect(second).toBe(first);
    expect(await second).toMatchObject({ replayed: 2 });
    expect(replayer.replaying).toBe(false);
    expect(ils.sent()).toHaveLength(2);
  });

  it('keeps going when an event listener throws', async () => {
    const tx = checkout('31000005');
    const throwing = new OfflineReplayer({
      journal,
      ils,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect(await throwing.run()).toMatchObject({ replayed: 1 });
    expect(journal.get(tx.id)?.state).toBe('done');
  });
});
