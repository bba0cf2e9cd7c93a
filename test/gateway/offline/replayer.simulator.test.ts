import { afterEach, describe, expect, it } from 'vitest';
import {
  type OfflineEvent,
  OfflineJournal,
  OfflineReplayer,
  offlinePolicySchema,
} from '../../../src/gateway/offline/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { sampleKioskClient, useSampleIls } from '../../helpers/sample-ils.js';

const KARE = '21000009';
const ANA = '21000006';
const AT = Date.UTC(2026, 0, 5, 10, 30);

let opened: Database | undefined;

afterEach(() => {
  opened?.close();
  opened = undefined;
});
// After the database's hook, so run before it (hooks run in reverse): the link closes first.
const startIls = useSampleIls();

/**
 * An offline journal (offline mode on) in a database of its own, closed after the test, and the
 * desk's checkouts and checkins journaled into it while the ILS was away.
 */
function offlineJournal() {
  const db = openDatabase(':memory:');
  opened = db;
  const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }) });
  return {
    db,
    journal,
    checkout: (patron: string, item: string, at: number) =>
      journal.accept({ kind: 'checkout', patron, item, terminal: 'desk-1', at }),
    checkin: (item: string, at: number) => journal.accept({ kind: 'checkin', item, terminal: 'desk-1', at }),
  };
}

/**
 * The ILS simulator up and a kiosk's link to it connected, and a replayer of `journal` over that
 * link, telling `events` (when given) what it did.
 */
async function replayerAtTheIls(journal: OfflineJournal, events?: OfflineEvent[]) {
  const { simulator, client } = await startIls();
  const replayer = new OfflineReplayer({
    journal,
    ils: client,
    ...(events ? { onEvent: (event: OfflineEvent) => events.push(event) } : {}),
  });
  return { simulator, client, replayer };
}

