import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CarrelError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { DeviceCondition } from '../../src/devices/device.js';
import type { PrintJob } from '../../src/devices/printer/escpos-printer.js';
import { PrintError, type PrintErrorCode } from '../../src/devices/printer/print-error.js';
import { newProcessId, PrintQueue, type PrintQueueOptions } from '../../src/gateway/print-queue.js';
import type { PrintJobRecord } from '../../src/gateway/printing/print-job-store.js';
import { type Database, openDatabase } from '../../src/gateway/storage/index.js';

const ONLINE: DeviceCondition = { status: 'online', reason: null, detail: {} };
const PAPER_OUT: DeviceCondition = { status: 'degraded', reason: 'paper out', detail: {} };

/** A printer the test steers: each print() either succeeds at once or fails with the scripted code. */
class StubPrinter {
  connected = true;
  current: DeviceCondition = ONLINE;
  readonly printed: string[] = [];
  readonly attempts: PrintJob[] = [];
  /** Codes to fail the next prints with, in order. */
  failures: PrintErrorCode[] = [];
  /** When set, print() waits for this promise. */
  gate: Promise<void> | undefined;

  async print(job: PrintJob): Promise<void> {
    this.attempts.push(job);
    const failure = this.failures.shift();
    if (this.gate) await this.gate;
    if (failure) throw new PrintError(failure, `scripted ${failure}`);
    this.printed.push(Buffer.from(job.bytes).toString('latin1'));
  }
  condition(): DeviceCondition {
    return this.current;
  }
  isConnected(): boolean {
    return this.connected;
  }
}

/** Templates that render `name:value` so the test can tell receipts apart. */
const templates = {
  render(name: string, data: object): Uint8Array {
    if (name === 'broken')
      throw new CarrelError('template_syntax', 'receipt template "broken" line 3: unclosed');
    if (name !== 'slip') throw new CarrelError('template_unknown', `there is no receipt template "${name}"`);
    return new Uint8Array(Buffer.from(`slip:${(data as { n: string }).n}`, 'latin1'));
  },
};

let dirs: string[] = [];
let dbs: Database[] = [];
let queues: PrintQueue[] = [];
afterEach(async () => {
  for (const queue of queues) await queue.stop();
  for (const db of dbs) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  dbs = [];
  queues = [];
});

function tempDbPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-queue-'));
  dirs.push(dir);
  return path.join(dir, 'carrel.db');
}

function open(file = ':memory:'): Database {
  const db = openDatabase(file);
  dbs.push(db);
  return db;
}

function makeQueue(overrides: Partial<PrintQueueOptions> & { db: Database }) {
  const events: Array<[string, PrintJobRecord]> = [];
  const printer = (overrides.printer as StubPrinter | undefined) ?? new StubPrinter();
  const clock = (overrides.clock as ManualClock | undefined) ?? new ManualClock();
  const queue = new PrintQueue({
    printerId: 'desk-printer',
    templates,
    logger: silentLogger(),
    limit: 10,
    expiryMs: 60 * 60_000,
    emit: (type, data) => events.push([type, data]),
    ...overrides,
    printer,
    clock,
  });
  queues.push(queue);
  return { queue, printer, clock, events };
}

const settled = async (clock: ManualClock) => clock.advance(0);

