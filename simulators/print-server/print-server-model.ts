/**
 * The simulated print server's state: its queues, the jobs library PCs sent
 * (held until released, as a release-station queue holds them), and one
 * printer behind each queue that prints a released job page by page,
 * reporting the impressions it completed. Faults a person can cause from the
 * control API: the paper runs out (the job stops where it is and goes on when
 * paper is back), the printer is stopped, the next job aborts after N pages, Cancel-Job hangs.
 */
import type { JobState, PrinterState } from '../../src/protocols/ipp/index.js';

export interface SimulatedJob {
  id: number;
  queue: string;
  name: string;
  owner: string;
  copies: number;
  sides: string;
  colorMode: string;
  media: string;
  format: string;
  document: Uint8Array;
  /** Pages of the document (counted when it arrived), 0 when they could not be. */
  pages: number;
  state: JobState;
  reasons: string[];
  impressionsCompleted: number;
  /** Seconds since the epoch. */
  createdAt: number;
  completedAt: number | undefined;
  /** Abort after this many impressions (a fault set before it printed). */
  abortAfter: number | undefined;
}

export interface PrinterFaults {
  paperOut: boolean;
  stopped: boolean;
  /** The next job released aborts after this many impressions. */
  abortNextAfter: number | undefined;
  /** A slow server: each CUPS-Get-Document is answered this many ms late (0: at once). */
  documentDelayMs: number;
  /**
   * The next Release-Job is refused (client-error-not-possible) and its job stays held, waiting
   * (a print server that will not release a job just now, as CUPS refuses one it cannot release).
   */
  refuseNextRelease: boolean;
  /**
   * CUPS-Get-Document is refused (client-error-not-authorized), as CUPS's default policy refuses it
   * to a user who neither owns the job nor is an administrator: the pages cannot be counted. (cupsd
   * itself answers such a request HTTP 401 or 403: test/e2e/print-queue-cups-documents.test.ts.)
   */
  refuseDocuments: boolean;
  /**
   * Cancel-Job is not answered while set (a print server that hangs on it rather than refusing it):
   * each waits, the job still held, and goes on — cancelled and answered — once the fault is cleared.
   */
  stallCancel: boolean;
}

export interface PrintServerModelOptions {
  queues: readonly string[];
  /** How long one impression takes (ms). */
  pageMs: number;
  now?: () => number;
  /** Jobs kept at most (the oldest finished ones are forgotten first). */
  limit?: number;
}

export type JobSubmission = Omit<
  SimulatedJob,
  'id' | 'state' | 'reasons' | 'impressionsCompleted' | 'createdAt' | 'completedAt' | 'abortAfter'
> & { hold: boolean };

export class PrintServerModel {
  private readonly jobs = new Map<number, SimulatedJob>();
  private nextId = 1;
  readonly faults: PrinterFaults = {
    paperOut: false,
    stopped: false,
    abortNextAfter: undefined,
    documentDelayMs: 0,
    refuseNextRelease: false,
    refuseDocuments: false,
    stallCancel: false,
  };
  /** Cancel-Jobs waiting for stallCancel to be cleared. */
  private readonly stalledCancels = new Set<() => void>();
  private printing: SimulatedJob | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly limit: number;
  /** Called whenever a job changes (the page refreshes from it). */
  onChange: (job: SimulatedJob) => void = () => {};

  constructor(private readonly options: PrintServerModelOptions) {
    this.now = options.now ?? Date.now;
    this.limit = options.limit ?? 1000;
  }

  get queues(): readonly string[] {
    return this.options.queues;
  }

  submit(submission: JobSubmission): SimulatedJob {
    const { hold, ...rest } = submission;
    const job: SimulatedJob = {
      ...rest,
      id: this.nextId++,
      state: hold ? 'pending-held' : 'pending',
      reasons: hold ? ['job-hold-until-specified'] : ['none'],
      impressionsCompleted: 0,
      createdAt: Math.floor(this.now() / 1000),
      completedAt: undefined,
      abortAfter: undefined,
    };
    this.jobs.set(job.id, job);
    this.forgetOld();
    this.changed(job);
    this.schedule();
    return job;
  }

  job(id: number): SimulatedJob | undefined {
    return this.jobs.get(id);
  }

  list(queue: string | undefined, which: 'not-completed' | 'completed' | 'all'): SimulatedJob[] {
    return [...this.jobs.values()].filter((job) => {
      if (queue !== undefined && job.queue !== queue) return false;
      const finished = job.state === 'completed' || job.state === 'canceled' || job.state === 'aborted';
      return which === 'all' || (which === 'completed' ? finished : !finished);
    });
  }

