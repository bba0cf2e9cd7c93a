import { describe, expect, it } from 'vitest';
import { AUTH, useFakeApi } from './api-rig.js';

const build = useFakeApi();
const { kiosk: KIOSK, staff: STAFF, monitor: MONITOR } = AUTH;

describe('HTTP API: offline journal', () => {
  it('lists transactions with patron ids for staff only, and not at all for kiosks', async () => {
    const { api } = await build();
    const staff = await api.app.inject({
      url: '/api/v1/offline/transactions?state=conflict',
      headers: STAFF,
    });
    expect(staff.statusCode).toBe(200);
    expect(staff.json().transactions).toEqual([
      expect.objectContaining({
        id: 'tx-2',
        patron: 'P1',
        state: 'conflict',
        at: '1970-01-01T00:00:00.000Z',
      }),
    ]);
    const monitor = await api.app.inject({ url: '/api/v1/offline/transactions', headers: MONITOR });
    expect(monitor.json().transactions).toHaveLength(2);
    expect(monitor.body).not.toContain('P1');
    expect((await api.app.inject({ url: '/api/v1/offline/transactions', headers: KIOSK })).statusCode).toBe(
      403,
    );
    const bad = await api.app.inject({ url: '/api/v1/offline/transactions?state=lost', headers: STAFF });
    expect(bad.statusCode).toBe(400);
  });

  it('answers the summary and resolves a conflict once', async () => {
    const { api } = await build();
    const summary = await api.app.inject({ url: '/api/v1/offline/summary', headers: MONITOR });
    expect(summary.json()).toMatchObject({ conflict: 1, done: 1, outstanding: 1 });
    const resolve = (id: string, headers: Record<string, string>) =>
      api.app.inject({
        method: 'POST',
        url: `/api/v1/offline/transactions/${id}/resolve`,
        headers,
        payload: { action: 'discard' },
      });
    expect((await resolve('tx-2', MONITOR)).statusCode).toBe(403);
    const done = await resolve('tx-2', STAFF);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ id: 'tx-2', state: 'discarded' });
    const again = await resolve('tx-2', STAFF);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('offline_not_in_conflict');
    expect((await resolve('tx-9', STAFF)).statusCode).toBe(404);
  });
});
