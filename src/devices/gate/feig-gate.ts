/**
 * A FEIG security gate (ID ISC.LR2500-B and kin) in notification mode: a DeviceDriver of kind
 * `gate` over two links.
 *
 * - Notifications: the gate connects OUT to Carrel's NotificationListener, which hands this
 *   driver every connection from the gate's address. Each tag record becomes a `tag_read`
 *   event, each keep-alive a `keepalive` event. The link is `online` while frames flow (a new
 *   connection is said to be open, not online, until its first); no frame for `keepAliveTimeoutMs`
 *   (or the gate closing the connection) makes it `offline` and the device `degraded`, until the
 *   gate speaks again. A silent connection is kept open and read: a gate that has not noticed
 *   anything amiss sends its next alarm on it, and a connection closed under it would lose that
 *   alarm (a gate not in ACK mode never sends it again). A connection from the gate replaces the
 *   one before it. When a gate not in ACK mode speaks again on a new connection, what it sent since
 *   its last frame on the old one may be lost: staff are told between which times (`lastError`
 *   `gate_alarms_may_be_missed`).
 *   The command link's failures are said in words of the gate, not of the transport ("peer
 *   closed"); the transport's own words go with them as their cause, for the log.
 * - Commands: Carrel's Transport to the gate's own port, for the alarm loops (`setAlarm`,
 *   verified by read-back) and the people counter (`readCounters`, `resetCounters`). connect()
 *   checks it answers by reading the alarm loops' state, published as `alarm_state` (a FEIG
 *   notification or keep-alive never says it); losing it — closed, or 3 commands in a row without
 *   any reply (a cable pulled closes nothing) — is `disconnected` (once).
 *
 * The route to the listener stays from the first connect() until disconnect(), so the gate's
 * notifications are taken (and its events emitted) while the command link is being re-made.
 * Garbled, truncated, oversized or unknown frames never throw: they are counted
 * (`detail.frameErrors`) and logged at info level without tag data, one line per window.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import { isoTime } from '../../core/iso-time.js';
import type { Logger } from '../../core/logger.js';
import {
  FEIG_BROADCAST_ADDRESS,
  type FeigNotification,
  GATE_ALARM_LOOPS,
  type PeopleCounts,
} from '../../protocols/feig/index.js';
import type { DeviceCondition, DeviceDriver } from '../device.js';
import type { PeerAddress } from '../transport/tcp-listener.js';
import type { Transport } from '../transport/transport.js';
import { DEFAULT_GATE_COMMAND_TIMEOUTS, GateCommandLink, type GateCommandTimeouts } from './command-link.js';
import { GateError } from './errors.js';
import type { GateEvents, GateEventType } from './events.js';
import { CONNECTED_SILENT_WORDS, commandLinkInWords as inWords, missedAlarmsWords } from './link-words.js';
import type { NotificationListener, NotificationRoute } from './notification-listener.js';
import { NotificationSession } from './notification-session.js';
import { tagRead } from './tag-read.js';

export interface FeigGateOptions {
  id: string;
  /** The address the gate's notification connections come from (its IP address). */
  address: string;
  notifications: NotificationListener;
  /** The gate's own command port; without it `setAlarm` and the counters are unavailable. */
  commandTransport?: Transport;
  clock: Clock;
  logger: Logger;
  /**
   * No frame for this long and the notification link is offline: the gate's CFG49
   * KEEP-ALIVE-TIME plus a margin. 0 turns the watchdog off (keep-alives disabled on the gate).
   */
  keepAliveTimeoutMs: number;
  /** ACK mode (CFG49 MODE b7): answer each notification with [0x32]. Default false. */
  ack?: boolean;
  /** COM-ADR of the gate's reader. Default 0xFF (any). */
  busAddress?: number;
  /** Alarm loops switched on by `setAlarm(true)`: 0x0F two loops (default), 0x03 one. */
  alarmLoops?: number;
  timeouts?: Partial<GateCommandTimeouts>;
  /** A frame left incomplete this long (a garbled length) is given up. Default 1000 ms. */
  partialFrameTimeoutMs?: number;
  /** Frame errors are logged once per window with a count. Default 60 s. */
  frameErrorLogWindowMs?: number;
}

