import { EventEmitter, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FeigGate, NotificationListener } from '../../../src/devices/gate/index.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import type { ConnectionListener } from '../../../src/devices/transport/tcp-listener.js';
import { encodeFeigFrame, keepAliveFrame } from '../../../src/protocols/feig/index.js';

/**
 * The keep-alive watchdog on a clock the test moves: a gate is offline the timeout after its
 * last frame, however many frames came before it — one timer per silence, not one per frame.
 */
class HandedListener extends EventEmitter implements ConnectionListener {
  readonly description = 'test://listener';
  async listen() {
    return { host: '127.0.0.1', port: 1 };
  }
  async close() {}
}

async function watchedGate(keepAliveTimeoutMs: number) {
  const clock = new ManualClock();
  const handed = new HandedListener();
  const notifications = new NotificationListener({ listener: handed, clock, logger: silentLogger() });
  const gate = new FeigGate({
    id: 'gate-1',
    address: '10.0.0.9',
    notifications,
    clock,
    logger: silentLogger(),
    keepAliveTimeoutMs,
  });
  await gate.connect();
  const link = new MockTransport('mock://gate');
  await link.open();
  handed.emit('connection', link, { address: '10.0.0.9', port: 4000 });
  const keepAlive = () => link.inject(encodeFeigFrame(keepAliveFrame({ status: 0, diagnostic: 0 })));
  return { clock, gate, link, keepAlive };
}

describe('FeigGate keep-alive watchdog', () => {
  it('stays online while frames come within the timeout, and is offline the timeout after the last', async () => {
    const { clock, gate, keepAlive } = await watchedGate(1000);
    keepAlive();
    expect(gate.notificationLink().state).toBe('online');
    for (let i = 0; i < 10; i++) {
      await clock.advance(900);
      keepAlive();
      expect(gate.notificationLink().state).toBe('online');
    }
    // The last frame came now: 999 ms on it is still online, 1000 ms on it is not.
    await clock.advance(999);
    expect(gate.notificationLink().state).toBe('online');
    await clock.advance(1);
    expect(gate.notificationLink()).toMatchObject({
      state: 'offline',
      reason: 'no keep-alive from the gate for 1 s',
    });
  });

  it('says the gate closed its connection for as long as it stays closed, not that its keep-alives stopped', async () => {
    const { clock, gate, link, keepAlive } = await watchedGate(1000);
    keepAlive();
    await clock.advance(500);
    const dropped = once(link, 'close');
    link.drop();
    await dropped;
    const closed = { state: 'offline', reason: 'the gate closed its notification connection' };
    expect(gate.notificationLink()).toMatchObject(closed);
    // There is no connection to be silent on: the keep-alive check has nothing to say.
    await clock.advance(60_000);
    expect(gate.notificationLink()).toMatchObject(closed);
  });

  it('keeps no watchdog when the timeout is 0', async () => {
    const { clock, gate, keepAlive } = await watchedGate(0);
    keepAlive();
    await clock.advance(3_600_000);
    expect(gate.notificationLink().state).toBe('online');
  });
});
