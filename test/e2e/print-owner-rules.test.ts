import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { printQueueSchema } from '../../src/gateway/families/print-queue/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { countedAtDesk, stationLogin } from '../helpers/print-desk.js';

/**
 * Who a job belongs to, by each queue's owner rule, on the simulated desk: a
 * PC booking system's user names through a table (an unmapped name belongs
 * to nobody), and guest PCs whose jobs carry a release code the patron types
 * at the station and pays from their own account. Real IPP over TCP.
 */
const PATRON = '21000001';
let testDesk: TestDesk;
let api: string;
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const call = jsonApi(() => api);

interface Job {
  queue: string;
  jobId: number;
  pages: number | null;
  quote: { amountMinor: number } | null;
  patron?: string | null;
}

const login = () => stationLogin(api, PATRON, '1234');

/** The job as the print desk lists it, once its pages are counted. */
const deskJob = async (queue: string, jobId: number) => (await countedAtDesk(api, [jobId], { queue }))[0];

describe('owner rules', () => {
  beforeAll(async () => {
    testDesk = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) =>
        s.kind === 'print-server' ? { ...s, pageMs: 5, queues: ['public-bw', 'booked', 'guest'] } : s,
      ),
      devices: [
        ...config.devices,
        printQueueSchema.parse({
          id: 'booked',
          kind: 'print-queue',
          transport: { type: 'simulator', simulator: 'print-server' },
          pollIntervalMs: 100,
          owners: { rule: 'table', table: { 'pc-user-3': PATRON } },
        }),
        printQueueSchema.parse({
          id: 'guest',
          kind: 'print-queue',
          transport: { type: 'simulator', simulator: 'print-server' },
          pollIntervalMs: 100,
          owners: { rule: 'release-code' },
        }),
      ],
    }));
    api = testDesk.api;
    await waitForDevice(api, 'booked', 'online', 15_000);
    await waitForDevice(api, 'guest', 'online', 15_000);
    const deposit = await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 500,
      currency: 'EUR',
    });
    expect(deposit.status).toBe(201);
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
  });

  it("gives a booking system's user the table names to that patron, and an unmapped one to nobody", async () => {
    const mapped = await server().submit({ user: 'pc-user-3', pages: 2, queue: 'booked' });
    const unmapped = await server().submit({ user: 'pc-user-9', pages: 1, queue: 'booked' });
    expect(await deskJob('booked', mapped)).toMatchObject({ patron: PATRON });
    expect(await deskJob('booked', unmapped)).toMatchObject({ patron: null, quote: null });
    const session = await login();
    const { body } = await call<{ jobs: Job[] }>('POST', '/api/v1/print/station/jobs', { session });
    const mine = body.jobs.filter((j) => j.queue === 'booked').map((j) => j.jobId);
    expect(mine).toEqual([mapped]);
    const released = await call<{ release: { amountMinor: number } }>(
      'POST',
      '/api/v1/print/station/release',
      {
        session,
        requestId: randomUUID(),
        queue: 'booked',
        jobId: mapped,
      },
    );
    expect(released).toMatchObject({ status: 200, body: { release: { amountMinor: 20 } } });
  });

  it('shows a guest job only to the one who types its release code, and charges their account', async () => {
    const jobId = await server().submit({ user: '472913', pages: 3, queue: 'guest' });
    await deskJob('guest', jobId);
    const session = await login();
    const without = await call<{ jobs: Job[] }>('POST', '/api/v1/print/station/jobs', { session });
    expect(without.body.jobs.some((j) => j.queue === 'guest')).toBe(false);
    const wrong = await call<{ jobs: Job[] }>('POST', '/api/v1/print/station/jobs', {
      session,
      releaseCode: '000000',
    });
    expect(wrong.body.jobs.some((j) => j.queue === 'guest')).toBe(false);
    const right = await call<{ jobs: Job[]; balance: { balanceMinor: number } }>(
      'POST',
      '/api/v1/print/station/jobs',
      { session, releaseCode: '472913' },
    );
    expect(right.body.jobs.find((j) => j.queue === 'guest')).toMatchObject({
      jobId,
      quote: { amountMinor: 30 },
    });
    const refused = await call('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'guest',
      jobId,
    });
    expect(refused).toMatchObject({ status: 404, body: { code: 'print_job_not_found' } });
    const released = await call<{ balance: { balanceMinor: number } }>(
      'POST',
      '/api/v1/print/station/release',
      {
        session,
        requestId: randomUUID(),
        queue: 'guest',
        jobId,
        releaseCode: '472913',
      },
    );
    expect(released.status).toBe(200);
    expect(released.body.balance.balanceMinor).toBe(right.body.balance.balanceMinor - 30);
  });

  it('does not show page one of a guest job to a patron without its release code', async () => {
    const jobId = await server().submit({
      user: '815064',
      title: 'Medical letter',
      pages: 1,
      queue: 'guest',
    });
    await deskJob('guest', jobId);
    const session = await login();
    const thumbnail = (releaseCode?: string) =>
      call<{ png: string | null }>('POST', '/api/v1/print/station/thumbnail', {
        session,
        queue: 'guest',
        jobId,
        ...(releaseCode ? { releaseCode } : {}),
      });
    // Any patron logged in at any station was shown it, by its job number alone.
    expect(await thumbnail()).toMatchObject({ status: 200, body: { png: null } });
    expect(await thumbnail('000000')).toMatchObject({ status: 200, body: { png: null } });
    const right = await thumbnail('815064');
    expect(right.status).toBe(200);
    expect(
      Buffer.from(right.body.png ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });
});