export type NotificationLinkState = 'online' | 'offline';

/**
 * Commands in a row without any reply that make the command link lost: a gate whose cable was
 * pulled sends nothing and closes nothing, and one not sending keep-alives would otherwise look
 * online for ever.
 */
const UNANSWERED_COMMANDS_LOST = 3;

export class FeigGate extends EventEmitter implements DeviceDriver, NotificationRoute {
  readonly id: string;
  readonly kind = 'gate';
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly commands: GateCommandLink | undefined;
  private readonly alarmLoops: number;
  private session: NotificationSession | undefined;
  private unroute: (() => void) | undefined;
  private connected = false;
  private disconnecting = false;
  private watchdog: TimerHandle | undefined;
  private link: NotificationLinkState = 'offline';
  private linkReason = 'waiting for the gate to connect';
  private lastCondition = '';
  private lastFrameAt: number | undefined;
  /** The last frame on the monotonic clock, for the watchdog. */
  private lastFrameMono = 0;
  /** Why the command link was closed by this driver (the gate stopped answering). */
  private commandsLost: GateError | undefined;
  private alarm: { on: boolean; loops: number } | undefined;
  private counts: PeopleCounts | undefined;
  /**
   * A gate not in ACK mode whose notification connection ended (or was replaced) after it had
   * been heard: when it was last heard (epoch ms) until it speaks again.
   */
  private quietSince: number | undefined;
  /** The last span in which alarms may have been lost (epoch ms), said in the condition. */
  private missedAlarms: { from: number; to: number } | undefined;
  private errorWindow: { count: number; timer: TimerHandle } | undefined;
  private readonly stats = { notifications: 0, tagReads: 0, keepAlives: 0, frameErrors: 0, ignoredFrames: 0 };

  constructor(private readonly options: FeigGateOptions) {
    super();
    this.id = options.id;
    this.clock = options.clock;
    this.logger = options.logger.child({ module: 'gate', device: options.id });
    this.alarmLoops = options.alarmLoops ?? GATE_ALARM_LOOPS.two;
    const transport = options.commandTransport;
    if (transport) {
      const timeouts = { ...DEFAULT_GATE_COMMAND_TIMEOUTS, ...options.timeouts };
      this.commands = new GateCommandLink(
        transport,
        this.clock,
        options.busAddress ?? FEIG_BROADCAST_ADDRESS,
        timeouts,
      );
      transport.on('close', (error) => this.onCommandLinkClosed(error));
    }
  }

  condition(): DeviceCondition {
    const online = this.link === 'online';
    const missed = this.missedAlarms;
    return {
      status: online ? 'online' : 'degraded',
      reason: online ? null : this.linkReason,
      ...(missed
        ? { lastError: { code: 'gate_alarms_may_be_missed', message: missedAlarmsWords(missed) } }
        : {}),
      detail: {
        notificationLink: this.link,
        peer: this.session ? `${this.session.peer.address}:${this.session.peer.port}` : null,
        lastFrameAt: this.lastFrameAt === undefined ? null : isoTime(this.lastFrameAt),
        keepAliveTimeoutMs: this.options.keepAliveTimeoutMs,
        ack: this.options.ack === true,
        commandLink: this.commands?.transport.description ?? null,
        alarm: this.alarm ?? null,
        counts: this.counts ?? null,
        alarmsMayBeMissed: missed ? { from: isoTime(missed.from), to: isoTime(missed.to) } : null,
        ...this.stats,
        acks: this.session?.acks ?? 0,
        commandFrameErrors: this.commands?.frameErrors ?? 0,
      },
    };
  }

