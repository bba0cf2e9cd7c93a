/**
 * The print desk's money sent again with the same request id (a page whose answer was lost sends
 * it again), on a desk with its ILS simulator also Koha's REST API, the print server simulator and
 * its SQLite ledger: each answer given again says so as every other replayed route does
 * (`Idempotent-Replayed: true`), and the money moves once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, startIlsSimulator } from '../../simulators/ils/server.js';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { openDatabase } from '../../src/gateway/storage/index.js';
import { kohaTransferAt, startTestDesk, type TestDesk, waitForDevice, withIlsAt } from '../helpers/desk.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';
import { walCommits } from '../helpers/wal-commits.js';
import { SAMPLE_FIXTURE } from '../simulators/ils/paths.js';

let ils: IlsSimulator;
let testDesk: TestDesk;

beforeAll(async () => {
  ils = await startIlsSimulator({ fixture: SAMPLE_FIXTURE, httpPort: 0 });
  testDesk = await startTestDesk((config) => {
    const desk = withIlsAt(config, ils.port);
    return {
      ...desk,
      devices: desk.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
      printAccounts: { ...desk.printAccounts, ilsTransfer: kohaTransferAt(ils.controlUrl!) },
    };
  });
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
  await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
}, 60_000);

afterAll(async () => {
  await testDesk?.stop();
  await ils?.close();
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${testDesk.api}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    json: (await response.json()) as any,
  };
}

const balanceOf = async (patron: string): Promise<number> =>
  (await post('/print/accounts/find', { patron })).json.statement.balanceMinor;

/** A job of 2 pages printed by `patron` (its `pin`; a top-up of 1.00 first) at the release station: its release id. */
async function releasedJob(patron: string, pin: string, title: string): Promise<string> {
  await post('/print/accounts/deposit', {
    requestId: randomUUID(),
    patron,
    amountMinor: 100,
    currency: 'EUR',
    source: 'cash-desk',
  });
  const { session, jobId } = await heldJob(patron, pin, title, 2);
  const released = await releaseAtStation(testDesk.api, session, jobId);
  expect(released.status).toBe(200);
  expect(await balanceOf(patron)).toBeLessThan(100);
  return released.json.release.id;
}

/** A job of `pages` sent by `patron`'s PC, and the patron logged in at the station seeing it priced. */
const heldJob = (patron: string, pin: string, title: string, pages: number) =>
  heldAtStation(testDesk.api, testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!, pin, {
    user: patron,
    title,
    pages,
  });

/** The request sent twice: the first answer is not a replay, the second is the first again, marked so. */
async function sentTwice(path: string, body: unknown, status: number) {
  const first = await post(path, body);
  expect(first).toMatchObject({ status, replayed: null });
  const again = await post(path, body);
  // It answered the same, without the header every other replayed route sets.
  expect({ status: again.status, replayed: again.replayed }).toEqual({ status, replayed: 'true' });
  return { first, again };
}

describe('the print desk sending its money again with the same request id', () => {
  it('a top-up at the desk', async () => {
    const patron = '21000001';
    const body = { requestId: randomUUID(), patron, amountMinor: 300, currency: 'EUR', source: 'cash-desk' };
    const { first, again } = await sentTwice('/print/accounts/deposit', body, 201);
    expect(again.json).toEqual({ ...first.json, repeated: true });
    expect(await balanceOf(patron)).toBe(300);
  });

  it('a correction', async () => {
    const patron = '21000002';
    const body = {
      requestId: randomUUID(),
      patron,
      amountMinor: 150,
      currency: 'EUR',
      reason: 'coins jammed',
    };
    const { first, again } = await sentTwice('/print/accounts/adjust', body, 200);
    expect(again.json).toEqual(first.json);
    expect(await balanceOf(patron)).toBe(150);
  });

  it('a payout', async () => {
    const patron = '21000006';
    await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 250,
      currency: 'EUR',
      source: 'cash-desk',
    });
    const body = { requestId: randomUUID(), patron, amountMinor: 250 };
    const { first, again } = await sentTwice('/print/accounts/payout', body, 200);
    expect(again.json).toEqual(first.json);
    expect(await balanceOf(patron)).toBe(0);
  });

  it('a refund of a printed job', async () => {
    const patron = '21000009';
    const releaseId = await releasedJob(patron, '9999', 'Leaflet');
    const charged = await balanceOf(patron);
    const body = { requestId: randomUUID(), releaseId, amountMinor: 5, reason: 'smudged' };
    const { first, again } = await sentTwice('/print/releases/refund', body, 200);
    expect(again.json.refundedMinor).toBe(first.json.refundedMinor);
    expect(await balanceOf(patron)).toBe(charged + 5);
  });

  it('a refund sent again after another refund of the same job: answered as the first time', async () => {
    const patron = '21000003';
    const releaseId = await releasedJob(patron, '3333', 'Poster');
    const charged = await balanceOf(patron);
    const body = { requestId: randomUUID(), releaseId, amountMinor: 5, reason: 'smudged' };
    const first = await post('/print/releases/refund', body);
    expect(first).toMatchObject({ status: 200, replayed: null });
    expect(first.json.refundedMinor).toBe(5);
    // Staff refund another 0.05 of the same job meanwhile: the release has 0.10 refunded now.
    const second = await post('/print/releases/refund', { ...body, requestId: randomUUID(), reason: 'torn' });
    expect(second.json.refundedMinor).toBe(10);
    const again = await post('/print/releases/refund', body);
    // It answered the release as it was by then (0.10 refunded, a later updatedAt), as if this
    // refund had moved 0.10: a page reading it told staff what the first answer did not say.
    expect({ status: again.status, replayed: again.replayed }).toEqual({ status: 200, replayed: 'true' });
    expect(again.json).toEqual(first.json);
    expect(await balanceOf(patron)).toBe(charged + 10);
  });

  it('a transfer of credit out of the library system', async () => {
    const patron = '21000010';
    const body = { requestId: randomUUID(), patron, amountMinor: 200, currency: 'EUR' };
    const { first, again } = await sentTwice('/print/accounts/transfers', body, 201);
    expect(again.json).toEqual({ ...first.json, repeated: true });
    expect(await balanceOf(patron)).toBe(200);
    expect(ils.state.patrons.get(patron)?.accountDebits).toHaveLength(1);
  });
});

