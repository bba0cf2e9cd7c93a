import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation } from '../helpers/print-desk.js';

/**
 * A release the print server refuses, as a kiosk developer's client meets it over HTTP on the
 * simulated desk (real IPP to the print server simulator, SIP2 to the ILS simulator): the refusal
 * says in a field of its own whether the job is still waiting (no reading of its words), and the
 * same request sent again — its answer lost on the way — is answered with the same refusal and
 * charges nothing.
 */
let testDesk: TestDesk;
const call = jsonApi(() => testDesk.api);
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
const PATRON = '21000001';

interface Problem {
  code: string;
  status: number;
  detail?: string;
  jobStillWaiting?: boolean;
}

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
  }));
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
  const topUp = await call('POST', '/api/v1/print/accounts/deposit', {
    requestId: randomUUID(),
    patron: PATRON,
    amountMinor: 500,
    currency: 'EUR',
  });
  expect(topUp.status).toBe(201);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

/** A one-page job of the patron's, once the station lists it priced: its id, and the station's session. */
const heldJob = (title: string) =>
  heldAtStation(testDesk.api, server(), '1234', { user: PATRON, title, pages: 1 });

/** What the desk sees of the patron's money: the balance and how many ledger entries. */
async function account(): Promise<{ balanceMinor: number; entries: number }> {
  const { body } = await call<{ statement: { balanceMinor: number; entries: unknown[] } }>(
    'POST',
    '/api/v1/print/accounts/find',
    { patron: PATRON, limit: 500 },
  );
  return { balanceMinor: body.statement.balanceMinor, entries: body.statement.entries.length };
}

async function refuseNextRelease(): Promise<void> {
  const fault = await fetch(`${server().url}/api/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refuseNextRelease: true }),
  });
  expect(fault.status).toBe(200);
}

/** A release as a client sends it: the status, the answer, and whether HTTP says it is the first answer again. */
async function release(request: object): Promise<{ status: number; body: Problem; replayed: string | null }> {
  const answer = await fetch(`${testDesk.api}/api/v1/print/station/release`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  return {
    status: answer.status,
    body: (await answer.json()) as Problem,
    replayed: answer.headers.get('idempotent-replayed'),
  };
}

describe('a release the print server refuses', () => {
  it('says jobStillWaiting: true when the print server keeps the job, and the same request again is refused the same way, nothing charged twice', async () => {
    const { jobId, session: station } = await heldJob('Letter');
    const before = await account();
    await refuseNextRelease();
    const request = { session: station, requestId: randomUUID(), queue: 'public-bw', jobId };

    const first = await release(request);
    expect(first.status).toBe(409);
    expect(first.body).toMatchObject({ code: 'print_release_refused', jobStillWaiting: true });
    expect(first.replayed).toBeNull();
    expect(server().job(jobId)?.state).toBe('pending-held');
    // Charged and refunded: the balance as it was.
    expect((await account()).balanceMinor).toBe(before.balanceMinor);
    const afterFirst = await account();

    // The answer was lost on the way: the client sends the same request again. It was answered
    // 200 with the refunded release — a client reading 200 as 'printing' told the patron so.
    const again = await release(request);
    expect(again.status).toBe(409);
    expect(again.body).toEqual(first.body);
    // As every request sent again with its id, HTTP says it is the first answer again.
    expect(again.replayed).toBe('true');
    expect(await account()).toEqual(afterFirst);
    expect(server().job(jobId)?.state).toBe('pending-held');

    // Pressed again (a new request) it prints, charged once.
    const print = { ...request, requestId: randomUUID() };
    const printed = await call<{ release: { state: string; amountMinor: number } }>(
      'POST',
      '/api/v1/print/station/release',
      print,
    );
    expect(printed.status).toBe(200);
    expect(printed.body.release.amountMinor).toBe(10);
    expect((await account()).balanceMinor).toBe(before.balanceMinor - 10);
    const printedAgain = await release(print);
    expect(printedAgain).toMatchObject({ status: 200, replayed: 'true' });
    expect((await account()).balanceMinor).toBe(before.balanceMinor - 10);
    // The refused request's id sent once more still answers its refusal, and moves no money.
    const late = await call<Problem>('POST', '/api/v1/print/station/release', request);
    expect(late.status).toBe(409);
    expect(late.body).toEqual(first.body);
    expect((await account()).balanceMinor).toBe(before.balanceMinor - 10);
  });

  it('says jobStillWaiting: false when the job was deleted at the print server, and the same request again is refused the same way', async () => {
    const { jobId, session: station } = await heldJob('Invoice');
    const before = await account();
    // Someone deletes it at the print server just before Carrel's Release-Job reaches it.
    const model = server().model;
    const release = model.release.bind(model);
    model.release = (id) => {
      if (id === jobId) model.cancel(id);
      return release(id);
    };
    const request = { session: station, requestId: randomUUID(), queue: 'public-bw', jobId };
    let first: { status: number; body: Problem };
    try {
      first = await call<Problem>('POST', '/api/v1/print/station/release', request);
    } finally {
      model.release = release;
    }
    expect(first.status).toBe(409);
    expect(first.body).toMatchObject({ code: 'print_release_refused', jobStillWaiting: false });
    expect((await account()).balanceMinor).toBe(before.balanceMinor);
    const afterFirst = await account();

    const again = await call<Problem>('POST', '/api/v1/print/station/release', request);
    expect(again.status).toBe(409);
    expect(again.body).toEqual(first.body);
    expect(await account()).toEqual(afterFirst);
  });

  it('the same release sent twice at the same moment, refused by the print server, is refused to both and the job not printed free', async () => {
    const { jobId, session: station } = await heldJob('Poster');
    const before = await account();
    await refuseNextRelease();
    const request = { session: station, requestId: randomUUID(), queue: 'public-bw', jobId };
    // A station that sent its request again at once (a double tap, a client retrying on a timer).
    const [a, b] = await Promise.all([
      call<Problem>('POST', '/api/v1/print/station/release', request),
      call<Problem>('POST', '/api/v1/print/station/release', request),
    ]);
    // The second sent Release-Job again while the first's refusal was being refunded: the print
    // server released the job, it printed, and the patron's charge was refunded all the same —
    // answered 200 'refunded'.
    expect([a.status, b.status]).toEqual([409, 409]);
    expect(a.body).toMatchObject({ code: 'print_release_refused', jobStillWaiting: true });
    expect(b.body).toEqual(a.body);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server().job(jobId)?.state).toBe('pending-held');
    expect((await account()).balanceMinor).toBe(before.balanceMinor);
    server().model.cancel(jobId);
  });

  it('documents jobStillWaiting with the problems in the OpenAPI document', async () => {
    const { body } = await call<{
      components: {
        schemas: { Problem: { properties: Record<string, { type: string; description?: string }> } };
      };
    }>('GET', '/docs/openapi.json');
    const field = body.components.schemas.Problem.properties.jobStillWaiting;
    expect(field?.type).toBe('boolean');
    expect(field?.description).toMatch(/print_release_refused/);
  });
});