  /** The notification link as the driver sees it now. */
  notificationLink(): { state: NotificationLinkState; reason: string | null; peer: PeerAddress | null } {
    return {
      state: this.link,
      reason: this.link === 'online' ? null : this.linkReason,
      peer: this.session?.peer ?? null,
    };
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.disconnecting = false;
    this.commandsLost = undefined;
    await this.options.notifications.start();
    this.unroute ??= this.options.notifications.route(this.options.address, this);
    if (this.commands) {
      const transport = this.commands.transport;
      if (!transport.isOpen) await transport.open().catch((error: unknown) => Promise.reject(inWords(error)));
      let alarm: { on: boolean; loops: number };
      try {
        alarm = toAlarm(await this.commands.readAlarm());
      } catch (error) {
        await transport.close();
        throw inWords(error);
      }
      // What the gate's configuration says as it connects: whether its alarm is on is known from
      // now, not only once someone switches it (a notification never says).
      this.alarm = alarm;
      this.publish('alarm_state', { ...alarm, time: this.now() });
    }
    this.connected = true;
    if (this.link === 'online') this.armWatchdog();
    this.logger.info(
      // Not `address`: the logger censors that key (a patron's address); a gate's IP is for IT to read.
      { gateIp: this.options.address, commandLink: this.commands?.transport.description ?? null },
      'gate connected',
    );
    this.checkCondition();
  }

  async disconnect(): Promise<void> {
    this.disconnecting = true;
    this.connected = false;
    this.stopWatchdog();
    this.unroute?.();
    this.unroute = undefined;
    const session = this.session;
    this.session = undefined;
    if (session) this.noteQuiet();
    await session?.close();
    this.closeErrorWindow(false);
    await this.commands?.transport.close();
    this.setLink('offline', 'disconnected');
  }

  /** Switches the alarm loops on or off and resolves with the state the gate reads back. */
  async setAlarm(on: boolean): Promise<{ on: boolean; loops: number }> {
    const state = await this.command((commands) => commands.setAlarm(on, this.alarmLoops));
    this.alarm = toAlarm(state);
    this.publish('alarm_state', { ...this.alarm, time: this.now() });
    this.checkCondition();
    return { ...this.alarm };
  }

  /** The alarm as the gate's configuration says now. */
  async readAlarm(): Promise<{ on: boolean; loops: number }> {
    this.alarm = toAlarm(await this.command((commands) => commands.readAlarm()));
    this.publish('alarm_state', { ...this.alarm, time: this.now() });
    return { ...this.alarm };
  }

  async readCounters(): Promise<PeopleCounts> {
    const counts = await this.command((commands) => commands.readCounters());
    this.noteCounts(counts, false);
    return counts;
  }

  /** Sets the people counters to zero (verified by reading them back). */
  async resetCounters(): Promise<PeopleCounts> {
    const counts = await this.command((commands) => commands.resetCounters());
    this.noteCounts(counts, true);
    return counts;
  }