  /** Release-Job: a held job goes to the printer. False when it is not held. */
  release(id: number): boolean {
    const job = this.jobs.get(id);
    if (job?.state !== 'pending-held') return false;
    job.state = 'pending';
    job.reasons = ['none'];
    this.changed(job);
    this.schedule();
    return true;
  }

  /** Cancel-Job: false when the job already finished. */
  cancel(id: number, by: 'user' | 'system' = 'user'): boolean {
    const job = this.jobs.get(id);
    if (!job || job.state === 'completed' || job.state === 'canceled' || job.state === 'aborted')
      return false;
    this.finish(job, 'canceled', by === 'user' ? 'job-canceled-by-user' : 'job-canceled-at-device');
    return true;
  }

  /**
   * Forgets a job as a print server purges it (CUPS's `cancel -x`, or a job history cleared): no
   * longer listed nor answered for, whatever its state. False when no such job is known.
   */
  forget(id: number): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (this.printing === job) {
      this.printing = undefined;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.jobs.delete(id);
    this.schedule();
    return true;
  }

  printerState(): { state: PrinterState; reasons: string[]; message: string } {
    const reasons: string[] = [];
    if (this.faults.stopped) reasons.push('paused');
    if (this.faults.paperOut) reasons.push('media-empty-error', 'media-needed');
    const state: PrinterState = this.faults.stopped ? 'stopped' : this.printing ? 'processing' : 'idle';
    const message = this.faults.paperOut ? 'Out of paper' : this.faults.stopped ? 'Stopped' : '';
    return { state, reasons, message };
  }

  /** Cancel-Jobs waiting unanswered now (stallCancel). */
  get cancelsStalled(): number {
    return this.stalledCancels.size;
  }

  /** Resolves at once, or (stallCancel) once the fault is cleared or the server closes. */
  cancelMayGoOn(): Promise<void> {
    if (!this.faults.stallCancel) return Promise.resolve();
    return new Promise((resolve) => {
      const goOn = () => {
        this.stalledCancels.delete(goOn);
        resolve();
      };
      this.stalledCancels.add(goOn);
    });
  }

  setFaults(change: Partial<PrinterFaults>): void {
    Object.assign(this.faults, change);
    if (!this.faults.stallCancel) for (const goOn of [...this.stalledCancels]) goOn();
    if (this.printing && (this.faults.paperOut || this.faults.stopped)) {
      this.printing.state = 'processing-stopped';
      this.printing.reasons = [this.faults.paperOut ? 'media-empty-error' : 'printer-stopped'];
      this.changed(this.printing);
    }
    this.schedule();
  }

  close(): void {
    for (const goOn of [...this.stalledCancels]) goOn();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Prints the next impression of the job at the printer, or starts the next released job. */
  private schedule(): void {
    if (this.timer || this.faults.paperOut || this.faults.stopped) return;
    const job =
      this.printing ??
      [...this.jobs.values()].find((j) => j.state === 'pending' || j.state === 'processing-stopped');
    if (!job) return;
    if (!this.printing) {
      this.printing = job;
      if (this.faults.abortNextAfter !== undefined) {
        job.abortAfter = this.faults.abortNextAfter;
        this.faults.abortNextAfter = undefined;
      }
    }
    job.state = 'processing';
    job.reasons = ['job-printing'];
    this.changed(job);
    this.timer = setTimeout(() => this.printOne(job), this.options.pageMs);
    this.timer.unref();
  }

  private printOne(job: SimulatedJob): void {
    this.timer = undefined;
    if (job.state !== 'processing') {
      if (this.printing === job && job.state !== 'processing-stopped') this.printing = undefined;
      this.schedule();
      return;
    }
    const total = job.pages * job.copies;
    if (job.abortAfter !== undefined && job.impressionsCompleted >= job.abortAfter) {
      this.finish(job, 'aborted', 'aborted-by-system');
      return;
    }
    if (job.impressionsCompleted < total) job.impressionsCompleted++;
    if (job.impressionsCompleted >= total) {
      this.finish(job, 'completed', 'job-completed-successfully');
      return;
    }
    this.changed(job);
    this.schedule();
  }

  private finish(job: SimulatedJob, state: JobState, reason: string): void {
    job.state = state;
    job.reasons = [reason];
    job.completedAt = Math.floor(this.now() / 1000);
    if (this.printing === job) {
      this.printing = undefined;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.changed(job);
    this.schedule();
  }

  private changed(job: SimulatedJob): void {
    this.onChange(job);
  }

  private forgetOld(): void {
    if (this.jobs.size <= this.limit) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.limit) break;
      if (job.completedAt !== undefined) this.jobs.delete(id);
    }
  }
}