describe('offline replay against the ILS simulator over TCP', () => {
  it('replays what was taken offline once the ILS is back: one loan each, conflicts for staff', async () => {
    const { db, journal, checkout, checkin } = offlineJournal();
    const events: OfflineEvent[] = [];

    // The ILS is away: the desk journals a checkout, a checkin and another checkout.
    const lent = checkout(KARE, '31000005', AT);
    const returned = checkin('31000001', AT + 1000);
    const taken = checkout(KARE, '31000006', AT);

    const unreachable = sampleKioskClient(1);
    const offline = new OfflineReplayer({
      journal,
      ils: unreachable,
      onEvent: (event) => events.push(event),
    });
    expect(await offline.run()).toMatchObject({
      replayed: 0,
      remaining: 3,
      stoppedBy: { code: 'ils_offline' },
    });
    expect(journal.pending().map((tx) => tx.state)).toEqual(['pending', 'pending', 'pending']);

    // The ILS comes back; meanwhile another desk lent 31000006 to someone else.
    const { simulator, client, replayer } = await replayerAtTheIls(journal, events);
    expect((await client.checkout(ANA, '31000006', { pin: '6666' })).message.ok).toBe(true);
    expect(simulator.state.item('31000001')?.loan?.patron).toBe('21000001');

    expect(await replayer.run()).toEqual({ replayed: 2, conflicts: 1, remaining: 0 });

    const state = simulator.state;
    expect(state.loansOf(KARE).map((loan) => loan.item)).toEqual(['31000005']);
    expect(state.item('31000001')?.loan).toBeUndefined();
    expect(state.item('31000006')?.loan?.patron).toBe(ANA);
    expect(journal.get(lent.id)).toMatchObject({ state: 'done', reason: 'sent' });
    expect(journal.get(returned.id)).toMatchObject({ state: 'done', reason: 'sent' });
    expect(journal.conflicts()).toEqual([
      expect.objectContaining({ id: taken.id, reason: 'item_checked_out_to_another', patron: KARE }),
    ]);
    expect(events.map((event) => [event.type, event.data.item])).toEqual([
      ['offline.replayed', '31000005'],
      ['offline.replayed', '31000001'],
      ['offline.conflict', '31000006'],
    ]);
    expect(JSON.stringify(events)).not.toContain(KARE);

    // The process died after the 11 went out and before the journal said done: the
    // next run finds the loan in the patron's charged items (the 18 names no
    // borrower) and does not check it out again.
    db.prepare("UPDATE offline_transactions SET state = 'replaying' WHERE id = ?").run(lent.id);
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 0, remaining: 0 });
    // Attempts: the run that found the ILS away, the one that sent it, and this one.
    expect(journal.get(lent.id)).toMatchObject({ state: 'done', reason: 'already_done', attempts: 3 });
    expect(state.loansOf(KARE).map((loan) => loan.item)).toEqual(['31000005']);
    expect(state.item('31000005')?.loan?.renewals).toBe(0);
  });

  it('sets aside a transaction the ILS cannot read (96 every time) for staff, holds what follows about its item or patron, and replays the rest', async () => {
    const { journal, checkout, checkin } = offlineJournal();
    const events: OfflineEvent[] = [];
    const unread = checkout(KARE, '31000005', AT);
    const sameItem = checkin('31000005', AT + 1000);
    const samePatron = checkout(KARE, '31000026', AT + 2000);
    const other = checkout(ANA, '31000006', AT + 3000);
    const { simulator, replayer } = await replayerAtTheIls(journal, events);

    // The ILS is there, but asks for the first checkout again every time it is sent (96), past the
    // link's limit (3 more): it cannot read it. The checkout after it, of another item by another
    // patron, it reads.
    simulator.setFaults({ resendRequests: { type: 'checkout', times: 4 } });
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 3, remaining: 0 });
    expect(simulator.state.item('31000006')?.loan?.patron).toBe(ANA);
    expect(journal.get(other.id)).toMatchObject({ state: 'done', reason: 'sent' });
    const unreadConflict = journal.get(unread.id);
    expect(unreadConflict).toMatchObject({ state: 'conflict', reason: 'ils_resend_limit' });
    // Staff are told what it is and what to check.
    expect(unreadConflict?.message).toMatch(/could not read it/);
    expect(unreadConflict?.message).toMatch(/errorDetection/);
    expect(unreadConflict?.message).toMatch(/charset/);
    expect(unreadConflict?.message).toMatch(/send it again/i);
    // Its item's checkin and its patron's next checkout wait for it: neither overtakes it.
    for (const held of [sameItem, samePatron]) {
      const tx = journal.get(held.id);
      expect(tx).toMatchObject({ state: 'conflict', reason: 'held_behind_unreadable' });
      expect(tx?.message).toContain(`#${unread.sequence}`);
    }
    expect(simulator.state.item('31000026')?.loan).toBeUndefined();
    expect(events.map((event) => [event.type, event.data.item, event.data.reason])).toEqual([
      ['offline.conflict', '31000005', 'ils_resend_limit'],
      ['offline.conflict', '31000005', 'held_behind_unreadable'],
      ['offline.conflict', '31000026', 'held_behind_unreadable'],
      ['offline.replayed', '31000006', 'sent'],
    ]);
    expect(JSON.stringify(events)).not.toContain(KARE);

    // Sent again on its own, the checkin still waits for the checkout the ILS could not read.
    journal.resolve(sameItem.id, 'retry');
    expect(await replayer.run()).toEqual({ replayed: 0, conflicts: 1, remaining: 0 });
    expect(journal.get(sameItem.id)).toMatchObject({ state: 'conflict', reason: 'held_behind_unreadable' });

    // IT puts the link right; staff send the three again: replayed in their order.
    for (const tx of [unread, sameItem, samePatron]) journal.resolve(tx.id, 'retry');
    expect(await replayer.run()).toEqual({ replayed: 3, conflicts: 0, remaining: 0 });
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
    expect(simulator.state.loansOf(KARE).map((loan) => loan.item)).toEqual(['31000026']);
    expect(journal.get(sameItem.id)).toMatchObject({ state: 'done', reason: 'sent' });
  });

  it("will not send a refused checkout again once its item's later checkin reached the ILS: the item would end on loan though it came back", async () => {
    const { journal, checkout, checkin } = offlineJournal();
    const lent = checkout(KARE, '31000005', AT);
    const back = checkin('31000005', AT + 60_000);
    const next = checkout(KARE, '31000026', AT);
    const { simulator, replayer } = await replayerAtTheIls(journal);
    // The ILS does not know the card yet (issued at the desk while it was away): it refuses the checkout.
    const card = simulator.state.patron(KARE)!;
    simulator.state.patrons.delete(KARE);

    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 2, remaining: 0 });
    expect(journal.get(lent.id)).toMatchObject({ state: 'conflict', reason: 'patron_unknown' });
    expect(journal.get(back.id)).toMatchObject({ state: 'done' });
    expect(journal.get(next.id)).toMatchObject({ state: 'conflict', reason: 'patron_unknown' });

    // The card is put right at the ILS; staff press "Send again" on the refused checkout. The item came
    // back after it (the checkin reached the ILS): sent now, it would leave the item on loan.
    simulator.state.patrons.set(KARE, card);
    let refusal: unknown;
    try {
      journal.resolve(lent.id, 'retry');
    } catch (error) {
      refusal = error;
    }
    await replayer.run();
    expect(simulator.state.item('31000005')?.loan).toBeUndefined();
    expect(refusal).toMatchObject({ code: 'offline_replayed_after' });
    const words = (refusal as Error).message;
    expect(words).toContain(`checkin #${back.sequence}`);
    expect(words).toContain('item 31000005');
    expect(words).toMatch(/at the library system/);
    expect(words).not.toContain(KARE);
    expect(journal.get(lent.id)).toMatchObject({ state: 'conflict', reason: 'patron_unknown' });

    // The patron's next checkout, after which nothing about its item or patron reached the ILS, is sent again.
    journal.resolve(next.id, 'retry');
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(simulator.state.loansOf(KARE).map((loan) => loan.item)).toEqual(['31000026']);
    // Staff may still discard the refused one (and lend by hand at the ILS if it is still out).
    journal.resolve(lent.id, 'discard');
    expect(journal.get(lent.id)?.state).toBe('discarded');
  });

  it("sends a patron's refused checkout again after her later one went through: only its own item's later transactions bar it", async () => {
    const { journal, checkout } = offlineJournal();
    const first = checkout(KARE, '31000005', AT);
    const second = checkout(KARE, '31000026', AT);
    const { simulator, replayer } = await replayerAtTheIls(journal);
    const card = simulator.state.patron(KARE)!;
    simulator.state.patrons.delete(KARE);
    expect(await replayer.run()).toEqual({ replayed: 0, conflicts: 2, remaining: 0 });

    // The card put right, staff send the second checkout again first, then the first: both are lent.
    simulator.state.patrons.set(KARE, card);
    journal.resolve(second.id, 'retry');
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 0, remaining: 0 });
    journal.resolve(first.id, 'retry');
    expect(await replayer.run()).toEqual({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(
      simulator.state
        .loansOf(KARE)
        .map((loan) => loan.item)
        .sort(),
    ).toEqual(['31000005', '31000026']);
  });

  it('lends to a blocked patron on replay: the checkout was made offline, and SIP2 no-block says so', async () => {
    const { journal, checkout } = offlineJournal();
    const blocked = checkout('21000005', '31000004', AT);
    const { simulator, client, replayer } = await replayerAtTheIls(journal);
    expect((await client.checkout('21000005', '31000010')).message.ok).toBe(false);

    expect(await replayer.run()).toMatchObject({ replayed: 1 });
    expect(journal.get(blocked.id)?.state).toBe('done');
    expect(simulator.state.loansOf('21000005').map((loan) => loan.item)).toEqual(['31000004']);
  });
});

