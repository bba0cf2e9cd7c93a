/**
 * A print server that hangs on the Cancel-Job of a job past its hold time (the simulator's
 * stallCancel fault, over IPP) while the station is busy: one patron's large document is on its way
 * to the desk to be counted (documentDelayMs: it takes 3 s), and another patron releases a job at the
 * station. The desk keeps two IPP connections to the print server for the patrons' work; the cancel,
 * housekeeping nobody waits for, must not take one of them for its 10 s timeout, or the release
 * waits behind the large document. Timed from outside, over the desk's HTTP API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-call.js';
import type { TestDesk } from '../helpers/desk.js';
import { countedAtStation, stationLogin } from '../helpers/print-desk.js';
import { printServer, startShortHoldDesk } from '../helpers/print-expiry.js';
import { until } from '../helpers/until.js';

let testDesk: TestDesk;
const forgetful = '21000001';
const releasing = { patron: '21000002', pin: '2222' };
const withLargeDocument = '21000009';

beforeAll(async () => {
  testDesk = await startShortHoldDesk();
}, 30_000);

afterAll(async () => {
  printServer(testDesk)?.setFaults({ stallCancel: false, documentDelayMs: 0 });
  await testDesk?.stop();
});

const api = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  callApi(`${testDesk.api}/api/v1`, method, path, body);
const server = () => printServer(testDesk);

describe('a Cancel-Job the print server hangs on, while patrons use the station', () => {
  it('does not make a patron’s release wait behind another patron’s document', async () => {
    expect(
      (
        await api('POST', '/print/accounts/deposit', {
          requestId: randomUUID(),
          patron: releasing.patron,
          amountMinor: 200,
          currency: 'EUR',
          source: 'cash-desk',
        })
      ).status,
    ).toBe(201);
    server().setFaults({ stallCancel: true });
    // A job printed and forgotten: past its hold time (7.2 s), its Cancel-Job is left unanswered.
    await server().submit({ user: forgetful, title: 'Forgotten', pages: 1 });
    await until(
      () => (server().model.cancelsStalled > 0 ? true : undefined),
      20_000,
      'timed out waiting for the Cancel-Job of the expired job',
      50,
    );
    // From here the desk waits up to 10 s for that answer before it asks again.

    // A patron's job, listed with its pages at the station.
    const session = await stationLogin(testDesk.api, releasing.patron, releasing.pin);
    const jobId = await server().submit({ user: releasing.patron, title: 'Boarding pass', pages: 1 });
    await countedAtStation(testDesk.api, session, jobId, { timeoutMs: 3_000 });

    // Another patron prints a large document: the desk fetches it to count its pages (3 s).
    server().setFaults({ documentDelayMs: 3_000 });
    const large = await server().submit({ user: withLargeDocument, title: 'Thesis', pages: 1 });
    await until(
      async () =>
        ((await api('GET', '/print/jobs')).json.jobs as { jobId: number }[]).some((j) => j.jobId === large)
          ? true
          : undefined,
      2_000,
      'the large document’s job was not seen by the desk',
      50,
    );

    // The first patron releases now, and is not kept waiting for the other's document.
    const started = performance.now();
    const release = await api('POST', '/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    const waited = performance.now() - started;
    expect(release.status).toBe(200);
    // It took 2.5 s or more: the hung Cancel-Job held one connection, the large document the other.
    expect(waited).toBeLessThan(1_500);
    // The Cancel-Job was still unanswered all along (not given up and asked again meanwhile).
    expect(server().model.cancelsStalled).toBe(1);
    await until(
      () => (server().job(jobId)?.state === 'completed' ? true : undefined),
      10_000,
      'timed out waiting for the released job printed',
      100,
    );
  }, 60_000);
});
