import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { heldAtStation, releaseAtStation } from '../helpers/print-desk.js';

/**
 * Print-account money sent again with a request id, over HTTP on the simulated desk (real SQLite,
 * a job released on the simulated IPP print server): the same request again is answered as the
 * first was and moves nothing; a request id reused for ANOTHER request (another amount, another
 * release, another patron, another kind of operation) is refused 409 naming what differs, with no
 * patron data in it, and nothing is written — a client that reuses an id by mistake must not be
 * told that money moved when it did not.
 */
const PATRON = '21000001';
const PIN = '1234';
const OTHER = '21000002';

let testDesk: TestDesk;
const call = jsonApi(() => testDesk.api);

interface Problem {
  code: string;
  detail: string;
}
interface Entry {
  id: string;
  kind: string;
  amountMinor: number;
  balanceMinor: number;
}
interface Statement {
  statement: { balanceMinor: number; entries: Entry[] };
  releases: Array<{ id: string; amountMinor: number; refundedMinor: number }>;
}

const statementOf = async (patron: string) =>
  (await call<Statement>('POST', '/api/v1/print/accounts/find', { patron })).body;

/**
 * The patron's money: the ledger, and what each release was charged and refunded — not the
 * releases' states, which the print server moves on by itself (a job released a moment ago is
 * completed when it has printed).
 */
const moneyOf = async (patron: string) => {
  const { statement, releases } = await statementOf(patron);
  return {
    statement,
    releases: releases.map(({ id, amountMinor, refundedMinor }) => ({ id, amountMinor, refundedMinor })),
  };
};

/** The refusal of a reused id: 409, naming the field, no patron barcode; and nothing was written. */
async function expectClash(
  answer: Promise<{ status: number; body: unknown }>,
  field: RegExp,
  patrons: string[] = [PATRON, OTHER],
) {
  const before = await Promise.all(patrons.map(moneyOf));
  const { status, body } = await answer;
  expect(status).toBe(409);
  const problem = body as Problem;
  expect(problem.code).toBe('request_id_conflict');
  expect(problem.detail).toMatch(field);
  for (const patron of [PATRON, OTHER]) expect(problem.detail).not.toContain(patron);
  expect(await Promise.all(patrons.map(moneyOf))).toEqual(before);
}

/** A one-page job released and printed for PATRON: its release id. */
async function releasedJob(): Promise<string> {
  const server = testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
  const { jobId, session } = await heldAtStation(testDesk.api, server, PIN, {
    user: PATRON,
    title: 'Clash',
    pages: 3,
  });
  const released = await releaseAtStation(testDesk.api, session, jobId);
  expect(released.status).toBe(200);
  expect(released.json.release.amountMinor).toBe(30);
  return released.json.release.id;
}

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 5 } : s)),
    devices: config.devices.map((d) => (d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100 } : d)),
  }));
  await waitForDevice(testDesk.api, 'public-bw', 'online', 15_000);
  for (const patron of [PATRON, OTHER]) {
    const topUp = await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron,
      amountMinor: 1000,
      currency: 'EUR',
    });
    expect(topUp.status).toBe(201);
  }
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