describe('staff refunds sent while a patron releases a job', () => {
  it("share the release's flush of the journal: the release does not wait for each refund's own, and each refund moves money once", async () => {
    const patron = '21000002';
    const pin = '2222';
    await post('/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 1000,
      currency: 'EUR',
      source: 'cash-desk',
    });
    // A long job printed earlier, whose pages staff refund one by one (smudged), from many desks at once.
    const printed = await heldJob(patron, pin, 'Thesis', 40);
    const big = await post('/print/station/release', {
      session: printed.session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId: printed.jobId,
    });
    expect(big.status).toBe(200);
    const ids = Array.from({ length: 25 }, () => randomUUID());
    expect(big.json.release.amountMinor).toBeGreaterThanOrEqual(ids.length);
    const waiting = await heldJob(patron, pin, 'Letter', 1);
    const before = await balanceOf(patron);
    // Thirty refunds (five of them sent twice: a double press, a retry) and the patron's Print, sent
    // at the same moment on connections already open, as staff clients and a station keep theirs.
    const refunds = [...ids, ...ids.slice(0, 5)].map((requestId) => ({
      path: '/print/releases/refund',
      body: { requestId, releaseId: big.json.release.id, amountMinor: 1, reason: 'smudged page' },
    }));
    const release = {
      path: '/print/station/release',
      body: { session: waiting.session, requestId: randomUUID(), queue: 'public-bw', jobId: waiting.jobId },
    };
    await Promise.all(
      [...refunds, release].map(() => fetch(`${testDesk.api}/api/v1/health`).then((r) => r.text())),
    );
    // The journal's log started afresh, so that every flush of the burst is in one generation of it.
    const outside = openDatabase(testDesk.databasePath);
    outside.checkpoint();
    outside.close();
    const start = walCommits(testDesk.databasePath);
    const answers = await Promise.all([...refunds, release].map(({ path, body }) => post(path, body)));
    const end = walCommits(testDesk.databasePath);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const released = answers.at(-1)!;
    expect(released.json.release).toMatchObject({ jobId: waiting.jobId, state: 'released' });
    // Each id answered once as done, and as a replay for every other time it was sent.
    for (const requestId of ids) {
      const sent = refunds.flatMap((r, i) => (r.body.requestId === requestId ? [answers[i]!] : []));
      expect(sent.filter((a) => a.replayed === null)).toHaveLength(1);
      expect(sent.filter((a) => a.replayed === 'true')).toHaveLength(sent.length - 1);
    }
    expect(await balanceOf(patron)).toBe(before + ids.length - released.json.release.amountMinor);
    const { releases } = (await post('/print/accounts/find', { patron })).json;
    expect(releases.find((r: { id: string }) => r.id === big.json.release.id).refundedMinor).toBe(ids.length);
    // Each refund flushed alone held the release's charge behind thirty flushes of the disk (~450 ms
    // on a busy one). The charge and the refunds asked for in the same turn share one commit, the
    // release's Release-Job one more; the desk's own writes (statistics, each second) may add one.
    const flushes = start.log === end.log ? end.commits - start.commits : end.commits;
    expect(flushes).toBeGreaterThan(0);
    expect(flushes).toBeLessThanOrEqual(5);
  });
});
