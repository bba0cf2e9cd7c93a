import type { TimerHandle } from '../../../core/clock.js';
import { CarrelError, describeError, TimeoutError, TransportError } from '../../../core/errors.js';
import { IppClient, type IppJob } from '../../../devices/print-queue/ipp-client.js';
import { PageCountError, PageCounter } from '../../../devices/print-queue/page-counter.js';
import { pageImage } from '../../../devices/print-queue/page-image.js';
import { PrintQueueDriver, printerProblem } from '../../../devices/print-queue/print-queue-driver.js';
import { IppHttpTransport } from '../../../devices/transport/ipp-http.js';
import { SupervisedEntry } from '../../devices/supervised-entry.js';
import { DeviceSupervisor } from '../../devices/supervisor.js';
import { emitEvent, type FamilyContext } from '../../family.js';
import type { HeldJob, ServerJobState } from '../../print-accounts/queue.js';
import type { PrintQueueConfig } from './config.js';
import type { PrintJobEvent, PrintQueueEventsMap } from './events.js';
import type { PrintQueuePort, PrintQueueStatusView } from './port.js';

/** Documents of held jobs kept for thumbnails at most (the oldest are dropped). */
const KEPT_DOCUMENTS = 64;

/**
 * A held job whose document the print server would not give the desk (CUPS's default policy allows
 * CUPS-Get-Document to the job's owner and its administrators only), as the print desk's list and the
 * release's refusal say it: what happened, that nothing was charged, and what IT is to check.
 */
const DOCUMENT_REFUSED =
  'the print server would not give the desk this job’s document, so its pages cannot be counted and it cannot be printed from the release station; nothing was charged. ' +
  'Ask IT to let the desk’s print server user read held jobs’ documents (on CUPS: the CUPS-Get-Document operation in the printer’s policy in cupsd.conf); the desk’s log has the print server’s answer.';

interface Known {
  job: IppJob;
  held: HeldJob;
  document: { format: string; bytes: Uint8Array } | undefined;
  /** Its document could not be fetched: counted again at the next round while connected. */
  recount?: boolean;
  /** When (monotonic) the print server last refused its document: asked again after REFUSED_AGAIN_POLLS. */
  refusedAt?: number;
  /**
   * Past its hold time: no longer offered for release, and cancelled at the print server — asked
   * again at a later round (one Cancel-Job in flight per queue) while the server has not taken it
   * (`cancelling` while asked).
   */
  expired?: boolean;
  cancelling?: boolean;
  /** When (monotonic) its Cancel-Job was last sent; whether its failure was logged (once per job). */
  cancelAskedAt?: number;
  cancelWarned?: boolean;
}

/**
 * A document the print server refused is asked for again after this many polls (30 s at the default
 * poll): IT may change the print server's policy while the job is held, and the job was unprintable
 * until it expired. Not every poll: a refusal is the server's policy, not the server away.
 */
const REFUSED_AGAIN_POLLS = 30;

/**
 * A print queue at run time: its driver (the queue on an IPP server, polled)
 * kept connected by a supervisor; each held job's document fetched and its
 * pages counted once; its owner mapped to a patron by the configured rule;
 * held jobs past the hold time cancelled without charge. The port is what the
 * release workflow uses.
 */
export class PrintQueueEntry extends SupervisedEntry<PrintQueuePort, PrintQueueConfig> {
  readonly port: PrintQueuePort;
  private driver: PrintQueueDriver | undefined;
  private transport: IppHttpTransport | undefined;
  /**
   * The Cancel-Jobs of expired jobs, on a connection of their own: housekeeping nobody waits for.
   * On the patrons' two, a print server hanging on them held one for the whole timeout (10 s), and
   * a patron's release or job list waited behind another patron's document on the other.
   */
  private housekeeping: IppClient | undefined;
  private housekeepingTransport: IppHttpTransport | undefined;
  private counter: PageCounter | undefined;
  private readonly known = new Map<number, Known>();
  private readonly counting = new Set<number>();
  /** The expiry round's timer: armed while a job is held, none while nothing is (followHeld). */
  private expiryTimer: TimerHandle | undefined;
  private stopped = false;
  /** The one Cancel-Job of an expired job in flight, if any. */
  private expiryCancel: Promise<void> | undefined;

