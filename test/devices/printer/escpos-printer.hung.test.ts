/**
 * A hung receipt printer: the printer simulator behind a proxy that stops
 * passing bytes, so the TCP connection stays open and no status query is
 * answered (a printer whose firmware locked up, a network interface that stopped
 * forwarding). With the configured defaults the desk must show it offline within
 * one status poll and one status timeout, say why, and reconnect once it answers.
 * Real TCP; timers on the fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPrinterSimulator } from '../../../simulators/printer/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { EscPosPrinter } from '../../../src/devices/printer/escpos-printer.js';
import { TcpTransport } from '../../../src/devices/transport/tcp.js';
import { DEFAULT_BACKOFF } from '../../../src/gateway/backoff.js';
import { DeviceSupervisor } from '../../../src/gateway/devices/supervisor.js';
import { EventBus } from '../../../src/gateway/event-bus.js';
import { receiptPrinterSchema } from '../../../src/gateway/families/receipt-printer/index.js';
import { runFor } from '../../helpers/fake-clock-run.js';
import { StallingProxy } from '../../helpers/stalling-proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('receipt printer that stops answering', () => {
  it('is shown offline within one status poll and one status timeout, and comes back when it answers again', async () => {
    const clock = new ManualClock();
    const sim = await startPrinterSimulator({ port: 0, httpPort: 0 });
    cleanups.push(() => sim.close());
    const proxy = await StallingProxy.start(sim.escposPort);
    cleanups.push(() => proxy.close());
    const config = receiptPrinterSchema.parse({
      id: 'receipt-1',
      kind: 'receipt-printer',
      transport: { type: 'tcp', host: '127.0.0.1', port: proxy.port },
    });
    const printer = new EscPosPrinter({
      id: config.id,
      transport: new TcpTransport({ host: '127.0.0.1', port: proxy.port, clock }),
      clock,
      logger: silentLogger(),
      statusIntervalMs: config.statusIntervalMs,
      statusTimeoutMs: config.statusTimeoutMs,
    });
    const supervisor = new DeviceSupervisor({
      driver: printer,
      eventFamily: 'printer',
      clock,
      bus: new EventBus(),
      logger: silentLogger(),
      backoff: { ...DEFAULT_BACKOFF, jitter: 0 },
    });
    cleanups.push(() => supervisor.stop());
    supervisor.start();
    await runFor(clock, 5000, () => supervisor.state().status === 'online');
    expect(supervisor.state().status).toBe('online');

    proxy.stall();
    const tookMs = await runFor(clock, 10_000, () => supervisor.state().status !== 'online');
    expect(supervisor.state()).toMatchObject({
      status: 'offline',
      reason: expect.stringMatching(/did not answer a status query/),
      lastError: { code: 'timeout' },
    });
    expect(tookMs).toBeLessThanOrEqual(config.statusIntervalMs + config.statusTimeoutMs);

    proxy.resume();
    await runFor(clock, 10_000, () => supervisor.state().status === 'online');
    expect(supervisor.state()).toMatchObject({ status: 'online', reconnects: 1 });
  });
});