describe('PrintQueue submit', () => {
  it('persists the job as queued before returning and exposes no receipt data', async () => {
    const db = open();
    const printer = new StubPrinter();
    printer.connected = false;
    const { queue, events } = makeQueue({ db, printer });
    const job = queue.submit({ template: 'slip', data: { n: 'Zoë' } });
    expect(job).toEqual({
      id: expect.any(String),
      printer: 'desk-printer',
      template: 'slip',
      state: 'queued',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      attempts: 0,
      error: null,
    });
    const row = db.prepare('SELECT state, bytes FROM print_jobs WHERE id = ?').get(job.id) as {
      state: string;
      bytes: Buffer;
    };
    expect(row.state).toBe('queued');
    expect(row.bytes.toString('latin1')).toBe('slip:Zoë');
    expect(JSON.stringify(queue.list())).not.toContain('Zoë');
    expect(events).toEqual([['job_queued', job]]);
  });

  it('refuses a bad template or unknown template with a typed error and queues nothing', () => {
    const { queue } = makeQueue({ db: open() });
    expect(() => queue.submit({ template: 'broken', data: {} })).toThrow(
      expect.objectContaining({ code: 'template_syntax' }),
    );
    expect(() => queue.submit({ template: 'nope', data: {} })).toThrow(
      expect.objectContaining({ code: 'template_unknown' }),
    );
    expect(queue.list()).toEqual([]);
  });

  it('refuses with queue_full past the limit', () => {
    const printer = new StubPrinter();
    printer.connected = false;
    const { queue } = makeQueue({ db: open(), printer, limit: 2 });
    queue.submit({ template: 'slip', data: { n: '1' } });
    queue.submit({ template: 'slip', data: { n: '2' } });
    expect(() => queue.submit({ template: 'slip', data: { n: '3' } })).toThrow(
      expect.objectContaining({ code: 'queue_full' }),
    );
    expect(queue.list()).toHaveLength(2);
  });
});

