import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CarrelError, TimeoutError } from '../../../src/core/errors.js';
import { createLogger, type Logger, silentLogger } from '../../../src/core/logger.js';
import type { DeviceCondition } from '../../../src/devices/device.js';
import { EscPosPrinter } from '../../../src/devices/printer/escpos-printer.js';
import { PrintError } from '../../../src/devices/printer/print-error.js';
import { MockTransport } from '../../../src/devices/transport/mock.js';
import { FakePrinter } from './fake-printer.js';

const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function setup(options: { confirmTimeoutMs?: number; logger?: Logger } = {}) {
  const clock = new ManualClock();
  const transport = new MockTransport('mock://printer');
  const fake = new FakePrinter(transport);
  const printer = new EscPosPrinter({
    id: 'desk-printer',
    transport,
    clock,
    logger: silentLogger(),
    statusIntervalMs: 1000,
    statusTimeoutMs: 1500,
    ...options,
  });
  const events: Array<[string, Record<string, unknown>]> = [];
  const conditions: DeviceCondition[] = [];
  const disconnects: Error[] = [];
  printer.on('event', (type, data) => events.push([type, data]));
  printer.on('condition', (condition) => conditions.push(condition));
  printer.on('disconnected', (error) => disconnects.push(error));
  return { clock, transport, fake, printer, events, conditions, disconnects };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup) await step();
  cleanup = [];
});

async function connected(options: { confirmTimeoutMs?: number; logger?: Logger } = {}) {
  const ctx = setup(options);
  await ctx.printer.connect();
  cleanup.push(() => ctx.printer.disconnect());
  return ctx;
}

describe('EscPosPrinter connect', () => {
  it('initialises the printer and reads all four statuses before resolving', async () => {
    const { transport, printer } = await connected();
    const written = transport.written();
    expect(written.subarray(0, 2)).toEqual(Buffer.from([0x1b, 0x40]));
    expect(written.subarray(2, 14)).toEqual(
      Buffer.from([0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4]),
    );
    expect(printer.isConnected()).toBe(true);
    expect(printer.condition()).toEqual({
      status: 'online',
      reason: null,
      detail: { paper: 'ok', coverOpen: false, problems: [], warnings: [] },
    });
  });

  it('rejects with a timeout when the device stays silent, and closes the transport', async () => {
    const { clock, transport, fake, printer } = setup();
    fake.silent = true;
    const attempt = printer.connect();
    const outcome = expect(attempt).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(0);
    await clock.advance(1500);
    await outcome;
    expect(transport.isOpen).toBe(false);
    expect(printer.isConnected()).toBe(false);
  });

  it('rejects with the transport error when the open is refused', async () => {
    const { transport, printer } = setup();
    transport.refuseOpen = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(printer.connect()).rejects.toMatchObject({ code: 'econnrefused' });
  });

  it('reports the status it found at connect (paper out at start-up)', async () => {
    const { fake, printer, events } = setup();
    fake.setStatus({ paperOut: true, offline: true });
    await printer.connect();
    cleanup.push(() => printer.disconnect());
    expect(printer.condition()).toMatchObject({ status: 'degraded', reason: 'paper out' });
    expect(events).toEqual([['paper_out', { paper: 'out' }]]);
  });
});

describe('EscPosPrinter status polling', () => {
  it('polls on the clock and turns changes into condition and events', async () => {
    const { clock, fake, printer, events, conditions } = await connected();
    fake.setStatus({ paperNearEnd: true });
    await clock.advance(1000);
    expect(events).toEqual([['paper_near_end', { paper: 'near_end' }]]);
    expect(printer.condition()).toMatchObject({ status: 'online', detail: { warnings: ['paper near end'] } });

    fake.setStatus({ paperOut: true, coverOpen: true });
    await clock.advance(1000);
    expect(printer.condition()).toMatchObject({ status: 'degraded', reason: 'cover open, paper out' });
    expect(events.slice(1)).toEqual([
      ['paper_out', { paper: 'out' }],
      ['cover_open', {}],
    ]);

    fake.setStatus({ paperOut: false, paperNearEnd: false, coverOpen: false });
    await clock.advance(1000);
    expect(events.slice(3)).toEqual([
      ['paper_ok', { paper: 'ok' }],
      ['cover_closed', {}],
      ['recovered', {}],
    ]);
    expect(conditions.map((c) => c.status)).toEqual(['online', 'degraded', 'online']);
  });

  it('reports offline only when no other problem explains it', async () => {
    const { clock, fake, events, printer } = await connected();
    fake.setStatus({ offline: true });
    await clock.advance(1000);
    expect(events).toEqual([['offline', {}]]);
    expect(printer.condition().reason).toBe('offline');
  });

  it('reports printer errors as error events', async () => {
    const { clock, fake, events, printer } = await connected();
    fake.setStatus({ cutterError: true });
    await clock.advance(1000);
    expect(events).toEqual([['error', { error: 'cutter error' }]]);
    expect(printer.condition().reason).toBe('cutter error');
  });

  it('emits no event or condition while nothing changes', async () => {
    const { clock, events, conditions } = await connected();
    await clock.advance(5000);
    expect(events).toEqual([]);
    expect(conditions).toEqual([]);
  });

  it('treats an unanswered poll as a lost link: closes the transport and emits disconnected once', async () => {
    const { clock, fake, transport, printer, disconnects } = await connected();
    fake.silent = true;
    await clock.advance(1000 + 1500);
    expect(disconnects).toHaveLength(1);
    expect(disconnects[0]).toBeInstanceOf(TimeoutError);
    expect(transport.isOpen).toBe(false);
    expect(printer.isConnected()).toBe(false);
    expect(clock.pending()).toEqual([]);
  });

  it('keeps the stack of a link ended by something unexpected (our bug), at warn', async () => {
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const { transport, clock } = await connected({
      logger: createLogger({ level: 'info', format: 'json', destination: lines }),
    });
    transport.drop(new TypeError("Cannot read properties of undefined (reading 'write')"));
    await clock.advance(0);
    const line = JSON.parse(log.split('\n').find((l) => l.includes('disconnected')) ?? '{}');
    expect(line.level).toBe('warn');
    expect(line.msg).toBe(
      "receipt printer disconnected: mock://printer: Cannot read properties of undefined (reading 'write')",
    );
    expect(line.err?.stack).toMatch(/TypeError: .*\n\s+at /);
  });

  it('emits disconnected when the transport drops, but not on disconnect()', async () => {
    const first = await connected();
    first.transport.drop();
    await first.clock.advance(0);
    expect(first.disconnects).toHaveLength(1);
    expect(first.disconnects[0]).toBeInstanceOf(CarrelError);

    const second = await connected();
    await second.printer.disconnect();
    expect(second.disconnects).toEqual([]);
    expect(second.clock.pending()).toEqual([]);
  });

  it('can connect again after the link was lost', async () => {
    const { clock, transport, printer } = await connected();
    transport.drop();
    await clock.advance(0);
    await printer.connect();
    expect(printer.isConnected()).toBe(true);
    expect(transport.opens).toBe(2);
  });
});

