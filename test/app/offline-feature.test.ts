import { afterEach, describe, expect, it } from 'vitest';
import { OfflineFeature } from '../../src/app/offline-feature.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { OFFLINE_SCREEN_MESSAGE } from '../../src/gateway/circulation/index.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import {
  OFFLINE_SETTLED_RETENTION_DAYS,
  OfflineJournal,
  type OfflinePolicyInput,
  offlinePolicySchema,
} from '../../src/gateway/offline/index.js';
import type { Sip2RelayAccount } from '../../src/gateway/relay/index.js';
import { sip2RelayOfflineSchema } from '../../src/gateway/relay/index.js';
import { type Database, openDatabase } from '../../src/gateway/storage/index.js';
import { type AnySip2Message, formatSip2Date } from '../../src/protocols/sip2/index.js';

/** The offline feature's relay answers and staff view, over an in-memory journal (no ILS link). */
let db: Database | undefined;
let feature: OfflineFeature | undefined;

afterEach(async () => {
  await feature?.stop();
  feature = undefined;
  db?.close();
  db = undefined;
});

const NOW = Date.UTC(2026, 10, 23, 10);
const DAY = 86_400_000;

async function started(policy: OfflinePolicyInput, clock = new ManualClock(NOW)) {
  db ??= openDatabase(':memory:');
  const open = db;
  feature = new OfflineFeature({
    policy: offlinePolicySchema.parse(policy),
    db: () => open,
    ils: undefined,
    bus: new EventBus(),
    clock,
    logger: silentLogger(),
  });
  await feature.start();
  return feature;
}

const account = { kioskUser: 'sc-1' } as Sip2RelayAccount;
const checkout = {
  type: 'checkout',
  scRenewalPolicy: false,
  noBlock: false,
  transactionDate: '20261123    100000',
  nbDueDate: '',
  institutionId: 'LIB',
  patronIdentifier: '21000009',
  itemIdentifier: '31000005',
  terminalPassword: '',
} as unknown as AnySip2Message;
const checkin = {
  type: 'checkin',
  noBlock: false,
  transactionDate: '20261123    100000',
  returnDate: '20261123    100000',
  currentLocation: 'MAIN',
  institutionId: 'LIB',
  itemIdentifier: '31000001',
  terminalPassword: '',
} as unknown as AnySip2Message;

describe('OfflineFeature for the SIP2 relay', () => {
  const relayPolicy = sip2RelayOfflineSchema.parse({ offlineOk: true, checkoutOk: true, checkinOk: true });

  it('journals a self-check checkout and checkin and answers them ok with the offline screen message', async () => {
    const offline = await started({ enabled: true });
    const handler = offline.relayHandler(relayPolicy);
    expect(await handler(checkout, account)).toMatchObject({
      answer: {
        type: 'checkoutResponse',
        ok: true,
        desensitize: true,
        institutionId: 'LIB',
        patronIdentifier: '21000009',
        itemIdentifier: '31000005',
        screenMessage: [OFFLINE_SCREEN_MESSAGE],
      },
    });
    expect(await handler(checkin, account)).toMatchObject({
      answer: {
        type: 'checkinResponse',
        ok: true,
        itemIdentifier: '31000001',
        screenMessage: [OFFLINE_SCREEN_MESSAGE],
      },
    });
    expect(offline.transactions({ state: 'pending' })).toMatchObject([
      { kind: 'checkout', patron: '21000009', item: '31000005', terminal: 'sc-1' },
      { kind: 'checkin', item: '31000001', terminal: 'sc-1' },
    ]);
    expect(offline.counts()).toMatchObject({ pending: 2, outstanding: 2 });
  });

  it("journals a self-check's store-and-forward (no block Y) at the kiosk's own date, to be replayed with it", async () => {
    const offline = await started({ enabled: true });
    const handler = offline.relayHandler(relayPolicy);
    const friday = NOW - 3 * DAY;
    const sip2 = (ms: number) => formatSip2Date(new Date(ms));
    // Returned on Friday while the kiosk could not reach the ILS; forwarded on Monday, the ILS down again.
    await handler(
      {
        ...checkin,
        noBlock: true,
        transactionDate: sip2(NOW - 60_000),
        returnDate: sip2(friday),
      } as AnySip2Message,
      account,
    );
    // Lent on Friday the same way: the transaction date (a checkout has no return date).
    await handler(
      { ...checkout, noBlock: true, transactionDate: sip2(friday + 3_600_000) } as AnySip2Message,
      account,
    );
    // Live (no block N): now, whatever the kiosk's clock says.
    await handler(
      { ...checkout, itemIdentifier: '31000006', transactionDate: sip2(friday) } as AnySip2Message,
      account,
    );
    // A kiosk clock running an hour fast, and a date that is no date: now.
    await handler(
      {
        ...checkin,
        itemIdentifier: '31000002',
        noBlock: true,
        returnDate: sip2(NOW + 3_600_000),
      } as AnySip2Message,
      account,
    );
    await handler(
      {
        ...checkin,
        itemIdentifier: '31000003',
        noBlock: true,
        returnDate: '20261399    250000',
        transactionDate: '                  ',
      } as AnySip2Message,
      account,
    );
    expect(
      offline.transactions({ state: 'pending' }).map((tx) => [tx.kind, tx.item, tx.at, tx.acceptedAt]),
    ).toEqual([
      ['checkin', '31000001', friday, NOW],
      ['checkout', '31000005', friday + 3_600_000, NOW],
      ['checkout', '31000006', NOW, NOW],
      ['checkin', '31000002', NOW, NOW],
      ['checkin', '31000003', NOW, NOW],
    ]);
  });

  it("leaves the relay's refusal when its 98 does not offer it, or the policy refuses it, and says why", async () => {
    const offline = await started({ enabled: true, checkins: false, maxCheckoutsPerPatron: 0 });
    const closed = offline.relayHandler(sip2RelayOfflineSchema.parse({}));
    expect(await closed(checkout, account)).toEqual({ refused: 'offline_not_allowed' });
    const open = offline.relayHandler(relayPolicy);
    expect(await open(checkout, account)).toEqual({ refused: 'offline_limit_reached' });
    expect(await open(checkin, account)).toEqual({ refused: 'offline_not_allowed' });
    expect(await open({ ...checkout, type: 'renew' } as AnySip2Message, account)).toEqual({
      refused: 'offline_not_allowed',
    });
    expect(offline.counts().outstanding).toBe(0);
  });

  it('lets staff resolve only conflicts', async () => {
    const offline = await started({ enabled: true });
    const { id } = offline.accept({ kind: 'checkin', item: 'I1', terminal: 'desk', at: 0 });
    await expect(offline.resolve(id, 'discard')).rejects.toThrow(
      expect.objectContaining({ code: 'offline_not_in_conflict' }),
    );
    await expect(offline.resolve('nope', 'retry')).rejects.toThrow(
      expect.objectContaining({ code: 'offline_not_found' }),
    );
  });
});

