import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { freePort } from '../helpers/free-port.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';
let testDesk: TestDesk;
let proxy: StallingProxy;
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const listedJobIds = async () =>
  ((await callApi(testDesk.api, 'GET', '/api/v1/print/jobs')).json.jobs as Array<{ jobId: number }>).map(
    (job) => job.jobId,
  );

/**
 * The print server drops off the network (its host unplugged: IPP requests get no answer) and comes
 * back; meanwhile someone deleted a held job there. Real IPP over TCP through a proxy that stalls.
 */
describe('a print queue whose server comes back after a job was deleted there', () => {
  beforeAll(async () => {
    const serverPort = await freePort();
    proxy = await StallingProxy.start(serverPort);
    testDesk = await startTestDesk((config) => ({
      ...config,
      simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, port: serverPort } : s)),
      devices: config.devices.map((d) =>
        d.kind === 'print-queue'
          ? {
              ...d,
              pollIntervalMs: 200,
              transport: {
                type: 'ipp' as const,
                url: `ipp://127.0.0.1:${proxy.port}/printers/public-bw`,
                timeoutMs: 1000,
              },
            }
          : d,
      ),
    }));
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await testDesk?.stop();
    await proxy?.close();
  });

  it('no longer lists the deleted job at the station or the desk, and keeps the one still held', async () => {
    const deleted = await server().submit({ user: PATRON, title: 'Deleted meanwhile', pages: 1 });
    const kept = await server().submit({ user: PATRON, title: 'Still held', pages: 1 });
    await until(
      async () =>
        (await listedJobIds()).includes(deleted) && (await listedJobIds()).includes(kept) ? true : undefined,
      20_000,
      'the jobs were never listed',
      50,
    );
    proxy.stall();
    await waitForDevice(testDesk.api, 'public-bw', 'offline', 20_000);
    server().model.cancel(deleted);
    proxy.resume();
    await waitForDevice(testDesk.api, 'public-bw', 'online', 30_000);
    // It was listed for good: the patron saw it at the station, and Print charged and refunded it.
    await until(
      async () => (!(await listedJobIds()).includes(deleted) ? true : undefined),
      10_000,
      'the job deleted at the print server is still listed',
      100,
    );
    expect(await listedJobIds()).toContain(kept);
  }, 60_000);
});
