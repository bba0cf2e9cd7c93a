import { describe, expect, it } from 'vitest';
import { IlsError } from '../../../src/devices/ils/index.js';
import { useCirculationRig } from './simulator-rig.js';

/**
 * The kiosk API's circulation (the service behind POST /checkouts, /renewals, /holds,
 * /fees/payments) when the ILS's answer stays unreadable however often it is asked for again
 * (97: ils_bad_response), against the ILS simulator over TCP garbling that answer after acting. A
 * request the ILS may have done is settled where the ILS can show it (the item, the fee list);
 * else the kiosk hears it may have been done, to check at the ILS (`answerLost`, the words), and
 * nothing is journaled: a replay could do it a second time.
 */
const ZOE = '21000001'; // 31000001 (no renewals yet) and 31000002 on loan
const KARE = '21000009';
const BJORN = '21000003'; // F-1001 7.50, F-1002 5.00 (EUR)
const setUp = useCirculationRig();

/** What a failed call threw. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const IN_DOUBT_WORDS = /may have been done.*check at the ILS/;

describe('circulation when the ILS answer stays unreadable', () => {
  it('settles a checkout and a checkin by the item: done as found, once, nothing journaled', async () => {
    const { circulation, journal, simulator, library } = await setUp();
    simulator.setFaults({ garbleAnswers: { type: 'checkout', times: 1 } });
    const lent = await circulation.checkout({ patron: KARE, pin: '9999', item: '31000005' });
    expect(lent).toMatchObject({ ok: true, item: { id: '31000005' } });
    expect(library.loansOf(KARE).map((loan) => [loan.item, loan.renewals])).toEqual([['31000005', 0]]);

    simulator.setFaults({ garbleAnswers: { type: 'checkin', times: 1 } });
    expect(await circulation.checkin({ item: '31000005' })).toMatchObject({ ok: true });
    expect(library.item('31000005')?.loan).toBeUndefined();
    expect(journal.all()).toEqual([]);
  });

  it('answers a renewal and a hold the ILS did that it may have been done — check at the ILS — and journals nothing', async () => {
    const { circulation, journal, simulator, library } = await setUp();
    simulator.setFaults({ garbleAnswers: { type: 'renew', times: 1 } });
    const renewal = await failureOf(circulation.renew({ patron: ZOE, pin: '1234', item: '31000001' }));
    expect(renewal).toBeInstanceOf(IlsError);
    expect(renewal).toMatchObject({
      code: 'ils_bad_response',
      details: { answerLost: true },
      message: expect.stringMatching(IN_DOUBT_WORDS),
    });
    expect(library.item('31000001')?.loan?.renewals).toBe(1);

    simulator.setFaults({ garbleAnswers: { type: 'hold', times: 1 } });
    const hold = await failureOf(circulation.placeHold({ patron: KARE, pin: '9999', item: '31000006' }));
    expect(hold).toMatchObject({ code: 'ils_bad_response', details: { answerLost: true } });
    expect((hold as Error).message).toMatch(IN_DOUBT_WORDS);
    expect(library.item('31000006')?.holdQueue.map((h) => h.patron)).toEqual([KARE]);
    expect(journal.all()).toEqual([]);
  });

  it('answers a payment the ILS took, with its fee list unreadable after, that it may have been done — not journaled, paid once', async () => {
    const { circulation, journal, simulator, owedOn } = await setUp();
    // The ILS takes the 37, garbling its answer, and then every fee list (63) asked after it (the
    // faults changed once the 37's answer is garbled).
    const library = simulator.state;
    const payFee = library.payFee.bind(library);
    library.payFee = (request) => {
      library.payFee = payFee;
      queueMicrotask(() => simulator.setFaults({ garbleAnswers: { type: 'patronInformation', times: 10 } }));
      return payFee(request);
    };
    simulator.setFaults({ garbleAnswers: { type: 'feePaid', times: 1 } });
    const paid = await failureOf(
      circulation.payFee({
        patron: BJORN,
        pin: '3333',
        amount: '2.50',
        feeId: 'F-1001',
        currency: 'EUR',
        transactionId: 'CR-U1',
      }),
    );
    expect(paid).toMatchObject({ code: 'ils_bad_response', details: { answerLost: true } });
    expect((paid as Error).message).toMatch(IN_DOUBT_WORDS);
    // Journaled, a replay reading a fee list it cannot read either would leave it to staff at best.
    expect(journal.all()).toEqual([]);
    expect(owedOn(BJORN, 'F-1001')).toBe(500);
  });
});
