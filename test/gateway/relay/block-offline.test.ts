/**
 * A self-check blocking a patron's card (01) through the relay while the ILS does not answer,
 * against the ILS simulator over TCP: the block goes into the offline journal, the self-check is
 * told so, and the replay blocks the card at the ILS — a card kept as stolen does not stay usable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { OfflineJournal, OfflineReplayer, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import {
  ILS_COULD_NOT_READ_MESSAGE,
  RELAY_BLOCK_JOURNALED_MESSAGE,
} from '../../../src/gateway/relay/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { parseSip2Date } from '../../../src/protocols/sip2/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import {
  TRANSCRIPT_DATE as DATE,
  KIOSK_ACCOUNT,
  replayRecorded,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const ALICE = '21000001';

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

describe('a block of a patron’s card while the ILS does not answer', () => {
  const { rigWithSelfCheck } = useRelayRigs();

  it('is journaled, told to the self-check, and replayed to the ILS once it answers again', async () => {
    db = openDatabase(':memory:');
    // Offline circulation off: a block is journaled whatever the policy, as a fee payment is.
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({ enabled: false }) });
    const { simulator, client, link } = await rigWithSelfCheck({ journal, requestTimeoutMs: 500 });
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
    const replayer = new OfflineReplayer({ journal, ils: client });
    expect(await replayer.run()).toMatchObject({ replayed: 1, conflicts: 0, remaining: 0 });
    expect(journal.all()).toMatchObject([{ kind: 'blockPatron', state: 'done', reason: 'sent' }]);
    expect(simulator.state.patron(ALICE)).toMatchObject({
      blocked: true,
      blockedMessage: 'Card retained: reported stolen',
    });
  });

  // The ILS is there and asked for the 01 again (96) until the relay gave up: it could not read it.
  // Journaled, its replay would meet the same 96 and hold up the journal's other work; the block is
  // refused, and staff told in the log to block the card at the ILS, naming no patron.
  it('the ILS there but unable to read it (96): refused in words, not journaled, staff told to block the card', async () => {
    db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({}) });
    const capture = capturingLogger();
    const { simulator, link } = await rigWithSelfCheck({ journal, logger: capture.logger });
    simulator.setFaults({ resendRequests: { type: 'blockPatron', times: 20 } });
    const answer = (await link.request(
      withErrorDetection(`01Y${DATE}AORIVERSIDE|ALCard retained|AA${ALICE}|AC|`, 1),
    ))!.toString('latin1');
    expect(journal.all()).toEqual([]);
    expect(answer.slice(0, 2)).toBe('24');
    expect(answer).toContain(`|AF${ILS_COULD_NOT_READ_MESSAGE}|`);
    expect(simulator.state.patron(ALICE)?.blocked).toBe(false);
    const said = capture
      .text()
      .split('\n')
      .filter((line) => line.includes('"type":"blockPatron"'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/"level":50/);
    expect(said[0]).toMatch(/staff must block the card at the ILS/);
    expect(capture.text()).not.toContain(ALICE);
  });

  it('is replayed with the date the self-check kept the card, not the date the ILS came back', async () => {
    db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({}) });
    // The card is kept an hour before the ILS answers again: the relay's clock an hour behind.
    const HOUR = 3_600_000;
    const clock = { ...systemClock, now: () => Date.now() - HOUR };
    const { simulator, link } = await rigWithSelfCheck({ journal, requestTimeoutMs: 500, clock });
    simulator.setFaults({ hang: true });
    await link.request(withErrorDetection(`01Y${DATE}AORIVERSIDE|ALCard retained|AA${ALICE}|AC|`, 1));
    const [journaled] = journal.all();
    expect(journaled).toMatchObject({ kind: 'blockPatron', state: 'pending' });

    simulator.setFaults({});
    const { replay, sent: replayed } = await replayRecorded(journal, simulator.port);
    expect(replay).toMatchObject({ replayed: 1, conflicts: 0 });
    const blocks = replayed.filter((frame) => frame.startsWith('01'));
    expect(blocks).toHaveLength(1);
    // 01, card retained (1), then the transaction date (18): the journaled one, to the second.
    const sent = parseSip2Date(blocks[0]!.slice(3, 21));
    expect(sent.ok).toBe(true);
    expect(Math.abs((sent.ok ? sent.date.getTime() : 0) - journaled!.at)).toBeLessThan(1_000);
    expect(simulator.state.patron(ALICE)?.blocked).toBe(true);
  });
});
