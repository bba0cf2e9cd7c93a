/**
 * A released job jams part-way (the print server holds it, processing-stopped) and Carrel is
 * SIGKILLed, as a power cut or an OOM kill does, then started again by systemd on the same
 * database. What the desk had heard of the printer before the kill — the pages that came out — is
 * what it goes on from: a job the print server purged meanwhile is charged those pages only, and a
 * refund of the pages not printed made before Carrel has heard the print server again cancels the
 * rest of the job from them. `carrel start` runs the compiled code in dist/ (`npm run build`
 * first); the ILS and the print server (IPP over HTTP) run in this process and live on, the print
 * server behind a proxy that can stop answering.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { type PrintServerSimulator, startPrintServerSimulator } from '../../simulators/print-server/index.js';
import { createLogger } from '../../src/core/logger.js';
import { type ApiAnswer, callApi } from '../helpers/api-call.js';
import {
  type RestartableCarrel,
  restartableCarrel,
  simulatedIlsDevice,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';
import { waitForDevice } from '../helpers/desk.js';
import { jammedPrintJobs } from '../helpers/jammed-print-job.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { untilAnswered } from '../helpers/until.js';

const PATRON = '21000001';

let ils: IlsSimulator;
let server: PrintServerSimulator;
let proxy: StallingProxy;
let carrel: RestartableCarrel | undefined;

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: sampleFixturePath() });
  server = await startPrintServerSimulator({
    id: 'print-server',
    host: '127.0.0.1',
    port: 0,
    queues: ['public-bw'],
    pageMs: 150,
    holdAll: true,
    logger: createLogger({ level: 'silent' }),
  });
  proxy = await StallingProxy.start(server.port);
  carrel = restartableCarrel('carrel-print-jam-kill-', (dir) =>
    writeDaemonConfig(dir, 'print-jam-kill', {
      devices: [
        simulatedIlsDevice(ils.port),
        {
          id: 'public-bw',
          kind: 'print-queue',
          pollIntervalMs: 100,
          transport: {
            type: 'ipp',
            url: `ipp://127.0.0.1:${proxy.port}/printers/public-bw`,
            timeoutMs: 1000,
          },
        },
      ],
    }),
  );
}, 30_000);

afterAll(async () => {
  await carrel?.close();
  await proxy?.close();
  await server?.close();
  await ils?.close();
});

const api = () => carrel!.api;
const post = (route: string, body: unknown) => callApi(api(), 'POST', `/api/v1${route}`, body);

/** Polls `probe` every 50 ms for up to 20 s; a probe that fails (Carrel not up yet) is asked again. */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> =>
  untilAnswered(probe, 20_000, `timed out waiting for ${what}`, 50);

const {
  releaseAndJam: releaseAndJamAtStation,
  heardStopped,
  settledAtDesk,
} = jammedPrintJobs({
  api,
  server: () => server,
  patron: PATRON,
  pin: '1234',
});

const balance = async (): Promise<number> =>
  (await post('/print/accounts/find', { patron: PATRON })).json.statement.balanceMinor;

const startCarrel = () => carrel!.start();

/**
 * A job of 10 pages (1.00 EUR, 5.00 EUR paid in for it) released at the station once the desk's
 * devices are online, the printer stopped once three or more are out, and the desk showing staff
 * how many: the release, and the pages printed.
 */
async function releaseAndJam(): Promise<{ releaseId: string; jobId: number; printed: number }> {
  await waitForDevice(api(), 'ils', 'online', 20_000);
  await waitForDevice(api(), 'public-bw', 'online', 20_000);
  const { releaseId, jobId, printed } = await releaseAndJamAtStation();
  // What the desk shows staff: the desk follows released jobs every 2 s.
  expect((await heardStopped(releaseId)).printer?.impressionsCompleted).toBe(printed);
  return { releaseId, jobId, printed };
}

describe('a jammed job across a SIGKILL of Carrel', () => {
  it('charges only the pages the desk had heard printed when the print server purged the job while Carrel was down, and says the rest is not known', async () => {
    await startCarrel();
    const before = await balance();
    const { releaseId, jobId, printed } = await releaseAndJam();

    await carrel!.kill();
    // Purged at the print server (cancel -x) while Carrel is down.
    expect(server.model.forget(jobId)).toBe(true);
    await startCarrel();

    const settled = await settledAtDesk(releaseId);
    // It was taken as printed in full: 1.00 EUR for the pages that came out before the jam.
    expect(settled).toMatchObject({
      state: 'refunded',
      amountMinor: 100,
      refundedMinor: (10 - printed) * 10,
      printedImpressions: printed,
    });
    expect(settled.outcome).toContain(`had printed ${printed} of 10 pages`);
    expect(settled.outcome).toContain(`whether the other ${10 - printed} printed is not known`);
    expect(await balance()).toBe(before + 500 - printed * 10);
  }, 120_000);

  it('cancels the rest of a jammed job, from the pages the desk had heard printed, when staff refund them before Carrel has heard the print server again', async () => {
    server.setFaults({ stopped: false });
    if (!carrel!.running()) await startCarrel();
    const before = await balance();
    const { releaseId, jobId, printed } = await releaseAndJam();

    await carrel!.kill();
    // The print server does not answer when Carrel is back (its link down, the server restarting).
    proxy.stall();
    let refund: ApiAnswer;
    try {
      await startCarrel();
      // Staff refund what the desk showed did not come out.
      refund = await post('/print/releases/refund', {
        requestId: randomUUID(),
        releaseId,
        amountMinor: (10 - printed) * 10,
        reason: 'jammed: pages not printed',
      });
    } finally {
      proxy.resume();
    }
    expect(refund.status).toBe(200);
    // It counted 0 pages printed: the refund left more charged than the pages printed cost, so the
    // rest was not cancelled, and it printed in full once the jam was cleared.
    expect(refund.json.printer?.message ?? '(nothing said of the rest)').toContain(
      `refunded at the desk after ${printed} of 10 pages`,
    );
    // The print server did not answer the Cancel-Job either: Carrel asks again once it does.
    expect(refund.json.printer.message).toContain('the rest of the job is being cancelled');
    await waitFor('Carrel to cancel the rest at the print server', async () =>
      server.job(jobId)?.state === 'canceled' ? true : undefined,
    );
    // The jam is cleared: nothing more of the job comes out.
    server.setFaults({ stopped: false });
    expect(server.job(jobId)?.impressionsCompleted).toBe(printed);
    const settled = await settledAtDesk(releaseId);
    expect(settled).toMatchObject({
      state: 'refunded',
      amountMinor: 100,
      refundedMinor: (10 - printed) * 10,
      printedImpressions: printed,
    });
    expect(await balance()).toBe(before + 500 - printed * 10);
  }, 120_000);
});
