/**
 * The ILS link as the supervisor sees it: a pool of SIP2 connections with a
 * bounded wait queue, a heartbeat (99) on idle connections, transparent
 * reconnect and re-login, and a health condition. In per-transaction mode every
 * request gets its own connection (connect, 93, request, 35, close) and the
 * pool size bounds how many run at once.
 *
 * A hung ILS (connections open, nothing answered: a stopped process, a stuck
 * server) is told by timeouts, and told at once:
 * - a request or heartbeat unanswered within `requestTimeoutMs` closes its
 *   connection (a late answer must not be read as the next request's), marks it
 *   failing and turns the link `degraded`, with the error as lastError;
 * - straight away that connection is opened again and asked (93, 99), and every
 *   other idle connection is asked (99): one answer lost on a working ILS
 *   brings the link back online, while a hung ILS leaves a second request
 *   unanswered (or a connection that cannot be opened, logged in or answer);
 * - when no connection answers, the link is offline (`disconnected`): callers
 *   waiting for a connection, and every later one, fail at once with
 *   `ils_offline` instead of each waiting out its own timeout, and the
 *   supervisor reconnects with backoff;
 * - a connection left failing while the link is up (its login unanswered, the
 *   ILS answering on the others) is opened again after a reconnect delay
 *   (0.25 s, doubling up to 5 s, never more than a heartbeat), and on each
 *   heartbeat as well; the first answer on it makes it count again. So a link
 *   the ILS answers again is whole within one reconnect delay.
 * So an idle link shows a hung ILS within one heartbeat and one request timeout
 * (degraded), and offline one request timeout later. In per-transaction mode an
 * unanswered transaction turns the link degraded and the next one decides.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { FailureStreak } from '../../core/failure-streak.js';
import type { Logger } from '../../core/logger.js';
import type { Sip2Message, Sip2VerbatimBody } from '../../protocols/sip2/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { Transport } from '../transport/transport.js';
import type { IlsConfig } from './config.js';
import { IlsConnection, type Sip2Exchange, type Sip2FrameListener, type Sip2Request } from './connection.js';
import { IlsError } from './errors.js';
import type { LinkFigures } from './link-condition.js';
import { LinkHealth } from './link-health.js';
import { logOpenFailure } from './open-failures.js';
import { runTransaction } from './per-transaction.js';
import { SlotQueue } from './pool-queue.js';
import {
  answering,
  freeSlotOf,
  isUnanswered,
  newSlot,
  reopenDelayMs,
  type Slot,
  scStatus,
} from './pool-slot.js';
import { askedTwice, mayResend, neverSent } from './resend.js';

export interface IlsPoolOptions {
  id: string;
  config: IlsConfig;
  /** A new, unopened transport to the ILS; called once per pool connection (per request in per-transaction mode). */
  createTransport: () => Transport;
  clock: Clock;
  logger: Logger;
  onFrame?: Sip2FrameListener;
}

/** Device events of the ILS link. Plain data, never a patron. */
export type IlsEventType = 'connection_lost' | 'connection_restored' | 'acs_offline' | 'acs_online';

export class IlsConnectionPool extends EventEmitter implements DeviceDriver {
  readonly id: string;
  readonly kind = 'ils';
  private readonly config: IlsConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly slots: Slot[];
  /** The link's health (link-health.ts): its condition, the ILS's status, the 96 window. */
  private readonly health: LinkHealth;
  /** What the link's condition is made of (link-condition.ts), kept in place: read after every exchange. */
  private readonly link: LinkFigures;
  /** Callers waiting for a connection (pool-queue.ts). */
  private readonly queue: SlotQueue;
  private connected = false;
  /** Per transaction, the connection of connect()'s first check while it runs: disconnect() closes it too. */
  private firstCheck: IlsConnection | undefined;
  private heartbeat: TimerHandle | undefined;
  private readonly failures: FailureStreak;

