import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TransportError } from '../../src/core/errors.js';
import { createLogger, type Logger, silentLogger } from '../../src/core/logger.js';
import type { DeviceCondition, DeviceDriver } from '../../src/devices/device.js';
import type { DeviceEvent, DeviceState } from '../../src/devices/device-state.js';
import { DEFAULT_BACKOFF } from '../../src/gateway/backoff.js';
import { DeviceSupervisor } from '../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../src/gateway/event-bus.js';

class FakeDriver extends EventEmitter implements DeviceDriver {
  readonly kind = 'receipt-printer';
  reachable = false;
  connects = 0;
  current: DeviceCondition = { status: 'online', reason: null, detail: {} };
  constructor(readonly id: string) {
    super();
  }
  async connect(): Promise<void> {
    this.connects++;
    if (!this.reachable) throw new TransportError('econnrefused', 'connection refused');
  }
  async disconnect(): Promise<void> {}
  condition(): DeviceCondition {
    return this.current;
  }
  setCondition(condition: DeviceCondition): void {
    this.current = condition;
    this.emit('condition', condition);
  }
}

function setup(logger: Logger = silentLogger()) {
  const clock = new ManualClock(0);
  const bus = new EventBus();
  const driver = new FakeDriver('receipt-1');
  const states: DeviceState[] = [];
  const events: DeviceEvent[] = [];
  bus.on('device.state', {}, (s) => states.push(s));
  bus.on('device.event', {}, (e) => events.push(e));
  const supervisor = new DeviceSupervisor({
    driver,
    eventFamily: 'printer',
    clock,
    bus,
    logger,
    backoff: { ...DEFAULT_BACKOFF, jitter: 0 },
  });
  return { clock, bus, driver, states, events, supervisor };
}

