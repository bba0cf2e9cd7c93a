import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IlsError } from '../../../src/devices/ils/errors.js';
import { OfflineJournal, OfflineReplayer, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { FakeIls } from './fake-ils.js';

/**
 * `settle`: a request about an item or patron waits until the journal's work
 * about them has reached the ILS, so it never overtakes the offline backlog.
 */
const PATRON = '21000001';
const OTHER = '21000009';
const AT = Date.UTC(2026, 0, 5, 10, 30);

let db: Database;
let journal: OfflineJournal;
let ils: FakeIls;
let replayer: OfflineReplayer;

beforeEach(() => {
  db = openDatabase(':memory:');
  journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
  ils = new FakeIls();
  replayer = new OfflineReplayer({ journal, ils });
});
afterEach(() => db.close());

const checkout = (item: string, patron = PATRON) =>
  journal.accept({ kind: 'checkout', patron, item, terminal: 'desk-1', at: AT });
const checkin = (item: string) => journal.accept({ kind: 'checkin', item, terminal: 'desk-1', at: AT });

describe('OfflineReplayer.settle', () => {
  it('answers at once, asking the ILS nothing, when nothing about the item or patron is journaled', async () => {
    checkout('31000005', OTHER);
    expect(await replayer.settle({ items: ['31000006'], patron: PATRON })).toBe('clear');
    expect(ils.calls).toEqual([]);
    expect(journal.counts().pending).toBe(1);
  });

  it("replays the item's backlog ahead of the rest, in its own order, and leaves the rest for the run", async () => {
    checkout('31000001', OTHER);
    checkout('31000002', OTHER);
    const out = checkout('31000009');
    const back = checkin('31000009');

    expect(await replayer.settle({ items: ['31000009'] })).toBe('clear');
    // The item's checkout and then its checkin went to the ILS; nothing else was needed yet.
    expect(ils.sent().map((call) => `${call.op} ${call.item}`)).toEqual([
      'checkout 31000009',
      'checkin 31000009',
    ]);
    expect(journal.get(out.id)?.state).toBe('done');
    expect(journal.get(back.id)?.state).toBe('done');
    expect(ils.loans.has('31000009')).toBe(false);
    // The rest of the backlog still goes in sequence order.
    await replayer.run();
    expect(
      ils
        .sent()
        .map((call) => `${call.op} ${call.item}`)
        .slice(2),
    ).toEqual(['checkout 31000001', 'checkout 31000002']);
  });

  it("waits for a patron's journaled checkouts before a request about the patron", async () => {
    checkout('31000003', OTHER);
    checkout('31000004');
    checkout('31000005');
    expect(await replayer.settle({ items: [], patron: PATRON })).toBe('clear');
    expect([...ils.loans.entries()].filter(([, patron]) => patron === PATRON).map(([item]) => item)).toEqual([
      '31000004',
      '31000005',
    ]);
    expect(ils.loans.has('31000003')).toBe(false);
  });

  it('joins a run under way and waits for the transaction it is sending', async () => {
    checkout('31000001', OTHER);
    const x = checkout('31000002');
    const run = replayer.run();
    const settled = replayer.settle({ items: ['31000002'] });
    expect(await settled).toBe('clear');
    expect(journal.get(x.id)?.state).toBe('done');
    expect(await run).toMatchObject({ replayed: 2, remaining: 0 });
    // Sent once each, though the run and the waiting request both wanted 31000002.
    expect(ils.sent().map((call) => call.item)).toEqual(['31000001', '31000002']);
  });

  it('says unreachable, and leaves the backlog waiting, when the ILS stops answering first', async () => {
    const x = checkout('31000002');
    ils.failures.set('itemInformation', new IlsError('ils_timeout', 'no answer'));
    expect(await replayer.settle({ items: ['31000002'] })).toBe('unreachable');
    expect(journal.get(x.id)).toMatchObject({ state: 'pending', lastError: 'ils_timeout' });
    // The ILS back: the next request about the item gets the backlog replayed first.
    expect(await replayer.settle({ items: ['31000002'] })).toBe('clear');
    expect(journal.get(x.id)?.state).toBe('done');
  });

  it('lets the request go once its backlog is a conflict for staff', async () => {
    ils.loans.set('31000002', OTHER);
    const x = checkout('31000002');
    expect(await replayer.settle({ items: ['31000002'] })).toBe('clear');
    expect(journal.get(x.id)).toMatchObject({ state: 'conflict', reason: 'item_checked_out_to_another' });
  });

  it('lets the request go once its backlog is set aside as one the ILS cannot read (96), not offline', async () => {
    const x = checkout('31000002');
    const after = checkin('31000002');
    ils.failures.set(
      'checkout',
      new IlsError('ils_resend_limit', 'asked 4 times again (96)', { requestSent: true }),
    );
    // The ILS is there: the request goes to it, behind nothing it could be sent after.
    expect(await replayer.settle({ items: ['31000002'] })).toBe('clear');
    expect(journal.get(x.id)).toMatchObject({ state: 'conflict', reason: 'ils_resend_limit' });
    expect(journal.get(after.id)).toMatchObject({ state: 'conflict', reason: 'held_behind_unreadable' });
  });

  it('serves waiting requests first come, first served, each after its own backlog only', async () => {
    checkout('31000001', OTHER);
    checkout('31000002');
    checkout('31000003', OTHER);
    const order: string[] = [];
    const second = replayer.settle({ items: ['31000003'] }).then(() => order.push('31000003'));
    const first = replayer.settle({ items: ['31000002'] }).then(() => order.push('31000002'));
    await Promise.all([first, second]);
    expect(order).toEqual(['31000003', '31000002']);
    expect(ils.sent()[0]?.item).toBe('31000003');
  });
});
