/**
 * A self-check's fee payment (37) through the relay whose answer is lost, against the ILS
 * simulator over TCP: the self-check is told "accepted" exactly when the ILS has the money or the
 * offline journal holds it for a replay checked against the fee list, and the simulator's fee is
 * paid once — never 38 N for money the ILS took, never a second payment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IlsSimulator } from '../../../simulators/ils/index.js';
import { OFFLINE_FEE_MESSAGE } from '../../../src/gateway/circulation/index.js';
import { OfflineJournal, OfflineReplayer, offlinePolicySchema } from '../../../src/gateway/offline/index.js';
import { ILS_COULD_NOT_READ_MESSAGE, RELAY_FEE_UNCHECKED_MESSAGE } from '../../../src/gateway/relay/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import {
  TRANSCRIPT_DATE as DATE,
  KIOSK_ACCOUNT,
  replayRecorded,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const BJORN = '21000003'; // F-1001 7.50, F-1002 5.00 (EUR)

let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

/** A 37 paying `amount` of fee F-1001 (in cash unless `paymentType` says), with its own transaction id (BK). */
const payment = (amount: string, transactionId: string, sequence: number, paymentType = '00') =>
  withErrorDetection(
    `37${DATE}04${paymentType}EURBV${amount}|AORIVERSIDE|AA${BJORN}|CGF-1001|BK${transactionId}|`,
    sequence,
  );

const owedOn = (simulator: IlsSimulator, fee: string) =>
  simulator.state.patron(BJORN)?.fees.find((f) => f.id === fee)?.amountCents ?? 0;

