import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { TRANSCRIPT_DATE as DATE, type KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { loggedInSelfCheck, withRelay } from '../helpers/relay-desk.js';

/**
 * A desk whose offline journal takes checkins but no checkouts (offline.checkouts false: the
 * library lends nothing it cannot check), with a relay whose own offline policy says it takes
 * both. While the ILS is down the relay's 98 offers what the journal takes — checkins — and not the
 * checkouts it would then refuse: a self-check believing the 98 sends a patron to a refusal.
 */
describe('the relay’s 98 on a desk whose journal takes no checkouts', () => {
  let testDesk: TestDesk;
  let link: KioskLink;

  beforeAll(async () => {
    testDesk = await startTestDesk((config) =>
      withRelay(
        {
          ...config,
          offline: { ...config.offline, enabled: true, checkouts: false, checkins: true },
        },
        { offlineOk: true, checkinOk: true, checkoutOk: true },
      ),
    );
    await waitForDevice(testDesk.api, 'ils', 'online');
    await testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!.close();
    await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);
    link = await loggedInSelfCheck(testDesk);
  });

  afterAll(async () => {
    link?.close();
    await testDesk?.stop();
  });

  it('offers the checkins the journal takes and not the checkouts it would refuse', async () => {
    const status = (await link.request(withErrorDetection('9900302.00', 1)))!.toString('latin1');
    // 98, online N, checkin ok Y, checkout ok N (SIP2 2.00: the ACS status's first three flags).
    expect(status.slice(0, 5)).toBe('98NYN');
    // The self-check has named no institution yet: the relay names the library's, as the ILS would.
    expect(status.slice(36)).toMatch(/^AORIVERSIDE\|/);
    const checkin = (await link.request(
      withErrorDetection(`09N${DATE}${DATE}APMAIN|AORIVERSIDE|AB31000001|AC|`, 2),
    ))!.toString('latin1');
    expect(checkin.slice(0, 3)).toBe('101');
    const checkout = (await link.request(
      withErrorDetection(`11YN${DATE}${DATE}AORIVERSIDE|AA21000001|AB31000002|AC|`, 3),
    ))!.toString('latin1');
    expect(checkout.slice(0, 3)).toBe('120');
  });
});
