import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GateSimulator, startGateSimulator } from '../../../simulators/gate/index.js';
import { runGateSimulator } from '../../../simulators/gate/main.js';
import { systemClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FeigGate, NotificationListener } from '../../../src/devices/gate/index.js';
import { TcpListener } from '../../../src/devices/transport/tcp-listener.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(): Promise<GateSimulator> {
  // Nobody listens on port 1: the gate keeps dialling, which the control API must not mind.
  const sim = await startGateSimulator({
    host: '127.0.0.1',
    port: 1,
    reconnectMinMs: 50,
    reconnectMaxMs: 100,
  });
  cleanups.push(() => sim.close());
  return sim;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const put = (url: string, body: unknown) =>
  fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('gate simulator control API', () => {
  it('walks people through, counts them, and reports which walks set the alarm off', async () => {
    const sim = await simulator();
    const out = await post(`${sim.httpUrl}/api/passages`, {
      direction: 'out',
      items: ['31000004', '31000005'],
    });
    expect(out.status).toBe(201);
    const walked = (await out.json()) as Record<string, unknown>;
    expect(walked).toMatchObject({
      direction: 'out',
      alarmed: true,
      notified: 2,
      counts: { in: 0, out: 1 },
      tags: [
        { item: '31000004', afi: 0x07, secured: true, uid: expect.stringMatching(/^E00401[0-9A-F]{10}$/) },
        { item: '31000005', afi: 0x07, secured: true },
      ],
    });
    const loaned = await post(`${sim.httpUrl}/api/passages`, {
      direction: 'in',
      items: ['31000004', { memoryHex: '11010131' }],
      secured: false,
    });
    expect(await loaned.json()).toMatchObject({
      alarmed: false,
      notified: 0,
      tags: [{ afi: 0xc2 }, { item: null }],
    });
    // The same book carries the same tag on every walk.
    const again = (await (
      await post(`${sim.httpUrl}/api/passages`, { direction: 'in', items: ['31000004'] })
    ).json()) as {
      tags: Array<{ uid: string }>;
    };
    expect(again.tags[0]!.uid).toBe((walked.tags as Array<{ uid: string }>)[0]!.uid);
    const state = (await (await fetch(`${sim.httpUrl}/api/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      alarm: { on: true, loops: 0x0f, configuredOn: true },
      counters: { in: 2, out: 1 },
      passages: 3,
      alarms: 2,
      notifications: { state: expect.stringMatching(/waiting|connecting/), queued: 2 },
    });
  });

  it('refuses a passage it cannot walk, and unknown routes', async () => {
    const sim = await simulator();
    const bad = await post(`${sim.httpUrl}/api/passages`, { direction: 'sideways' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/direction/);
    expect(
      (await post(`${sim.httpUrl}/api/passages`, { direction: 'in', items: [{ memoryHex: 'abc' }] })).status,
    ).toBe(400);
    expect((await fetch(`${sim.httpUrl}/api/gates`)).status).toBe(404);
  });

  it('sets and reads faults', async () => {
    const sim = await simulator();
    const res = await put(`${sim.httpUrl}/api/faults`, { keepAlivesStop: true });
    expect(await res.json()).toEqual({ unplugged: false, garbledFrames: false, keepAlivesStop: true });
    expect((await put(`${sim.httpUrl}/api/faults`, { unplugged: 'yes' })).status).toBe(400);
    await put(`${sim.httpUrl}/api/faults`, { unplugged: true });
    expect(
      ((await (await fetch(`${sim.httpUrl}/api/state`)).json()) as { notifications: { state: string } })
        .notifications.state,
    ).toBe('unplugged');
  });

  it('sets its people counters as a gate from stock has them, within their four bytes, and counts on past the top from 0', async () => {
    const sim = await simulator();
    const set = await put(`${sim.httpUrl}/api/counters`, { in: 4_294_967_295 });
    expect(await set.json()).toEqual({ in: 4_294_967_295, out: 0 });
    const walked = await post(`${sim.httpUrl}/api/passages`, { direction: 'in' });
    expect(await walked.json()).toMatchObject({ counts: { in: 0, out: 0 } });
    for (const wrong of [{ in: -1 }, { out: 4_294_967_296 }, { in: 1.5 }, { inside: 3 }]) {
      const refused = await put(`${sim.httpUrl}/api/counters`, wrong);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toEqual(expect.any(String));
    }
    expect(sim.state().counters).toEqual({ in: 0, out: 0 });
  });
});

describe('runGateSimulator (carrel sim gate)', () => {
  it('dials the given listener, prints where it can be reached, and stops on SIGTERM', async () => {
    const notifications = new NotificationListener({
      listener: new TcpListener({ host: '127.0.0.1', port: 0 }),
      clock: systemClock,
      logger: silentLogger(),
    });
    const { port } = await notifications.start();
    cleanups.push(() => notifications.stop());
    const gate = new FeigGate({
      id: 'gate',
      address: '127.0.0.1',
      notifications,
      clock: systemClock,
      logger: silentLogger(),
      keepAliveTimeoutMs: 5000,
    });
    cleanups.push(() => gate.disconnect());
    await gate.connect();
    const lines: string[] = [];
    let announced!: () => void;
    const ready = new Promise<void>((resolve) => {
      announced = resolve;
    });
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
      if (line.includes('control')) announced();
    });
    const running = runGateSimulator([
      '--port',
      String(port),
      '--watch',
      'eas',
      '--command-port',
      '0',
      '--http-port',
      '0',
      '--keep-alive',
      '1',
    ]);
    await ready;
    expect(lines.join('\n')).toMatch(new RegExp(`notifies {2}tcp://127\\.0\\.0\\.1:${port}`));
    expect(lines.join('\n')).toContain('watching eas');
    await expect.poll(() => gate.condition().status, { timeout: 5000 }).toBe('online');
    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });

  it('wants the listener port', async () => {
    await expect(runGateSimulator([])).rejects.toMatchObject({
      code: 'usage',
      message: '--port is required',
    });
    await expect(runGateSimulator(['--port', '0'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runGateSimulator(['--port', '1', '--watch', 'sideways'])).rejects.toMatchObject({
      code: 'usage',
      message: '--watch must be one of afi, eas, afi+eas, not sideways',
    });
  });
});