describe('asking the ILS before a conflict is sent again, against the ILS simulator over TCP', () => {
  it('lets a checkout go when the item is on the shelf or already on loan to its patron, and a checkin when the item is out', async () => {
    const { journal } = offlineJournal();
    const { simulator, replayer } = await replayerAtTheIls(journal);
    const conflict = (input: Parameters<OfflineJournal['accept']>[0]) => {
      const tx = journal.accept(input);
      journal.beginReplay(tx.id);
      journal.markConflict(tx.id, 'patron_blocked');
      return journal.get(tx.id)!;
    };
    const onShelf = conflict({ kind: 'checkout', patron: KARE, item: '31000005', terminal: 'sc-1', at: AT });
    expect(await replayer.resendRefusal(onShelf)).toBeUndefined();
    // Lent to her at the ILS's desk since: sent again, the replay finds it done.
    expect(simulator.state.checkout({ patron: KARE, item: '31000006', branch: 'MAIN' }).ok).toBe(true);
    const hers = conflict({ kind: 'checkout', patron: KARE, item: '31000006', terminal: 'sc-1', at: AT });
    expect(await replayer.resendRefusal(hers)).toBeUndefined();
    // A checkin of an item still on loan ends that loan.
    const back = conflict({ kind: 'checkin', item: '31000006', terminal: 'sc-1', at: AT });
    expect(await replayer.resendRefusal(back)).toBeUndefined();
    // Lent to another patron at the ILS since: not sent, said in words, no patron named.
    const anas = conflict({ kind: 'checkout', patron: ANA, item: '31000006', terminal: 'sc-1', at: AT });
    const refusal = await replayer.resendRefusal(anas);
    expect(refusal).toMatchObject({ code: 'offline_item_changed' });
    expect(refusal?.message).toMatch(
      /^Not sent again: the library system shows item 31000006 on loan \(due /,
    );
    expect(refusal?.message).not.toMatch(new RegExp(`${KARE}|${ANA}`));
  });

  it('refuses in words while the ILS cannot be asked, rather than send it unchecked', async () => {
    const { journal } = offlineJournal();
    const replayer = new OfflineReplayer({ journal, ils: sampleKioskClient(1) });
    const tx = journal.accept({ kind: 'checkin', item: '31000001', terminal: 'sc-1', at: AT });
    journal.beginReplay(tx.id);
    journal.markConflict(tx.id, 'restored_from_backup');
    const refusal = await replayer.resendRefusal(journal.get(tx.id)!);
    expect(refusal).toMatchObject({ code: 'offline_item_unchecked' });
    expect(refusal?.message).toMatch(
      /^Not sent again: the library system could not be asked where item 31000001 is now \(.+\)\. Send it again once the library system answers\.$/,
    );
  });
});
