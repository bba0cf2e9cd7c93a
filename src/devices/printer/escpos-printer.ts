import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { CarrelError, describeError, TimeoutError, TransportError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  decodeStatusByte,
  encodeProcessIdRequest,
  encodeStatusRequest,
  NORMAL_STATUS,
  type PrinterReply,
  PrinterReplyParser,
  type PrinterStatus,
  STATUS_KINDS,
  type StatusKind,
  statusProblems,
  statusWarnings,
} from '../../protocols/escpos/status.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { Transport } from '../transport/transport.js';
import { PrintError } from './print-error.js';

/** One receipt on its way to paper. `processId` is 4 characters in 0x30–0x7A, new per attempt. */
export interface PrintJob {
  id: string;
  bytes: Uint8Array;
  processId: string;
}

export interface EscPosPrinterOptions {
  id: string;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  /** How often the real-time status is polled. */
  statusIntervalMs: number;
  /** A status query unanswered this long means the link is lost. */
  statusTimeoutMs: number;
  /** How long a written job may wait for its process-ID response while the printer is fit (30 s). */
  confirmTimeoutMs?: number;
}

/** Device events, plain data only. */
export type PrinterEventType =
  | 'paper_out'
  | 'paper_near_end'
  | 'paper_ok'
  | 'cover_open'
  | 'cover_closed'
  | 'offline'
  | 'error'
  | 'recovered';

export type PaperState = 'ok' | 'near_end' | 'out';

const ESC_INIT = Uint8Array.of(0x1b, 0x40);
const STATUS_QUERY = Uint8Array.from(STATUS_KINDS.flatMap((kind) => [...encodeStatusRequest(kind)]));

interface StatusRound {
  expected: StatusKind[];
  status: PrinterStatus;
  timer: TimerHandle;
  promise: Promise<PrinterStatus>;
  resolve(status: PrinterStatus): void;
  reject(error: Error): void;
}

interface Confirmation {
  resolve(): void;
  reject(error: Error): void;
  /** The printer reported a problem since the timer was last armed: it is stalled, not lost. */
  stalled: boolean;
  timer: TimerHandle | undefined;
}

/**
 * An ESC/POS receipt printer (Epson TM and compatibles) on any Transport.
 *
 * It polls the real-time status (DLE EOT 1–4) to know paper and cover state and
 * to notice a silent link, and proves each receipt printed by following it with
 * a GS ( H process-ID request: the printer answers only once everything before
 * it has been printed.
 *
 * A hung printer (link open, nothing answered) is one whose status query goes
 * unanswered for `statusTimeoutMs`: a printer answers DLE EOT at once, even while
 * printing or out of paper, so one miss is enough. The link is closed and
 * `disconnected` reported (offline, reconnected by the supervisor): within one
 * poll interval and one status timeout, 2.5 s with the defaults.
 */