describe('DeviceSupervisor', () => {
  it('says a device off all night when it goes, every ten minutes while it stays off, and when it is back', async () => {
    const lines: Array<{ level: string; msg: string; attempts?: number; failedAttempts?: number }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { clock, driver, supervisor, states } = setup(
      createLogger({ level: 'info', format: 'json', destination }),
    );
    supervisor.start();
    await clock.advance(0);
    const published = states.length;
    // Eight hours off, retried every 5 s: ~5,800 attempts.
    for (let minute = 0; minute < 8 * 60; minute++) await clock.advance(60_000);
    expect(driver.connects).toBeGreaterThan(5000);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings[0]!.msg).toBe('connect failed: connection refused');
    // One at the start, then one every ten minutes: 48 in eight hours, not 5,800.
    expect(warnings.length).toBeGreaterThanOrEqual(48);
    expect(warnings.length).toBeLessThanOrEqual(49);
    expect(warnings.at(-1)).toMatchObject({ msg: 'still cannot connect: connection refused' });
    expect(warnings.at(-1)!.attempts).toBeGreaterThan(5000);
    // The health record did not change with each attempt either: the first failure's time stands.
    expect(states.length).toBe(published);
    expect(supervisor.state().lastError!.at).toBe(new Date(0).toISOString());

    driver.reachable = true;
    await clock.advance(5000);
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'device connected' });
    expect(lines.at(-1)!.failedAttempts).toBeGreaterThan(5000);
    // Another failure is said at once, with its own words.
    driver.reachable = false;
    driver.emit('disconnected', new TransportError('eio', 'input/output error'));
    await clock.advance(10_000);
    expect(lines.filter((line) => line.msg === 'connect failed: connection refused')).toHaveLength(2);
    await supervisor.stop();
  });

  it('reminds of a device still off every ten minutes passed, whatever NTP does to the wall clock', async () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { clock, supervisor } = setup(createLogger({ level: 'info', format: 'json', destination }));
    const warnings = () => lines.filter((line) => line.level === 'warn').length;
    supervisor.start();
    await clock.advance(0);
    expect(warnings()).toBe(1);
    // Stepped an hour back: the reminder still comes ten minutes on, not seventy.
    clock.stepWallClock(-3_600_000);
    for (let minute = 0; minute < 11; minute++) await clock.advance(60_000);
    expect(warnings()).toBe(2);
    // Stepped an hour forward: no reminder a minute after the last one.
    clock.stepWallClock(3_600_000);
    await clock.advance(60_000);
    expect(warnings()).toBe(2);
    await supervisor.stop();
  });

  it('retries an unreachable device with capped exponential backoff and records the error', async () => {
    const { clock, driver, supervisor } = setup();
    supervisor.start();
    await clock.advance(0);
    expect(driver.connects).toBe(1);
    expect(supervisor.state()).toMatchObject({ status: 'offline', lastError: { code: 'econnrefused' } });
    // retries at +250, +500, +1000, +2000, +4000, +5000, +5000
    const expectedGaps = [250, 500, 1000, 2000, 4000, 5000, 5000];
    for (const [index, gap] of expectedGaps.entries()) {
      await clock.advance(gap - 1);
      expect(driver.connects).toBe(index + 1);
      await clock.advance(1);
      expect(driver.connects).toBe(index + 2);
    }
    await supervisor.stop();
    expect(clock.pending()).toEqual([]);
  });

  it('goes online, offline on disconnect, and counts the reconnect', async () => {
    const { clock, driver, supervisor, states } = setup();
    driver.reachable = true;
    supervisor.start();
    await clock.advance(0);
    expect(supervisor.state()).toMatchObject({ status: 'online', reconnects: 0, reason: null });

    driver.emit('disconnected', new TransportError('peer_closed', 'peer closed'));
    expect(supervisor.state()).toMatchObject({ status: 'offline', reason: 'peer closed' });
    await clock.advance(250);
    expect(supervisor.state()).toMatchObject({ status: 'online', reconnects: 1 });
    expect(states.map((s) => s.status)).toEqual(['offline', 'online', 'offline', 'online']);
    await supervisor.stop();
    expect(supervisor.state().status).toBe('offline');
  });

  it('reports a degraded condition with its reason and forwards events with the family prefix', async () => {
    const { clock, driver, supervisor, events } = setup();
    driver.reachable = true;
    supervisor.start();
    await clock.advance(0);
    driver.setCondition({ status: 'degraded', reason: 'paper out', detail: { paperOut: true } });
    expect(supervisor.state()).toMatchObject({
      status: 'degraded',
      reason: 'paper out',
      detail: { paperOut: true },
    });
    driver.emit('event', 'paper_out', {});
    expect(events).toEqual([
      { device: 'receipt-1', type: 'printer.paper_out', time: expect.any(String), data: {} },
    ]);
    await supervisor.stop();
  });

  it('publishes a record whole, its keys in their order, on a count moving; nothing when a condition changes nothing', async () => {
    const { clock, driver, supervisor, states } = setup();
    driver.reachable = true;
    supervisor.start();
    await clock.advance(0);
    const online = states.at(-1)!;
    driver.setCondition({ status: 'online', reason: null, detail: { reads: 1 } });
    driver.setCondition({ status: 'online', reason: null, detail: { reads: 1 } });
    expect(states).toHaveLength(3);
    const counted = states.at(-1)!;
    expect(Object.keys(counted)).toEqual([
      'device',
      'kind',
      'status',
      'since',
      'reason',
      'lastError',
      'reconnects',
      'detail',
    ]);
    expect(counted).toEqual({ ...online, detail: { reads: 1 } });
    driver.setCondition({
      status: 'degraded',
      reason: 'slow',
      detail: { reads: 1 },
      lastError: { code: 'timeout', message: 'no answer' },
    });
    driver.setCondition({
      status: 'degraded',
      reason: 'slow',
      detail: { reads: 2 },
      lastError: { code: 'timeout', message: 'no answer' },
    });
    expect(states).toHaveLength(5);
    // The same error is not stamped again: the record keeps the first one's time.
    expect(states[4]!.lastError).toBe(states[3]!.lastError);
    expect(states[4]).toMatchObject({
      status: 'degraded',
      reason: 'slow',
      detail: { reads: 2 },
      reconnects: 0,
    });
    await supervisor.stop();
  });
});