  /** NotificationRoute: the listener hands over a connection from the gate's address. */
  accept(link: Transport, peer: PeerAddress): void {
    const previous = this.session;
    const session = new NotificationSession(link, peer, {
      ack: this.options.ack === true,
      address: this.options.busAddress ?? FEIG_BROADCAST_ADDRESS,
      clock: this.clock,
      ...(this.options.partialFrameTimeoutMs === undefined
        ? {}
        : { partialFrameTimeoutMs: this.options.partialFrameTimeoutMs }),
    });
    this.session = session;
    // The gate gave up its connection (or lost it): what it wrote on it last may never have come.
    if (previous) this.noteQuiet();
    if (previous) {
      this.logger.info(
        { peer: peer.address },
        'gate connected again; its previous notification connection closed',
      );
      void previous.close();
    } else {
      this.logger.info({ peer: peer.address }, 'gate notification connection accepted');
    }
    session.on('keepalive', (keepAlive) => {
      this.heard();
      this.stats.keepAlives++;
      this.publish('keepalive', { status: keepAlive.status, time: this.now() });
    });
    session.on('notification', (notification) => this.onNotification(notification));
    session.on('frame_error', (code) => this.onFrameError(code));
    session.on('ignored', () => this.stats.ignoredFrames++);
    session.on('closed', (error) => {
      if (this.session !== session) return;
      this.session = undefined;
      // No connection to be silent on: why it is offline stays said until the gate dials again.
      this.stopWatchdog();
      this.noteQuiet();
      if (this.link === 'online')
        this.logger.warn(
          { err: error ? describeError(error) : null },
          'gate closed its notification connection',
        );
      this.setLink('offline', 'the gate closed its notification connection');
    });
    // A gate not heard yet (or not lately) is not online on a connection alone: a frame shows its
    // reader working, and comes at once or within its keep-alive time. Meanwhile it is said to have
    // connected (it has), and the keep-alive check runs from now.
    if (this.link !== 'online') {
      this.setLink('offline', CONNECTED_SILENT_WORDS);
      this.armWatchdog();
    }
  }

  private onNotification(notification: FeigNotification): void {
    // A gate coming online is said so before its first tag; one already online hands its tags on
    // first, and the link's bookkeeping (watchdog, condition) follows in the same turn: an alarm
    // waits for nothing it does not need. No timer can fire in between.
    const online = this.link === 'online';
    if (!online) this.heard();
    try {
      this.stats.notifications++;
      if (notification.status !== 0)
        this.logger.info({ status: notification.status }, 'gate notification with a reader status');
      for (const record of notification.records) {
        this.stats.tagReads++;
        this.publish('tag_read', tagRead(record, this.now()));
      }
    } finally {
      if (online) this.heard();
    }
  }

  private onFrameError(code: string): void {
    this.stats.frameErrors++;
    if (this.errorWindow) {
      this.errorWindow.count++;
      return;
    }
    this.logger.info({ code }, 'gate sent bytes that are not a valid frame; skipped (more are counted)');
    this.openErrorWindow();
  }

  private openErrorWindow(): void {
    this.errorWindow = {
      count: 0,
      timer: this.clock.setTimeout(
        `gate:${this.id}:frame-errors`,
        () => this.closeErrorWindow(true),
        this.options.frameErrorLogWindowMs ?? 60_000,
      ),
    };
  }

  private closeErrorWindow(again: boolean): void {
    const window = this.errorWindow;
    if (!window) return;
    window.timer.cancel();
    this.errorWindow = undefined;
    if (window.count === 0) return;
    this.logger.info({ frameErrors: window.count }, 'more bytes from the gate were not valid frames');
    if (again) this.openErrorWindow();
  }

  /** The gate's notification connection ended: alarms may be lost until it speaks again, unless it resends them (ACK mode). */
  private noteQuiet(): void {
    if (this.options.ack === true || this.lastFrameAt === undefined) return;
    this.quietSince ??= this.lastFrameAt;
  }

  private heard(): void {
    if (this.quietSince !== undefined) {
      this.missedAlarms = { from: this.quietSince, to: this.clock.now() };
      this.quietSince = undefined;
      this.logger.warn(
        { from: isoTime(this.missedAlarms.from), to: isoTime(this.missedAlarms.to) },
        'gate notification link back: alarms the gate sent while it was down may be lost (ACK mode is off)',
      );
    }
    this.lastFrameAt = this.clock.now();
    this.lastFrameMono = this.clock.monotonic();
    this.setLink('online', null);
    // A watchdog already running looks at the last frame when it fires: no new timer per frame.
    if (!this.watchdog) this.armWatchdog();
  }

  private stopWatchdog(): void {
    this.watchdog?.cancel();
    this.watchdog = undefined;
  }