describe('PrintQueue drain', () => {
  it('prints queued jobs oldest first, once each, and deletes their bytes', async () => {
    const db = open();
    const printer = new StubPrinter();
    printer.connected = false;
    const { queue, clock, events } = makeQueue({ db, printer });
    const ids = ['1', '2', '3'].map((n) => queue.submit({ template: 'slip', data: { n } }).id);
    printer.connected = true;
    queue.printerReady();
    await settled(clock);
    expect(printer.printed).toEqual(['slip:1', 'slip:2', 'slip:3']);
    expect(ids.map((id) => queue.get(id)?.state)).toEqual(['printed', 'printed', 'printed']);
    expect(queue.get(ids[0]!)?.attempts).toBe(1);
    const left = db.prepare('SELECT COUNT(*) AS n FROM print_jobs WHERE bytes IS NOT NULL').get() as {
      n: number;
    };
    expect(left.n).toBe(0);
    expect(events.filter(([type]) => type === 'job_printed').map(([, data]) => data.id)).toEqual(ids);
    // Nothing prints twice when told again.
    queue.printerReady();
    await settled(clock);
    expect(printer.printed).toHaveLength(3);
  });

  it('uses a fresh valid process id for every attempt', async () => {
    const printer = new StubPrinter();
    printer.failures = ['not_sent'];
    const { queue, clock } = makeQueue({ db: open(), printer });
    queue.submit({ template: 'slip', data: { n: '1' } });
    await settled(clock);
    queue.printerReady();
    await settled(clock);
    const [first, second] = printer.attempts.map((job) => job.processId);
    expect(first).toMatch(/^[0-z]{4}$/);
    expect(second).toMatch(/^[0-z]{4}$/);
    expect(newProcessId()).toMatch(/^[0-9A-Za-z]{4}$/);
  });

  it('waits while the printer is not fit and prints when its condition changes', async () => {
    const printer = new StubPrinter();
    printer.current = PAPER_OUT;
    const { queue, clock } = makeQueue({ db: open(), printer });
    const job = queue.submit({ template: 'slip', data: { n: '1' } });
    await settled(clock);
    expect(printer.attempts).toHaveLength(0);
    printer.current = ONLINE;
    queue.printerChanged();
    await settled(clock);
    expect(queue.get(job.id)?.state).toBe('printed');
  });

  it('puts a not_sent or not_ready job back in the queue and retries it, printing it once', async () => {
    const printer = new StubPrinter();
    printer.failures = ['not_sent', 'not_ready'];
    const { queue, clock, events } = makeQueue({ db: open(), printer });
    const job = queue.submit({ template: 'slip', data: { n: '1' } });
    await settled(clock);
    expect(queue.get(job.id)).toMatchObject({ state: 'queued', attempts: 1, error: { code: 'not_sent' } });
    queue.printerReady();
    await settled(clock);
    expect(queue.get(job.id)).toMatchObject({ state: 'queued', attempts: 2, error: { code: 'not_ready' } });
    // No notification: the retry timer tries again.
    await clock.advance(5000);
    expect(queue.get(job.id)).toMatchObject({ state: 'printed', attempts: 3, error: null });
    expect(printer.printed).toEqual(['slip:1']);
    expect(events.map(([type]) => type)).toEqual(['job_queued', 'job_printed']);
  });

  it('marks an unconfirmed job unconfirmed, never reprints it by itself, and goes on with the next', async () => {
    const printer = new StubPrinter();
    printer.failures = ['unconfirmed'];
    const { queue, clock, events } = makeQueue({ db: open(), printer });
    const first = queue.submit({ template: 'slip', data: { n: '1' } });
    const second = queue.submit({ template: 'slip', data: { n: '2' } });
    await settled(clock);
    expect(queue.get(first.id)).toMatchObject({ state: 'unconfirmed', error: { code: 'unconfirmed' } });
    expect(queue.get(second.id)?.state).toBe('printed');
    queue.printerReady();
    await clock.advance(60_000);
    expect(printer.attempts).toHaveLength(2);
    expect(events.map(([type]) => type)).toEqual([
      'job_queued',
      'job_queued',
      'job_unconfirmed',
      'job_printed',
    ]);

    // A person checked the paper and asks again.
    const retried = queue.retry(first.id);
    expect(retried.state).toBe('queued');
    await settled(clock);
    expect(queue.get(first.id)?.state).toBe('printed');
    expect(printer.printed).toEqual(['slip:2', 'slip:1']);
  });

  it('marks a job failed on an unexpected printer error, and refuses retrying a printed job', async () => {
    const printer = new StubPrinter();
    const { queue, clock, events } = makeQueue({ db: open(), printer });
    printer.print = async () => {
      throw new Error('boom');
    };
    const job = queue.submit({ template: 'slip', data: { n: '1' } });
    await settled(clock);
    expect(queue.get(job.id)).toMatchObject({ state: 'failed', error: { code: 'error', message: 'boom' } });
    expect(events.at(-1)?.[0]).toBe('job_failed');
    expect(() => queue.retry('nope')).toThrow(expect.objectContaining({ code: 'job_not_found' }));
    printer.print = StubPrinter.prototype.print;
    queue.retry(job.id);
    await settled(clock);
    expect(queue.get(job.id)?.state).toBe('printed');
    expect(() => queue.retry(job.id)).toThrow(expect.objectContaining({ code: 'job_not_retryable' }));
  });

  it('expires jobs that waited too long, and a retry gives them a fresh window', async () => {
    const printer = new StubPrinter();
    printer.connected = false;
    const { queue, clock, events } = makeQueue({ db: open(), printer, expiryMs: 10 * 60_000 });
    const job = queue.submit({ template: 'slip', data: { n: '1' } });
    await clock.advance(9 * 60_000);
    expect(queue.get(job.id)?.state).toBe('queued');
    await clock.advance(60_000);
    expect(queue.get(job.id)).toMatchObject({ state: 'expired', error: { code: 'expired' } });
    expect(events.map(([type]) => type)).toEqual(['job_queued', 'job_expired']);
    printer.connected = true;
    queue.printerReady();
    await settled(clock);
    expect(printer.attempts).toHaveLength(0);
    queue.retry(job.id);
    await settled(clock);
    expect(queue.get(job.id)?.state).toBe('printed');
  });

  it('expires a receipt after the time it waited, whatever NTP does to the wall clock', async () => {
    const printer = new StubPrinter();
    printer.connected = false;
    const { queue, clock } = makeQueue({ db: open(), printer, expiryMs: 10 * 60_000 });
    const first = queue.submit({ template: 'slip', data: { n: '1' } });
    // Stepped an hour forward a minute later: the receipt has waited a minute, not 61.
    await clock.advance(60_000);
    clock.stepWallClock(3_600_000);
    await clock.advance(60_000);
    expect(queue.get(first.id)?.state).toBe('queued');
    // Stepped two hours back: ten minutes after it was queued, it is expired, not an hour later.
    clock.stepWallClock(-2 * 3_600_000);
    await clock.advance(8 * 60_000);
    expect(queue.get(first.id)).toMatchObject({ state: 'expired', error: { code: 'expired' } });
    // A receipt queued after the step waits its ten minutes too.
    const second = queue.submit({ template: 'slip', data: { n: '2' } });
    await clock.advance(9 * 60_000);
    expect(queue.get(second.id)?.state).toBe('queued');
    await clock.advance(60_000);
    expect(queue.get(second.id)?.state).toBe('expired');
  });

  it('forgets finished jobs after the retention time', async () => {
    const { queue, clock } = makeQueue({ db: open(), retentionMs: 3_600_000 });
    const job = queue.submit({ template: 'slip', data: { n: '1' } });
    await settled(clock);
    expect(queue.get(job.id)?.state).toBe('printed');
    await clock.advance(3_600_000 + 60_000);
    expect(queue.get(job.id)).toBeUndefined();
  });

  it('stop() waits for the job in flight and then prints nothing more', async () => {
    const printer = new StubPrinter();
    let release!: () => void;
    printer.gate = new Promise((resolve) => {
      release = resolve;
    });
    const { queue, clock } = makeQueue({ db: open(), printer });
    const first = queue.submit({ template: 'slip', data: { n: '1' } });
    const second = queue.submit({ template: 'slip', data: { n: '2' } });
    await settled(clock);
    let stopped = false;
    const stopping = queue.stop().then(() => {
      stopped = true;
    });
    await settled(clock);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(queue.get(first.id)?.state).toBe('printed');
    expect(queue.get(second.id)?.state).toBe('queued');
    expect(() => queue.submit({ template: 'slip', data: { n: '3' } })).toThrow(
      expect.objectContaining({ code: 'queue_stopped' }),
    );
  });
});

