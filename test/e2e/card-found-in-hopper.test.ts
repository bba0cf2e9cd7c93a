import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CardDeskBehindProxy,
  cutAtEvolisEject,
  startCardDeskBehindProxy,
} from '../helpers/card-desk-behind-proxy.js';
import { waitForDevice } from '../helpers/desk.js';

const STAFF = 'staff-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcd';

/**
 * A card whose outcome was unknown (the link to the printer cut as its eject went out, and not back
 * in time to ask) that staff then find in the output hopper: they say so over HTTP, and the issue is
 * the patron's card — issued, its ILS step and chip still to do, counted issued, the patron's next
 * card no longer held back. Staff only; said again with its request id, answered as the first time;
 * refused in words for an issue whose outcome is known.
 */
let desk: CardDeskBehindProxy;

beforeAll(async () => {
  desk = await startCardDeskBehindProxy({
    make: 'evolis',
    printTimeoutMs: 1000,
    tokens: [
      { name: 'desk-staff', token: STAFF, scopes: ['staff'] },
      { name: 'it-monitor', token: MONITOR, scopes: ['monitor'] },
    ],
    token: STAFF,
  });
}, 60_000);

// A test that cut the link leaves the printer online again for the next.
afterEach(() => desk.linkBack(), 20_000);

afterAll(() => desk?.stop());

async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token = STAFF,
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
): Promise<{ status: number; replayed: string | null; json: any }> {
  const response = await fetch(`${desk.api}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    json: await response.json(),
  };
}

const sim = () => desk.sim();
const model = () => desk.evolis();

/** An issue for `patron` whose card the printer ejected as the link was cut, not back to ask in time. */
async function outcomeUnknown(patron: string) {
  void cutAtEvolisEject(model(), desk.proxy);
  const issue = await call('POST', '/cards', { patron, number: 'patron' });
  expect(issue.json).toMatchObject({ result: 'failed', fault: 'outcome_unknown' });
  desk.proxy.resume();
  await waitForDevice(desk.api, 'cards-1', 'online', 15_000, STAFF);
  return issue.json.issueId as string;
}

const today = async () => {
  const stats = (await call('GET', '/cards/stats')).json;
  const day = stats.days[0] ?? { issued: 0, failed: 0 };
  return { issued: Number(day.issued), failed: Number(day.failed) };
};

describe('a card whose outcome was unknown, found in the output hopper', () => {
  it('is recorded issued: the patron’s card, its ILS step and chip to do, counted issued, said twice with its request id done once', async () => {
    const issueId = await outcomeUnknown('21000001');
    const printed = sim().cards().length;
    const counted = await today();
    const refused = await call('POST', `/cards/${issueId}/found-in-hopper`, {}, MONITOR);
    expect(refused.status).toBe(403);
    const requestId = '5b7c1d2e-8f90-4a1b-9c2d-3e4f5a6b7c8d';
    const found = await call('POST', `/cards/${issueId}/found-in-hopper`, { requestId });
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({
      issueId,
      result: 'issued',
      fault: null,
      cardNumber: '21000001',
      magstripe: 'verified',
      ilsDoneAt: null,
      chipGivenUpAt: null,
    });
    // An answer lost on the way back, the page asks again: the same answer, nothing done twice.
    const again = await call('POST', `/cards/${issueId}/found-in-hopper`, { requestId });
    expect(again).toMatchObject({ status: 200, replayed: 'true', json: found.json });
    expect(await today()).toEqual({ issued: counted.issued + 1, failed: counted.failed - 1 });
    const listed = (await call('GET', '/cards?limit=5')).json.issues;
    expect(listed.find((i: { issueId: string }) => i.issueId === issueId)).toEqual(found.json);
    // The later steps, as for any card issued.
    const done = await call('POST', `/cards/${issueId}/ils-done`);
    expect(done.status).toBe(200);
    // The patron's card settled: their next card is not held back as "may have been printed".
    const next = await call('POST', '/cards', { patron: '21000001', number: 'patron', replaces: '21000001' });
    expect(next.json).toMatchObject({ result: 'issued' });
    expect(sim().cards().length).toBe(printed + 1);
  }, 40_000);

  it('refuses, in words and changing nothing, an issue whose outcome is known', async () => {
    model().feeder = 0;
    const failed = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    model().feeder = 50;
    expect(failed.json).toMatchObject({ result: 'failed', fault: 'no_card' });
    const refused = await call('POST', `/cards/${failed.json.issueId}/found-in-hopper`);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'card_outcome_known', title: 'The card’s outcome is known' });
    expect(refused.json.detail).toMatch(/not recorded issued/);
    const issued = await call('POST', '/cards', { patron: '21000002', number: 'patron' });
    const twice = await call('POST', `/cards/${issued.json.issueId}/found-in-hopper`);
    expect(twice).toMatchObject({ status: 409, json: { code: 'card_outcome_known' } });
    expect(twice.json.detail).toMatch(/issued already/);
    const listed = (await call('GET', '/cards?limit=5')).json.issues;
    expect(listed.find((i: { issueId: string }) => i.issueId === failed.json.issueId)).toMatchObject({
      result: 'failed',
      fault: 'no_card',
    });
  }, 30_000);

  it('refuses a card found after the patron was printed a later one: that one is theirs', async () => {
    const issueId = await outcomeUnknown('21000003');
    const reprinted = await call('POST', '/cards', {
      patron: '21000003',
      number: 'patron',
      confirmNotPrinted: true,
    });
    expect(reprinted.json).toMatchObject({ result: 'issued' });
    const refused = await call('POST', `/cards/${issueId}/found-in-hopper`);
    expect(refused).toMatchObject({ status: 409, json: { code: 'card_replaced' } });
    expect(refused.json.detail).toMatch(/cut this one through/);
  }, 40_000);
});
