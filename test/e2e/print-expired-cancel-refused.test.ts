/**
 * A job held past the queue's hold time is cancelled at the print server, without charge. When the
 * print server does not take that Cancel-Job (it answered an error: the server busy, a policy), the
 * job is not forgotten: it is asked again until the server has cancelled it, and nobody can release
 * it meanwhile. Over IPP to the simulated print server, the desk's HTTP API as the station uses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

let testDesk: TestDesk;
const patron = '21000001';
// 0.002 h: a job is past its hold time 7.2 s after it was printed.
const HOLD_HOURS = 0.002;

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    devices: config.devices.map((d) =>
      d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100, holdHours: HOLD_HOURS } : d,
    ),
  }));
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

const post = (path: string, body: unknown) => callApi(`${testDesk.api}/api/v1`, 'POST', path, body);
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a held job past its hold time whose Cancel-Job the print server refused', () => {
  it('is cancelled when the print server takes it, and cannot be released meanwhile', async () => {
    const model = server().model;
    const cancel = model.cancel.bind(model);
    let refused = 0;
    // The print server answers the first Cancel-Job for the job with an error (client-error-not-possible).
    model.cancel = (id, by) => {
      if (refused === 0) {
        refused++;
        return false;
      }
      return cancel(id, by);
    };
    try {
      const jobId = await server().submit({ user: patron, title: 'Forgotten', pages: 2 });
      const session = (await post('/print/station/login', { patron, pin: '1234' })).json.session as string;
      await until('the job counted', async () => {
        const { jobs } = (await post('/print/station/jobs', { session })).json;
        return jobs.find(
          (j: { jobId: number; pages: number | null }) => j.jobId === jobId && j.pages !== null,
        );
      });
      await until('the expiry to ask the print server to cancel it', () => (refused > 0 ? true : undefined));
      // Past its hold time, the station does not list it, nor release it.
      const { jobs } = (await post('/print/station/jobs', { session })).json;
      expect(jobs.map((j: { jobId: number }) => j.jobId)).not.toContain(jobId);
      const release = await post('/print/station/release', {
        session,
        requestId: crypto.randomUUID(),
        queue: 'public-bw',
        jobId,
      });
      expect(release.status).toBe(404);
      // It stayed held at the print server for good: Carrel took the job as cancelled and never asked again.
      await until(
        'the job cancelled at the print server',
        () => (server().job(jobId)?.state === 'canceled' ? true : undefined),
        15_000,
      );
    } finally {
      model.cancel = cancel;
    }
  }, 45_000);
});
