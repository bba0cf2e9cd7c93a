import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { stationLogin } from '../helpers/print-desk.js';

/**
 * What a kiosk developer relies on: every answer a print route gives is listed among that route's
 * responses in the desk's OpenAPI document, so a client generated from it (or written by reading it)
 * handles each one. Here the print server refuses the desk its jobs' documents
 * (client-error-not-authorized, as CUPS's default policy answers a user who neither owns a job nor
 * is an administrator): the routes a station and the print desk use are called for real, over IPP
 * and HTTP, and each answer is checked against the route's entry in /docs/openapi.json.
 */
const PATRON = '21000001';
const PIN = '1234';

describe('print routes when the print server refuses, against their OpenAPI entries', () => {
  let testDesk: TestDesk;
  let api: string;
  let documented: Map<string, Set<number>>;
  /** The desk's log, JSON lines, as IT reads it in the journal. */
  let log = '';

  const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    return { status: res.status, body: (await res.json()) as any };
  }

  /** The answer, once checked to be one its route documents. */
  async function documentedCall(operationId: string, method: string, path: string, body?: unknown) {
    const answer = await call(method, path, body);
    const statuses = documented.get(operationId);
    expect(statuses, operationId).toBeDefined();
    expect(
      [...statuses!],
      `${operationId} answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
    ).toContain(answer.status);
    return answer;
  }

  beforeAll(async () => {
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    testDesk = await startTestDesk(
      (config) => ({
        ...config,
        devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      }),
      createLogger({ level: 'debug', format: 'json', destination: lines }),
    );
    api = testDesk.api;
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    const doc = (await call('GET', '/docs/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    documented = new Map(
      Object.values(doc.paths)
        .flatMap((methods) => Object.values(methods))
        .map((op) => [op.operationId, new Set(Object.keys(op.responses).map(Number))]),
    );
  }, 30_000);

  afterAll(async () => {
    await testDesk?.stop();
  });

  it('lists the 502 a release answers when the print server would not give the job’s document', async () => {
    server().setFaults({ refuseDocuments: true });
    const jobId = await server().submit({ user: PATRON, title: 'Thesis', pages: 2 });
    const login = await documentedCall('printStationLogin', 'POST', '/api/v1/print/station/login', {
      patron: PATRON,
      pin: PIN,
    });
    expect(login.status).toBe(200);
    const session = login.body.session as string;
    // The job is there, its pages not countable: the station says why.
    await expect
      .poll(
        async () =>
          (
            await documentedCall('printStationJobs', 'POST', '/api/v1/print/station/jobs', { session })
          ).body.jobs?.find((job: { jobId: number }) => job.jobId === jobId)?.problem?.code,
        { timeout: 10_000 },
      )
      .toBe('ipp_not_authorized');
    const staffView = await documentedCall('listHeldPrintJobs', 'GET', '/api/v1/print/jobs');
    expect(staffView.status).toBe(200);
    const thumbnail = await documentedCall(
      'printStationThumbnail',
      'POST',
      '/api/v1/print/station/thumbnail',
      {
        session,
        queue: 'public-bw',
        jobId,
      },
    );
    expect(thumbnail.body).toEqual({ png: null });
    const release = await documentedCall('printStationRelease', 'POST', '/api/v1/print/station/release', {
      session,
      requestId: crypto.randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    expect(release).toMatchObject({ status: 502, body: { code: 'ipp_not_authorized' } });
    server().setFaults({ refuseDocuments: false });
  });

  it('says a refused document in words staff can act on, keeps the print server’s answer for IT in the log, and no patron data', async () => {
    const patron = '21000002';
    server().setFaults({ refuseDocuments: true });
    try {
      const jobId = await server().submit({ user: patron, title: 'Grant application', pages: 3 });
      const session = await stationLogin(api, patron, '2222');
      await expect
        .poll(
          async () =>
            (await call('POST', '/api/v1/print/station/jobs', { session })).body.jobs?.find(
              (job: { jobId: number }) => job.jobId === jobId,
            )?.problem,
          { timeout: 10_000 },
        )
        .toMatchObject({ code: 'ipp_not_authorized' });
      const release = await call('POST', '/api/v1/print/station/release', {
        session,
        requestId: crypto.randomUUID(),
        queue: 'public-bw',
        jobId,
      });
      // The code stays what a kiosk branches on; the words are what happened, not a login refused.
      expect(release.status).toBe(502);
      expect(release.body.code).toBe('ipp_not_authorized');
      expect(release.body.title).not.toMatch(/login/i);
      expect(release.body.title).toMatch(/print server/);
      const detail = release.body.detail as string;
      expect(detail).toMatch(/would not give the desk this job’s document/);
      expect(detail).toMatch(/nothing was charged/);
      // What IT is to check on the print server.
      expect(detail).toMatch(/CUPS-Get-Document/);
      // Not the print server's address and status words, and no patron.
      expect(detail).not.toMatch(/ipp:\/\/|127\.0\.0\.1|client-error|not-authorized/);
      expect(JSON.stringify(release.body)).not.toContain(patron);
      // The print desk's list says the same of the job.
      const staff = await call('GET', '/api/v1/print/jobs');
      const staffJob = staff.body.jobs.find((job: { jobId: number }) => job.jobId === jobId);
      expect(staffJob.problem).toEqual({ code: 'ipp_not_authorized', message: detail });
      // The print server's own answer is in the log, once, for IT: where and what it said.
      const refusals = log
        .split('\n')
        .filter((line) => line.includes('client-error-not-authorized') && line.includes(`"job":${jobId}`));
      expect(refusals).toHaveLength(1);
      expect(JSON.parse(refusals[0]!)).toMatchObject({
        level: 'warn',
        device: 'public-bw',
        printServer: expect.stringMatching(/^ipp:\/\/127\.0\.0\.1:\d+\/printers\/public-bw$/),
      });
      expect(refusals[0]).not.toContain(patron);
      expect(refusals[0]).not.toContain('Grant application');
      // Nothing was charged.
      expect((await call('POST', '/api/v1/print/station/account', { session })).body.releases).toEqual([]);
    } finally {
      server().setFaults({ refuseDocuments: false });
    }
  });
});