  constructor(private readonly options: IlsPoolOptions) {
    super();
    this.id = options.id;
    this.config = options.config;
    this.clock = options.clock;
    this.failures = new FailureStreak(options.clock);
    this.logger = options.logger.child({ module: 'ils', device: options.id });
    this.slots = Array.from({ length: options.config.pool.size }, (_, index) => newSlot(index));
    this.queue = new SlotQueue(this.slots, options.config.pool.maxWaiting);
    this.health = new LinkHealth({
      slots: this.slots,
      config: this.config,
      clock: this.clock,
      waiting: () => this.queue.waiting,
      up: () => this.connected,
      onCondition: (condition) => this.emit('condition', condition),
      onAcsOnline: (online) => this.emit('event', online ? 'acs_online' : 'acs_offline', {}),
    });
    this.link = this.health.figures;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The last SC status answer (98): online flag, supported messages, ACS limits. */
  acsStatus(): Sip2Message<'acsStatus'> | undefined {
    return this.health.acsStatus();
  }

  condition(): DeviceCondition {
    return this.health.condition();
  }

  /**
   * Opens the pool's connections (logging each in) and asks the ILS's status
   * (99). Resolves when at least one connection works; the others are opened
   * again after a reconnect delay. In per-transaction mode it runs one probe transaction.
   */
  async connect(): Promise<void> {
    if (this.connected) return;
    this.link.unansweredTransactions = 0;
    for (const slot of this.slots) {
      slot.unanswered = 0;
      slot.recheck = false;
      slot.reopens = 0;
      slot.lostWhileBusy = false;
    }
    if (this.config.perTransaction) {
      const connection = this.newConnection();
      this.firstCheck = connection;
      try {
        await connection.open();
        this.health.noteExchange(await connection.send(scStatus()));
      } finally {
        this.firstCheck = undefined;
        await connection.close();
      }
    } else {
      const results = await this.openFreeSlots();
      const firstOpen = this.slots.find((s) => s.connection?.isOpen);
      if (!firstOpen) {
        const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
        await this.closeAll();
        throw failure?.reason ?? new IlsError('ils_offline', 'no ILS connection could be opened');
      }
      firstOpen.busy = true;
      try {
        this.health.noteExchange(await firstOpen.connection!.send(scStatus()));
      } catch (error) {
        await this.closeAll();
        throw error;
      } finally {
        firstOpen.busy = false;
      }
    }
    this.connected = true;
    const seconds = this.config.heartbeatSeconds;
    if (seconds > 0 && !this.config.perTransaction) {
      this.heartbeat = this.clock.setInterval('ils-heartbeat', () => this.beat(), seconds * 1000);
    }
    this.logger.info({ connections: this.condition().detail.connections }, 'ILS link up');
    this.health.noteCondition();
    this.health.armResendTroubleEnd();
    for (const slot of this.slots) {
      if (slot.recheck && !slot.busy) {
        // Let go between its opening and now: opened and asked at once.
        slot.recheck = false;
        this.probe(slot);
      } else if (slot.failing) this.scheduleReopen(slot);
    }
  }

  /**
   * Opens the slots no earlier work holds. A slot still held from before the link went down
   * (its connection opening until its connect timeout: a TLS handshake the ILS never answers)
   * is not waited for while another can be opened: it counts as failing and is opened again
   * as soon as it is let go. Only when every slot is held does connect() wait for one.
   */
  private async openFreeSlots(): Promise<PromiseSettledResult<void>[]> {
    if (this.slots.every((slot) => slot.busy)) await this.queue.oneFreed();
    const held = this.slots.filter((slot) => slot.busy);
    const results = await Promise.allSettled(
      this.slots.filter((slot) => !slot.busy).map((slot) => this.openSlot(slot)),
    );
    // Let go while the others opened (its work was ending): opened now, as the others were.
    const freed = held.filter((slot) => !slot.busy);
    results.push(...(await Promise.allSettled(freed.map((slot) => this.openSlot(slot)))));
    for (const slot of held) {
      if (!slot.busy) continue;
      slot.failing = true;
      slot.recheck = true;
    }
    return results;
  }

  /** Closes every connection; requests under way or waiting fail with `ils_offline` / `ils_connection_lost`. */
  async disconnect(): Promise<void> {
    this.connected = false;
    this.stopTimers();
    this.queue.rejectAll(new IlsError('ils_offline', 'the ILS link was closed'));
    await Promise.all([this.closeAll(), this.firstCheck?.close()]);
  }

  /**
   * Sends one request on a free connection and resolves with its answer. When
   * the answer of a request the ILS may safely see twice is lost, it is sent
   * again once; a request that never left (its connection closed before the write, or it could
   * not be opened: refused, timed out, its login unanswered) is sent once on another connection.
   * The request's own sequence number is not sent (each connection numbers its
   * requests); `asItCame`: its body as a self-check sent it (IlsConnection.send).
   */
  exchange(request: Sip2Request, asItCame?: Sip2VerbatimBody): Promise<Sip2Exchange> {
    // No async layer of its own: one promise per exchange fewer on the relay's and the client's path.
    return this.exchangeOnce(request, asItCame).catch((error: unknown) =>
      this.retryOnce(request, asItCame, error),
    );
  }

  /** The first try failed: sent once more when it never left, or when its answer was lost and it may be repeated. */
  private async retryOnce(
    request: Sip2Request,
    asItCame: Sip2VerbatimBody | undefined,
    error: unknown,
  ): Promise<Sip2Exchange> {
    if (!this.connected || !mayResend(request, error)) throw error;
    this.logger.info(
      { code: describeError(error).code },
      'ILS request failed on its connection; trying again once',
    );
    try {
      return await this.exchangeOnce(request, asItCame, true);
    } catch (again) {
      // A retry that never left (the link went offline meanwhile) says nothing of the first
      // request, whose answer may be lost: that is what the caller must hear, with the retry.
      throw askedTwice(error, again);
    }
  }

  /** `again`: the request is sent once more, so not on a connection that is failing (it just did). */
  private exchangeOnce(
    request: Sip2Request,
    asItCame: Sip2VerbatimBody | undefined,
    again = false,
  ): Promise<Sip2Exchange> {
    // A free connection is taken at once; only a caller that must wait pays for a promise.
    const free = this.connected ? this.freeSlot(again) : undefined;
    if (free) {
      free.busy = true;
      return this.exchangeOn(free, request, asItCame);
    }
    return this.acquire(again).then((slot) => this.exchangeOn(slot, request, asItCame));
  }

  /** The request on a slot taken for it; the slot is released when it is answered or fails. */
  private exchangeOn(
    slot: Slot,
    request: Sip2Request,
    asItCame: Sip2VerbatimBody | undefined,
  ): Promise<Sip2Exchange> {
    const connection = slot.connection;
    if (!this.config.perTransaction && connection?.isOpen) {
      // Nearly every request: the answer's bookkeeping and the slot's release in one `then`.
      return connection.send(request, asItCame).then(
        (answered) => {
          try {
            this.answeredOn(slot, request, answered);
            this.health.noteRoundTrip(answered.roundTripMs);
          } finally {
            this.release(slot);
          }
          return answered;
        },
        (error: unknown) => {
          try {
            this.failedOn(slot, error);
          } finally {
            this.release(slot);
          }
          throw error;
        },
      );
    }
    let exchange: Promise<Sip2Exchange>;
    try {
      exchange = this.config.perTransaction
        ? this.transaction(request, asItCame)
        : this.onSlot(slot, request, asItCame);
    } catch (error) {
      this.release(slot);
      return Promise.reject(error);
    }
    return exchange.then(
      (answered) => {
        try {
          this.health.noteRoundTrip(answered.roundTripMs);
        } finally {
          this.release(slot);
        }
        return answered;
      },
      (error: unknown) => {
        try {
          this.health.noteResendLimit(error);
        } finally {
          this.release(slot);
        }
        throw error;
      },
    );
  }

  private onSlot(slot: Slot, request: Sip2Request, asItCame?: Sip2VerbatimBody): Promise<Sip2Exchange> {
    if (slot.connection?.isOpen) return this.sendOn(slot, slot.connection, request, asItCame);
    return this.openSlot(slot).then(
      () => this.sendOn(slot, slot.connection!, request, asItCame),
      (error: unknown) => {
        throw neverSent(error);
      },
    );
  }

  private sendOn(
    slot: Slot,
    connection: IlsConnection,
    request: Sip2Request,
    asItCame: Sip2VerbatimBody | undefined,
  ): Promise<Sip2Exchange> {
    return connection.send(request, asItCame).then(
      (exchange) => {
        this.answeredOn(slot, request, exchange);
        return exchange;
      },
      (error: unknown) => {
        this.failedOn(slot, error);
        throw error;
      },
    );
  }

  /** The slot's connection answered: it is not failing (any more). */
  private answeredOn(slot: Slot, request: Sip2Request, exchange: Sip2Exchange): void {
    slot.unanswered = 0;
    slot.reopens = 0;
    if (slot.failing) {
      slot.failing = false;
      this.health.noteCondition();
    }
    if (request.type === 'scStatus') this.health.noteStatus(exchange);
  }

  private failedOn(slot: Slot, error: unknown): void {
    if (isUnanswered(error)) this.noteUnanswered(slot, error);
    else this.health.noteResendLimit(error);
  }

  /**
   * A request on this slot's connection went unanswered (the connection is
   * already closed): the slot is failing and the link degraded at once. After a
   * first miss the slot is opened and asked again as soon as it is free, and
   * the other idle connections are asked too; a second miss with no connection
   * left answering means the ILS is not answering at all: offline.
   */
  private noteUnanswered(slot: Slot, error: IlsError): void {
    if (!this.connected) return;
    slot.failing = true;
    slot.unanswered++;
    this.link.lastFailure = { code: error.code, message: error.message };
    this.logger.warn({ connection: slot.index, error: describeError(error) }, 'ILS connection not answering');
    if (slot.unanswered > 1 && !this.slots.some(answering)) {
      this.goOffline(error);
      return;
    }
    this.health.noteCondition();
    if (slot.unanswered === 1) slot.recheck = true;
    else this.scheduleReopen(slot);
    for (const other of this.slots) if (other !== slot && !other.busy && answering(other)) this.probe(other);
  }

  /** Per-transaction mode: the request on a connection of its own (per-transaction.ts). */
  private transaction(request: Sip2Request, asItCame: Sip2VerbatimBody | undefined): Promise<Sip2Exchange> {
    return runTransaction(this.newConnection(), request, asItCame, this.config, this.clock, this.logger, {
      notOpened: (error) => this.offlineIfUnreachable(error),
      unanswered: (error) => {
        if (!this.connected) return;
        // Degraded now; the next transaction, answered or not, decides.
        this.link.unansweredTransactions++;
        this.link.lastFailure = { code: error.code, message: error.message };
        this.health.noteCondition();
      },
      answered: () => {
        if (this.link.unansweredTransactions === 0) return;
        this.link.unansweredTransactions = 0;
        this.health.noteCondition();
      },
    });
  }

  private newConnection(): IlsConnection {
    return new IlsConnection({
      transport: this.options.createTransport(),
      settings: this.config,
      clock: this.clock,
      logger: this.logger,
      onFrame: this.options.onFrame,
    });
  }

  private async openSlot(slot: Slot): Promise<void> {
    if (!slot.connection) {
      const connection = this.newConnection();
      connection.on('lost', (error: Error) => this.onLost(slot, error));
      slot.connection = connection;
    }
    try {
      await slot.connection.open();
      this.failures.ended();
      if (slot.failing) {
        slot.failing = false;
        this.emit('event', 'connection_restored', { connection: slot.index });
      }
    } catch (error) {
      slot.failing = true;
      const described = describeError(error);
      this.link.lastFailure = { code: described.code, message: described.message };
      logOpenFailure(this.logger, this.failures, slot.index, described);
      this.offlineIfUnreachable(error);
      this.scheduleReopen(slot);
      throw error;
    } finally {
      this.health.noteCondition();
    }
  }

  /**
   * A slot failing while the link is up (the ILS answers on another connection) is opened
   * and asked again after a reconnect delay, not left for the next heartbeat. Busy by then:
   * what it is busy with decides, and schedules again if that fails too.
   */
  private scheduleReopen(slot: Slot): void {
    if (!this.connected || this.config.perTransaction || slot.reopen) return;
    const delay = reopenDelayMs(slot.reopens, this.config.heartbeatSeconds);
    slot.reopens++;
    slot.reopen = this.clock.setTimeout(
      'ils-connection-reopen',
      () => {
        slot.reopen = undefined;
        if (this.connected && slot.failing && !slot.busy) this.probe(slot);
      },
      delay,
    );
  }

  /** A connection dropped under us (idle timeout, ILS restart): opened again in the background, at once. */
  private onLost(slot: Slot, error: Error): void {
    if (!this.connected) return;
    this.logger.info({ connection: slot.index, error: describeError(error) }, 'ILS connection lost');
    this.link.dropped++;
    this.emit('event', 'connection_lost', { connection: slot.index });
    if (slot.busy) {
      // Under a request: opened again once that request has its answer or failure (release).
      slot.lostWhileBusy = true;
      return;
    }
    slot.busy = true;
    this.reopenLost(slot);
  }

  /** Opens a lost connection again (the slot held for it) and lets the slot go: a login, never a request again. */
  private reopenLost(slot: Slot): void {
    this.openSlot(slot)
      .then(() => this.logger.info({ connection: slot.index }, 'ILS connection re-opened and logged in'))
      .catch(() => {})
      .finally(() => this.release(slot));
  }

  /** When no connection is left answering and one could not be made, the link is down: tell the supervisor. */
  private offlineIfUnreachable(error: unknown): void {
    if (!this.connected) return;
    if (!this.config.perTransaction && this.slots.some(answering)) return;
    this.goOffline(error);
  }

  /** The link is down: callers waiting fail now, later ones at once, and the supervisor reconnects. */
  private goOffline(error: unknown): void {
    if (!this.connected) return;
    this.connected = false;
    this.stopTimers();
    const reason = error instanceof Error ? error : new IlsError('ils_offline', String(error));
    this.logger.warn({ error: describeError(reason) }, 'ILS unreachable');
    this.queue.rejectAll(new IlsError('ils_offline', `the ILS is unreachable: ${reason.message}`));
    void this.closeAll();
    this.emit('disconnected', reason);
  }

  private acquire(again = false): Promise<Slot> {
    if (!this.connected) return Promise.reject(new IlsError('ils_offline', 'the ILS link is not connected'));
    return this.queue.take(again);
  }

  /** A free slot (pool-slot.ts); `notFailing` for a request sent again. */
  private freeSlot(notFailing = false): Slot | undefined {
    return freeSlotOf(this.slots, notFailing);
  }

  private release(slot: Slot): void {
    const lost = slot.lostWhileBusy;
    slot.lostWhileBusy = false;
    if (slot.recheck && this.connected) {
      // Asked again before anyone waiting gets it: they hear ils_offline if it does not answer.
      slot.recheck = false;
      this.probe(slot);
      return;
    }
    // Dropped under its request, not opened since: opened again now. One that could not be
    // opened (failing) waits for its reconnect delay instead.
    if (lost && this.connected && !slot.failing && !slot.connection?.isOpen) {
      this.reopenLost(slot);
      return;
    }
    this.queue.release(slot, this.connected);
  }

  /** Heartbeat: a 99 on every idle connection quiet for an interval; failing connections are re-opened. */
  private beat(): void {
    const interval = this.config.heartbeatSeconds * 1000;
    for (const slot of this.slots) {
      if (slot.busy || !this.connected) continue;
      const connection = slot.connection;
      if (
        !slot.failing &&
        connection?.isOpen &&
        this.clock.monotonic() - connection.lastActivity < interval * 0.9
      )
        continue;
      this.probe(slot);
    }
  }

  /** A 99 on a slot (opened first when it is closed); its failure is logged and counted, not thrown. */
  private probe(slot: Slot): void {
    slot.busy = true;
    slot.probing = true;
    this.onSlot(slot, scStatus())
      .then((exchange) => this.health.noteRoundTrip(exchange.roundTripMs))
      .catch((error: unknown) =>
        this.logger.warn({ connection: slot.index, error: describeError(error) }, 'ILS heartbeat failed'),
      )
      .finally(() => {
        slot.probing = false;
        this.release(slot);
      });
  }

  /** The heartbeat and every slot's pending reopen: the link is going down. */
  private stopTimers(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
    this.health.stop();
    for (const slot of this.slots) {
      slot.reopen?.cancel();
      slot.reopen = undefined;
    }
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.connection?.close()));
  }
}