describe('OfflineFeature retention', () => {
  it('purges settled transactions past the retention at start and daily, never waiting or conflict ones', async () => {
    // Last session's journal: settled and unsettled transactions from six weeks ago.
    db = openDatabase(':memory:');
    const then = new ManualClock(NOW - 42 * DAY);
    const old = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }), clock: then });
    const take = (item: string) =>
      old.accept({ kind: 'checkout', patron: '21000009', item, terminal: 'sc-1', at: then.now() }).id;
    const done = take('done');
    old.beginReplay(done);
    old.markDone(done, 'sent');
    const discarded = take('discarded');
    old.beginReplay(discarded);
    old.markConflict(discarded, 'patron_blocked');
    old.resolve(discarded, 'discard');
    const conflict = take('conflict');
    old.beginReplay(conflict);
    old.markConflict(conflict, 'item_checked_out_to_another');
    const pending = take('pending');

    const clock = new ManualClock(NOW);
    const offline = await started({ enabled: true }, clock);
    expect(offline.transactions().map((tx) => [tx.id, tx.state])).toEqual([
      [conflict, 'conflict'],
      [pending, 'pending'],
    ]);

    await offline.resolve(conflict, 'discard');
    await clock.advance(OFFLINE_SETTLED_RETENTION_DAYS * DAY + DAY);
    expect(offline.transactions().map((tx) => tx.id)).toEqual([pending]);
  });

  it('keeps settled transactions for the configured number of days', async () => {
    db = openDatabase(':memory:');
    const then = new ManualClock(NOW - 10 * DAY);
    const old = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: true }), clock: then });
    const done = old.accept({ kind: 'checkin', item: 'done', terminal: 'sc-1', at: then.now() }).id;
    old.beginReplay(done);
    old.markDone(done, 'sent');

    // Ten days old: kept under the default (30 days), purged with a 7-day retention.
    const kept = await started({ enabled: true }, new ManualClock(NOW));
    expect(kept.transactions({ state: 'done' }).map((tx) => tx.id)).toEqual([done]);
    await kept.stop();
    const purged = await started({ enabled: true, settledRetentionDays: 7 }, new ManualClock(NOW));
    expect(purged.transactions({ state: 'done' })).toEqual([]);
  });

  it('stops its purge timer with the feature', async () => {
    const clock = new ManualClock(NOW);
    const offline = await started({ enabled: true }, clock);
    expect(clock.pending()).toContain('offline-purge');
    await offline.stop();
    feature = undefined;
    expect(clock.pending()).not.toContain('offline-purge');
  });
});
