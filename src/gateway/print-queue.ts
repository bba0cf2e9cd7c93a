import { randomInt, randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../core/clock.js';
import { CarrelError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DeviceCondition } from '../devices/device.js';
import type { PrintJob } from '../devices/printer/escpos-printer.js';
import { type PrintJobRecord, type PrintJobState, PrintJobStore } from './printing/print-job-store.js';
import type { Database } from './storage/index.js';

export type { PrintJobRecord, PrintJobState } from './printing/print-job-store.js';

/** What the queue needs of a printer: the EscPosPrinter fits. */
export interface QueuePrinter {
  print(job: PrintJob): Promise<void>;
  condition(): DeviceCondition;
  isConnected(): boolean;
}

/** What the queue needs of the templates: ReceiptTemplates fits. */
export interface QueueTemplates {
  render(name: string, data: object): Uint8Array;
  /** Renders, saying how many characters of the data the code page has no place for (printed as "?"). */
  renderReceipt?(name: string, data: object): { bytes: Uint8Array; unprintable: number };
  /** The code page receipts print in, for the job's notice. */
  readonly encoding?: string;
}

export type PrintQueueEvent = 'job_queued' | 'job_printed' | 'job_unconfirmed' | 'job_expired' | 'job_failed';

export interface PrintQueueOptions {
  db: Database;
  printerId: string;
  printer: QueuePrinter;
  templates: QueueTemplates;
  clock: Clock;
  logger: Logger;
  /** Jobs waiting at most; more are refused with `queue_full`. */
  limit: number;
  /** A job still waiting after this long is expired, not printed late. */
  expiryMs: number;
  /** Plain data only: job id, printer, template, state, attempts, error. */
  emit: (type: PrintQueueEvent, job: PrintJobRecord) => void;
  /** Finished jobs are forgotten after this long (7 days). */
  retentionMs?: number;
  /** After a refused or unsent job, try again this soon even without a notification (5 s). */
  retryDelayMs?: number;
  /** stop() waits at most this long for the job in flight (5 s). */
  stopTimeoutMs?: number;
}

export class PrintQueueError extends CarrelError {}

const PROCESS_ID_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SAFE_TO_RETRY = new Set(['not_sent', 'not_ready']);

/**
 * The durable queue of one receipt printer: a receipt is never dropped and
 * never printed twice by the queue itself.
 *
 * A job is written to SQLite as `queued` before submit() returns and marked
 * `printing` before its first byte is sent. The printer's confirmation makes it
 * `printed`. A job that may have printed but was not confirmed (link lost,
 * timeout, Carrel stopped mid-send) becomes `unconfirmed` and waits for a person
 * to look at the paper and retry it: it is never reprinted automatically.
 */
export class PrintQueue {
  private readonly store: PrintJobStore;
  private readonly logger: Logger;
  private readonly sweepTimer: TimerHandle;
  private retryTimer: TimerHandle | undefined;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /**
   * Jobs queued (or queued again) by this process: when, on the monotonic clock. Their wait is time
   * passed, whatever NTP does to the wall clock; a job left by a Carrel before is aged by its stored time.
   */
  private readonly queuedHere = new Map<string, number>();

  constructor(private readonly options: PrintQueueOptions) {
    this.store = new PrintJobStore(options.db, options.printerId);
    this.logger = options.logger.child({ module: 'print-queue', device: options.printerId });
    for (const job of this.store.listInterrupted()) {
      this.settle(job, 'unconfirmed', {
        code: 'interrupted',
        message: 'Carrel stopped while this receipt was being sent; it may have printed',
      });
    }
    const sweepMs = Math.max(1000, Math.min(options.expiryMs, 60_000));
    this.sweepTimer = options.clock.setInterval(
      `print-queue:${options.printerId}:sweep`,
      () => this.sweep(),
      sweepMs,
    );
    this.sweep();
    this.kick();
  }

  /**
   * Renders and queues a receipt. The job is on disk when this returns. Throws a
   * template error (nothing queued) or `queue_full`.
   */
  submit(request: { template: string; data: object }): PrintJobRecord {
    if (this.stopped)
      throw new PrintQueueError('queue_stopped', `print queue ${this.options.printerId} is stopped`);
    this.assertRoom();
    let bytes: Uint8Array;
    let unprintable = 0;
    try {
      const { templates } = this.options;
      if (templates.renderReceipt)
        ({ bytes, unprintable } = templates.renderReceipt(request.template, request.data));
      else bytes = templates.render(request.template, request.data);
    } catch (error) {
      if (error instanceof CarrelError) throw error;
      throw new PrintQueueError(
        'template_render_failed',
        `receipt "${request.template}" could not be rendered`,
        {
          cause: error,
        },
      );
    }
    const notice =
      unprintable === 0 ? undefined : unprintableNotice(unprintable, this.options.templates.encoding);
    // Counted, never quoted: the characters may be of a patron's name.
    if (notice !== undefined)
      this.logger.warn(
        { template: request.template, unprintable },
        'receipt has characters its code page lacks',
      );
    const job = this.store.insert({
      id: randomUUID(),
      template: request.template,
      bytes,
      now: this.options.clock.now(),
      ...(notice === undefined ? {} : { notice }),
    });
    this.queuedHere.set(job.id, this.options.clock.monotonic());
    this.announce('job_queued', job);
    this.kick();
    return job;
  }

  get(jobId: string): PrintJobRecord | undefined {
    return this.store.get(jobId);
  }

  list(filter: { state?: PrintJobState; limit?: number } = {}): PrintJobRecord[] {
    return this.store.list(filter);
  }

  /** A person asks to print an unconfirmed, failed or expired job again. */
  retry(jobId: string): PrintJobRecord {
    const job = this.store.get(jobId);
    if (!job) throw new PrintQueueError('job_not_found', `there is no print job ${jobId}`);
    this.assertRoom();
    if (!this.store.requeue(jobId, this.options.clock.now()))
      throw new PrintQueueError(
        'job_not_retryable',
        `print job ${jobId} is ${job.state} and cannot be retried`,
      );
    this.queuedHere.set(jobId, this.options.clock.monotonic());
    const queued = this.store.get(jobId)!;
    this.announce('job_queued', queued);
    this.kick();
    return queued;
  }

  /** The supervisor says the printer has (re)connected. */
  printerReady(): void {
    this.kick();
  }

  /** The supervisor says the printer's condition changed (paper back, cover closed…). */
  printerChanged(): void {
    this.kick();
  }

  /** Stops printing; waits (bounded) for the job in flight to settle. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    this.sweepTimer.cancel();
    this.retryTimer?.cancel();
    const inFlight = this.draining;
    if (!inFlight) return;
    let timer: TimerHandle | undefined;
    await Promise.race([
      inFlight,
      new Promise<void>((resolve) => {
        timer = this.options.clock.setTimeout(
          `print-queue:${this.options.printerId}:stop`,
          resolve,
          this.options.stopTimeoutMs ?? 5000,
        );
      }),
    ]);
    timer?.cancel();
  }

  private assertRoom(): void {
    if (this.store.countWaiting() >= this.options.limit)
      throw new PrintQueueError(
        'queue_full',
        `print queue ${this.options.printerId} already holds ${this.options.limit} receipts`,
      );
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.drainAgain = false;
    this.draining = this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'print queue drain failed'))
      .finally(() => {
        this.draining = undefined;
        if (this.drainAgain) this.kick();
      });
  }

  private async drain(): Promise<void> {
    const { printer, clock } = this.options;
    for (;;) {
      if (this.stopped) return;
      this.expire();
      if (!printer.isConnected() || printer.condition().status !== 'online') return;
      const next = this.store.nextQueued();
      if (!next) return;
      const { record, bytes } = next;
      if (!this.store.markPrinting(record.id, clock.now())) continue;
      // Notifications until now are taken into account; one during this print calls for another pass.
      this.drainAgain = false;
      try {
        await printer.print({ id: record.id, bytes, processId: newProcessId() });
      } catch (error) {
        const described = describeError(error);
        if (SAFE_TO_RETRY.has(described.code)) {
          this.store.setState(record.id, 'queued', clock.now(), described);
          this.logger.info({ job: record.id, code: described.code }, 'receipt not sent; it stays queued');
          this.scheduleRetry();
          return;
        }
        const state = described.code === 'unconfirmed' ? 'unconfirmed' : 'failed';
        this.settle(this.store.get(record.id) ?? record, state, described);
        continue;
      }
      this.store.markPrinted(record.id, clock.now());
      this.announce('job_printed', this.store.get(record.id) ?? record);
    }
  }

  private scheduleRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = this.options.clock.setTimeout(
      `print-queue:${this.options.printerId}:retry`,
      () => {
        this.retryTimer = undefined;
        this.kick();
      },
      this.options.retryDelayMs ?? 5000,
    );
  }

  private settle(
    job: PrintJobRecord,
    state: 'unconfirmed' | 'failed' | 'expired',
    error: { code: string; message: string },
  ) {
    this.store.setState(job.id, state, this.options.clock.now(), error);
    const updated = this.store.get(job.id) ?? job;
    const log = state === 'expired' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
    log({ job: job.id, state, code: error.code }, `receipt ${state}`);
    this.announce(`job_${state}`, updated);
  }

  private expire(): void {
    const { clock, expiryMs } = this.options;
    const expired = {
      code: 'expired',
      message: `not printed within ${Math.round(expiryMs / 60_000)} minutes`,
    };
    const now = clock.monotonic();
    for (const [id, queuedAt] of this.queuedHere) {
      const job = this.store.get(id);
      if (job?.state === 'printing') continue;
      if (job?.state !== 'queued') this.queuedHere.delete(id);
      else if (now - queuedAt >= expiryMs) {
        this.queuedHere.delete(id);
        this.settle(job, 'expired', expired);
      }
    }
    for (const job of this.store.listQueuedBefore(clock.now() - expiryMs))
      if (!this.queuedHere.has(job.id)) this.settle(job, 'expired', expired);
  }

  private sweep(): void {
    try {
      this.expire();
      const pruned = this.store.prune(
        this.options.clock.now() - (this.options.retentionMs ?? 7 * 24 * 3_600_000),
      );
      if (pruned > 0) this.logger.debug({ pruned }, 'forgot finished print jobs');
    } catch (error) {
      this.logger.error({ err: error }, 'print queue sweep failed');
    }
  }

  private announce(type: PrintQueueEvent, job: PrintJobRecord): void {
    try {
      this.options.emit(type, { ...job });
    } catch (error) {
      this.logger.error({ err: error, event: type }, 'print queue event listener failed');
    }
  }
}

/** A GS ( H process id: 4 characters in 0x30–0x7A, fresh for every attempt. */
export function newProcessId(): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += PROCESS_ID_CHARS[randomInt(PROCESS_ID_CHARS.length)];
  return id;
}

/** In words, for staff and the kiosk: how much of the receipt printed as "?", and why. */
function unprintableNotice(count: number, encoding: string | undefined): string {
  const page = encoding === undefined ? "the printer's code page" : `the printer's code page (${encoding})`;
  return `${count} ${count === 1 ? 'character' : 'characters'} of this receipt ${count === 1 ? 'is' : 'are'} not in ${page} and printed as "?"`;
}
