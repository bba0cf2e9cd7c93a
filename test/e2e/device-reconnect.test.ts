import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk, withTokens } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

const ADMIN = 'admin-token-0123456789abcdef';
const MONITOR = 'monitor-token-0123456789abcdef';

/**
 * IT staff reconnect a device from the dashboard: the link is dropped and made again now,
 * the health record counts the reconnect, and only the admin scope may ask.
 */
describe('reconnecting a device (POST /api/v1/devices/:id/reconnect)', () => {
  let desk: TestDesk;

  beforeAll(async () => {
    desk = await startTestDesk((config) =>
      withTokens(config, [
        { name: 'it-admin', token: ADMIN, scopes: ['admin'] },
        { name: 'it-monitoring', token: MONITOR, scopes: ['monitor'] },
      ]),
    );
    for (const device of ['receipt-1', 'pad-1', 'ils'])
      await until(async () => ((await get(`/devices/${device}`)).status === 'online' ? true : undefined));
  }, 30_000);

  afterAll(async () => {
    await desk?.stop();
  });

  const post = (path: string, token: string) =>
    fetch(`${desk.api}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const get = async (path: string) =>
    (
      await fetch(`${desk.api}/api/v1${path}`, { headers: { authorization: `Bearer ${MONITOR}` } })
    ).json() as Promise<{
      status: string;
      reconnects: number;
    }>;

  it.each(['receipt-1', 'pad-1', 'ils'])(
    'drops %s’s link and makes it again at once, counting it',
    async (id) => {
      const before = await get(`/devices/${id}`);
      expect(before.status).toBe('online');
      const response = await post(`/devices/${id}/reconnect`, ADMIN);
      expect(response.status).toBe(200);
      const after = (await response.json()) as { device: string; status: string; reconnects: number };
      expect(after.device).toBe(id);
      expect(after.status).not.toBe('offline');
      expect(after.reconnects).toBe(before.reconnects + 1);
      expect((await get(`/devices/${id}`)).reconnects).toBe(before.reconnects + 1);
    },
  );

  it('is refused to a monitor token and answers 404 for a device that is not configured', async () => {
    const refused = await post('/devices/receipt-1/reconnect', MONITOR);
    expect(refused.status).toBe(403);
    const unknown = await post('/devices/no-such-printer/reconnect', ADMIN);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('device_not_found');
  });
});