describe('EscPosPrinter print', () => {
  it('writes the job then a process-ID request, and resolves on the matching answer', async () => {
    const { printer, fake, transport } = await connected();
    await printer.print({ id: 'job-1', bytes: text('Hello receipt\n'), processId: 'AB12' });
    expect(fake.printed.map((b) => b.toString('latin1'))).toContain('Hello receipt\n');
    const tail = transport.written().subarray(-11);
    expect(tail).toEqual(Buffer.from([0x1d, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, 0x41, 0x42, 0x31, 0x32]));
  });

  it('refuses with not_ready while the printer reports a problem, sending nothing', async () => {
    const { clock, printer, fake, transport } = await connected();
    fake.setStatus({ coverOpen: true });
    await clock.advance(1000);
    const before = transport.writes.length;
    await expect(printer.print({ id: 'j', bytes: text('x'), processId: 'AAAA' })).rejects.toMatchObject({
      code: 'not_ready',
    });
    expect(transport.writes.slice(before).some((w) => w.includes(0x78))).toBe(false);
  });

  it('fails with not_sent when not connected', async () => {
    const { printer } = setup();
    const error = await printer.print({ id: 'j', bytes: text('x'), processId: 'AAAA' }).catch((e) => e);
    expect(error).toBeInstanceOf(PrintError);
    expect(error.code).toBe('not_sent');
  });

  it('fails with not_sent when the link drops during the job write', async () => {
    const { printer, transport } = await connected();
    const original = transport.onWrite;
    transport.onWrite = (data, t) => {
      if (data.includes(0x78)) throw new Error('EPIPE');
      original?.(data, t);
    };
    await expect(printer.print({ id: 'j', bytes: text('xxx'), processId: 'AAAA' })).rejects.toMatchObject({
      code: 'not_sent',
    });
  });

  it('fails with unconfirmed when the link drops while waiting for the answer', async () => {
    const { printer, fake, transport, clock } = await connected();
    fake.holdConfirmations = true;
    const job = printer.print({ id: 'j', bytes: text('x'), processId: 'AAAA' });
    const outcome = expect(job).rejects.toMatchObject({ code: 'unconfirmed' });
    await clock.advance(0);
    transport.drop();
    await outcome;
  });

  it('fails with unconfirmed when no answer comes within the confirmation timeout', async () => {
    const { printer, fake, clock } = await connected({ confirmTimeoutMs: 5000 });
    fake.holdConfirmations = true;
    const job = printer.print({ id: 'j', bytes: text('x'), processId: 'AAAA' });
    const outcome = expect(job).rejects.toMatchObject({ code: 'unconfirmed' });
    await clock.advance(0);
    await clock.advance(5000);
    await outcome;
    // A late answer for the given-up job is ignored.
    fake.release();
    expect(printer.isConnected()).toBe(true);
  });

  it('keeps waiting while the printer is stalled for paper and resolves when paper returns', async () => {
    const { printer, fake, clock } = await connected({ confirmTimeoutMs: 5000 });
    fake.holdConfirmations = true;
    let settled: string | undefined;
    const job = printer.print({ id: 'j', bytes: text('x'), processId: 'AAAA' }).then(
      () => {
        settled = 'printed';
      },
      (error) => {
        settled = error.code;
      },
    );
    await clock.advance(0);
    fake.setStatus({ paperOut: true });
    await clock.advance(20_000);
    expect(settled).toBeUndefined();
    fake.holdConfirmations = false;
    fake.setStatus({ paperOut: false });
    await job;
    expect(settled).toBe('printed');
  });

  it('sends one job at a time: the second is written only after the first is confirmed', async () => {
    const { printer, fake, transport, clock } = await connected();
    fake.holdConfirmations = true;
    const first = printer.print({ id: 'a', bytes: text('first'), processId: 'AAAA' });
    const second = printer.print({ id: 'b', bytes: text('second'), processId: 'BBBB' });
    await clock.advance(0);
    expect(transport.written().includes('second')).toBe(false);
    fake.holdConfirmations = false;
    fake.release();
    await first;
    await second;
    const written = transport.written().toString('latin1');
    expect(written.indexOf('second')).toBeGreaterThan(written.indexOf('AAAA'));
  });
});