export class EscPosPrinter extends EventEmitter implements DeviceDriver {
  readonly id: string;
  readonly kind = 'receipt-printer';

  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly parser = new PrinterReplyParser();
  private readonly confirmations = new Map<string, Confirmation>();
  private current: PrinterStatus = { ...NORMAL_STATUS };
  private lastCondition = JSON.stringify(this.condition());
  private connected = false;
  private disconnecting = false;
  private lostError: Error | undefined;
  private round: StatusRound | undefined;
  private pollTimer: TimerHandle | undefined;
  private printChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EscPosPrinterOptions) {
    super();
    this.id = options.id;
    this.transport = options.transport;
    this.clock = options.clock;
    this.logger = options.logger.child({ module: 'printer', device: options.id });
    this.transport.on('data', (chunk) => this.onData(chunk));
    this.transport.on('close', (error) => this.onClose(error));
  }

  /** True between a successful connect() and the link going away. */
  isConnected(): boolean {
    return this.connected;
  }

  /** The last real-time status read from the printer. */
  status(): PrinterStatus {
    return { ...this.current };
  }

  condition(): DeviceCondition {
    const problems = statusProblems(this.current);
    const warnings = statusWarnings(this.current);
    return {
      status: problems.length > 0 ? 'degraded' : 'online',
      reason: problems.length > 0 ? problems.join(', ') : null,
      detail: { paper: paperState(this.current), coverOpen: this.current.coverOpen, problems, warnings },
    };
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.transport.open();
    this.parser.reset();
    this.lostError = undefined;
    try {
      await this.transport.write(ESC_INIT);
      const status = await this.queryStatus();
      this.connected = true;
      this.applyStatus(status);
    } catch (error) {
      await this.transport.close();
      throw error;
    }
    this.pollTimer = this.clock.setInterval(
      `printer:${this.id}:status-poll`,
      () => this.poll(),
      this.options.statusIntervalMs,
    );
    this.logger.info({ transport: this.transport.description }, 'receipt printer connected');
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    try {
      await this.transport.close();
    } finally {
      this.disconnecting = false;
    }
  }

  /**
   * Prints one job and resolves once the printer confirms it printed. Jobs are
   * sent one at a time. Rejects with PrintError `not_ready`, `not_sent` or
   * `unconfirmed` (see PrintError).
   */
  print(job: PrintJob): Promise<void> {
    const run = this.printChain.then(() => this.printNow(job));
    this.printChain = run.catch(() => {});
    return run;
  }

  private async printNow(job: PrintJob): Promise<void> {
    if (!this.connected) throw new PrintError('not_sent', `printer ${this.id} is not connected`);
    const problems = statusProblems(this.current);
    if (problems.length > 0)
      throw new PrintError('not_ready', `printer ${this.id} cannot print: ${problems.join(', ')}`);
    const request = encodeProcessIdRequest(job.processId);
    if (this.confirmations.has(job.processId))
      throw new PrintError('not_sent', `process id ${job.processId} is already in use`);

    let confirmation: Confirmation | undefined;
    const confirmed = new Promise<void>((resolve, reject) => {
      confirmation = { resolve, reject, stalled: false, timer: undefined };
    });
    confirmed.catch(() => {});
    const waiter = confirmation!;
    this.confirmations.set(job.processId, waiter);

    try {
      await this.transport.write(job.bytes);
    } catch (error) {
      this.dropConfirmation(job.processId);
      throw new PrintError('not_sent', `job ${job.id} was not sent: ${messageOf(error)}`, { cause: error });
    }
    try {
      await this.transport.write(request);
    } catch (error) {
      this.dropConfirmation(job.processId);
      throw new PrintError(
        'unconfirmed',
        `job ${job.id} was sent but cannot be confirmed: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    if (this.confirmations.get(job.processId) === waiter) this.armConfirmation(job, waiter);
    await confirmed;
  }

  private armConfirmation(job: PrintJob, waiter: Confirmation): void {
    const timeoutMs = this.options.confirmTimeoutMs ?? 30_000;
    waiter.timer = this.clock.setTimeout(
      `printer:${this.id}:confirm`,
      () => {
        if (this.confirmations.get(job.processId) !== waiter) return;
        if (waiter.stalled || statusProblems(this.current).length > 0) {
          // Waiting for paper or a closed cover: the printer will print it then.
          waiter.stalled = false;
          this.armConfirmation(job, waiter);
          return;
        }
        this.confirmations.delete(job.processId);
        waiter.reject(
          new PrintError('unconfirmed', `job ${job.id} was sent but not confirmed within ${timeoutMs} ms`),
        );
      },
      timeoutMs,
    );
  }

  private dropConfirmation(processId: string): void {
    const waiter = this.confirmations.get(processId);
    waiter?.timer?.cancel();
    this.confirmations.delete(processId);
  }

  private queryStatus(): Promise<PrinterStatus> {
    if (this.round) return this.round.promise;
    let resolve!: (status: PrinterStatus) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<PrinterStatus>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = this.clock.setTimeout(
      `printer:${this.id}:status-timeout`,
      () =>
        this.finishRound(
          new TimeoutError(
            `printer ${this.id} did not answer a status query within ${this.options.statusTimeoutMs} ms`,
          ),
        ),
      this.options.statusTimeoutMs,
    );
    const round: StatusRound = {
      expected: [...STATUS_KINDS],
      status: { ...NORMAL_STATUS },
      timer,
      promise,
      resolve,
      reject,
    };
    this.round = round;
    this.transport.send(STATUS_QUERY, (error) => {
      if (this.round === round) this.finishRound(error);
    });
    return promise;
  }

  private finishRound(error?: Error): void {
    const round = this.round;
    if (!round) return;
    this.round = undefined;
    round.timer.cancel();
    if (error) round.reject(error);
    else round.resolve(round.status);
  }

  private poll(): void {
    if (!this.connected || this.round) return;
    this.queryStatus().then(
      (status) => {
        if (this.connected) this.applyStatus(status);
      },
      (error: unknown) => this.linkLost(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private linkLost(error: Error): void {
    if (!this.connected || this.lostError) return;
    this.logLinkLost('receipt printer stopped answering', error);
    this.lostError = error;
    void this.transport.close();
  }

  /**
   * A printer switched off, its cable pulled or its network gone is an everyday event: one warn
   * line with the reason ('receipt printer disconnected: tcp://…: peer closed'). Anything else
   * is not expected, and keeps its stack for whoever has to find out why.
   */
  private logLinkLost(what: string, error: Error): void {
    const reason = describeError(error);
    // The transport wraps whatever ended the link; what matters is that first error.
    const first = error instanceof TransportError && error.cause instanceof Error ? error.cause : error;
    if (isLinkLoss(first)) this.logger.warn({ reason }, `${what}: ${reason.message}`);
    else this.logger.warn({ err: first }, `${what}: ${reason.message}`);
  }

  private onData(chunk: Buffer): void {
    for (const reply of this.parser.push(chunk)) this.onReply(reply);
  }

  private onReply(reply: PrinterReply): void {
    if (reply.type === 'process-id') {
      const waiter = this.confirmations.get(reply.id);
      if (!waiter) {
        this.logger.debug({ processId: reply.id }, 'process id response for no waiting job');
        return;
      }
      waiter.timer?.cancel();
      this.confirmations.delete(reply.id);
      waiter.resolve();
      return;
    }
    if (reply.type === 'status' && this.round) {
      const kind = this.round.expected.shift()!;
      Object.assign(this.round.status, decodeStatusByte(kind, reply.byte));
      if (this.round.expected.length === 0) this.finishRound();
    }
    // Anything else (a GS r answer, automatic status) is not asked for: ignored.
  }

  private onClose(error: Error | undefined): void {
    this.pollTimer?.cancel();
    this.pollTimer = undefined;
    const cause = error ?? this.lostError;
    this.finishRound(cause ?? new TransportError('transport_closed', `printer ${this.id} link closed`));
    for (const [processId, waiter] of this.confirmations) {
      waiter.timer?.cancel();
      this.confirmations.delete(processId);
      waiter.reject(
        new PrintError('unconfirmed', `link to printer ${this.id} closed before the job was confirmed`),
      );
    }
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected && cause && !this.disconnecting) {
      this.logLinkLost('receipt printer disconnected', cause);
      this.emit('disconnected', cause);
    }
  }

  private applyStatus(next: PrinterStatus): void {
    const previous = this.current;
    this.current = next;
    if (statusProblems(next).length > 0)
      for (const waiter of this.confirmations.values()) waiter.stalled = true;
    for (const [type, data] of transitions(previous, next)) {
      this.logger.info({ event: type, ...data }, 'receipt printer event');
      this.emit('event', type, data);
    }
    const condition = this.condition();
    const serialized = JSON.stringify(condition);
    if (serialized !== this.lastCondition) {
      this.lastCondition = serialized;
      this.emit('condition', condition);
    }
  }
}

export function paperState(status: PrinterStatus): PaperState {
  if (status.paperOut) return 'out';
  return status.paperNearEnd ? 'near_end' : 'ok';
}

const ERROR_FLAGS = [
  ['unrecoverableError', 'unrecoverable error'],
  ['cutterError', 'cutter error'],
  ['autoRecoverableError', 'recoverable error'],
] as const;

/** The events a change of status means, in order. */
export function transitions(
  previous: PrinterStatus,
  next: PrinterStatus,
): Array<[PrinterEventType, Record<string, unknown>]> {
  const events: Array<[PrinterEventType, Record<string, unknown>]> = [];
  const paperBefore = paperState(previous);
  const paperNow = paperState(next);
  if (paperBefore !== paperNow) {
    const type = paperNow === 'out' ? 'paper_out' : paperNow === 'near_end' ? 'paper_near_end' : 'paper_ok';
    events.push([type, { paper: paperNow }]);
  }
  if (!previous.coverOpen && next.coverOpen) events.push(['cover_open', {}]);
  if (previous.coverOpen && !next.coverOpen) events.push(['cover_closed', {}]);
  // Paper out and an open cover take the printer offline too; `offline` is for when nothing else explains it.
  if (!statusProblems(previous).includes('offline') && statusProblems(next).includes('offline'))
    events.push(['offline', {}]);
  for (const [flag, words] of ERROR_FLAGS)
    if (!previous[flag] && next[flag]) events.push(['error', { error: words }]);
  if (statusProblems(previous).length > 0 && statusProblems(next).length === 0)
    events.push(['recovered', {}]);
  return events;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A link lost as links are (Carrel's own transport, timeout or print errors, or the system's: ECONNRESET…). */
function isLinkLoss(error: Error): boolean {
  if (error instanceof CarrelError) return true;
  const errno = error as NodeJS.ErrnoException;
  return typeof errno.code === 'string' && typeof errno.syscall === 'string';
}
