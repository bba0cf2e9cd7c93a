/**
 * The relay counts what it relays into the desk statistics: each checkout,
 * checkin, renew and renew all, per relay account, ok or refused by the
 * answer's ok flag, offline answers as offline; never a patron; never failing
 * the request. Over real TCP: a self-check, the relay, the ILS simulator.
 */
import { describe, expect, it } from 'vitest';
import { type RelayTransaction, relayTransaction } from '../../../src/gateway/relay/index.js';
import { DeskStatistics } from '../../../src/gateway/statistics/index.js';
import { type Database, openDatabase } from '../../../src/gateway/storage/index.js';
import { decodeSip2Message } from '../../../src/protocols/sip2/index.js';
import {
  TRANSCRIPT_DATE as D,
  journaledCheckin,
  SELF_CHECK_LOGIN as LOGIN,
  useRelayRigs,
  withErrorDetection,
} from './helpers.js';

const CHECKOUT_OK = `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000009|AB31000005|AC|AD9999|`;
const CHECKOUT_WRONG_PIN = `11YN${D}${' '.repeat(18)}AORIVERSIDE|AA21000009|AB31000006|AC|AD0000|`;
const CHECKIN = `09N${D}${D}APMAIN|AORIVERSIDE|AB31000005|AC|`;
const RENEW = `29NN${D}${' '.repeat(18)}AORIVERSIDE|AA21000001|AD1234|AB31000002|AC|`;
const RENEW_ALL = `65${D}AORIVERSIDE|AA21000009|AD9999|AC|`;
const PATRON_INFO = `63001${D}          AORIVERSIDE|AA21000001|AC|AD1234|`;
const PATRON_IDS = ['21000009', '21000001'];

