import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { printServerSimulators } from '../../simulators/print-server/family.js';
import { samplePdf } from '../../simulators/print-server/sample-document.js';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { DeskTotals } from '../../src/gateway/desk-totals.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { countedAtStation, stationLogin } from '../helpers/print-desk.js';
import { until as poll } from '../helpers/until.js';

/**
 * Print release on the simulated desk, through the HTTP API as a station and
 * the print desk use it: a PC's job held by the simulated print server, a
 * patron logged in with card and PIN over SIP2, the job's pages and cost, its
 * release charged and printed, refunds when the printer aborts, a printer out
 * of paper blocking releases, the daily report. Real IPP and SIP2 over TCP.
 */
let testDesk: TestDesk;
let api: string;
const PATRON = '21000001';
const PIN = '1234';
const events: Array<{ type: string; data: Record<string, unknown> }> = [];
let socket: WebSocket;

const server = () => testDesk.desk.simulators.handle(printServerSimulators, 'print-server')!;

const call = jsonApi(() => api);

const until = <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> => poll(probe, ms, `timed out waiting for ${what}`, 25);

interface Job {
  jobId: number;
  pages: number | null;
  color?: boolean;
  quote: { amountMinor: number } | null;
  problem: { code: string } | null;
}

/** Pages printed today as the desk totals central IT reads on MQTT (retained) say. */
async function pagesToday(): Promise<number> {
  const client = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, { reconnectPeriod: 0 });
  try {
    const totals = new Promise<DeskTotals>((resolve) =>
      client.on('message', (topic, payload, packet) => {
        if (topic.endsWith('/totals') && packet.retain) resolve(JSON.parse(String(payload)) as DeskTotals);
      }),
    );
    await client.subscribeAsync('carrel/+/+/totals');
    return (await totals).recent?.counts.pages.at(-1) ?? 0;
  } finally {
    await client.endAsync();
  }
}

const login = () => stationLogin(api, PATRON, PIN);

/** The job as the station lists it, once its pages are counted. */
const heldJob = (session: string, jobId: number) => countedAtStation(api, session, jobId);

async function deposit(amountMinor: number): Promise<void> {
  const answer = await call('POST', '/api/v1/print/accounts/deposit', {
    requestId: randomUUID(),
    patron: PATRON,
    amountMinor,
    currency: 'EUR',
  });
  expect(answer.status).toBe(201);
}

