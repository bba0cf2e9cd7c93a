/**
 * The ILS link's health as the pool keeps it: the figures its condition is made of
 * (link-condition.ts), kept in place and told to the supervisor when what they say changes; the
 * ILS's own status (its last 98) and the events of its online flag; and the 96 window — a request
 * the ILS kept asking for again (RESEND_TROUBLE_MS) — told again when it ends, requests or not.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Sip2Message } from '../../protocols/sip2/index.js';
import type { DeviceCondition } from '../device.js';
import type { IlsConfig } from './config.js';
import type { Sip2Exchange } from './connection.js';
import { IlsError } from './errors.js';
import { type LinkFigures, linkCondition, linkProblems, RESEND_TROUBLE_MS } from './link-condition.js';
import type { Slot } from './pool-slot.js';

export interface LinkHealthOptions {
  slots: readonly Slot[];
  config: Pick<IlsConfig, 'perTransaction' | 'slowRoundTripMs'>;
  clock: Clock;
  /** Callers waiting for a connection, for the condition's detail. */
  waiting: () => number;
  /** Whether the link is up: nothing is told while it is down (the supervisor says so itself). */
  up: () => boolean;
  /** The condition changed. */
  onCondition: (condition: DeviceCondition) => void;
  /** The ILS's 98 turned its online flag. */
  onAcsOnline: (online: boolean) => void;
}

export class LinkHealth {
  /** What the link's condition is made of, kept in place: the pool notes its failures here. */
  readonly figures: LinkFigures;
  private lastCondition = '';
  private lastAcsStatus: Sip2Message<'acsStatus'> | undefined;
  /** Ends the 96 window (RESEND_TROUBLE_MS): the link's condition is told again then, requests or not. */
  private resendTroubleEnd: TimerHandle | undefined;

  constructor(private readonly options: LinkHealthOptions) {
    this.figures = {
      slots: options.slots,
      perTransaction: options.config.perTransaction,
      roundTrip: null,
      slowRoundTripMs: options.config.slowRoundTripMs,
      acsOnline: null,
      unansweredTransactions: 0,
      lastFailure: undefined,
      dropped: 0,
      resendLimitAt: undefined,
    };
  }

  condition(): DeviceCondition {
    return linkCondition(this.figures, this.options.waiting(), this.options.clock.monotonic());
  }

  /** The last SC status answer (98): online flag, supported messages, ACS limits. */
  acsStatus(): Sip2Message<'acsStatus'> | undefined {
    return this.lastAcsStatus;
  }

  noteExchange(exchange: Sip2Exchange): void {
    this.noteStatus(exchange);
    this.noteRoundTrip(exchange.roundTripMs);
  }

  noteStatus(exchange: Sip2Exchange): void {
    if (exchange.message.type !== 'acsStatus') return;
    this.lastAcsStatus = exchange.message;
    const online = exchange.message.onlineStatus;
    if (this.figures.acsOnline !== null && online !== this.figures.acsOnline)
      this.options.onAcsOnline(online);
    this.figures.acsOnline = online;
    this.noteCondition();
  }

  noteRoundTrip(ms: number): void {
    const { figures } = this;
    figures.roundTrip = figures.roundTrip === null ? ms : figures.roundTrip * 0.8 + ms * 0.2;
    this.noteCondition();
  }

  /** Tells the supervisor when the condition changed. Runs after every exchange: counts, no copies. */
  noteCondition(): void {
    if (!this.options.up()) return;
    const problems = linkProblems(this.figures, this.options.clock.monotonic());
    const key = problems.length > 0 ? `degraded|${problems.join('; ')}` : 'online';
    if (key === this.lastCondition) return;
    this.lastCondition = key;
    this.options.onCondition(this.condition());
  }

  /** The ILS kept asking for a request again (96): the link is degraded for a while, saying what to check. */
  noteResendLimit(error: unknown): void {
    if (!(error instanceof IlsError) || error.code !== 'ils_resend_limit') return;
    this.figures.resendLimitAt = this.options.clock.monotonic();
    this.figures.lastFailure = { code: error.code, message: error.message };
    this.noteCondition();
    this.armResendTroubleEnd();
  }

  /**
   * The condition told again when the 96 window ends, not only at the next exchange: per
   * transaction (or with no heartbeat) none may come for hours, and the link's health would say
   * degraded all that time. Armed again by the pool's connect() for a window still open.
   */
  armResendTroubleEnd(): void {
    this.stop();
    const at = this.figures.resendLimitAt;
    if (at === undefined || !this.options.up()) return;
    const left = at + RESEND_TROUBLE_MS - this.options.clock.monotonic();
    if (left <= 0) return;
    this.resendTroubleEnd = this.options.clock.setTimeout(
      'ils-resend-trouble-end',
      () => {
        this.resendTroubleEnd = undefined;
        this.noteCondition();
      },
      left,
    );
  }

  /** The link is going down: the 96 window's timer stops (connect() arms it again). */
  stop(): void {
    this.resendTroubleEnd?.cancel();
    this.resendTroubleEnd = undefined;
  }
}
