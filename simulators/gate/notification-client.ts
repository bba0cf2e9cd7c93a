/**
 * The simulated gate's notification channel (FEIG CFG49): the gate connects OUT to the host
 * and keeps trying with a growing pause when it cannot; pushes a keep-alive every
 * `keepAliveMs`; buffers notifications while it has no connection (up to `bufferSize`, oldest
 * dropped first, as a reader's data buffer); in ACK mode holds each notification until the host
 * answers `[0x32]`, sending it again after `ackTimeoutMs`.
 */
import net from 'node:net';
import type { Clock, TimerHandle } from '../../src/core/clock.js';
import {
  encodeFeigFrame,
  FEIG_GATE_COMMAND,
  type FeigFrame,
  FeigFrameParser,
  type FeigNotification,
  keepAliveFrame,
  notificationFrame,
} from '../../src/protocols/feig/index.js';

/** Where the gate dials: Carrel's notification listener; undefined while it is not listening yet. */
export type NotificationTarget = () => { host: string; port: number } | undefined;

export interface NotificationClientOptions {
  target: NotificationTarget;
  /** Connect from this address (a gate "at" 127.0.0.2 on one machine). */
  localAddress?: string;
  /** COM-ADR the gate sends from. */
  address: number;
  keepAliveMs: number;
  ack: boolean;
  ackTimeoutMs: number;
  bufferSize: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  clock: Clock;
}

export interface ChannelFaults {
  unplugged: boolean;
  garbledFrames: boolean;
  keepAlivesStop: boolean;
}

export type ChannelState = 'connected' | 'connecting' | 'waiting' | 'unplugged' | 'stopped';

export class NotificationClient {
  private socket: net.Socket | undefined;
  private state: ChannelState = 'waiting';
  private retryTimer: TimerHandle | undefined;
  private keepAliveTimer: TimerHandle | undefined;
  private ackTimer: TimerHandle | undefined;
  private delayMs: number;
  private readonly queue: FeigNotification[] = [];
  /** The notification sent and waiting for its [0x32] (ACK mode). */
  private awaitingAck: FeigNotification | undefined;
  private lastError: string | null = null;
  readonly sent = { notifications: 0, keepAlives: 0, garbled: 0, resent: 0, dropped: 0 };
  acks = 0;
  connects = 0;

  constructor(
    private readonly options: NotificationClientOptions,
    private readonly faults: () => ChannelFaults,
  ) {
    this.delayMs = options.reconnectMinMs;
  }

  start(): void {
    if (this.state === 'stopped') return;
    this.connect();
  }