beforeAll(async () => {
  testDesk = await startTestDesk((config) => ({
    ...config,
    simulators: config.simulators.map((s) => (s.kind === 'print-server' ? { ...s, pageMs: 5 } : s)),
    // A colour printer: jobs sent in monochrome (as the simulated PCs send them) cost the mono price.
    devices: config.devices.map((d) =>
      d.kind === 'print-queue' ? { ...d, pollIntervalMs: 100, color: true } : d,
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
}, 30_000);

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

describe('print release on the simulated desk', () => {
  it('shows a held job with its pages and cost, releases it, prints it and charges the tariff', async () => {
    const pagesBefore = await pagesToday();
    await deposit(500);
    const jobId = await server().submit({ user: PATRON, title: 'Essay', pages: 3, copies: 2 });
    const session = await login();
    const job = await heldJob(session, jobId);
    expect(job).toMatchObject({ pages: 3, quote: { amountMinor: 60 }, problem: null });
    const released = await call<{
      release: { state: string; amountMinor: number };
      balance: { balanceMinor: number };
    }>('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    expect(released.status).toBe(200);
    expect(released.body.release).toMatchObject({ state: 'released', amountMinor: 60 });
    expect(released.body.balance.balanceMinor).toBe(440);
    await until('the job to print', () => (server().job(jobId)?.state === 'completed' ? true : undefined));
    expect(server().job(jobId)?.impressionsCompleted).toBe(6);
    // A station or a display following the job hears it done, as print.job_changed promises for
    // every change of its state: it heard 'processing' and then nothing, the job gone from the
    // server's list of jobs not completed.
    const done = await until('print.job_changed saying the job completed', () =>
      events.find(
        (e) => e.type === 'print.job_changed' && e.data.jobId === jobId && e.data.state === 'completed',
      ),
    );
    expect(done.data).toMatchObject({ queue: 'public-bw', pages: 3, copies: 2, impressionsCompleted: 6 });
    // The fleet view's recent days count its six pages within seconds (read when the release was
    // written, not at the next minute).
    await poll(
      async () => ((await pagesToday()) === pagesBefore + 6 ? true : undefined),
      10_000,
      'the desk totals never counted the pages printed',
      100,
    );
  });

  it('charges a job that leaves colour to the printer (auto) as its document prints: black and white at the mono price', async () => {
    const session = await login();
    const auto = async (title: string, colour: boolean) => {
      const pdfBase64 = samplePdf({ pages: 2, title, colour }).toString('base64');
      const jobId = await server().submit({ user: PATRON, title, pages: 2, colorMode: 'auto', pdfBase64 });
      return heldJob(session, jobId);
    };
    // IPP's auto: the printer prints in colour what is in colour (PWG 5100.13). It was charged colour, 100.
    expect(await auto('Black letter', false)).toMatchObject({ color: false, quote: { amountMinor: 20 } });
    expect(await auto('Red chart', true)).toMatchObject({ color: true, quote: { amountMinor: 100 } });
    // Colour asked for is charged as colour, whatever the document.
    const jobId = await server().submit({
      user: PATRON,
      title: 'Asked colour',
      pages: 2,
      colorMode: 'color',
    });
    expect(await heldJob(session, jobId)).toMatchObject({ color: true, quote: { amountMinor: 100 } });
  });

  it('charges a retried release once', async () => {
    const jobId = await server().submit({ user: PATRON, pages: 1 });
    const session = await login();
    await heldJob(session, jobId);
    const requestId = randomUUID();
    const body = { session, requestId, queue: 'public-bw', jobId };
    const first = await call<{ release: { id: string }; balance: { balanceMinor: number } }>(
      'POST',
      '/api/v1/print/station/release',
      body,
    );
    const again = await call<{ release: { id: string }; balance: { balanceMinor: number } }>(
      'POST',
      '/api/v1/print/station/release',
      body,
    );
    expect(again.body.release.id).toBe(first.body.release.id);
    expect(again.body.balance.balanceMinor).toBe(first.body.balance.balanceMinor);
  });

  it('charges once and prints once when the same release arrives twice at the same moment', async () => {
    const jobId = await server().submit({ user: PATRON, pages: 2 });
    const session = await login();
    await heldJob(session, jobId);
    const before = (
      await call<{ balance: { balanceMinor: number } }>('POST', '/api/v1/print/station/jobs', { session })
    ).body.balance.balanceMinor;
    const body = { session, requestId: randomUUID(), queue: 'public-bw', jobId };
    const answers = await Promise.all([
      call<{ release: { id: string } }>('POST', '/api/v1/print/station/release', body),
      call<{ release: { id: string } }>('POST', '/api/v1/print/station/release', body),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[0]!.body.release.id).toBe(answers[1]!.body.release.id);
    await until('the job to print', () => (server().job(jobId)?.state === 'completed' ? true : undefined));
    expect(server().job(jobId)?.impressionsCompleted).toBe(2);
    const after = (
      await call<{ balance: { balanceMinor: number } }>('POST', '/api/v1/print/station/jobs', { session })
    ).body.balance.balanceMinor;
    expect(after).toBe(before - 20);
  });

  it('refunds what the printer did not print when it aborts a job part-way', async () => {
    const before = (
      await call<{ balanceMinor: number }>('POST', '/api/v1/print/accounts/find', { patron: PATRON })
    ).body as unknown as {
      statement: { balanceMinor: number };
    };
    server().setFaults({ abortNextAfter: 2 });
    const jobId = await server().submit({ user: PATRON, pages: 5 });
    const session = await login();
    await heldJob(session, jobId);
    const release = await call<{ release: { id: string } }>('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    const settled = await until('the refund', async () => {
      const { body } = await call<{
        releases: Array<{ id: string; state: string; refundedMinor: number; outcome: string }>;
      }>('GET', '/api/v1/print/releases?limit=10');
      const found = body.releases.find((r) => r.id === release.body.release.id);
      return found?.state === 'refunded' ? found : undefined;
    });
    expect(settled).toMatchObject({ refundedMinor: 30, printedImpressions: 2 });
    // The printer's own word ('the job was aborted by the printer after 2 of 5 pages') in the desk's.
    expect(settled.outcome).toMatch(
      /^the printer stopped the job after 2 of \d+ pages; the pages not printed were refunded$/,
    );
    const after = (await call('POST', '/api/v1/print/accounts/find', { patron: PATRON })).body as unknown as {
      statement: { balanceMinor: number };
    };
    expect(after.statement.balanceMinor).toBe(before.statement.balanceMinor - 20);
  });

  it('blocks releases while the printer is out of paper, with a clear reason', async () => {
    const jobId = await server().submit({ user: PATRON, pages: 1 });
    const session = await login();
    await heldJob(session, jobId);
    server().setFaults({ paperOut: true });
    try {
      await waitForDevice(api, 'public-bw', 'degraded');
      const refused = await call<{ code: string; detail: string }>('POST', '/api/v1/print/station/release', {
        session,
        requestId: randomUUID(),
        queue: 'public-bw',
        jobId,
      });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('print_queue_printer_error');
      expect(refused.body.detail).toMatch(/out of paper/);
    } finally {
      server().setFaults({ paperOut: false });
    }
  });

  it('refuses a release the balance does not cover, charging nothing', async () => {
    const jobId = await server().submit({ user: PATRON, pages: 400 });
    const session = await login();
    await heldJob(session, jobId);
    const refused = await call<{ code: string }>('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe('print_account_insufficient');
    expect(server().job(jobId)?.state).toBe('pending-held');
  });

  it('refuses negative, absurd and mis-currencied amounts with stable problems, the balance unmoved', async () => {
    const balance = async () =>
      (
        await call<{ statement: { balanceMinor: number } }>('POST', '/api/v1/print/accounts/find', {
          patron: PATRON,
        })
      ).body.statement.balanceMinor;
    const before = await balance();
    // What amountMinor counts, in a kiosk developer's words: it said 'an amount must be a whole
    // number of minor units from 1 to 1000000, not 0'.
    const rule = (sent: number) =>
      `amountMinor must be a whole number of the currency's smallest unit (for EUR, 150 is 1.50 EUR), more than 0 and at most 1000000 (10000.00 EUR); ${sent} was sent: nothing was done`;
    const tries: Array<[Record<string, unknown>, number, string, string | undefined]> = [
      [{ amountMinor: -500, currency: 'EUR' }, 422, 'amount_invalid', rule(-500)],
      [{ amountMinor: 0, currency: 'EUR' }, 422, 'amount_invalid', rule(0)],
      [{ amountMinor: 1_000_000_000_000, currency: 'EUR' }, 422, 'amount_invalid', rule(1_000_000_000_000)],
      [{ amountMinor: 500, currency: 'USD' }, 422, 'print_account_currency_mismatch', undefined],
    ];
    for (const [body, status, code, detail] of tries) {
      const answer = await call('POST', '/api/v1/print/accounts/deposit', {
        requestId: randomUUID(),
        patron: PATRON,
        ...body,
      });
      expect({ body, status: answer.status, code: answer.body.code }).toEqual({ body, status, code });
      if (detail !== undefined) expect(answer.body.detail).toBe(detail);
    }
    const adjusted = await call('POST', '/api/v1/print/accounts/adjust', {
      requestId: randomUUID(),
      patron: PATRON,
      amountMinor: -(before + 1),
      currency: 'EUR',
      reason: 'more than there is',
    });
    expect(adjusted.status).toBeGreaterThanOrEqual(400);
    expect(adjusted.status).toBeLessThan(500);
    expect(await balance()).toBe(before);
  });

  it('lists every print operation and print event in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
      'x-carrel-events': Record<string, { data: { properties: Record<string, unknown> } }>;
    };
    const printPaths = Object.keys(doc.paths).filter((path) => path.startsWith('/api/v1/print/'));
    for (const path of [
      '/api/v1/print/queues',
      '/api/v1/print/station/login',
      '/api/v1/print/station/jobs',
      '/api/v1/print/station/release',
      '/api/v1/print/station/thumbnail',
      '/api/v1/print/jobs',
      '/api/v1/print/accounts/find',
      '/api/v1/print/accounts/deposit',
      '/api/v1/print/accounts/payout',
      '/api/v1/print/accounts/adjust',
      '/api/v1/print/reports/daily',
      '/api/v1/print/reports/daily.csv',
      '/api/v1/print/releases',
      '/api/v1/print/releases/refund',
      '/api/v1/print/station/logout',
      '/api/v1/print/station/account',
    ])
      expect(printPaths).toContain(path);
    const events = doc['x-carrel-events'];
    for (const type of ['print.job_held', 'print.job_changed', 'print.job_expired', 'print.job_stuck'])
      expect(events[type], type).toBeDefined();
    expect(Object.keys(events['print.job_held']!.data.properties)).not.toContain('owner');
  });

  it('keeps a job of an unknown owner (a login no card matches) from other patrons, and shows it to the desk', async () => {
    const jobId = await server().submit({ user: 'pc-guest-7', title: 'Unknown', pages: 1 });
    const staffView = await until('the desk to see the job', async () => {
      const { body } = await call<{ jobs: Array<Job & { owner?: string; patron?: string | null }> }>(
        'GET',
        '/api/v1/print/jobs',
      );
      return body.jobs.find((j) => j.jobId === jobId);
    });
    // The login rule takes the login for the barcode; no patron's card and PIN open it.
    expect(staffView).toMatchObject({ owner: 'pc-guest-7', patron: 'pc-guest-7' });
    const session = await login();
    const { body } = await call<{ jobs: Job[] }>('POST', '/api/v1/print/station/jobs', { session });
    expect(body.jobs.some((j) => j.jobId === jobId)).toBe(false);
    const released = await call('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId,
    });
    expect(released).toMatchObject({ status: 404, body: { code: 'print_job_not_found' } });
    expect(server().job(jobId)?.state).toBe('pending-held');
  });

  it('logs a patron in by the patron card on the RFID pad, and says when there is none', async () => {
    const pad = testDesk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
    const memory = encodeIso28560Part3({
      primaryItemId: PATRON,
      typeOfUsage: 'patron-card',
      ownerLibrary: 'SE-RPL',
    });
    const { uid } = pad.place({ memoryHex: Buffer.from(memory).toString('hex'), dsfid: 0x3e });
    const answer = await until('the card read at the station', async () => {
      const login = await call<{ session: string; balance: { balanceMinor: number } }>(
        'POST',
        '/api/v1/print/station/login',
        { pad: 'pad-1', pin: PIN },
      );
      return login.status === 200 ? login : undefined;
    });
    const account = await call<{ statement: { balanceMinor: number } }>(
      'POST',
      '/api/v1/print/station/account',
      {
        session: answer.body.session,
      },
    );
    expect(account.status).toBe(200);
    expect(account.body.statement.balanceMinor).toBe(answer.body.balance.balanceMinor);
    pad.remove(uid);
    const none = await until('the card gone from the pad', async () => {
      const login = await call<{ code: string }>('POST', '/api/v1/print/station/login', {
        pad: 'pad-1',
        pin: PIN,
      });
      return login.status === 200 ? undefined : login;
    });
    expect(none).toMatchObject({ status: 422, body: { code: 'patron_card_not_found' } });
    const both = await call('POST', '/api/v1/print/station/login', {
      patron: PATRON,
      pad: 'pad-1',
      pin: PIN,
    });
    expect(both.status).toBe(400);
  });

  it('shows a broken or locked document with its problem, and refuses to release it, charging nothing', async () => {
    const broken = await server().submit({
      user: PATRON,
      title: 'Broken',
      pdfBase64: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R').toString('base64'),
    });
    const session = await login();
    const job = await until('the broken job judged', async () => {
      const { body } = await call<{ jobs: Job[] }>('POST', '/api/v1/print/station/jobs', { session });
      const found = body.jobs.find((j) => j.jobId === broken);
      // Until the page counter has read the document the job is "still being counted" (print_job_pages_unknown).
      return found?.problem && found.problem.code !== 'print_job_pages_unknown' ? found : undefined;
    });
    expect(job).toMatchObject({ pages: null, quote: null, problem: { code: 'document_unreadable' } });
    const before = (
      await call<{ balance: { balanceMinor: number } }>('POST', '/api/v1/print/station/jobs', { session })
    ).body.balance.balanceMinor;
    const released = await call('POST', '/api/v1/print/station/release', {
      session,
      requestId: randomUUID(),
      queue: 'public-bw',
      jobId: broken,
    });
    expect(released).toMatchObject({ status: 422, body: { code: 'document_unreadable' } });
    const after = (
      await call<{ balance: { balanceMinor: number } }>('POST', '/api/v1/print/station/jobs', { session })
    ).body.balance.balanceMinor;
    expect(after).toBe(before);
    expect(server().job(broken)?.state).toBe('pending-held');
  });

  it("tells the desk whether the library system knows a card before money is taken for it, and the patron's name", async () => {
    const known = await call<{ card: unknown }>('POST', '/api/v1/print/accounts/find', {
      patron: PATRON,
      card: true,
    });
    expect(known.status).toBe(200);
    expect(known.body.card).toEqual({ known: true, name: 'Zoë Åström' });
    // A mistyped number was answered as any account, empty: a top-up on it went to nobody.
    const typo = await call<{ card: unknown }>('POST', '/api/v1/print/accounts/find', {
      patron: '2100001',
      card: true,
    });
    expect(typo.status).toBe(200);
    expect(typo.body.card).toEqual({ known: false, name: null });
  });

  it('refuses a wrong PIN at the station', async () => {
    const answer = await call('POST', '/api/v1/print/station/login', { patron: PATRON, pin: '9999' });
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it('logs nobody in with the card number alone: the PIN is asked', async () => {
    // The card number alone opened a session: its documents listed, released on its money.
    for (const login of [{ patron: PATRON }, { patron: PATRON, pin: '' }]) {
      const answer = await call<{ code: string; detail: string; session?: string }>(
        'POST',
        '/api/v1/print/station/login',
        login,
      );
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('pin_required');
      expect(answer.body.detail).toMatch(/PIN .*nobody was logged in/);
      expect(answer.body.session).toBeUndefined();
    }
  });

  it('says what a login lacks or has twice: neither a card number nor a pad is not "not both"', async () => {
    const answer = async (login: object) =>
      (
        await call<{ code: string; errors: Array<{ path: string; message: string }> }>(
          'POST',
          '/api/v1/print/station/login',
          login,
        )
      ).body;
    const neither = await answer({ pin: PIN });
    expect(neither.code).toBe('invalid_request');
    expect(neither.errors).toEqual([
      { path: 'body.patron', message: 'give a card number (patron) or a pad with the patron card on it' },
    ]);
    const both = await answer({ patron: PATRON, pad: 'pad-1', pin: PIN });
    expect(both.code).toBe('invalid_request');
    expect(both.errors).toEqual([
      {
        path: 'body.pad',
        message: 'give a card number (patron) or a pad with the patron card on it, not both',
      },
    ]);
  });

  it('reports the day in JSON and CSV, and never names who printed in its events', async () => {
    const today = new Date();
    const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    const report = await call<{
      queues: Array<{ queue: string; chargedMinor: number }>;
      deposits: { totalMinor: number };
    }>('GET', `/api/v1/print/reports/daily?date=${date}`);
    expect(report.body.deposits.totalMinor).toBe(500);
    expect(report.body.queues.find((q) => q.queue === 'public-bw')?.chargedMinor).toBeGreaterThan(0);
    // The day's pages are the pages printed, as the desk totals (and the printer's counter) have
    // them: the job the printer aborted after 2 of 5 pages counts 2, not the 5 charged at release.
    const dayPages = async () =>
      (
        await call<{ queues: Array<{ queue: string; impressions: number }> }>(
          'GET',
          `/api/v1/print/reports/daily?date=${date}`,
        )
      ).body.queues.find((q) => q.queue === 'public-bw')?.impressions;
    const agreed = await poll(
      async () => {
        const [reported, totals] = [await dayPages(), await pagesToday()];
        return reported === totals ? { reported, totals } : undefined;
      },
      10_000,
      `the day's report and the desk totals to agree on the pages printed (${await dayPages()} and ${await pagesToday()})`,
      200,
    ).catch(async () => ({ reported: await dayPages(), totals: await pagesToday() }));
    expect(agreed.reported).toBe(agreed.totals);
    const csv = await (await fetch(`${api}/api/v1/print/reports/daily.csv?date=${date}`)).text();
    expect(csv.split('\r\n')[0]).toBe('section,key,count,amount_minor,currency');
    expect(csv).toContain('income,public-bw,');
    const printEvents = events.filter((e) => e.type.startsWith('print.'));
    expect(printEvents.length).toBeGreaterThan(0);
    expect(JSON.stringify(printEvents)).not.toContain(PATRON);
  });

  it('several stations releasing at once for one patron: charged as if one after another, never below zero, no job twice', async () => {
    const session = await login();
    const balanceNow = async () =>
      (await call<{ balance: { balanceMinor: number } }>('POST', '/api/v1/print/station/jobs', { session }))
        .body.balance.balanceMinor;
    const start = await balanceNow();
    if (start > 0) {
      const paid = await call('POST', '/api/v1/print/accounts/payout', {
        requestId: randomUUID(),
        patron: PATRON,
      });
      expect(paid.status).toBe(200);
    }
    await deposit(30); // three one-page jobs at 10
    const jobIds: number[] = [];
    for (let i = 0; i < 5; i++)
      jobIds.push(await server().submit({ user: PATRON, title: `Race ${i}`, pages: 1 }));
    for (const jobId of jobIds) await heldJob(session, jobId);
    const asks = [...jobIds, jobIds[0]!, jobIds[1]!].map((jobId) =>
      call<{ release?: { id: string; jobId: number; amountMinor: number }; code?: string }>(
        'POST',
        '/api/v1/print/station/release',
        { session, requestId: randomUUID(), queue: 'public-bw', jobId },
      ),
    );
    const answers = await Promise.all(asks);
    const released = answers.filter((a) => a.status === 200).map((a) => a.body.release!);
    const refused = answers.filter((a) => a.status !== 200).map((a) => a.body.code);
    expect(released).toHaveLength(3);
    expect(new Set(released.map((r) => r.jobId)).size).toBe(3);
    expect(released.every((r) => r.amountMinor === 10)).toBe(true);
    // A second request for a job: already released when it came in the same group as the first,
    // or no longer held when the first had already sent Release-Job.
    for (const code of refused)
      expect(['print_account_insufficient', 'print_job_already_released', 'print_job_not_found']).toContain(
        code,
      );
    expect(await balanceNow()).toBe(0);
    for (const jobId of jobIds) {
      const expected = released.some((r) => r.jobId === jobId) ? 'completed' : 'pending-held';
      await until(`job ${jobId} ${expected}`, () =>
        server().job(jobId)?.state === expected ? true : undefined,
      );
    }
  });
});
