import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kioskOnDeskBroker } from './observer.js';

/**
 * A kiosk that lost an answer asks again with the same requestId, and must tell the answer given
 * again from the first time from a first answer — over HTTP the `Idempotent-Replayed: true`
 * header says so, over MQTT the envelope's `replayed: true` (docs/mqtt.md).
 */

describe('an MQTT request sent again with its requestId (embedded broker)', () => {
  /** The action's answer over the desk's embedded broker. */
  const { ask } = kioskOnDeskBroker('kiosk-replay');

  it('is answered as the first time, marked replayed: true; a first answer has no mark', async () => {
    const checkout = { patron: '21000001', pin: '1234', item: '31000005', requestId: randomUUID() };
    const first = await ask('circulation.checkout', checkout);
    expect(first.status, JSON.stringify(first.error)).toBe('ok');
    expect(first).not.toHaveProperty('replayed');
    const again = await ask('circulation.checkout', checkout);
    expect(again.status).toBe('ok');
    expect(again.replayed).toBe(true);
    expect(again.data).toEqual(first.data);
    // The checkin is another request: a first answer again.
    const checkin = await ask('circulation.checkin', { item: '31000005', requestId: randomUUID() });
    expect(checkin.status, JSON.stringify(checkin.error)).toBe('ok');
    expect(checkin).not.toHaveProperty('replayed');
    // A refusal given again is marked too.
    const refused = { patron: '21000001', pin: 'wrong-pin', item: '31000005', requestId: randomUUID() };
    const no = await ask('circulation.checkout', refused);
    expect(no.status).toBe('error');
    expect(no).not.toHaveProperty('replayed');
    const noAgain = await ask('circulation.checkout', refused);
    expect(noAgain.error).toEqual(no.error);
    expect(noAgain.replayed).toBe(true);
    // Without a requestId nothing is replayed, whatever is sent twice.
    const lookup = { patron: '21000001', pin: '1234' };
    await ask('circulation.patron', lookup);
    expect(await ask('circulation.patron', lookup)).not.toHaveProperty('replayed');
  });
});
