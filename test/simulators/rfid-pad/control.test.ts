import { afterEach, describe, expect, it } from 'vitest';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../../simulators/rfid-pad/index.js';

let sim: RfidPadSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sim!.httpUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('rfid pad control API', () => {
  it('places, lists, moves and removes tags, and sets faults', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    expect(sim.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const placed = await call('POST', '/api/tags', { uid: 'E004010000000009', preset: 'V3', afi: 0xc2 });
    expect(placed).toMatchObject({ status: 201, body: { uid: 'E004010000000009', afi: 0xc2, onPad: true } });
    expect(String(placed.body.memoryHex).slice(0, 8)).toBe('11010131');
    expect((await call('DELETE', '/api/tags/E004010000000009')).status).toBe(200);
    expect((await call('GET', '/api/tags')).body.tags).toMatchObject([
      { uid: 'E004010000000009', onPad: false },
    ]);
    expect((await call('POST', '/api/tags/E004010000000009/move', { onPad: true })).status).toBe(200);
    expect(sim.tags()).toMatchObject([{ onPad: true }]);
    expect((await call('PUT', '/api/faults', { missRate: 0.5 })).body).toEqual({
      crcErrorRate: 0,
      missRate: 0.5,
      leaveDuringWriteRate: 0,
    });
  });

  it('rejects bad input with 400 and unknown tags with 404', async () => {
    sim = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0 });
    expect((await call('POST', '/api/tags', { preset: 'V9' })).status).toBe(400);
    expect((await call('POST', '/api/tags', { memoryHex: 'ABC' })).status).toBe(400);
    expect((await call('PUT', '/api/faults', { missRate: 2 })).status).toBe(400);
    expect((await call('DELETE', '/api/tags/E004010000000001')).status).toBe(404);
  });
});