  constructor(config: PrintQueueConfig, context: FamilyContext) {
    super(config, context);
    this.port = {
      id: config.id,
      tariff: config.tariff,
      releaseCodes: config.owners.rule === 'release-code',
      maxImpressions: config.maxImpressions,
      reconcile: config.reconcile,
      heldJobs: () =>
        [...this.known.values()]
          .filter((k) => k.job.state === 'pending-held' && !k.expired)
          .map((k) => k.held),
      expiringJobs: () => this.expiredHeld(),
      releaseBlocked: () => this.releaseBlocked(),
      release: async (jobId) => {
        await this.client().release(jobId);
        void this.driver?.refresh();
      },
      cancel: async (jobId) => {
        await this.client().cancel(jobId);
        void this.driver?.refresh();
      },
      status: (jobId) => this.jobStatus(jobId),
      thumbnail: (jobId) => this.thumbnail(jobId),
      queueStatus: () => this.queueStatus(),
    };
  }

  async start(): Promise<void> {
    const { clock, bus, logger } = this.context;
    const user =
      this.config.transport.type === 'ipp' ? (this.config.transport.username ?? 'carrel') : 'carrel';
    this.transport = new IppHttpTransport({ ...this.transportOptions(), clock });
    this.housekeepingTransport = new IppHttpTransport({
      ...this.transportOptions(),
      clock,
      maxConnections: 1,
    });
    this.housekeeping = new IppClient(this.housekeepingTransport, user);
    this.counter = new PageCounter({ clock });
    const driver = new PrintQueueDriver({
      id: this.id,
      client: new IppClient(this.transport, user),
      clock,
      pollIntervalMs: this.config.pollIntervalMs,
      stuckAfterMs: this.config.stuckAfterMinutes * 60_000,
    });
    this.driver = driver;
    driver.on('event', (type: string, data: Record<string, unknown>) => this.onDriverEvent(type, data));
    this.supervisor = new DeviceSupervisor({ driver, eventFamily: undefined, clock, bus, logger });
    this.stopped = false;
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.followHeld();
    await this.supervisor?.stop();
    this.transport?.close();
    this.housekeepingTransport?.close();
    await this.counter?.close();
  }

  private transportOptions() {
    const transport = this.config.transport;
    if (transport.type === 'ipp')
      return {
        url: transport.url,
        timeoutMs: transport.timeoutMs,
        ...(transport.username !== undefined
          ? { username: transport.username, password: transport.password ?? '' }
          : {}),
      };
    const { host, port } = this.context.simulators(transport.simulator);
    return { url: `ipp://${host}:${port}/printers/${transport.queue ?? this.id}` };
  }

  private client(): IppClient {
    if (!this.driver || !this.supervisor?.isConnected)
      throw new CarrelError(
        'print_queue_unavailable',
        `the print server of queue "${this.id}" cannot be reached`,
      );
    return this.driver.client;
  }

  private releaseBlocked(): { code: string; message: string } | null {
    if (!this.driver || !this.supervisor?.isConnected)
      return {
        code: 'print_queue_unavailable',
        message: `the print server of queue "${this.id}" cannot be reached`,
      };
    const problem = printerProblem(this.driver.printerStatus());
    return problem
      ? { code: 'print_queue_printer_error', message: `the printer cannot print now: ${problem}` }
      : null;
  }

  private onDriverEvent(type: string, data: Record<string, unknown>): void {
    try {
      if (type === 'job_held') this.onHeld(data.job as IppJob);
      else if (type === 'job_changed') this.onChanged(data.job as IppJob);
      else if (type === 'job_left') this.known.delete(data.jobId as number);
      else if (type === 'job_stuck')
        this.emit('print.job_stuck', {
          queue: this.id,
          jobId: data.jobId as number,
          impressionsCompleted: data.impressions as number,
        });
      this.expireHeld();
      this.followHeld();
    } catch (error) {
      this.context.logger.error(
        { err: describeError(error), device: this.id },
        'print queue event not handled',
      );
    }
  }

  private onHeld(job: IppJob): void {
    const submittedAt = job.createdAt > 0 ? job.createdAt * 1000 : this.context.clock.now();
    const held: HeldJob = {
      jobId: job.id,
      key: `${this.id}/${job.id}@${job.createdAt}`,
      name: job.name,
      owner: job.owner,
      patron: this.patronOf(job.owner),
      pages: null,
      pagesProblem: null,
      copies: job.copies,
      sides: job.sides,
      // Until its document is read, a job that leaves colour to the printer (`auto`) may be in colour.
      color: this.config.color && job.colorMode !== 'monochrome' && job.colorMode !== 'process-monochrome',
      media: job.media,
      submittedAt,
      expiresAt: submittedAt + this.config.holdHours * 3_600_000,
    };
    this.known.set(job.id, { job, held, document: undefined });
    void this.countPages(job.id);
  }

  private onChanged(job: IppJob): void {
    const known = this.known.get(job.id);
    if (known) known.job = job;
    else if (job.state === 'pending-held') {
      this.onHeld(job);
      return;
    }
    this.emit('print.job_changed', this.jobEvent(job, known?.held.pages ?? null));
  }

