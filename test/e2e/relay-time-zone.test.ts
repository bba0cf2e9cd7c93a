import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { formatSip2Date, parseSip2Date } from '../../src/protocols/sip2/index.js';
import { type KioskLink, withErrorDetection } from '../gateway/relay/helpers.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { loggedInSelfCheck, withRelay } from '../helpers/relay-desk.js';

/**
 * A self-check speaks in the ILS's local time: it sets its clock from the 98 the
 * ILS writes in its zone (the ILS device's timeZone), and writes its own dates
 * in it. While the ILS is down the relay answers for it, and takes the
 * self-check's store-and-forward checkins into the offline journal: both in the
 * ILS's zone, not in the zone of the desk's machine (a Linux box in UTC for a
 * library far from it). The zone here is UTC+14, which no test machine runs in.
 */
const ILS_ZONE = 'Pacific/Kiritimati';

let testDesk: TestDesk;
let link: KioskLink;

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withRelay(
      {
        ...config,
        devices: config.devices.map((device) =>
          device.kind === 'ils' ? { ...device, timeZone: ILS_ZONE } : device,
        ),
        offline: { ...config.offline, enabled: true, checkouts: true, checkins: true },
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

/** The instant a SIP2 local date means in the ILS's zone. */
function inIlsZone(text: string): number {
  const parsed = parseSip2Date(text, { timeZone: ILS_ZONE });
  if (!parsed.ok) throw new Error(`not a SIP2 date: ${text}`);
  return parsed.date.getTime();
}

describe('the relay answering for an ILS in another zone than the desk machine', () => {
  it('dates its 98 in the ILS’s local time, so a self-check setting its clock by it keeps the time', async () => {
    const status = (await link.request(withErrorDetection('9900302.00', 1)))!.toString('latin1');
    expect(status.slice(0, 3)).toBe('98N');
    expect(Math.abs(inIlsZone(status.slice(14, 32)) - Date.now())).toBeLessThan(60_000);
  });

  it('journals a store-and-forward checkin at the return date the self-check wrote, read in the ILS’s zone', async () => {
    // Returned two days ago at 23:30 by the self-check's clock (the ILS's time): that day's fines stop there.
    const twoDaysAgo = formatSip2Date(new Date(Date.now() - 2 * 86_400_000), { timeZone: ILS_ZONE });
    const returned = `${twoDaysAgo.slice(0, 12)}233000`;
    const answer = (await link.request(
      withErrorDetection(`09Y${returned}${returned}APMAIN|AORIVERSIDE|AB31000001|AC|`, 2),
    ))!.toString('latin1');
    expect(answer.slice(0, 3)).toBe('101');
    expect(Math.abs(inIlsZone(answer.slice(6, 24)) - Date.now())).toBeLessThan(60_000);
    const journal = await callApi(`${testDesk.api}/api/v1`, 'GET', '/offline/transactions');
    const checkin = journal.json.transactions.find((t: { item: string }) => t.item === '31000001');
    expect(checkin).toMatchObject({ kind: 'checkin', state: 'pending' });
    expect(Date.parse(checkin.at)).toBe(inIlsZone(returned));
  });
});
