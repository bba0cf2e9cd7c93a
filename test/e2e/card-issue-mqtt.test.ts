import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk, waitForDevice, withTokens } from '../helpers/desk.js';

/**
 * A staff client that issues cards over MQTT (`cards.issue`, `cards.found_in_hopper`…) reads one
 * card issue back over MQTT too, as `GET /api/v1/cards/:issueId` answers it over HTTP:
 * `cards.get_issue`, for staff only (the record names its patron), over the desk's broker with
 * the tokens' credentials.
 */
const STAFF = 'staff-token-0123456789abcdef';
const KIOSK = 'kiosk-token-0123456789abcdef';
const BASE = 'carrel/library/desk-1';

let testDesk: TestDesk;

beforeAll(async () => {
  testDesk = await startTestDesk((config) =>
    withTokens(config, [
      { name: 'desk-staff', token: STAFF, scopes: ['staff'] },
      { name: 'kiosk-1', token: KIOSK, scopes: ['kiosk'] },
    ]),
  );
  await waitForDevice(testDesk.api, 'cards-1', 'online', 15_000, STAFF);
}, 30_000);

afterAll(async () => {
  await testDesk?.stop();
});

interface Answer {
  transaction: string;
  status: 'ok' | 'error';
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** One action asked over the desk's broker as the token's holder. */
async function ask(username: string, password: string, action: string, data: unknown): Promise<Answer> {
  const clientId = `${username}-client`;
  const client = await mqtt.connectAsync(testDesk.desk.urls().mqtt!, {
    clientId,
    username,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  try {
    const answered = new Promise<Answer>((resolve) =>
      client.on('message', (_topic, payload) => resolve(JSON.parse(String(payload)))),
    );
    await client.subscribeAsync(`${BASE}/clients/${clientId}/response/${action}`);
    await client.publishAsync(
      `${BASE}/clients/${clientId}/request/${action}`,
      JSON.stringify({ transaction: 'card-read-1', data }),
    );
    return await answered;
  } finally {
    await client.endAsync();
  }
}

describe('one card issue read over MQTT (cards.get_issue)', () => {
  it('answers staff the issue record GET /api/v1/cards/:issueId answers, refuses a kiosk, and an unknown issue', async () => {
    const issued = await ask('desk-staff', STAFF, 'cards.issue', { patron: '21000001' });
    expect(issued.status, JSON.stringify(issued.error)).toBe('ok');
    const issueId = issued.data!.issueId as string;

    const read = await ask('desk-staff', STAFF, 'cards.get_issue', { issueId });
    expect(read.status, JSON.stringify(read.error)).toBe('ok');
    const overHttp = await fetch(`${testDesk.api}/api/v1/cards/${issueId}`, {
      headers: { authorization: `Bearer ${STAFF}` },
    });
    expect(overHttp.status).toBe(200);
    expect(read.data).toEqual(await overHttp.json());
    expect(read.data).toMatchObject({ issueId, result: 'issued', device: 'cards-1' });

    const byPrinter = await ask('desk-staff', STAFF, 'cards.get_issue', { issueId, printer: 'cards-1' });
    expect(byPrinter.data).toMatchObject({ issueId });

    const kiosk = await ask('kiosk-1', KIOSK, 'cards.get_issue', { issueId });
    expect(kiosk.status).toBe('error');
    expect(kiosk.error?.code).toBe('forbidden');
    expect(JSON.stringify(kiosk)).not.toContain('21000001');

    const unknown = await ask('desk-staff', STAFF, 'cards.get_issue', {
      issueId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.error?.code).toBe('card_issue_not_found');
  });
});