  private async countPages(jobId: number): Promise<void> {
    if (this.counting.has(jobId)) return;
    this.counting.add(jobId);
    const known = this.known.get(jobId);
    // A document refused again is no news: the job's event said so the first time.
    let news = true;
    try {
      // The driver itself, not client(): a job held is announced while the driver connects, before
      // the supervisor calls the queue connected, and client() refused every such document.
      if (!this.driver) throw new CarrelError('print_queue_unavailable', 'the print queue is stopped');
      const document = await this.driver.client.document(jobId);
      // `auto` leaves colour to the printer, which prints in colour what is in colour (PWG 5100.13):
      // the job is charged as the document is, and at the colour price when that is not known.
      const auto = this.config.color && autoColour(known?.job.colorMode);
      const { pages, colour } = await (this.counter as PageCounter).inspect(
        document.bytes,
        document.format || known?.job.format || '',
        { colour: auto },
      );
      if (known) {
        if (known.refusedAt !== undefined)
          this.context.logger.info(
            { device: this.id, job: jobId },
            'the print server gave a held job’s document it had refused: its pages are counted',
          );
        known.refusedAt = undefined;
        known.held.pages = pages;
        if (auto) known.held.color = colour ?? true;
        known.held.pagesProblem = null;
        known.document = document;
        this.dropOldDocuments();
      }
    } catch (error) {
      const described = describeError(error);
      // A document the counter could not read is said in the patron's words; the PDF library's for IT.
      if (error instanceof PageCountError && error.reason !== undefined)
        this.context.logger.info(
          { device: this.id, job: jobId, code: error.code, reason: error.reason },
          'the pages of a held job cannot be counted',
        );
      // The document not fetched (the server away, the counter busy) is tried again, not a problem
      // for good: a job held when the server came back was unprintable until it expired.
      // A refusal is not the server away: CUPS refuses CUPS-Get-Document by its policy with HTTP 401
      // or 403 (a TransportError), and the job said 'still being counted' until it expired.
      const refused = described.code === 'ipp_not_authorized';
      const again =
        (error instanceof TransportError && !refused) ||
        error instanceof TimeoutError ||
        described.code === 'print_queue_unavailable' ||
        described.code === 'page_counter_busy';
      if (known && again) known.recount = true;
      else if (known && refused) {
        // The print server's answer (its address, IPP status and words) is for IT, in the log once
        // per job (it is asked again every REFUSED_AGAIN_POLLS); what staff and the release answer
        // say is what happened and what to check.
        const first = known.refusedAt === undefined;
        known.refusedAt = this.context.clock.monotonic();
        news = first;
        if (first)
          this.context.logger.warn(
            {
              device: this.id,
              job: jobId,
              code: described.code,
              printServer: this.driver?.client.description,
              reason: described.message,
            },
            'the print server would not give a held job’s document: its pages cannot be counted',
          );
        known.held.pagesProblem = { code: described.code, message: DOCUMENT_REFUSED };
      } else if (known)
        known.held.pagesProblem = {
          code: described.code,
          message:
            error instanceof PageCountError && error.reason !== undefined
              ? described.message
              : `the pages cannot be counted: ${described.message}`,
        };
    } finally {
      this.counting.delete(jobId);
    }
    if (known && news && this.known.has(jobId))
      this.emit('print.job_held', this.jobEvent(known.job, known.held.pages));
  }

  private dropOldDocuments(): void {
    const withDocuments = [...this.known.values()].filter((k) => k.document);
    for (const k of withDocuments.slice(0, Math.max(0, withDocuments.length - KEPT_DOCUMENTS)))
      k.document = undefined;
  }

  private patronOf(owner: string): string | null {
    const rule = this.config.owners;
    if (rule.rule === 'login') return owner.trim() === '' ? null : owner.trim();
    if (rule.rule === 'table') return rule.table[owner] ?? null;
    return null;
  }

  /**
   * The expiry round (hold times, documents to count again, Cancel-Jobs asked again) runs while a
   * job is held, and not at all while none is: an idle desk PC is not woken for it. Armed when the
   * driver says a job is held (at connect too: jobs left held across a restart expire as before),
   * disarmed when the last held job leaves, is released or is cancelled.
   */
  private followHeld(): void {
    const held = !this.stopped && [...this.known.values()].some((k) => k.job.state === 'pending-held');
    if (held && !this.expiryTimer)
      this.expiryTimer = this.context.clock.setInterval(
        `print-queue-expiry:${this.id}`,
        () => this.expireHeld(),
        Math.min(this.config.pollIntervalMs * 5, 10_000),
      );
    else if (!held && this.expiryTimer) {
      this.expiryTimer.cancel();
      this.expiryTimer = undefined;
    }
  }

