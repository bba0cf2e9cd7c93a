/**
 * IT takes a print queue out of Carrel's configuration and restarts it while one of the queue's
 * releases is charged and not confirmed (the print server was away), and another has printed. The
 * release station sends its Print again with the same request id (its first answer lost): it is
 * answered from the journal as the release is — charged, or printed — never "no such print queue"
 * (which a station reads as "nothing was charged", and forgets the request); the desk says in words
 * that it can no longer follow the charged one, shows it to staff, and lets them refund it. Real IPP
 * over TCP, the desk started again on the same database with another configuration.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/core/logger.js';
import { callApi } from '../helpers/api-call.js';
import { chromiumSkipReason, launchChromium } from '../helpers/browser.js';
import { printQueueAt, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation, openPrintDesk, stationLogin } from '../helpers/print-desk.js';
import { logInAtRelease } from '../helpers/release-page.js';
import { StallingProxy } from '../helpers/stalling-proxy.js';
import { until } from '../helpers/until.js';

const PATRON = '21000001';
const PIN = '1234';

interface Release {
  id: string;
  jobId: number;
  state: string;
  amountMinor: number;
  refundedMinor: number;
  notFollowed?: { code: string; message: string };
}

describe('a print queue taken out of the configuration with its releases in the journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-queue-removed-'));
  const onDisk = (config: CarrelConfig): CarrelConfig => ({
    ...config,
    storage: { ...config.storage, path: join(dir, 'carrel.db') },
  });
  let desk: TestDesk | undefined;
  let proxy: StallingProxy | undefined;

  afterAll(async () => {
    proxy?.resume();
    await desk?.stop();
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers Print sent again after the restart from the journal, says the desk cannot follow the charged one, and lets staff refund it', async () => {
    proxy = await StallingProxy.start();
    desk = await startTestDesk((config) =>
      onDisk(
        printQueueAt(
          {
            ...config,
            simulators: config.simulators.map((s) =>
              s.kind === 'print-server' ? { ...s, port: 0, pageMs: 5 } : s,
            ),
          },
          `ipp://127.0.0.1:${proxy!.port}/printers/public-bw`,
        ),
      ),
    );
    proxy.pointAt(desk.desk.simulators.address('print-server').port);
    const server = desk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    let api = desk.api;
    await waitForDevice(api, 'public-bw', 'online', 30_000);
    expect(
      (
        await callApi(api, 'POST', '/api/v1/print/accounts/deposit', {
          requestId: randomUUID(),
          patron: PATRON,
          amountMinor: 1000,
          currency: 'EUR',
        })
      ).status,
    ).toBe(201);

    // One job printed, one charged while the print server does not answer.
    const printed = await heldAtStation(api, server, PIN, { user: PATRON, title: 'Printed', pages: 2 });
    const printedRequest = { requestId: randomUUID(), queue: 'public-bw', jobId: printed.jobId };
    const first = await callApi(api, 'POST', '/api/v1/print/station/release', {
      session: printed.session,
      ...printedRequest,
    });
    expect(first.status).toBe(200);
    await until(
      async () => {
        const { releases } = (await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON }))
          .json as { releases: Release[] };
        return releases.find((r) => r.jobId === printed.jobId && r.state === 'completed');
      },
      20_000,
      'the first job never printed',
      50,
    );
    const lost = await heldAtStation(api, server, PIN, { user: PATRON, title: 'Lost', pages: 3 });
    proxy.stall();
    const lostRequest = { requestId: randomUUID(), queue: 'public-bw', jobId: lost.jobId };
    const pending = await callApi(api, 'POST', '/api/v1/print/station/release', {
      session: lost.session,
      ...lostRequest,
    });
    expect(pending).toMatchObject({ status: 202, json: { code: 'print_release_pending' } });
    await desk.stop();
    desk = undefined;

    // IT takes the queue out of the configuration; Carrel starts again on the same database.
    const log: Array<Record<string, unknown>> = [];
    const lines = new PassThrough();
    lines.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log.push(JSON.parse(line));
    });
    desk = await startTestDesk(
      (config) => onDisk({ ...config, devices: config.devices.filter((d) => d.kind !== 'print-queue') }),
      createLogger({ level: 'warn', format: 'json', destination: lines }),
    );
    // IT reads it in the log, by queue, never by patron.
    const warned = log.filter((entry) => entry.queue === 'public-bw');
    expect(warned).toMatchObject([{ releases: 1 }]);
    expect(warned[0]!.msg).toContain('not followed');
    expect(JSON.stringify(log)).not.toContain(PATRON);
    api = desk.api;
    const find = async () =>
      (await callApi(api, 'POST', '/api/v1/print/accounts/find', { patron: PATRON })).json as {
        statement: { balanceMinor: number };
        releases: Release[];
      };
    expect((await find()).statement.balanceMinor).toBe(1000 - 20 - 30);

    // The station, its answer lost, sends Print again with the same request id (logged in again).
    const session = await stationLogin(api, PATRON, PIN);
    const again = await callApi(api, 'POST', '/api/v1/print/station/release', { session, ...lostRequest });
    // It said 404 print_queue_not_found: read as "not printed, nothing charged", of a job charged 0.30.
    expect(again.status).toBe(200);
    const charged = again.json.release as Release;
    expect(charged).toMatchObject({ jobId: lost.jobId, state: 'charged', amountMinor: 30, refundedMinor: 0 });
    expect(charged.notFollowed?.code).toBe('print_queue_not_configured');
    expect(charged.notFollowed?.message).toContain('“public-bw”');
    expect(charged.notFollowed?.message).toContain('is not refunded by itself');
    const printedAgain = await callApi(api, 'POST', '/api/v1/print/station/release', {
      session,
      ...printedRequest,
    });
    expect(printedAgain).toMatchObject({ status: 200, json: { release: { state: 'completed' } } });
    expect(printedAgain.json.release.notFollowed).toBeUndefined();
    // Charged once, nothing refunded behind anyone's back.
    expect((await find()).statement.balanceMinor).toBe(950);

    // Staff see it, in the same words, and refund it once the patron says nothing came out.
    const atDesk = (await find()).releases.find((r) => r.id === charged.id)!;
    expect(atDesk.notFollowed?.message).toBe(charged.notFollowed?.message);
    if (chromiumSkipReason() === undefined) {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await openPrintDesk(page, api, PATRON);
        const row = page.locator('#releases tr', { hasText: 'Lost' });
        await row.waitFor({ timeout: 10_000 });
        // It read "Charged, waiting for the print server to confirm": a wait that never ends.
        expect((await row.locator('td').allTextContents())[5]).toBe(
          `Charged, not confirmed by the print server — ${charged.notFollowed!.message}.`,
        );
        expect(await row.getByRole('button', { name: /^Refund/ }).isEnabled()).toBe(true);
        // The patron at the station: it said "waiting for the printer to confirm", and was refunded
        // "by itself" — which nothing does now.
        const station = await browser.newPage();
        await station.goto(`${api}/release`);
        await logInAtRelease(station, PATRON, PIN);
        const line = station.locator('#charged li', { hasText: 'Lost' });
        await line.waitFor({ timeout: 10_000 });
        expect(await line.textContent()).toBe(
          'Lost: 3 pages, 0.30 EUR charged — not confirmed by the printer: if nothing came out, ask at the desk to have it refunded',
        );
      } finally {
        await browser.close();
      }
    }
    const refund = await callApi(api, 'POST', '/api/v1/print/releases/refund', {
      requestId: randomUUID(),
      releaseId: charged.id,
      reason: 'nothing came out',
    });
    expect(refund).toMatchObject({ status: 200, json: { state: 'refunded', refundedMinor: 30 } });
    expect((await find()).statement.balanceMinor).toBe(980);
    // A new Print for the queue taken out charges nothing.
    const unknown = await callApi(api, 'POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId: lost.jobId + 1,
    });
    expect(unknown).toMatchObject({ status: 404, json: { code: 'print_queue_not_found' } });
    expect((await find()).statement.balanceMinor).toBe(980);
  }, 90_000);
});
