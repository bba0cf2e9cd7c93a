import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { RELAY_PASSWORD, RELAY_USER, relayPortOf, withRelay } from '../helpers/relay-desk.js';
import { until } from '../helpers/until.js';
import { Sip2TestClient } from '../simulators/ils/sip2-client.js';

/**
 * Requests that reach the ILS once it is back must not overtake what the
 * offline journal still holds for the same item or patron. The defect: with a
 * checkout of X journaled behind others, an online checkin of X was answered
 * "not checked out" before replay reached X, and replay then charged X to the
 * patron while it sat on the shelf. Each case below journals a backlog with the
 * ILS away, brings a slow ILS back (replay then takes seconds) and at once asks
 * about the last item of the backlog — over HTTP and through the SIP2 relay.
 */
let testDesk: TestDesk;
let ils: IlsSimulator | undefined;
let ilsPort: number;
let relayPort: number;

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withRelay(
      {
        ...config,
        offline: {
          ...config.offline,
          enabled: true,
          checkouts: true,
          checkins: true,
          maxCheckoutsPerPatron: 20,
          maxTransactionsTotal: 100,
        },
      },
      { offlineOk: true, checkinOk: true, checkoutOk: true },
    ),
  );
  await waitForDevice(testDesk.api, 'ils', 'online');
  relayPort = relayPortOf(testDesk);
  const builtIn = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
  ilsPort = builtIn.port;
  await builtIn.close();
  await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
  await ils?.close();
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);

const waitUntil = <T>(probe: () => T | undefined | Promise<T | undefined>) => until(probe, 30_000);

/** Brings a fresh sample-library ILS back on the desk's port, answering every message after `latencyMs`. */
async function ilsBack(latencyMs: number): Promise<IlsSimulator> {
  ils = await startIlsSimulator({ fixture: sampleFixturePath(), port: ilsPort, faults: { latencyMs } });
  await waitForDevice(testDesk.api, 'ils', 'online', 20_000);
  return ils;
}

/** Lets replay finish, then takes the ILS away again for the next case. */
async function ilsAway(): Promise<void> {
  if (!ils) return;
  await waitUntil(async () => {
    const summary = (await call('GET', '/offline/summary')).json;
    return summary.pending + summary.replaying === 0 ? true : undefined;
  });
  await ils?.close();
  ils = undefined;
  await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);
}

async function journalCheckout(patron: string, item: string): Promise<void> {
  const answer = await call('POST', '/checkouts', { patron, item });
  expect(answer.json).toMatchObject({ ok: true, offline: true });
}

async function journalCheckin(item: string): Promise<void> {
  const answer = await call('POST', '/checkins', { item });
  expect(answer.json).toMatchObject({ ok: true, offline: true });
}

// On the shelf in the sample library, and lendable to 21000009 and 21000006.
const SHELF = ['31000004', '31000005', '31000006', '31000010', '31000014', '31000025', '31000026'];
const SHELF_TOO = ['31000027', '31000028', '31000030'];

describe('online requests wait for the offline backlog of their item or patron', () => {
  afterEach(ilsAway);

  it('a checkin of an item whose offline checkout is still queued checks it in after the checkout (HTTP)', async () => {
    const patron = '21000009';
    for (const item of SHELF) await journalCheckout(patron, item);
    const last = SHELF.at(-1)!;
    const back = await ilsBack(60);

    const checkin = await call('POST', '/checkins', { item: last });
    expect(checkin.status).toBe(200);
    // Answered by the ILS, after the journaled checkout of the same item reached it.
    expect(checkin.json).toMatchObject({ ok: true, offline: false });
    const tx = (await call('GET', '/offline/transactions')).json.transactions.find(
      (t: { item: string }) => t.item === last,
    );
    expect(tx).toMatchObject({ state: 'done', reason: 'sent' });
    await ilsAway();
    // The item is on the shelf, not charged to the patron.
    expect(back.state.loansOf(patron).map((loan) => loan.item)).not.toContain(last);
    expect(back.state.loansOf(patron).map((loan) => loan.item)).toEqual(
      expect.arrayContaining(SHELF.slice(0, -1)),
    );
  });

  it('a checkout of an item whose offline checkin is still queued is not refused as lent to another (HTTP)', async () => {
    // 31000020..24 are on loan to 21000008 in the sample library; their checkins go into the journal.
    const lent = ['31000020', '31000021', '31000022', '31000023', '31000024'];
    for (const item of lent) await journalCheckin(item);
    const last = lent.at(-1)!;
    const back = await ilsBack(60);

    const checkout = await call('POST', '/checkouts', { patron: '21000006', item: last });
    expect(checkout.status).toBe(200);
    expect(checkout.json).toMatchObject({ ok: true, offline: false });
    await ilsAway();
    expect(back.state.loansOf('21000006').map((loan) => loan.item)).toContain(last);
    expect(back.state.loansOf('21000008').map((loan) => loan.item)).toEqual([]);
  });

  it('a self-check through the SIP2 relay is answered after the backlog of its item too', async () => {
    const patron = '21000009';
    for (const item of SHELF_TOO) await journalCheckout(patron, item);
    const last = SHELF_TOO.at(-1)!;
    const back = await ilsBack(60);

    const kiosk = await Sip2TestClient.connect(relayPort, { charset: 'utf-8', timeZone: 'UTC' });
    try {
      expect(
        await kiosk.request(
          {
            type: 'login',
            uidAlgorithm: '0',
            pwdAlgorithm: '0',
            loginUserId: RELAY_USER,
            loginPassword: RELAY_PASSWORD,
            locationCode: 'MAIN',
          },
          'loginResponse',
        ),
      ).toMatchObject({ ok: true });
      const answer = await kiosk.request(
        {
          type: 'checkin',
          noBlock: false,
          transactionDate: new Date(),
          returnDate: new Date(),
          currentLocation: 'MAIN',
          institutionId: 'RIVERSIDE',
          itemIdentifier: last,
          terminalPassword: '',
        },
        'checkinResponse',
      );
      expect(answer).toMatchObject({ ok: true, itemIdentifier: last });
    } finally {
      kiosk.socket.destroy();
    }
    await ilsAway();
    expect(back.state.loansOf(patron).map((loan) => loan.item)).not.toContain(last);
  });
});
