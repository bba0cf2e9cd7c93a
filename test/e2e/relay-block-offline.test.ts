import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import type { OfflineTransaction } from '../../src/gateway/offline/index.js';
import { RELAY_BLOCK_JOURNALED_MESSAGE } from '../../src/gateway/relay/index.js';
import { TRANSCRIPT_DATE as DATE, type KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { loggedInSelfCheck, RELAY_USER, withRelay } from '../helpers/relay-desk.js';
import { until } from '../helpers/until.js';

const ALICE = '21000001';

/**
 * The desk as `carrel start` runs it, its ILS down, a self-check keeping a stolen card and
 * blocking it (01) through the relay: the block waits in the desk's offline journal — offline
 * circulation off, as a block is journaled whatever the policy — and reaches the ILS when it is
 * back, so the card is blocked there.
 */
describe('a block of a patron’s card through the relay while the ILS is down', () => {
  let testDesk: TestDesk;
  let link: KioskLink;
  let ilsBack: IlsSimulator | undefined;

  beforeAll(async () => {
    testDesk = await startTestDesk((config) =>
      withRelay(
        {
          ...config,
          offline: { ...config.offline, enabled: false },
        },
        { offlineOk: true, checkinOk: false, checkoutOk: false },
      ),
    );
    await waitForDevice(testDesk.api, 'ils', 'online');
    link = await loggedInSelfCheck(testDesk);
  });

  afterAll(async () => {
    link?.close();
    await ilsBack?.close();
    await testDesk?.stop();
  });

  it('journals the block, tells the self-check, and blocks the card at the ILS when it is back', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    const port = ils.port;
    await ils.close();
    await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);

    // The 98 says block patron is supported (BX's fourth flag): the journal takes it.
    const status = (await link.request(withErrorDetection('9900302.00', 1)))!.toString('latin1');
    expect(/\|BX([YN]{16})\|/.exec(status)?.[1]).toBe('NNNYYYYNNNNNNNNN');
    const answer = (await link.request(
      withErrorDetection(`01Y${DATE}AORIVERSIDE|ALCard retained: reported stolen|AA${ALICE}|AC|`, 2),
    ))!.toString('latin1');
    expect(answer.slice(0, 2)).toBe('24');
    expect(answer).toContain(`|AF${RELAY_BLOCK_JOURNALED_MESSAGE}|`);

    const call = (path: string) => callApi(`${testDesk.api}/api/v1`, 'GET', path);
    const listed = await call('/offline/transactions');
    expect(listed.status).toBe(200);
    expect(listed.json.transactions).toMatchObject([
      { kind: 'blockPatron', state: 'pending', terminal: RELAY_USER, block: { cardRetained: true } },
    ]);

    // The ILS back on its port, the card not blocked there yet: the desk replays the block.
    ilsBack = await startIlsSimulator({ fixture: sampleFixturePath(), port });
    expect(ilsBack.state.patron(ALICE)?.blocked).toBe(false);
    const settled = await until(async () => {
      const [tx] = (await call('/offline/transactions')).json.transactions as OfflineTransaction[];
      return tx?.state === 'done' ? tx : undefined;
    }, 40_000);
    expect(settled.reason).toBe('sent');
    expect(ilsBack.state.patron(ALICE)).toMatchObject({
      blocked: true,
      blockedMessage: 'Card retained: reported stolen',
    });
  }, 60_000);
});