describe('a self-check’s fee payment whose ILS answer is lost', () => {
  const { rigWithSelfCheck } = useRelayRigs();

  async function setUp(options: { requestTimeoutMs?: number; noJournal?: boolean } = {}) {
    db = openDatabase(':memory:');
    const journal = new OfflineJournal(db, { policy: offlinePolicySchema.parse({}) });
    const relayRig = await rigWithSelfCheck({
      ...(options.noJournal ? {} : { journal }),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    return { ...relayRig, journal };
  }

  it('taken by the ILS before its answer was lost: 38 Y, as the ILS would have said, and paid once', async () => {
    const { simulator, journal, link } = await setUp();
    simulator.setFaults({ loseAnswers: { type: 'feePaid', times: 1 } });
    const answer = (await link.request(payment('2.50', 'SC-1', 1)))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(answer).toContain(`|AA${BJORN}|`);
    expect(answer).toContain('|BKSC-1|');
    expect(owedOn(simulator, 'F-1001')).toBe(500);
    expect(journal.all()).toEqual([]);
  });

  it('taken by the ILS, its answer unreadable however often asked for (97): 38 Y, as the ILS would have said, and paid once', async () => {
    const { simulator, journal, link } = await setUp();
    simulator.setFaults({ garbleAnswers: { type: 'feePaid', times: 1 } });
    const answer = (await link.request(payment('2.50', 'SC-9', 1)))!.toString('latin1');
    // The fee list read again shows it taken: the cash stays in the box, and the patron is not
    // sent to pay again.
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(answer).toContain('|BKSC-9|');
    expect(owedOn(simulator, 'F-1001')).toBe(500);
    expect(journal.all()).toEqual([]);
  });

  it('lost on its way, never taken: sent once more, 38 Y from the ILS, and paid once', async () => {
    const { simulator, journal, link } = await setUp({ requestTimeoutMs: 500 });
    simulator.setFaults({ ignoreRequests: { type: 'feePaid', times: 1 } });
    const answer = (await link.request(payment('7.50', 'SC-2', 1)))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(owedOn(simulator, 'F-1001')).toBe(0);
    expect(journal.all()).toEqual([]);
  });

  /** The simulator takes the next payment, then answers nothing more: that answer lost with the rest. */
  function hangAfterPayment(simulator: IlsSimulator): void {
    const library = simulator.state;
    const payFee = library.payFee.bind(library);
    library.payFee = (request) => {
      const result = payFee(request);
      library.payFee = payFee;
      simulator.setFaults({ hang: true, loseAnswers: { type: 'feePaid', times: 1 } });
      return result;
    };
  }

  it('taken, and the ILS down before it can be asked: journaled, 38 Y saying so, replayed as already done', async () => {
    const { simulator, client, journal, link } = await setUp({ requestTimeoutMs: 500 });
    hangAfterPayment(simulator);
    const answer = (await link.request(payment('2.50', 'SC-3', 1)))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(answer).toContain(`|AF${OFFLINE_FEE_MESSAGE}|`);
    expect(owedOn(simulator, 'F-1001')).toBe(500);
    expect(journal.all()).toMatchObject([
      {
        kind: 'feePaid',
        patron: BJORN,
        terminal: KIOSK_ACCOUNT.kioskUser,
        state: 'pending',
        fee: { id: 'F-1001', amountMinor: 250, currency: 'EUR', transactionId: 'SC-3', owedBeforeMinor: 750 },
      },
    ]);

    // The ILS back: the replay finds the payment in the fee list and sends nothing.
    simulator.setFaults({});
    await client.disconnect();
    await client.connect();
    const replayer = new OfflineReplayer({ journal, ils: client });
    await replayer.run();
    expect(journal.all()).toMatchObject([{ state: 'done', reason: 'already_done' }]);
    expect(owedOn(simulator, 'F-1001')).toBe(500);
  });

  it('paid by credit card, lost on its way and the ILS down after: replayed as a credit card payment', async () => {
    const { simulator, journal, link } = await setUp({ requestTimeoutMs: 500 });
    // The ILS never reads the 37 (nothing paid), and answers nothing more: the payment is journaled.
    const library = simulator.state;
    const payFee = library.payFee.bind(library);
    library.payFee = (request) => {
      library.payFee = payFee;
      simulator.setFaults({ hang: true, loseAnswers: { type: 'feePaid', times: 1 } });
      return { accepted: false, transactionId: request.transactionId ?? '', messages: [] };
    };
    const answer = (await link.request(payment('2.50', 'SC-6', 1, '02')))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(answer).toContain(`|AF${OFFLINE_FEE_MESSAGE}|`);
    expect(owedOn(simulator, 'F-1001')).toBe(750);
    expect(journal.all()).toMatchObject([{ kind: 'feePaid', state: 'pending', fee: { amountMinor: 250 } }]);

    // The ILS back: the replay, over a link whose every request is written down, pays it as it came.
    simulator.setFaults({});
    const { replay, sent: replayed } = await replayRecorded(journal, simulator.port);
    expect(replay).toMatchObject({ replayed: 1, conflicts: 0 });
    const sent = replayed.filter((frame) => frame.startsWith('37'));
    expect(sent).toHaveLength(1);
    // 37, the transaction date (18), the fee type (2), then the payment type: 02, credit card.
    expect(sent[0]!.slice(22, 24)).toBe('02');
    expect(journal.all()).toMatchObject([{ state: 'done', reason: 'sent' }]);
    expect(owedOn(simulator, 'F-1001')).toBe(500);
  });

  it('never written, the ILS unreachable first: 38 N, nothing journaled, nothing paid', async () => {
    const { simulator, journal, link } = await setUp({ requestTimeoutMs: 500 });
    simulator.setFaults({ hang: true });
    const answer = (await link.request(payment('2.50', 'SC-4', 1)))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38N');
    simulator.setFaults({});
    expect(owedOn(simulator, 'F-1001')).toBe(750);
    expect(journal.all()).toEqual([]);
  });

  it('not read by the ILS (96 until the relay gave up): 38 N saying so, nothing journaled, nothing paid', async () => {
    const { simulator, journal, link } = await setUp();
    simulator.setFaults({ resendRequests: { type: 'feePaid', times: 20 } });
    const answer = (await link.request(payment('2.50', 'SC-7', 1)))!.toString('latin1');
    // Nothing was done at the ILS: the self-check hands the money back, and the patron sees staff.
    expect(answer.slice(0, 3)).toBe('38N');
    expect(answer).toContain(`|AF${ILS_COULD_NOT_READ_MESSAGE}|`);
    simulator.setFaults({});
    expect(owedOn(simulator, 'F-1001')).toBe(750);
    expect(journal.all()).toEqual([]);
  });

  it('lost on its way, and sent once more the ILS cannot read it (96): 38 N saying so, nothing journaled, nothing paid', async () => {
    const { simulator, journal, link } = await setUp({ requestTimeoutMs: 500 });
    // The first 37 never reaches the ILS; the one sent again, once the fee list showed it not
    // taken, the ILS asks for again past the link's limit (3 more): it reads none of them.
    simulator.setFaults({
      ignoreRequests: { type: 'feePaid', times: 1 },
      resendRequests: { type: 'feePaid', times: 4 },
    });
    const answer = (await link.request(payment('2.50', 'SC-8', 1)))!.toString('latin1');
    // The fee list said not taken, and the 96 says the copy sent again was not read: nothing is at
    // the ILS, so the self-check hands the money back and the patron sees staff, as for a 37 the
    // ILS could not read the first time. Journaled, the money would stay in the box for a replay
    // meeting the same 96.
    expect(answer.slice(0, 3)).toBe('38N');
    expect(answer).toContain(`|AF${ILS_COULD_NOT_READ_MESSAGE}|`);
    simulator.setFaults({});
    expect(owedOn(simulator, 'F-1001')).toBe(750);
    expect(journal.all()).toEqual([]);
  });

  it('lost with nowhere to journal it: 38 N telling the patron to see staff, nothing sent again', async () => {
    const { simulator, link } = await setUp({ requestTimeoutMs: 500, noJournal: true });
    hangAfterPayment(simulator);
    const answer = (await link.request(payment('2.50', 'SC-5', 1)))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('38N');
    expect(answer).toContain(`|AF${RELAY_FEE_UNCHECKED_MESSAGE}|`);
    simulator.setFaults({});
    expect(owedOn(simulator, 'F-1001')).toBe(500);
  });
});