describe('print-account money sent again with a request id', () => {
  it('a staff refund: the same again is the first refund; another amount or another release is refused', async () => {
    const first = await releasedJob();
    const second = await releasedJob();
    const requestId = randomUUID();
    const refund = { requestId, releaseId: first, amountMinor: 10, reason: 'smudged page' };
    const done = await call<{ refundedMinor: number }>('POST', '/api/v1/print/releases/refund', refund);
    expect(done.status).toBe(200);
    expect(done.body.refundedMinor).toBe(10);
    const balance = (await statementOf(PATRON)).statement.balanceMinor;

    const again = await call<{ refundedMinor: number }>('POST', '/api/v1/print/releases/refund', refund);
    expect(again.status).toBe(200);
    expect(again.body.refundedMinor).toBe(10);
    expect((await statementOf(PATRON)).statement.balanceMinor).toBe(balance);

    // The clash the desk page met: the same id with another amount was answered as if refunded.
    await expectClash(
      call('POST', '/api/v1/print/releases/refund', { ...refund, amountMinor: 20 }),
      /amountMinor/,
    );
    // No amount is "all that is left" (20 now, 30 when the first was made): another request.
    const { amountMinor: _amount, ...whole } = refund;
    await expectClash(call('POST', '/api/v1/print/releases/refund', whole), /amountMinor/);
    await expectClash(
      call('POST', '/api/v1/print/releases/refund', { ...refund, releaseId: second }),
      /releaseId/,
    );
    await expectClash(
      call('POST', '/api/v1/print/releases/refund', { ...refund, reason: 'another reason' }),
      /reason/,
    );
    const releases = (await statementOf(PATRON)).releases;
    expect(releases.find((r) => r.id === first)?.refundedMinor).toBe(10);
    expect(releases.find((r) => r.id === second)?.refundedMinor).toBe(0);

    // A whole refund sent again is the same request, though nothing is left to refund now.
    const all = { requestId: randomUUID(), releaseId: second, reason: 'printer jammed' };
    const whole1 = await call<{ refundedMinor: number }>('POST', '/api/v1/print/releases/refund', all);
    const whole2 = await call<{ refundedMinor: number }>('POST', '/api/v1/print/releases/refund', all);
    expect([whole1.status, whole2.status]).toEqual([200, 200]);
    expect(whole2.body.refundedMinor).toBe(30);
    await expectClash(
      call('POST', '/api/v1/print/releases/refund', { ...all, amountMinor: 29 }),
      /amountMinor/,
    );
  }, 30_000);

  it('a top-up: the same again credits once; another amount, patron or note is refused', async () => {
    const topUp = {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: 200,
      currency: 'EUR',
      note: 'cash',
    };
    const first = await call<{ entryId: string; repeated: boolean }>(
      'POST',
      '/api/v1/print/accounts/deposit',
      topUp,
    );
    const again = await call<{ entryId: string; repeated: boolean }>(
      'POST',
      '/api/v1/print/accounts/deposit',
      topUp,
    );
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toMatchObject({ entryId: first.body.entryId, repeated: true });
    await expectClash(
      call('POST', '/api/v1/print/accounts/deposit', { ...topUp, amountMinor: 500 }),
      /amountMinor/,
    );
    await expectClash(call('POST', '/api/v1/print/accounts/deposit', { ...topUp, patron: OTHER }), /patron/);
    await expectClash(call('POST', '/api/v1/print/accounts/deposit', { ...topUp, note: 'coins' }), /note/);
  });

  it('a payout: the same again is the first payout; an id of a top-up, or of another patron, is refused', async () => {
    // The id of a top-up sent as a payout was answered with the top-up, as if the balance was paid out.
    const topUpId = randomUUID();
    await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: topUpId,
      patron: OTHER,
      amountMinor: 100,
      currency: 'EUR',
    });
    await expectClash(
      call('POST', '/api/v1/print/accounts/payout', { requestId: topUpId, patron: OTHER }),
      /it was a top-up, not a payout/,
    );
    expect((await statementOf(OTHER)).statement.balanceMinor).toBe(1100);

    const payout = { requestId: randomUUID(), patron: OTHER, reason: 'moving away' };
    const first = await call<Entry>('POST', '/api/v1/print/accounts/payout', payout);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: 'payout', amountMinor: -1100, balanceMinor: 0 });
    const again = await call<Entry>('POST', '/api/v1/print/accounts/payout', payout);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    await expectClash(call('POST', '/api/v1/print/accounts/payout', { ...payout, patron: PATRON }), /patron/);
    await expectClash(
      call('POST', '/api/v1/print/accounts/payout', { ...payout, reason: 'another reason' }),
      /reason/,
    );
  });

  it('a payout naming its amount pays that or nothing: a balance changed meanwhile is refused, the same again is the first payout', async () => {
    // Staff were shown 5.00 EUR and hand that over; a job charged or a top-up in between paid out
    // another amount than the one counted into the patron's hand.
    await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: OTHER,
      amountMinor: 500,
      currency: 'EUR',
    });
    const asked = (await statementOf(OTHER)).statement.balanceMinor;
    await call('POST', '/api/v1/print/accounts/deposit', {
      requestId: randomUUID(),
      patron: OTHER,
      amountMinor: 100,
      currency: 'EUR',
    });
    const before = await moneyOf(OTHER);
    const payout = { requestId: randomUUID(), patron: OTHER, amountMinor: asked };
    const refused = await call<Problem>('POST', '/api/v1/print/accounts/payout', payout);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('print_balance_changed');
    expect(refused.body.detail).toBe(
      `the balance is ${((asked + 100) / 100).toFixed(2)} EUR now, not the ${(asked / 100).toFixed(2)} EUR asked: nothing was paid out`,
    );
    expect(await moneyOf(OTHER)).toEqual(before);

    // Asked again with the balance as it is now: paid, once.
    const now = { requestId: randomUUID(), patron: OTHER, amountMinor: asked + 100 };
    const paid = await call<Entry>('POST', '/api/v1/print/accounts/payout', now);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ kind: 'payout', amountMinor: -(asked + 100), balanceMinor: 0 });
    const again = await call<Entry>('POST', '/api/v1/print/accounts/payout', now);
    expect(again.body.id).toBe(paid.body.id);
    await expectClash(
      call('POST', '/api/v1/print/accounts/payout', { ...now, amountMinor: 1 }),
      /amountMinor/,
    );
  });

  it('a correction: another amount is refused', async () => {
    const adjust = {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: -50,
      currency: 'EUR',
      reason: 'counted twice',
    };
    expect((await call('POST', '/api/v1/print/accounts/adjust', adjust)).status).toBe(200);
    await expectClash(
      call('POST', '/api/v1/print/accounts/adjust', { ...adjust, amountMinor: -5 }),
      /amountMinor/,
    );
  });
});

