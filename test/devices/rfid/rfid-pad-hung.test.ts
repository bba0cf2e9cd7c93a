/**
 * A hung RFID reader: the pad simulator behind a proxy that stops passing bytes,
 * so the TCP connection stays open and nothing is answered (a reader whose
 * firmware locked up, a pad process stopped with SIGSTOP). The pad, as the
 * gateway runs it under a supervisor and with its default settings, must show
 * it offline within 2 s, say why, and reconnect once it answers again.
 * Real TCP; timers on the fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRfidPadSimulator } from '../../../simulators/rfid-pad/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FeigReader, RfidPadDevice } from '../../../src/devices/rfid/index.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { DEFAULT_BACKOFF } from '../../../src/gateway/backoff.js';
import { DeviceSupervisor } from '../../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { runFor } from '../../helpers/fake-clock-run.js';
import { StallingProxy } from '../../helpers/stalling-proxy.js';
import { recordEvents } from './pad-events.js';

const V1_UID = 'E004010000000001';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function padBehindProxy() {
  const clock = new ManualClock();
  const sim = await startRfidPadSimulator({
    protocol: 'feig',
    tcpPort: 0,
    tags: [{ uid: V1_UID, preset: 'V1' }],
  });
  cleanups.push(() => sim.close());
  const proxy = await StallingProxy.start(sim.tcpPort!);
  cleanups.push(() => proxy.close());
  const reader = new FeigReader({
    transport: new TcpTransport({ host: '127.0.0.1', port: proxy.port, clock }),
    clock,
  });
  const pad = new RfidPadDevice({ id: 'pad-1', reader, clock, logger: silentLogger() });
  const recorder = recordEvents(pad);
  const supervisor = new DeviceSupervisor({
    driver: pad,
    eventFamily: 'rfid',
    clock,
    bus: new EventBus(),
    logger: silentLogger(),
    backoff: { ...DEFAULT_BACKOFF, jitter: 0 },
  });
  cleanups.push(() => supervisor.stop());
  supervisor.start();
  await runFor(clock, 5000, () => recorder.events.some((e) => e.type === 'tag_arrived'));
  expect(supervisor.state().status).toBe('online');
  return { clock, proxy, pad, supervisor, recorder };
}

describe('RFID pad whose reader stops answering', () => {
  it('is shown offline within 2 s with the reason, and comes back when the reader answers again', async () => {
    const { clock, proxy, supervisor, recorder } = await padBehindProxy();

    proxy.stall();
    const tookMs = await runFor(clock, 10_000, () => supervisor.state().status !== 'online');
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: expect.stringMatching(/not answering/),
      lastError: { code: 'rfid_not_answering' },
    });
    expect(tookMs).toBeLessThanOrEqual(2000);
    // Lost is not taken off: its tag is not said to have left.
    expect(recorder.events.map((e) => e.type)).not.toContain('tag_left');

    proxy.resume();
    await runFor(clock, 10_000, () => supervisor.state().status === 'online');
    expect(supervisor.state()).toMatchObject({ status: 'online', reconnects: 1 });
    // Back, its tag still there is not announced again.
    const rounds = supervisor.state().detail.rounds as number;
    await runFor(clock, 2000, () => (supervisor.state().detail.rounds as number) >= rounds + 5);
    expect(recorder.events.map((e) => e.type)).toEqual(['tag_arrived']);
  });

  it('stays online through a single reply lost on the way', async () => {
    const { clock, proxy, supervisor } = await padBehindProxy();
    // Held for one inventory timeout: one round goes unanswered, the next is answered.
    proxy.stall();
    await runFor(clock, 800);
    proxy.resume();
    await runFor(clock, 3000);
    expect(supervisor.state().status).toBe('online');
  });
});
