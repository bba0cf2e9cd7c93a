/**
 * A self-check's request the ILS did but whose answer stayed unreadable however often the relay
 * asked for it again (97: ils_bad_response), over TCP against the ILS simulator garbling that answer.
 * The ILS is there and may have done it: a renewal, a hold, a checkout nothing journals are
 * answered "not sure, see staff" — never "offline", nothing done — while a checkout or checkin the
 * offline journal takes is answered offline as before, its replay looking the item up first.
 */
import { describe, expect, it } from 'vitest';
import { ILS_ANSWER_UNREADABLE_MESSAGE, type RelayTransaction } from '../../../src/gateway/relay/index.js';
import { capturingLogger } from '../../devices/ils/helpers.js';
import { TRANSCRIPT_DATE as D, journalingOffline, useRelayRigs, withErrorDetection } from './helpers.js';

const ZOE = '21000001'; // 31000001 and 31000002 on loan
const KARE = '21000009';

/** An answer's screen message (AF): the text between |AF and the next |. */
const screenMessageOf = (frame: Buffer | undefined) =>
  /\|AF([^|]*)\|/.exec(frame?.toString('utf8') ?? '')?.[1];

describe('SIP2 relay: an ILS answer that stays unreadable (97)', () => {
  const { rigWithSelfCheck } = useRelayRigs();

  it('answers a renewal and a hold the ILS may have done "not sure, see staff", counted failed, never offline', async () => {
    const capture = capturingLogger();
    const counted: RelayTransaction[] = [];
    const offline: string[] = [];
    const { simulator, link } = await rigWithSelfCheck({
      logger: capture.logger,
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: (request) => {
        offline.push(request.type);
        return { refused: 'offline_not_allowed' };
      },
      onTransaction: (transaction) => counted.push(transaction),
    });

    simulator.setFaults({ garbleAnswers: { type: 'renew', times: 1 } });
    const renewal = await link.request(
      withErrorDetection(`29NN${D}${' '.repeat(18)}AORIVERSIDE|AA${ZOE}|AB31000001|AC|`, 1),
    );
    // 30: ok 0 — the self-check renews nothing on its own word — saying it may have been done.
    expect(renewal?.toString('latin1').slice(0, 3)).toBe('300');
    expect(screenMessageOf(renewal)).toBe(ILS_ANSWER_UNREADABLE_MESSAGE);
    expect(simulator.state.item('31000001')?.loan?.renewals).toBe(1);

    simulator.setFaults({ garbleAnswers: { type: 'hold', times: 1 } });
    const hold = await link.request(
      withErrorDetection(`15+${D}BSMAIN|AORIVERSIDE|AA${KARE}|AB31000006|AC|`, 2),
    );
    expect(hold?.toString('latin1').slice(0, 3)).toBe('160');
    expect(screenMessageOf(hold)).toBe(ILS_ANSWER_UNREADABLE_MESSAGE);
    expect(simulator.state.item('31000006')?.holdQueue.map((h) => h.patron)).toEqual([KARE]);

    expect(counted).toEqual([
      { kind: 'renew', terminal: 'selfcheck-1', outcome: 'failed', reason: 'ils_bad_response' },
    ]);
    const log = capture.text();
    expect(log).not.toContain('unreachable');
    expect(log).toMatch(/may have done it/);
    expect(log).not.toContain(ZOE);
    expect(log).not.toContain(KARE);
  });

  it('answers a checkout nothing journals "not sure, see staff" (the ILS lent it), not refused offline', async () => {
    const { simulator, link } = await rigWithSelfCheck({
      relay: { offline: { offlineOk: true, checkinOk: false, checkoutOk: false } },
      onOffline: () => ({ refused: 'offline_not_allowed' }),
    });
    simulator.setFaults({ garbleAnswers: { type: 'checkout', times: 1 } });
    const checkout = await link.request(
      withErrorDetection(`11YN${D}${' '.repeat(18)}AORIVERSIDE|AA${KARE}|AB31000005|AC|`, 1),
    );
    // 12: ok 0, renewal N, magnetic media U, desensitize N: the patron takes it to staff.
    expect(checkout?.toString('latin1').slice(0, 6)).toBe('120NUN');
    expect(screenMessageOf(checkout)).toBe(ILS_ANSWER_UNREADABLE_MESSAGE);
    expect(simulator.state.item('31000005')?.loan?.patron).toBe(KARE);
  });

  it('answers a checkin the offline journal takes offline, as before: its replay finds it done', async () => {
    const journaled: string[] = [];
    const { simulator, link } = await rigWithSelfCheck({
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: journalingOffline(journaled),
    });
    simulator.setFaults({ garbleAnswers: { type: 'checkin', times: 1 } });
    const checkin = await link.request(withErrorDetection(`09N${D}${D}APMAIN|AORIVERSIDE|AB31000001|AC|`, 1));
    expect(checkin?.toString('latin1').slice(0, 3)).toBe('101');
    expect(journaled).toEqual(['checkin']);
    expect(simulator.state.item('31000001')?.loan).toBeUndefined();
  });

  it('logs a lookup whose answer could not be read as an answer that came unreadable, saying what IT checks — not "ILS unreachable"', async () => {
    const capture = capturingLogger();
    const { simulator, link } = await rigWithSelfCheck({
      logger: capture.logger,
      relay: { offline: { offlineOk: true, checkinOk: true, checkoutOk: true } },
      onOffline: () => ({ refused: 'offline_not_allowed' }),
    });
    // Twice: a lookup whose answer was lost is asked once more (repeatable), its answer garbled too.
    simulator.setFaults({ garbleAnswers: { type: 'patronInformation', times: 2 } });
    const info = await link.request(
      withErrorDetection(`63001${D}          AORIVERSIDE|AA${ZOE}|AC|AD1234|`, 1),
    );
    expect(info?.toString('latin1').slice(0, 2)).toBe('64');
    const log = capture.text();
    expect(log).not.toContain('unreachable');
    expect(log).toMatch(/the ILS answered, but its answer could not be read/);
    expect(log).toMatch(/errorDetection/);
    expect(log).toMatch(/charset/);
    expect(log).not.toContain(ZOE);
    expect(log).not.toContain('1234');
  });
});
