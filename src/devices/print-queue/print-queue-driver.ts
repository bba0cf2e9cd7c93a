/**
 * A print queue on an IPP print server (a CUPS queue whose jobs are held), as
 * a device: connected while the server answers, its condition the printer's
 * (stopped, out of paper, jammed, not accepting jobs, a job stuck), and its
 * jobs polled: `job_held` for a job that arrived held, `job_changed` when a
 * job's state or impressions move, `job_left` when it is no longer listed.
 * It polls one request at a time; a failed poll means the server is gone.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError, TransportError } from '../../core/errors.js';
import { jsonEqual } from '../../core/json-equal.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { IppClient, IppJob, IppPrinterStatus } from './ipp-client.js';

export interface PrintQueueDriverOptions {
  id: string;
  client: IppClient;
  clock: Clock;
  pollIntervalMs: number;
  /** A job printing with no impression for this long is stuck (10 min). */
  stuckAfterMs?: number;
}

const REASON_WORDS: Array<[RegExp, string]> = [
  [/^media-empty|^media-needed/, 'out of paper'],
  [/^media-jam/, 'paper jam'],
  [/^toner-empty|^marker-supply-empty/, 'out of toner'],
  [/^door-open|^cover-open/, 'cover open'],
  [/^offline/, 'printer offline'],
];

export class PrintQueueDriver extends EventEmitter implements DeviceDriver {
  readonly kind = 'print-queue';
  private printer: IppPrinterStatus | undefined;
  private jobs = new Map<number, IppJob>();
  /** Each printing job's impressions, and since when (monotonic ms) it has had that many. */
  private progress = new Map<number, { impressions: number; since: number }>();
  private stuck = new Set<number>();
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  private connected = false;

  constructor(private readonly options: PrintQueueDriverOptions) {
    super();
  }

  get id(): string {
    return this.options.id;
  }

  get client(): IppClient {
    return this.options.client;
  }

  /** The jobs not completed, as last polled. */
  currentJobs(): IppJob[] {
    return [...this.jobs.values()];
  }

  printerStatus(): IppPrinterStatus | undefined {
    return this.printer;
  }

  async connect(): Promise<void> {
    this.printer = await this.options.client.printer();
    const before = this.jobs;
    this.jobs = new Map((await this.options.client.jobs('not-completed')).map((job) => [job.id, job]));
    this.connected = true;
    // Connected again after the server was away: a job deleted or released there meanwhile is
    // said so (it stayed listed as held for good, and Print charged it and refunded it).
    for (const id of before.keys()) {
      if (this.jobs.has(id)) continue;
      this.progress.delete(id);
      this.stuck.delete(id);
      this.emit('event', 'job_left', { jobId: id });
    }
    for (const job of this.jobs.values()) {
      const previous = before.get(job.id);
      if (job.state === 'pending-held') this.emit('event', 'job_held', { job });
      else if (previous && previous.state !== job.state) this.emit('event', 'job_changed', { job });
    }
    this.timer = this.options.clock.setInterval(
      `print-queue-poll:${this.id}`,
      () => void this.poll(),
      this.options.pollIntervalMs,
    );
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.polling;
  }

  /** Polls now (after a release, so the station sees it at once); resolves when done. */
  refresh(): Promise<void> {
    return this.poll();
  }

  condition(): DeviceCondition {
    const printer = this.printer;
    const held = [...this.jobs.values()].filter((j) => j.state === 'pending-held').length;
    const detail = {
      printerState: printer?.state ?? null,
      printerReasons: printer?.reasons ?? [],
      heldJobs: held,
      jobs: this.jobs.size,
      server: this.options.client.description,
    };
    const problem = printerProblem(printer) ?? (this.stuck.size > 0 ? 'a job is stuck at the printer' : null);
    return problem
      ? { status: 'degraded', reason: problem, detail }
      : { status: 'online', reason: null, detail };
  }

  private poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (!this.connected) return;
    let printer: IppPrinterStatus;
    let jobs: IppJob[];
    try {
      printer = await this.options.client.printer();
      jobs = await this.options.client.jobs('not-completed');
    } catch (error) {
      if (!this.connected) return;
      this.connected = false;
      this.timer?.cancel();
      this.timer = undefined;
      const described = describeError(error);
      this.emit('disconnected', new TransportError(described.code, described.message));
      return;
    }
    const before = this.condition();
    this.printer = printer;
    const now = this.options.clock.monotonic();
    const next = new Map(jobs.map((job) => [job.id, job]));
    for (const job of next.values()) {
      const previous = this.jobs.get(job.id);
      if (!previous) {
        if (job.state === 'pending-held') this.emit('event', 'job_held', { job });
        else this.emit('event', 'job_changed', { job });
      } else if (previous.state !== job.state || previous.impressionsCompleted !== job.impressionsCompleted) {
        this.emit('event', 'job_changed', { job });
      }
      this.watchProgress(job, now);
    }
    const last = this.jobs;
    const left = [...last.keys()].filter((id) => !next.has(id));
    for (const id of left) {
      this.progress.delete(id);
      this.stuck.delete(id);
    }
    this.jobs = next;
    const after = this.condition();
    // Its detail too (held jobs, the printer's state), so the health record others are sent follows the queue.
    if (!jsonEqual(before, after)) this.emit('condition', after);
    for (const id of left) {
      const ended = await this.endOf(last.get(id) as IppJob);
      if (ended) this.emit('event', 'job_changed', { job: ended });
      this.emit('event', 'job_left', { jobId: id });
    }
  }

  /**
   * How a job that left the list of jobs not completed ended (completed, cancelled, aborted), as the
   * server still describes it: its last change, which the list no longer shows. Undefined when the
   * server no longer knows it (deleted, its history not kept) or cannot say now.
   */
  private async endOf(previous: IppJob): Promise<IppJob | undefined> {
    try {
      const job = await this.options.client.job(previous.id);
      const changed =
        job.state !== previous.state || job.impressionsCompleted !== previous.impressionsCompleted;
      return changed ? job : undefined;
    } catch {
      return undefined;
    }
  }

  private watchProgress(job: IppJob, now: number): void {
    if (job.state !== 'processing') {
      this.progress.delete(job.id);
      this.stuck.delete(job.id);
      return;
    }
    const impressions = job.impressionsCompleted ?? 0;
    const seen = this.progress.get(job.id);
    if (!seen || seen.impressions !== impressions) {
      this.progress.set(job.id, { impressions, since: now });
      this.stuck.delete(job.id);
      return;
    }
    if (now - seen.since >= (this.options.stuckAfterMs ?? 600_000) && !this.stuck.has(job.id)) {
      this.stuck.add(job.id);
      this.emit('event', 'job_stuck', { jobId: job.id, impressions });
    }
  }
}

/** In plain words, why the printer cannot print now; null when it can. */
export function printerProblem(printer: IppPrinterStatus | undefined): string | null {
  if (!printer) return null;
  for (const reason of printer.reasons) {
    if (!/-error$/.test(reason) && !/^media-needed/.test(reason) && reason !== 'paused') continue;
    for (const [pattern, words] of REASON_WORDS) if (pattern.test(reason)) return words;
  }
  if (printer.state === 'stopped')
    return printer.message ? `printer stopped: ${printer.message}` : 'printer stopped';
  if (!printer.accepting) return 'the queue is not accepting jobs';
  return null;
}
