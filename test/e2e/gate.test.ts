import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gateSimulators } from '../../simulators/gate/family.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * The security gate on the simulated desk, as a desk and its staff see it: the
 * simulated FEIG gate dials the desk's notification listener, people walk
 * through it, and a secured item's alarm reaches the event WebSocket naming the
 * item; the alarm is switched off and on through the API and verified by the
 * gate; its people counter is read. Real TCP throughout.
 */
let testDesk: TestDesk;
let api: string;
let socket: WebSocket;
const events: Array<{ type: string; device: string; data: Record<string, unknown> }> = [];
const raw: string[] = [];

beforeAll(async () => {
  testDesk = await startTestDesk();
  api = testDesk.api;
  await waitForDevice(api, 'exit-1', 'online', 15_000);
  socket = new WebSocket(`${api.replace('http', 'ws')}/api/v1/events?devices=exit-1`);
  socket.on('message', (message) => {
    raw.push(String(message));
    const parsed = JSON.parse(String(message));
    if (parsed.event === 'device.event') events.push(parsed.data);
  });
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await fetch(`${api}/api/v1${path}`, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  return { status: response.status, json: (await response.json()) as any };
}

describe('a security gate on the simulated desk', () => {
  it('shows, within a second, which item alarmed as it left', async () => {
    const walkedAt = Date.now();
    gateSim().walk({ direction: 'out', items: ['31000004'] });
    const alarm = await until(() => events.find((e) => e.type === 'gate.alarm'), 1000);
    expect(Date.now() - walkedAt).toBeLessThan(1000);
    expect(alarm).toMatchObject({
      device: 'exit-1',
      data: { item: { id: '31000004', format: '28560-3' }, reason: 'reported', memoryHex: null },
    });
    const status = await call('GET', '/gates/exit-1');
    expect(status.status).toBe(200);
    expect(status.json.recentAlarms[0]).toMatchObject({ item: { id: '31000004' } });
    expect(status.json.alarms).toBe(1);
  });

  it('does not alarm for an item on loan, nor for a patron card, and names no patron anywhere', async () => {
    const before = events.filter((e) => e.type === 'gate.alarm').length;
    gateSim().walk({ direction: 'out', items: ['31000005'], secured: false });
    const card = encodeIso28560Part3({ primaryItemId: '21000001', typeOfUsage: 'patron-card' });
    gateSim().walk({
      direction: 'out',
      items: [{ memoryHex: Buffer.from(card).toString('hex'), uid: 'E0040100000000C1', secured: true }],
    });
    // A marker passage after them: once its alarm is here, the two before have been handled.
    gateSim().walk({ direction: 'out', items: ['31000006'] });
    await until(() =>
      events.find((e) => e.type === 'gate.alarm' && (e.data.item as { id?: string })?.id === '31000006'),
    );
    const alarms = events.filter((e) => e.type === 'gate.alarm').slice(before);
    expect(alarms.map((e) => (e.data.item as { id: string }).id)).toEqual(['31000006']);
    expect(raw.join('\n')).not.toContain('21000001');
  });

  it('switches the alarm off and on, as the gate confirms', async () => {
    const off = await call('POST', '/gates/exit-1/alarm', { on: false });
    expect(off).toMatchObject({ status: 200, json: { on: false } });
    expect(gateSim().state().alarm).toMatchObject({ on: false });
    const on = await call('POST', '/gates/exit-1/alarm', { on: true });
    expect(on).toMatchObject({ status: 200, json: { on: true } });
    expect(gateSim().state().alarm).toMatchObject({ on: true });
    expect((await call('GET', '/gates/exit-1')).json.alarm).toEqual({ on: true, loops: expect.any(Number) });
  });

  it("reads the gate's people counter and sets it to zero", async () => {
    const counted = await call('GET', '/gates/exit-1/counters');
    expect(counted.status).toBe(200);
    expect(counted.json.out).toBeGreaterThanOrEqual(4);
    const reset = await call('POST', '/gates/exit-1/counters/reset');
    expect(reset.json).toMatchObject({ in: 0, out: 0 });
    gateSim().walk({ direction: 'in', items: [] });
    expect((await call('GET', '/gates/exit-1/counters')).json).toMatchObject({ in: 1, out: 0 });
  });

  it('answers for a device that is not a gate with a stable problem', async () => {
    expect(await call('GET', '/gates/receipt-1')).toMatchObject({
      status: 409,
      json: { code: 'not_a_gate' },
    });
    expect(await call('GET', '/gates/nowhere')).toMatchObject({
      status: 404,
      json: { code: 'device_not_found' },
    });
  });
});
