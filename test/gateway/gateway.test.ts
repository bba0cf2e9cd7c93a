import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { CarrelError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { EventBus } from '../../src/gateway/event-bus.js';
import type { Feature } from '../../src/gateway/feature.js';
import { Gateway } from '../../src/gateway/gateway.js';

/** Features that write what happens to them into one journal, in order. */
function desk(
  specs: Array<{
    name: string;
    essential?: boolean;
    fails?: string;
    hangsOnStop?: boolean;
    /** Its start resolves only with this (a broker slow to answer). */
    startsWhen?: Promise<void>;
  }>,
) {
  const journal: string[] = [];
  const features: Feature[] = specs.map((spec) => ({
    name: spec.name,
    ...(spec.essential !== undefined && { essential: spec.essential }),
    async start() {
      journal.push(`start ${spec.name}`);
      await spec.startsWhen;
      if (spec.fails) throw new CarrelError('boom', spec.fails);
    },
    async stop() {
      journal.push(`stop ${spec.name}`);
      if (spec.hangsOnStop) await new Promise(() => {});
    },
  }));
  const bus = new EventBus();
  const states: string[] = [];
  bus.on('gateway.state', states, (state) => states.push(state.status));
  const gateway = new Gateway({
    bus,
    clock: systemClock,
    logger: silentLogger(),
    features,
    stopTimeoutMs: 50,
  });
  return { gateway, journal, states };
}

describe('Gateway', () => {
  it('starts the features in order and stops them in reverse', async () => {
    const { gateway, journal, states } = desk([{ name: 'storage' }, { name: 'devices' }, { name: 'http' }]);
    await gateway.start();
    expect(gateway.state).toBe('ready');
    await gateway.stop();
    expect(journal).toEqual([
      'start storage',
      'start devices',
      'start http',
      'stop http',
      'stop devices',
      'stop storage',
    ]);
    expect(states).toEqual(['starting', 'ready', 'stopping']);
    expect(gateway.state).toBe('stopped');
  });

  it('runs on without a feature that is not essential, reporting why it failed, and stops it in its turn', async () => {
    const { gateway, journal } = desk([
      { name: 'storage' },
      { name: 'mqtt', fails: 'the broker refused the credentials' },
      { name: 'http' },
    ]);
    await gateway.start();
    expect(gateway.state).toBe('ready');
    expect(gateway.features()).toEqual([
      { name: 'storage', status: 'running', error: null },
      {
        name: 'mqtt',
        status: 'failed',
        error: { code: 'boom', message: 'the broker refused the credentials' },
      },
      { name: 'http', status: 'running', error: null },
    ]);
    await gateway.stop();
    expect(journal).toEqual([
      'start storage',
      'start mqtt',
      'start http',
      'stop http',
      'stop mqtt',
      'stop storage',
    ]);
    // Still saying why it failed.
    expect(gateway.features()[1]).toMatchObject({ name: 'mqtt', status: 'failed' });
  });

  it('gives back what a feature that failed partway had started: its port is free again once stopped', async () => {
    // A feature that listens (as an embedded broker does) and then fails (its API's link refused).
    let server: Server | undefined;
    const partway: Feature = {
      name: 'mqtt',
      async start() {
        server = createServer();
        await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
        throw new CarrelError('mqtt_refused', 'the broker refused the credentials');
      },
      async stop() {
        await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
      },
    };
    const gateway = new Gateway({
      bus: new EventBus(),
      clock: systemClock,
      logger: silentLogger(),
      features: [{ name: 'storage', start: async () => {}, stop: async () => {} }, partway],
    });
    await gateway.start();
    expect(gateway.state).toBe('ready');
    const { port } = server!.address() as AddressInfo;
    await gateway.stop();
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('still listening');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it("reports a running feature's problem while it has one (an external broker out of reach), and not once stopped", async () => {
    let problem: string | undefined = 'no link to the MQTT broker mqtt://broker:1883: ECONNREFUSED; retrying';
    const mqtt: Feature = {
      name: 'mqtt',
      start: async () => {},
      stop: async () => {},
      problem: () => problem,
    };
    const gateway = new Gateway({
      bus: new EventBus(),
      clock: systemClock,
      logger: silentLogger(),
      features: [{ name: 'storage', start: async () => {}, stop: async () => {} }, mqtt],
    });
    expect(gateway.features()[1]).toEqual({ name: 'mqtt', status: 'stopped', error: null });
    await gateway.start();
    expect(gateway.features()).toEqual([
      { name: 'storage', status: 'running', error: null },
      { name: 'mqtt', status: 'running', error: null, problem },
    ]);
    problem = undefined;
    expect(gateway.features()[1]).toEqual({ name: 'mqtt', status: 'running', error: null });
    problem = 'still out of reach';
    await gateway.stop();
    expect(gateway.features()[1]).toEqual({ name: 'mqtt', status: 'stopped', error: null });
  });

  it('does not start when an essential feature fails: what started is stopped, what follows never starts', async () => {
    const { gateway, journal, states } = desk([
      { name: 'storage', essential: true },
      { name: 'devices' },
      { name: 'http', essential: true, fails: 'listen EADDRINUSE: address already in use 127.0.0.1:8480' },
      { name: 'mqtt' },
    ]);
    const failure = await gateway.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CarrelError);
    expect((failure as CarrelError).code).toBe('start_failed');
    expect((failure as Error).message).toBe('http: listen EADDRINUSE: address already in use 127.0.0.1:8480');
    // The essential feature that failed is stopped too: what it had opened before failing is given back.
    expect(journal).toEqual([
      'start storage',
      'start devices',
      'start http',
      'stop http',
      'stop devices',
      'stop storage',
    ]);
    expect(gateway.state).toBe('stopped');
    expect(states).not.toContain('ready');
    // The signal handler's stop after a failed start finds nothing more to do.
    await gateway.stop();
    expect(journal).toHaveLength(6);
  });

  it('asked to stop while a feature is starting, lets it finish, then stops it in its turn; never ready', async () => {
    let opened!: () => void;
    const broker = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const { gateway, journal, states } = desk([
      { name: 'storage' },
      { name: 'http' },
      { name: 'mqtt', startsWhen: broker },
    ]);
    const started = gateway.start();
    await expect.poll(() => journal).toContain('start mqtt');
    const stopped = gateway.stop();
    opened();
    await started;
    await stopped;
    expect(journal).toEqual([
      'start storage',
      'start http',
      'start mqtt',
      'stop mqtt',
      'stop http',
      'stop storage',
    ]);
    expect(states).toEqual(['starting', 'stopping']);
    expect(gateway.state).toBe('stopped');
  });

  it('a feature that does not stop in time does not keep the others running', async () => {
    const { gateway, journal } = desk([
      { name: 'storage' },
      { name: 'printer', hangsOnStop: true },
      { name: 'http' },
    ]);
    await gateway.start();
    await gateway.stop();
    expect(journal.slice(3)).toEqual(['stop http', 'stop printer', 'stop storage']);
    expect(gateway.features().find((f) => f.name === 'printer')?.status).toBe('running');
  });
});
