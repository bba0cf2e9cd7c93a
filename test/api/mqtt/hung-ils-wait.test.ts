/**
 * A kiosk checks out over MQTT while the ILS hangs: the desk's ILS simulator,
 * over TCP, reads every request and answers none. The checkout's answer is
 * lost, so the desk looks the item up before it may send the checkout again,
 * and that waits its own timeout: the kiosk waits two timeouts. Its answer
 * used to say "no answer from the ILS within 1500 ms" after 3 s; it says how
 * long the kiosk waited, and why. A lookup (an item's information) whose answer
 * is lost is asked once more, which waits a timeout too: its answer says so.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../../simulators/ils/family.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from '../../helpers/desk.js';

const TIMEOUT_MS = 1500;
const area = 'carrel/library/desk-1/clients/kiosk-hung';
let testDesk: TestDesk;
let kiosk: MqttClient;
const answers = new Map<
  string,
  { status: string; error?: { code: string; message: string; answerLost?: boolean } }
>();

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withIls(config, (ils) => ({ ...ils, requestTimeoutMs: TIMEOUT_MS })),
  );
  await waitForDevice(testDesk.api, 'ils', 'online');
  kiosk = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: 'kiosk-hung',
  });
  kiosk.on('message', (_topic, payload) => {
    const envelope = JSON.parse(String(payload));
    answers.set(envelope.transaction, envelope);
  });
  await kiosk.subscribeAsync(`${area}/response/#`);
}, 30_000);

afterAll(async () => {
  await kiosk?.endAsync();
  await testDesk?.stop();
});

describe('a checkout over MQTT while the ILS reads and never answers', () => {
  it('is answered with the time the kiosk waited, not one timeout after two', async () => {
    testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!.setFaults({ hang: true });
    const started = performance.now();
    await kiosk.publishAsync(
      `${area}/request/circulation.checkout`,
      JSON.stringify({ transaction: 'c1', data: { patron: '21000009', item: '31000005' } }),
      { qos: 1 },
    );
    await expect.poll(() => answers.has('c1'), { timeout: 4 * TIMEOUT_MS + 5000 }).toBe(true);
    const waited = performance.now() - started;
    const answer = answers.get('c1')!;
    // The checkout may have been done: the kiosk is told so, to have it checked at the ILS.
    expect(answer).toMatchObject({ status: 'error', error: { code: 'ils_timeout', answerLost: true } });
    // The checkout's timeout, then the item lookup's.
    expect(waited).toBeGreaterThan(2 * TIMEOUT_MS);
    const message = answer.error!.message;
    expect(message).toMatch(
      /^no answer from the ILS within 1500 ms; the item could not be looked up afterwards to see whether it was done \(the ILS is unreachable: no answer from the ILS within 1500 ms\): \d+ ms waited in all: it may have been done all the same — check at the ILS before doing it again$/,
    );
    const said = Number(/(\d+) ms waited in all/.exec(message)![1]);
    expect(said).toBeGreaterThanOrEqual(2 * TIMEOUT_MS);
    expect(said).toBeLessThanOrEqual(waited);
  }, 30_000);

  it('says a lookup was asked once more, when its answer was lost and the kiosk waited for the retry too', async () => {
    const ils = testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
    ils.setFaults({});
    await waitForDevice(testDesk.api, 'ils', 'online', 20_000);
    ils.setFaults({ hang: true });
    const started = performance.now();
    await kiosk.publishAsync(
      `${area}/request/circulation.item`,
      JSON.stringify({ transaction: 'i1', data: { item: '31000005' } }),
      { qos: 1 },
    );
    await expect.poll(() => answers.has('i1'), { timeout: 4 * TIMEOUT_MS + 5000 }).toBe(true);
    const waited = performance.now() - started;
    expect(answers.get('i1')).toMatchObject({ status: 'error', error: { code: 'ils_timeout' } });
    // An item lookup may be asked twice: its lost answer is asked for once more.
    expect(waited).toBeGreaterThan(2 * TIMEOUT_MS);
    expect(answers.get('i1')!.error!.message).toMatch(
      /^no answer from the ILS within 1500 ms; asked once more, it could not be sent \(.+\)$/,
    );
  }, 30_000);
});