describe('a release at the station sent again with its request id', () => {
  /** Logs PATRON in at the station, with a job of `pages` held and counted: the session and its job id. */
  function heldJob(pages: number): Promise<{ session: string; jobId: number }> {
    const server = testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;
    return heldAtStation(testDesk.api, server, PIN, { user: PATRON, title: 'Clash at the station', pages });
  }

  it('the same again is the first release; the id sent with another job is refused naming jobId', async () => {
    const first = await heldJob(2);
    const release = {
      session: first.session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId: first.jobId,
    };
    const done = await call<{ release: { id: string } }>('POST', '/api/v1/print/station/release', release);
    expect(done.status).toBe(200);
    const again = await call<{ release: { id: string } }>('POST', '/api/v1/print/station/release', release);
    expect(again.status).toBe(200);
    expect(again.body.release.id).toBe(done.body.release.id);

    // Another job still held: refused, naming the field that differs (not "another job (queue, jobId)").
    const second = await heldJob(1);
    await expectClash(
      call('POST', '/api/v1/print/station/release', {
        ...release,
        session: second.session,
        jobId: second.jobId,
      }),
      /\banother jobId\b/,
      [PATRON],
    );
    // A job no longer held (or never was) with the same id: not answered as if it were the first release.
    await expectClash(
      call('POST', '/api/v1/print/station/release', { ...release, session: second.session, jobId: 999_999 }),
      /\banother jobId\b/,
      [PATRON],
    );
    // Nothing was released or charged for the second job: it is still held, and releases with a new id.
    const jobs = await call<{ jobs: Array<{ jobId: number }> }>('POST', '/api/v1/print/station/jobs', {
      session: second.session,
    });
    expect(jobs.body.jobs.map((j) => j.jobId)).toContain(second.jobId);
  }, 60_000);
});