  private armWatchdog(waitMs = this.options.keepAliveTimeoutMs): void {
    this.stopWatchdog();
    if (this.options.keepAliveTimeoutMs <= 0 || this.disconnecting) return;
    this.watchdog = this.clock.setTimeout(`gate:${this.id}:keepalive`, () => this.onWatchdog(), waitMs);
  }

  /** The watchdog's time is up: silent since the last frame for the whole timeout, or wait out the rest. */
  private onWatchdog(): void {
    this.watchdog = undefined;
    const timeout = this.options.keepAliveTimeoutMs;
    const silentFor = this.clock.monotonic() - this.lastFrameMono;
    if (this.link === 'online' && silentFor >= 0 && silentFor < timeout)
      this.armWatchdog(timeout - silentFor);
    else this.onSilent();
  }

  private onSilent(): void {
    this.watchdog = undefined;
    const seconds = Math.round(this.options.keepAliveTimeoutMs / 100) / 10;
    this.logger.warn(
      { seconds },
      'gate silent: no keep-alive or notification in time (its connection is kept, to take what it sends next)',
    );
    this.setLink('offline', `no keep-alive from the gate for ${seconds} s`);
    // The connection stays open: a gate that has not noticed anything sends its next alarm on it,
    // and closing it would lose that alarm. A new connection from the gate replaces it.
  }

  private setLink(state: NotificationLinkState, reason: string | null): void {
    // Every frame says "online": the status and reason only move when these do (no condition built per frame).
    const same = state === this.link && (reason === null || reason === this.linkReason);
    if (same && this.lastCondition !== '') return;
    this.link = state;
    if (reason) this.linkReason = reason;
    this.checkCondition();
  }

  private onCommandLinkClosed(error: Error | undefined): void {
    if (!this.connected || this.disconnecting) return;
    this.connected = false;
    this.stopWatchdog();
    const lost = this.commandsLost ?? (error ? inWords(error) : undefined);
    if (lost) {
      // The words for staff, and the transport's own (its address, "peer closed") for IT.
      this.logger.warn(
        { err: describeError(lost), transport: error ? describeError(error) : null },
        'gate command link lost',
      );
      this.emit('disconnected', lost);
    }
  }

  private requireCommands(): GateCommandLink {
    if (!this.commands)
      throw new GateError('gate_no_command_link', `gate ${this.id} has no command port configured`);
    if (!this.connected) throw new GateError('gate_not_connected', `gate ${this.id} is not connected`);
    return this.commands;
  }

  /** Runs a command; one more without a reply than the link may go is the gate gone (closed, disconnected). */
  private async command<T>(run: (commands: GateCommandLink) => Promise<T>): Promise<T> {
    const commands = this.requireCommands();
    try {
      return await run(commands);
    } catch (failure) {
      const error = inWords(failure);
      const missed = commands.unansweredInARow;
      if (missed >= UNANSWERED_COMMANDS_LOST && this.connected && !this.commandsLost) {
        this.commandsLost = new GateError(
          'gate_not_answering',
          `the gate is not answering: ${missed} commands in a row without a reply (is its network cable or power off?)`,
        );
        // Closed before the caller hears: the link is lost (disconnected, in words) by then.
        await commands.transport.close().catch(() => {});
      }
      throw error;
    }
  }

  private noteCounts(counts: PeopleCounts, reset: boolean): void {
    this.counts = counts;
    this.publish('counter', { in: counts.in, out: counts.out, reset, time: this.now() });
  }

  private publish<K extends GateEventType>(type: K, data: GateEvents[K]): void {
    this.emit('event', type, data);
  }

  private checkCondition(): void {
    const next = this.condition();
    const key = JSON.stringify({ s: next.status, r: next.reason, e: next.lastError?.message });
    if (key === this.lastCondition) return;
    this.lastCondition = key;
    this.emit('condition', next);
  }

  private now(): string {
    return isoTime(this.clock.now());
  }
}

function toAlarm(state: { on: boolean; loops: number }): { on: boolean; loops: number } {
  return { on: state.on, loops: state.loops };
}