describe('relay statistics', () => {
  const { rig, kiosk, rigWithSelfCheck, cleanups } = useRelayRigs();
  function okFlag(frame: Buffer | undefined): boolean | undefined {
    const decoded = decodeSip2Message(frame!);
    if (!decoded.ok) throw new Error(frame?.toString());
    return (decoded.message as { ok?: boolean }).ok;
  }

  it('counts each relayed 11, 09, 29 and 65 per relay account by the answer ok flag, and nothing else', async () => {
    const counted: RelayTransaction[] = [];
    const { link } = await rigWithSelfCheck({ onTransaction: (transaction) => counted.push(transaction) });
    await link.request(withErrorDetection('9900302.00', 1));
    await link.request(withErrorDetection(PATRON_INFO, 2));
    const answers = [
      okFlag(await link.request(withErrorDetection(CHECKOUT_OK, 3))),
      okFlag(await link.request(withErrorDetection(CHECKOUT_WRONG_PIN, 4))),
      okFlag(await link.request(withErrorDetection(CHECKIN, 5))),
      okFlag(await link.request(withErrorDetection(RENEW, 6))),
      okFlag(await link.request(withErrorDetection(RENEW_ALL, 7))),
    ];
    expect(answers.slice(0, 3)).toEqual([true, false, true]);

    expect(counted.map((t) => t.kind)).toEqual(['checkout', 'checkout', 'checkin', 'renew', 'renewAll']);
    // The outcome is the answer's ok flag, whatever it was.
    expect(counted.map((t) => t.outcome)).toEqual(answers.map((ok) => (ok ? 'ok' : 'refused')));
    expect(counted[0]).toEqual({ kind: 'checkout', terminal: 'selfcheck-1', outcome: 'ok' });
    expect(counted[1]).toEqual({
      kind: 'checkout',
      terminal: 'selfcheck-1',
      outcome: 'refused',
      reason: 'invalid_pin',
    });
    for (const transaction of counted) {
      expect(transaction.terminal).toBe('selfcheck-1');
      expect(transaction.offline).toBeUndefined();
    }
    const text = JSON.stringify(counted);
    for (const patron of PATRON_IDS) expect(text).not.toContain(patron);
  });

  it("counts offline answers as offline: journaled ok, refused with the journal's reason", async () => {
    const counted: RelayTransaction[] = [];
    const { simulator, link } = await rigWithSelfCheck({
      relay: { offline: { checkinOk: true } },
      onTransaction: (transaction) => counted.push(transaction),
      onOffline: (request) =>
        request.type === 'checkin' ? journaledCheckin(request) : { refused: 'offline_limit_reached' },
    });
    await simulator.close();

    expect(okFlag(await link.request(withErrorDetection(CHECKOUT_OK, 1)))).toBe(false);
    expect(okFlag(await link.request(withErrorDetection(CHECKIN, 2)))).toBe(true);

    expect(counted).toHaveLength(2);
    expect(counted[0]).toMatchObject({
      kind: 'checkout',
      terminal: 'selfcheck-1',
      outcome: 'refused',
      offline: true,
    });
    // The journal was full: that is the reason, not the ILS error that sent the checkout there.
    expect(counted[0]!.reason).toBe('offline_limit_reached');
    expect(counted[1]).toEqual({ kind: 'checkin', terminal: 'selfcheck-1', outcome: 'ok', offline: true });
  });

  it('counts an offline refusal with the ILS error when there is no offline journal', async () => {
    const counted: RelayTransaction[] = [];
    const { simulator, link } = await rigWithSelfCheck({
      onTransaction: (transaction) => counted.push(transaction),
    });
    await simulator.close();

    expect(okFlag(await link.request(withErrorDetection(CHECKOUT_OK, 1)))).toBe(false);
    expect(counted).toHaveLength(1);
    expect(counted[0]).toMatchObject({ kind: 'checkout', outcome: 'refused', offline: true });
    expect(counted[0]!.reason).toMatch(/^ils_|^econnrefused$/);
  });

  it('never fails a relayed request when counting throws or rejects', async () => {
    let calls = 0;
    const { relay } = await rig({
      // The first count throws, the second rejects (a listener that went async by mistake).
      onTransaction: (() => {
        calls++;
        if (calls === 1) throw new Error('statistics database gone');
        return Promise.reject(new Error('statistics database gone'));
      }) as () => void,
    });
    const link = await kiosk(relay.port);
    await link.request(withErrorDetection(LOGIN, 0));
    expect(okFlag(await link.request(withErrorDetection(CHECKOUT_OK, 1)))).toBe(true);
    expect(okFlag(await link.request(withErrorDetection(CHECKIN, 2)))).toBe(true);
    expect(calls).toBe(2);
  });

  it('lands in the desk statistics as counts per relay account, offline kept apart', async () => {
    let db: Database | undefined = openDatabase(':memory:');
    cleanups.push(() => {
      db?.close();
      db = undefined;
    });
    const statistics = new DeskStatistics(db);
    const { simulator, link } = await rigWithSelfCheck({ onTransaction: (t) => statistics.record(t) });
    await link.request(withErrorDetection(CHECKOUT_OK, 1));
    await link.request(withErrorDetection(CHECKOUT_WRONG_PIN, 2));
    await simulator.close();
    await link.request(withErrorDetection(CHECKIN, 3));

    const now = Date.now();
    const report = statistics.query({
      from: now - 3_600_000,
      to: now + 3_600_000,
      groupBy: ['terminal', 'kind', 'reason'],
    });
    expect(report.rows).toEqual(
      expect.arrayContaining([
        { terminal: 'selfcheck-1', kind: 'checkout', outcome: 'ok', offline: false, count: 1 },
        {
          terminal: 'selfcheck-1',
          kind: 'checkout',
          outcome: 'refused',
          reason: 'invalid_pin',
          offline: false,
          count: 1,
        },
        expect.objectContaining({
          terminal: 'selfcheck-1',
          kind: 'checkin',
          outcome: 'refused',
          offline: true,
        }),
      ]),
    );
    expect(report.rows).toHaveLength(3);
  });
});

describe('relayTransaction', () => {
  const decoded = decodeSip2Message(Buffer.from(CHECKOUT_OK));
  const checkout = decoded.ok ? decoded.message : undefined;

  it('reads a reason code from the ILS wording, never keeping the words', () => {
    const counted = relayTransaction(
      checkout!,
      {
        type: 'checkoutResponse',
        ok: false,
        screenMessage: ['Kåre Ødegård: item on loan to another patron'],
      } as never,
      'selfcheck-1',
      { offline: false },
    );
    expect(counted).toEqual({
      kind: 'checkout',
      terminal: 'selfcheck-1',
      outcome: 'refused',
      reason: 'checked_out_to_another',
    });
  });

  it('says refused when the wording names no reason, and counts nothing for requests it does not count', () => {
    expect(
      relayTransaction(checkout!, { type: 'checkoutResponse', ok: false } as never, 'k', { offline: false }),
    ).toMatchObject({ outcome: 'refused', reason: 'refused' });
    const status = decodeSip2Message(Buffer.from('9900302.00'));
    if (!status.ok) throw new Error('undecodable 99');
    expect(
      relayTransaction(status.message, { type: 'acsStatus' } as never, 'k', { offline: false }),
    ).toBeUndefined();
  });
});
