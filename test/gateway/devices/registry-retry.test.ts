/**
 * A device that could not start, tried again by the registry on the desk clock: after 5 s (±20 %),
 * then doubling up to 5 min; said in the log once per streak (the tries between at debug); never
 * tried again once the registry stopped, and a try under way finished and stopped by stop().
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import { DeviceRegistry } from '../../../src/gateway/devices/registry.js';
import type { DeviceEntry } from '../../../src/gateway/family.js';

function printer(clock: ManualClock, startsAfter: number) {
  const calls: string[] = [];
  let tries = 0;
  let running = false;
  const entry: DeviceEntry = {
    id: 'receipt-1',
    kind: 'receipt-printer',
    port: {},
    state: (): DeviceState => ({
      device: 'receipt-1',
      kind: 'receipt-printer',
      status: running ? 'online' : 'offline',
      since: new Date(clock.now()).toISOString(),
      reason: running ? null : 'stopped',
      lastError: null,
      reconnects: 0,
      detail: {},
    }),
    async start() {
      calls.push(`start at ${clock.monotonic()}`);
      if (++tries < startsAfter)
        throw new CarrelError('eaddrinuse', 'listen EADDRINUSE: address already in use 127.0.0.1:9100');
      running = true;
    },
    async stop() {
      running = false;
    },
    async reconnect() {},
  };
  return { entry, calls };
}

function logLines() {
  const lines: Array<{ level: string; msg: string }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', format: 'json', destination }) };
}

describe('DeviceRegistry, a device that could not start', () => {
  it('is tried again after 5 s, then 10 s, 20 s…, said once, and online once it starts', async () => {
    const clock = new ManualClock();
    const { entry, calls } = printer(clock, 4);
    const { lines, logger } = logLines();
    // No jitter drawn (random 0.5 is the middle): the delays are the policy's own.
    const registry = new DeviceRegistry([entry], [], { clock, logger, random: () => 0.5 });
    const began = clock.monotonic();
    await registry.start();
    expect(registry.state('receipt-1')).toMatchObject({ status: 'offline' });
    expect(registry.state('receipt-1')?.reason).toMatch(/^could not start: listen EADDRINUSE/);
    await clock.advance(4_999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    await clock.advance(10_000);
    expect(calls).toHaveLength(3);
    await clock.advance(19_999);
    expect(calls).toHaveLength(3);
    await clock.advance(1);
    expect(calls.map((call) => Number(call.slice('start at '.length)) - began)).toEqual([
      0, 5_000, 15_000, 35_000,
    ]);
    expect(registry.state('receipt-1')).toMatchObject({ status: 'online' });
    const said = lines
      .filter((line) => /receipt-1/.test(line.msg))
      .map((line) => `${line.level} ${line.msg}`);
    expect(said.filter((line) => /could not start/.test(line))).toHaveLength(1);
    expect(said.at(-1)).toMatch(/^info device receipt-1 started/);
    // Started: nothing more is tried.
    await clock.advance(600_000);
    expect(calls).toHaveLength(4);
    await registry.stop();
  });

  it('says a new reason in the same streak as a change, offline since the first failure', async () => {
    const clock = new ManualClock();
    const reasons = [
      new CarrelError('eaddrinuse', 'listen EADDRINUSE: address already in use 127.0.0.1:9100'),
      new CarrelError('eacces', 'open /dev/ttyUSB0: permission denied'),
      new CarrelError('eacces', 'open /dev/ttyUSB0: permission denied'),
    ];
    const { entry } = printer(clock, 1);
    entry.start = async () => {
      throw reasons.shift() ?? new CarrelError('eacces', 'open /dev/ttyUSB0: permission denied');
    };
    const { lines, logger } = logLines();
    const registry = new DeviceRegistry([entry], [], { clock, logger, random: () => 0.5 });
    await registry.start();
    const since = registry.state('receipt-1')?.since;
    await clock.advance(5_000);
    await clock.advance(10_000);
    const said = lines
      .filter((line) => /receipt-1/.test(line.msg))
      .map((line) => `${line.level} ${line.msg}`);
    expect(said).toEqual([
      expect.stringMatching(/^error device receipt-1 could not start: listen EADDRINUSE/),
      'warn device receipt-1 still cannot start, now: open /dev/ttyUSB0: permission denied',
    ]);
    expect(registry.state('receipt-1')).toMatchObject({
      since,
      reason: 'could not start: open /dev/ttyUSB0: permission denied',
    });
    await registry.stop();
  });

  it('waits at most 5 min (±20 %) between tries, however long it fails', async () => {
    const clock = new ManualClock();
    const { entry, calls } = printer(clock, Number.POSITIVE_INFINITY);
    const registry = new DeviceRegistry([entry], [], { clock, random: () => 0.999 });
    await registry.start();
    for (let i = 0; i < 12; i++) await clock.advance(60_000 * 6);
    const at = calls.map((call) => Number(call.slice('start at '.length)));
    const gaps = at.slice(1).map((time, i) => time - at[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(360_000);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(240_000);
    await registry.stop();
  });

  it('is not tried again once the registry has stopped', async () => {
    const clock = new ManualClock();
    const { entry, calls } = printer(clock, 2);
    const registry = new DeviceRegistry([entry], [], { clock, random: () => 0.5 });
    await registry.start();
    await registry.stop();
    expect(clock.pending()).toEqual([]);
    await clock.advance(600_000);
    expect(calls).toHaveLength(1);
    expect(registry.state('receipt-1')?.status).toBe('offline');
  });
});