  stop(): void {
    this.state = 'stopped';
    this.clearTimers();
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** Unplugged: the connection drops and the gate stops dialling until plugged in again. */
  applyFaults(): void {
    const { unplugged } = this.faults();
    if (unplugged && this.state !== 'unplugged' && this.state !== 'stopped') {
      this.state = 'unplugged';
      this.clearTimers();
      this.socket?.destroy();
      this.socket = undefined;
    } else if (!unplugged && this.state === 'unplugged') {
      this.state = 'waiting';
      this.delayMs = this.options.reconnectMinMs;
      this.connect();
    }
  }

  notify(notification: FeigNotification): void {
    this.queue.push(notification);
    while (this.queue.length > this.options.bufferSize) {
      this.queue.shift();
      this.sent.dropped++;
    }
    this.flush();
  }

  snapshot() {
    return {
      state: this.state,
      target: describeTarget(this.options.target()),
      localAddress: this.options.localAddress ?? null,
      connects: this.connects,
      lastError: this.lastError,
      ack: this.options.ack,
      acks: this.acks,
      queued: this.queue.length,
      awaitingAck: this.awaitingAck !== undefined,
      framesSent: { ...this.sent },
    };
  }

  private connect(): void {
    if (this.state === 'stopped' || this.state === 'unplugged' || this.socket) return;
    const target = this.options.target();
    if (!target) {
      // Carrel's listener is not up yet (a desk starting): try again shortly, as a gate would.
      this.state = 'waiting';
      this.lastError = 'the host is not listening yet';
      this.retryTimer = this.options.clock.setTimeout(
        'gate-sim reconnect',
        () => this.connect(),
        this.options.reconnectMinMs,
      );
      return;
    }
    this.state = 'connecting';
    const socket = net.connect({
      host: target.host,
      port: target.port,
      ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
    });
    this.socket = socket;
    const parser = new FeigFrameParser();
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.state = 'connected';
      this.connects++;
      this.lastError = null;
      this.delayMs = this.options.reconnectMinMs;
      this.scheduleKeepAlive();
      // What was waiting for its acknowledgement goes again on the new connection.
      if (this.awaitingAck) this.queue.unshift(this.awaitingAck);
      this.awaitingAck = undefined;
      this.flush();
    });
    socket.on('data', (chunk) => {
      for (const item of parser.push(chunk))
        if (item.ok && item.frame.command === FEIG_GATE_COMMAND.clearBuffer) this.onAck();
    });
    socket.on('error', (error) => {
      this.lastError = error.message;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.keepAliveTimer?.cancel();
      this.ackTimer?.cancel();
      if (this.state === 'stopped' || this.state === 'unplugged') return;
      this.state = 'waiting';
      this.retryTimer = this.options.clock.setTimeout(
        'gate-sim reconnect',
        () => this.connect(),
        this.delayMs,
      );
      this.delayMs = Math.min(this.options.reconnectMaxMs, this.delayMs * 2);
    });
  }

  private flush(): void {
    if (this.state !== 'connected') return;
    if (this.options.ack) {
      if (this.awaitingAck) return;
      const next = this.queue.shift();
      if (!next) return;
      this.awaitingAck = next;
      this.send(notificationFrame(next, this.options.address));
      this.sent.notifications++;
      this.armAckTimer();
      return;
    }
    for (const next of this.queue.splice(0)) {
      this.send(notificationFrame(next, this.options.address));
      this.sent.notifications++;
    }
  }

  private onAck(): void {
    this.acks++;
    if (!this.awaitingAck) return;
    this.awaitingAck = undefined;
    this.ackTimer?.cancel();
    this.flush();
  }

  private armAckTimer(): void {
    this.ackTimer?.cancel();
    this.ackTimer = this.options.clock.setTimeout(
      'gate-sim ack',
      () => {
        if (!this.awaitingAck || this.state !== 'connected') return;
        this.send(notificationFrame(this.awaitingAck, this.options.address));
        this.sent.resent++;
        this.armAckTimer();
      },
      this.options.ackTimeoutMs,
    );
  }

  private scheduleKeepAlive(): void {
    this.keepAliveTimer?.cancel();
    if (this.options.keepAliveMs <= 0) return;
    this.keepAliveTimer = this.options.clock.setTimeout(
      'gate-sim keep-alive',
      () => {
        if (this.state !== 'connected') return;
        if (!this.faults().keepAlivesStop) {
          this.send(keepAliveFrame({ status: 0, diagnostic: 0 }, this.options.address));
          this.sent.keepAlives++;
        }
        this.scheduleKeepAlive();
      },
      this.options.keepAliveMs,
    );
  }

  private send(frame: FeigFrame): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    let bytes = encodeFeigFrame(frame);
    if (this.faults().garbledFrames) {
      // A noisy line: a few stray bytes, then the frame with one byte hit (its CRC fails).
      const hit = Uint8Array.from(bytes);
      const at = 5 + (this.sent.garbled % Math.max(1, hit.length - 7));
      hit[at] = hit[at]! ^ 0x5a;
      bytes = Uint8Array.from([0x00, 0xff, 0x13, ...hit]);
      this.sent.garbled++;
    }
    socket.write(bytes);
  }

  private clearTimers(): void {
    this.retryTimer?.cancel();
    this.keepAliveTimer?.cancel();
    this.ackTimer?.cancel();
    this.retryTimer = undefined;
  }
}

function describeTarget(target: { host: string; port: number } | undefined): string | null {
  return target ? `${target.host}:${target.port}` : null;
}
