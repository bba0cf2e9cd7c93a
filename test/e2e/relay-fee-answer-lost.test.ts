import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import type { IlsSimulator } from '../../simulators/ils/index.js';
import { OFFLINE_FEE_MESSAGE } from '../../src/gateway/circulation/index.js';
import type { OfflineTransaction } from '../../src/gateway/offline/index.js';
import { TRANSCRIPT_DATE as DATE, type KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from '../helpers/desk.js';
import { loggedInSelfCheck, RELAY_USER, withRelay } from '../helpers/relay-desk.js';
import { until } from '../helpers/until.js';

const BJORN = '21000003'; // F-1001 7.50 EUR

/**
 * The desk as `carrel start` runs it, with a self-check paying a fee through its relay. The ILS
 * takes the payment and goes quiet before it answers, so neither the answer nor the fee list after
 * can be had: the self-check is told the payment is recorded (38 Y, the cash stays in its box), the
 * payment waits in the desk's offline journal, and once the ILS answers again the replay finds it
 * in the fee list and sends nothing — the fee is paid once.
 */
describe('a fee payment through the relay whose answer is lost while the ILS goes quiet', () => {
  let testDesk: TestDesk;
  let simulator: IlsSimulator;
  let link: KioskLink;

  beforeAll(async () => {
    testDesk = await startTestDesk((config) =>
      withRelay(
        {
          ...withIls(config, (ils) => ({ ...ils, requestTimeoutMs: 1_000 })),
        },
        { offlineOk: true, checkinOk: true, checkoutOk: true },
      ),
    );
    await waitForDevice(testDesk.api, 'ils', 'online');
    simulator = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    link = await loggedInSelfCheck(testDesk);
  });

  afterAll(async () => {
    link?.close();
    simulator?.setFaults({});
    await testDesk?.stop();
  });

  it('tells the self-check it is recorded, journals it, and the replay pays it once', async () => {
    const owed = () => simulator.state.patron(BJORN)?.fees.find((f) => f.id === 'F-1001')?.amountCents;
    expect(owed()).toBe(750);
    const library = simulator.state;
    const payFee = library.payFee.bind(library);
    library.payFee = (request) => {
      const result = payFee(request);
      // Taken; then the ILS answers nothing more, this payment's answer lost with the rest.
      simulator.setFaults({ hang: true, loseAnswers: { type: 'feePaid', times: 1 } });
      return result;
    };
    const answer = (await link.request(
      withErrorDetection(`37${DATE}0400EURBV2.50|AORIVERSIDE|AA${BJORN}|CGF-1001|BKSC-E2E-1|`, 1),
    ))!.toString('latin1');
    library.payFee = payFee;
    expect(answer.slice(0, 3)).toBe('38Y');
    expect(answer).toContain(`|AF${OFFLINE_FEE_MESSAGE}|`);
    expect(owed()).toBe(500);

    const call = (path: string) => callApi(`${testDesk.api}/api/v1`, 'GET', path);
    const journaled = (await call('/offline/transactions')).json.transactions as OfflineTransaction[];
    expect(journaled).toMatchObject([
      { kind: 'feePaid', state: 'pending', terminal: RELAY_USER, fee: { id: 'F-1001', amountMinor: 250 } },
    ]);

    simulator.setFaults({});
    const settled = await until(async () => {
      const [tx] = (await call('/offline/transactions')).json.transactions as OfflineTransaction[];
      return tx?.state === 'done' ? tx : undefined;
    }, 40_000);
    expect(settled.reason).toBe('already_done');
    expect(owed()).toBe(500);
  }, 60_000);
});
