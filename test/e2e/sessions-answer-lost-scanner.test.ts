import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { scannerSimulators } from '../../simulators/scanner/family.js';
import { createLogger } from '../../src/core/logger.js';
import type { SessionView } from '../../src/gateway/sessions/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice, withIls } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * An item whose checkout answer was lost, scanned again at the kiosk's barcode scanner while the
 * library system cannot say whether it lent it: the session refuses it (item_outcome_unknown, the
 * patron is sent to staff), and Carrel's log, as IT reads it (JSON), says so without calling it an
 * error and without naming the patron. The desk's SIP2 link to the ILS simulator over TCP, the
 * scanner simulator's serial lines over TCP.
 */
let desk: TestDesk;
let log = '';

beforeAll(async () => {
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  // A short request timeout: a lost look-up (tried twice) fails in two seconds, not twenty.
  desk = await startTestDesk(
    (config) => ({
      ...withIls(config, (ils) => ({ ...ils, requestTimeoutMs: 1_000 })),
      mqtt: { mode: 'off' },
    }),
    createLogger({ level: 'debug', format: 'json', destination: lines }),
  );
  await waitForDevice(desk.api, 'ils', 'online');
  await waitForDevice(desk.api, 'scanner-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await desk?.stop();
});

const ils = () => desk.desk.simulators.handle(ilsSimulators, 'ils-sim')!;
const scanner = () => desk.desk.simulators.handle(scannerSimulators, 'scanner-sim')!;
const call = jsonApi(() => desk.api);

/** The log's lines, read as JSON. */
const logLines = () =>
  log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The state of an item in the session, once it is no longer being worked on. */
const itemOf = (session: string, item: string) =>
  until(async () => {
    const { body } = await call<SessionView>('GET', `/api/v1/sessions/${session}`);
    return body.items.find((i) => i.item === item && i.state !== 'pending');
  });

describe('an item whose answer was lost, scanned again at the kiosk', () => {
  it('is refused and logged as a refusal (its code, no patron), not as an error', async () => {
    const opened = await call<SessionView>('POST', '/api/v1/sessions', {
      mode: 'checkout',
      patron: '21000009',
      pin: '9999',
      scanner: 'scanner-1',
    });
    expect(opened.status).toBe(201);
    const session = opened.body.id;
    // The ILS lends Dune and its answer is lost; so is the look-up that would have given its title.
    ils().setFaults({
      loseAnswers: { type: 'checkout', times: 1 },
      ignoreRequests: { type: 'itemInformation', times: 2 },
    });
    await scanner().scan('31000005');
    expect(await itemOf(session, '31000005')).toMatchObject({ state: 'failed', answerLost: true });
    // The ILS is back but answers no look-up: it cannot say whether Dune was lent.
    ils().setFaults({ ignoreRequests: { type: 'itemInformation', times: 1000 } });
    await waitForDevice(desk.api, 'ils', 'online', 15_000);
    const before = logLines().length;
    await scanner().scan('31000005');
    const refused = await until(
      () =>
        logLines().find(
          (line) => line.session === session && JSON.stringify(line).includes('item_outcome_unknown'),
        ),
      15_000,
      'no log line of the refusal',
    );
    ils().setFaults({});
    // 'session could not take a scanned item' at error level: IT looked for a fault that was none.
    expect(refused).toMatchObject({
      level: 'info',
      code: 'item_outcome_unknown',
      scanner: 'scanner-1',
      msg: 'session refused a scanned item',
    });
    const since = logLines().slice(before);
    expect(since.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    const text = JSON.stringify(since);
    for (const patron of ['21000009', '9999', 'Kåre', 'Ødegård']) expect(text).not.toContain(patron);
    // Nothing was sent again: Dune is still lent once, and the session still says it may be.
    expect(ils().state.item('31000005')?.loan).toMatchObject({ patron: '21000009', renewals: 0 });
    expect(await itemOf(session, '31000005')).toMatchObject({ state: 'failed', answerLost: true });
    await call('DELETE', `/api/v1/sessions/${session}`);
    ils().state.setLoan(ils().state.item('31000005')!, undefined);
  }, 60_000);
});
