import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { until as poll } from '../helpers/until.js';

/**
 * A print queue's health on the simulated desk: a stopped printer makes the
 * device degraded with the reason and blocks releases with
 * print_queue_printer_error; a job that prints no page for the configured
 * time makes it degraded ("a job is stuck") and raises print.job_stuck on the
 * WebSocket. Real IPP over TCP.
 */
const PATRON = '21000001';
let testDesk: TestDesk;
let api: string;
let socket: WebSocket;
const events: Array<{ type: string; data: Record<string, unknown> }> = [];
const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const call = jsonApi(() => api);

const until = <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> => poll(probe, ms, `timed out waiting for ${what}`, 25);

const device = async () =>
  (await call<{ status: string; reason: string | null }>('GET', '/api/v1/devices/public-bw')).body;

describe('print queue health', () => {
  beforeAll(async () => {
    testDesk = await startTestDesk((config) => ({
      ...config,
      // A page takes a minute: a released job sits at page 0 long enough to be stuck.
      simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 60_000 } : s)),
      devices: config.devices.map((d) =>
        d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100, stuckAfterMinutes: 0.01 } : d,
      ),
    }));
    api = testDesk.api;
    await waitForDevice(api, 'public-bw', 'online', 15_000);
    socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events`);
    socket.on('message', (message) => {
      const parsed = JSON.parse(String(message));
      if (parsed.event === 'device.event') events.push(parsed.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const deposit = await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 1000,
      currency: 'EUR',
    });
    expect(deposit.status).toBe(201);
  }, 30_000);

  afterAll(async () => {
    socket?.close();
    await testDesk?.stop();
  });

  it('is degraded while the printer is stopped, and refuses releases with the reason', async () => {
    const { jobId, session } = await heldAtStation(api, server(), '1234', { user: PATRON, pages: 1 });
    server().setFaults({ stopped: true });
    await waitForDevice(api, 'public-bw', 'degraded');
    expect((await device()).reason).toMatch(/stopped/);
    const refused = await call<{ code: string }>('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    expect(refused).toMatchObject({ status: 409, body: { code: 'print_queue_printer_error' } });
    server().setFaults({ stopped: false });
    await waitForDevice(api, 'public-bw', 'online');
  });

  it('is degraded by a job that prints nothing for the configured time, and says so in print.job_stuck', async () => {
    const { jobId, session } = await heldAtStation(api, server(), '1234', { user: PATRON, pages: 3 });
    const released = await releaseAtStation(api, session, jobId);
    expect(released.status).toBe(200);
    await waitForDevice(api, 'public-bw', 'degraded');
    expect((await device()).reason).toBe('a job is stuck at the printer');
    const stuck = await until('print.job_stuck', () =>
      events.find((e) => e.type === 'print.job_stuck' && e.data.jobId === jobId),
    );
    expect(stuck.data).toMatchObject({ queue: 'public-bw', impressionsCompleted: 0 });
    expect(JSON.stringify(stuck)).not.toContain(PATRON);
  });
});
