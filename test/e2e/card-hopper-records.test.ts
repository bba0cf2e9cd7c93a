import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import {
  type CardDeskBehindProxy,
  cutAtEvolisEject,
  startCardDeskBehindProxy,
} from '../helpers/card-desk-behind-proxy.js';
import { waitForDevice } from '../helpers/desk.js';

const STAFF = 'staff-token-0123456789abcdef';
const CLERK = 'clerk-token-0123456789abcdef';

/**
 * What an issue whose outcome was unknown (the Evolis's link cut as its eject went out, not back in
 * time to ask) keeps of what staff then said over HTTP: who found its card in the output hopper and
 * when, or who said it was not there and printed the patron's card again — read back on the issue
 * (GET /api/v1/cards/:issueId) and in the list, never in the log with the patron. And the card found
 * is recorded with the stripe its issue asked for: none for a card issued without one.
 */
let desk: CardDeskBehindProxy;
let log = '';

beforeAll(async () => {
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  desk = await startCardDeskBehindProxy({
    make: 'evolis',
    printTimeoutMs: 1000,
    tokens: [
      { name: 'desk-staff', token: STAFF, scopes: ['staff'] },
      { name: 'front-desk-clerk', token: CLERK, scopes: ['staff'] },
    ],
    token: STAFF,
    logger: createLogger({ level: 'debug', format: 'json', destination: lines }),
  });
}, 60_000);

afterEach(() => desk.linkBack(), 20_000);

afterAll(() => desk?.stop());

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
async function call(method: 'GET' | 'POST', path: string, body?: unknown, token = STAFF): Promise<any> {
  const response = await fetch(`${desk.api}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** An issue whose card the printer ejected as the link was cut, not back to ask in time. */
async function outcomeUnknown(request: Record<string, unknown>): Promise<string> {
  void cutAtEvolisEject(desk.evolis(), desk.proxy);
  const issue = await call('POST', '/cards', { number: 'patron', ...request });
  expect(issue.json).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
  await desk.linkBack();
  await waitForDevice(desk.api, 'cards-1', 'online', 15_000, STAFF);
  return issue.json.issueId as string;
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('who found a card in the output hopper, or said it was not there', () => {
  it('keeps the staff member who found the card, and when, on the issue and in the list', async () => {
    const issueId = await outcomeUnknown({ patron: '21000006' });
    const before = await call('GET', `/cards/${issueId}`);
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ issueId, foundInHopperBy: null, foundInHopperAt: null });
    const pressed = Date.now();
    const found = await call('POST', `/cards/${issueId}/found-in-hopper`, {}, CLERK);
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ result: 'issued', foundInHopperBy: 'front-desk-clerk' });
    expect(found.json.foundInHopperAt).toMatch(isoTime);
    expect(Math.abs(Date.parse(found.json.foundInHopperAt) - pressed)).toBeLessThan(10_000);
    // Who issued it stays who issued it.
    expect(found.json.staff).toBe('desk-staff');
    const read = await call('GET', `/cards/${issueId}`);
    expect(read).toEqual({ status: 200, json: found.json });
    const listed = (await call('GET', '/cards?limit=5')).json.issues;
    expect(listed.find((i: { issueId: string }) => i.issueId === issueId)).toEqual(found.json);
    // The log says a card was found, never whose.
    expect(log).toMatch(/found in the output hopper/);
    expect(log).not.toContain('21000006');
  }, 40_000);

  it('keeps who said the card was not in the output hopper, and when, on that issue', async () => {
    const issueId = await outcomeUnknown({ patron: '21000008' });
    const reprinted = await call(
      'POST',
      '/cards',
      { patron: '21000008', number: 'patron', confirmNotPrinted: true },
      CLERK,
    );
    expect(reprinted.json).toMatchObject({ result: 'issued', staff: 'front-desk-clerk' });
    const unknown = await call('GET', `/cards/${issueId}`);
    expect(unknown.json).toMatchObject({
      result: 'failed',
      fault: 'outcome_unknown',
      notInHopperBy: 'front-desk-clerk',
      foundInHopperBy: null,
    });
    expect(unknown.json.notInHopperAt).toMatch(isoTime);
    expect(log).not.toContain('21000008');
  }, 40_000);

  it('answers an issue nobody has in words: 404 card_issue_not_found', async () => {
    const missing = await call('GET', '/cards/0b4c6a3e-2f1d-4c5b-9a8e-7d6c5b4a3f2e');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'card_issue_not_found' });
  });
});

describe('the stripe of a card found in the output hopper', () => {
  it('is none for a card issued without a stripe, as the same card issued would say', async () => {
    const plain = await call('POST', '/cards', { patron: '21000009', number: 'patron', magstripe: false });
    expect(plain.json).toMatchObject({ result: 'issued', magstripe: null });
    const issueId = await outcomeUnknown({ patron: '21000009', magstripe: false });
    const found = await call('POST', `/cards/${issueId}/found-in-hopper`);
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ result: 'issued', magstripe: null });
    expect((await call('GET', `/cards/${issueId}`)).json.magstripe).toBeNull();
  }, 40_000);

  it('is the printer’s read-back for a card issued with one', async () => {
    const issueId = await outcomeUnknown({ patron: '21000001', magstripe: true });
    const found = await call('POST', `/cards/${issueId}/found-in-hopper`);
    expect(found.json).toMatchObject({ result: 'issued', magstripe: 'verified' });
  }, 40_000);
});
