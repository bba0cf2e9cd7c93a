import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kioskOnDeskBroker } from './observer.js';

/**
 * A kiosk developer on MQTT must be told what HTTP tells: a circulation refusal's `reason` and the
 * ILS's `screenMessages` (what the kiosk shows the patron), beside the code and the words
 * (docs/mqtt.md). Asked over the simulated desk's embedded broker, against its simulated ILS, and
 * compared with the same refusal over HTTP.
 */

const { desk, ask } = kioskOnDeskBroker('kiosk-fields');

async function overHttp(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${desk().api}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(false);
  return (await response.json()) as Record<string, unknown>;
}

describe('an MQTT error answer (embedded broker, simulated ILS)', () => {
  it("carries a refused checkout's reason and the ILS's screen messages, as the HTTP problem does", async () => {
    // A blocked card: the ILS says why on its screen line.
    const checkout = { patron: '21000005', pin: '5555', item: '31000006' };
    const http = await overHttp('checkouts', checkout);
    const mqtt = await ask('circulation.checkout', { ...checkout, requestId: randomUUID() });
    expect(mqtt.status).toBe('error');
    expect(http.reason).toBe('patron_blocked');
    expect(http.screenMessages).toEqual(expect.arrayContaining([expect.stringContaining('Card blocked')]));
    expect(mqtt.error).toEqual({
      code: http.code,
      message: http.detail,
      reason: http.reason,
      screenMessages: http.screenMessages,
    });
  });

  it('carries them for a wrong PIN, and again when the refusal is given again for its requestId', async () => {
    const lookup = { patron: '21000001', pin: '0000' };
    const http = await overHttp('patrons/lookup', lookup);
    expect(http.reason).toBe('invalid_pin');
    const checkout = { ...lookup, item: '31000006', requestId: randomUUID() };
    const first = await ask('circulation.checkout', checkout);
    expect(first.error).toMatchObject({ code: 'invalid_pin', reason: 'invalid_pin' });
    expect(Array.isArray(first.error?.screenMessages)).toBe(true);
    const again = await ask('circulation.checkout', checkout);
    expect(again.replayed).toBe(true);
    expect(again.error).toEqual(first.error);
  });

  it('carries no extra fields where HTTP has none (a request that is not valid)', async () => {
    const bad = await ask('circulation.checkout', { patron: '21000001' });
    expect(Object.keys(bad.error ?? {}).sort()).toEqual(['code', 'message']);
  });
});
