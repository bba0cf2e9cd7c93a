/**
 * A self-check blocking a patron's card (01) through the relay while the ILS does not answer,
 * against the ILS simulator over TCP: the block goes into the offline journal, the self-check is
 * told so, and the replay blocks the card at the ILS — a card kept as stolen does not stay usable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OfflineJournal, OfflineReplayer, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { RELAY_BLOCK_JOURNALED_MESSAGE } from '../../../src/gateway/relay/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { TRANSCRIPT_DATE as DATE, KIOSK_ACCOUNT, useRelayRigs, withErrorDetection } from './helpers.js';

const ALICE = '21000001';

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

describe('a block of a patron’s card while the ILS does not answer', () => {
  const { rig, kiosk } = useRelayRigs();

  it('is journaled, told to the self-check, and replayed to the ILS once it answers again', async () => {
    db = openDatabase(':memory:');
    // Offline circulation off: a block is journaled whatever the policy, as a fee payment is.
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: false }) });
    const { simulator, client, relay } = await rig({ journal, requestTimeoutMs: 500 });
    const link = await kiosk(relay.port);
    const login = await link.request(
      withErrorDetection(`9300CN${KIOSK_ACCOUNT.kioskUser}|CO${KIOSK_ACCOUNT.kioskPassword}|CPMAIN|`, 0),
    );
    expect(login?.toString('latin1')).toMatch(/^941/);
    expect(simulator.state.patron(ALICE)?.blocked).toBe(false);

    simulator.setFaults({ hang: true });
    const answer = (await link.request(
      withErrorDetection(`01Y${DATE}AORIVERSIDE|ALCard retained: reported stolen|AA${ALICE}|AC|`, 1),
    ))!.toString('latin1');
    expect(answer.slice(0, 2)).toBe('24');
    // Charge, renewal, recall and hold privileges denied: the card is to be used for nothing.
    expect(answer.slice(2, 6)).toBe('YYYY');
    expect(answer).toContain(`|AF${RELAY_BLOCK_JOURNALED_MESSAGE}|`);
    expect(journal.all()).toMatchObject([
      {
        kind: 'blockPatron',
        patron: ALICE,
        item: '',
        terminal: KIOSK_ACCOUNT.kioskUser,
        state: 'pending',
        block: { cardRetained: true, message: 'Card retained: reported stolen' },
      },
    ]);
    expect(simulator.state.patron(ALICE)?.blocked).toBe(false);

    simulator.setFaults({});
    await client.disconnect();
    await client.connect();
    const replayer = new OfflineReplayer({
      journal,
      ils: {
        itemInformation: (item) => client.itemInformation(item),
        checkout: (patron, item, options) => client.checkout(patron, item, options),
        checkin: (item, options) => client.checkin(item, options),
        blockPatron: (patron, options) => client.blockPatron(patron, options),
      },
    });
    expect(await replayer.run()).toMatchObject({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(journal.all()).toMatchObject([{ kind: 'blockPatron', state: 'done', reason: 'sent' }]);
    expect(simulator.state.patron(ALICE)).toMatchObject({
      blocked: true,
      blockedMessage: 'Card retained: reported stolen',
    });
  });
});