  /** Held jobs past their hold time are cancelled; they were never charged. */
  private expireHeld(): void {
    if (!this.supervisor?.isConnected) return;
    const refusedBefore = this.context.clock.monotonic() - REFUSED_AGAIN_POLLS * this.config.pollIntervalMs;
    for (const known of this.known.values())
      if (known.recount && known.job.state === 'pending-held') {
        known.recount = false;
        void this.countPages(known.job.id);
      } else if (
        known.refusedAt !== undefined &&
        known.refusedAt <= refusedBefore &&
        known.job.state === 'pending-held'
      )
        void this.countPages(known.job.id);
    const now = this.context.clock.now();
    const due: Known[] = [];
    for (const known of this.known.values()) {
      if (known.job.state !== 'pending-held' || known.held.expiresAt > now) continue;
      // Past its hold time: no longer offered nor released, whether or not its cancel is sent now.
      known.expired = true;
      due.push(known);
    }
    // One Cancel-Job in flight per queue, on the housekeeping connection (never one of the two the
    // queue's polls, documents and releases use): a print server that hangs on them holds that one
    // alone until the request times out. The job asked least recently goes first, so a job the
    // server refuses for good does not keep the others waiting.
    const housekeeping = this.housekeeping;
    if (this.expiryCancel || due.length === 0 || !housekeeping) return;
    const known = due.reduce((a, b) => ((a.cancelAskedAt ?? -1) <= (b.cancelAskedAt ?? -1) ? a : b));
    known.cancelling = true;
    known.cancelAskedAt = this.context.clock.monotonic();
    this.expiryCancel = housekeeping
      .cancel(known.job.id)
      .then(
        () => {
          known.job = { ...known.job, state: 'canceled' };
          this.emit('print.job_expired', this.jobEvent(known.job, known.held.pages));
        },
        (error: unknown) => {
          // Once per job: it is asked again at a later round until the server takes it.
          if (!known.cancelWarned)
            this.context.logger.warn(
              { err: describeError(error), device: this.id, job: known.job.id },
              'a held job past its hold time was not cancelled at the print server; it is asked again',
            );
          known.cancelWarned = true;
        },
      )
      .finally(() => {
        known.cancelling = false;
        this.expiryCancel = undefined;
        this.followHeld();
      });
  }

  private async jobStatus(jobId: number): Promise<ServerJobState> {
    try {
      const job = await this.client().job(jobId);
      return { state: job.state, impressionsCompleted: job.impressionsCompleted };
    } catch (error) {
      if (error instanceof CarrelError && error.code === 'print_job_not_found') return { state: 'gone' };
      throw error;
    }
  }

  private async thumbnail(jobId: number): Promise<Buffer | undefined> {
    const known = this.known.get(jobId);
    if (!known) return undefined;
    known.document ??= await this.client().document(jobId);
    if (!/pdf/i.test(known.document.format)) return undefined;
    return pageImage(known.document.bytes, { clock: this.context.clock, page: 1, size: 240 });
  }

  /** Held jobs past their hold time the print server has not cancelled yet (still held there). */
  private expiredHeld(): HeldJob[] {
    return [...this.known.values()]
      .filter((k) => k.job.state === 'pending-held' && k.expired)
      .map((k) => k.held);
  }

  private queueStatus(): PrintQueueStatusView {
    const printer = this.driver?.printerStatus();
    return {
      queue: this.id,
      name: this.config.name ?? null,
      printer: printer ? { state: printer.state, reasons: printer.reasons, message: printer.message } : null,
      releaseBlocked: this.releaseBlocked(),
      heldJobs: this.port.heldJobs().length + this.expiredHeld().length,
      expiredHeldJobs: this.expiredHeld().length,
      color: this.config.color,
      holdHours: this.config.holdHours,
    };
  }

  private jobEvent(job: IppJob, pages: number | null): PrintJobEvent {
    return {
      queue: this.id,
      jobId: job.id,
      state: job.state,
      pages,
      copies: job.copies,
      impressionsCompleted: job.impressionsCompleted ?? null,
    };
  }

  private emit<T extends keyof PrintQueueEventsMap>(type: T, data: PrintQueueEventsMap[T]): void {
    emitEvent<PrintQueueEventsMap, T>(this.context.bus, this.context.clock, this.id, type, data);
  }
}

/** Whether a job leaves colour to the printer: `print-color-mode` auto, or not said (IPP's default is auto). */
function autoColour(colorMode: string | undefined): boolean {
  return colorMode === undefined || colorMode === 'auto';
}