describe('PrintQueue across restarts', () => {
  it('keeps queued jobs across a new PrintQueue on the same database file and prints them once', async () => {
    const file = tempDbPath();
    const offline = new StubPrinter();
    offline.connected = false;
    const before = makeQueue({ db: open(file), printer: offline });
    const job = before.queue.submit({ template: 'slip', data: { n: 'kept' } });
    await before.queue.stop();
    dbs[0]!.close();

    const printer = new StubPrinter();
    const after = makeQueue({ db: open(file), printer });
    await settled(after.clock);
    expect(after.queue.get(job.id)?.state).toBe('printed');
    expect(printer.printed).toEqual(['slip:kept']);
  });

  it('turns a job found in printing (crashed mid-send) into unconfirmed, never reprinting it', async () => {
    const file = tempDbPath();
    const printer = new StubPrinter();
    printer.gate = new Promise(() => {}); // the process "dies" while the printer has the job
    const before = makeQueue({ db: open(file), printer, stopTimeoutMs: 10 });
    const job = before.queue.submit({ template: 'slip', data: { n: 'crash' } });
    await settled(before.clock);
    expect(before.queue.get(job.id)?.state).toBe('printing');
    const stopping = before.queue.stop();
    await before.clock.advance(10);
    await stopping;
    dbs[0]!.close();

    const fresh = new StubPrinter();
    const after = makeQueue({ db: open(file), printer: fresh });
    await settled(after.clock);
    expect(after.queue.get(job.id)).toMatchObject({
      state: 'unconfirmed',
      attempts: 1,
      error: { code: 'interrupted' },
    });
    expect(after.events).toEqual([['job_unconfirmed', expect.objectContaining({ id: job.id })]]);
    expect(fresh.attempts).toHaveLength(0);
  });
});
