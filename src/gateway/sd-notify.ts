import { createRequire } from 'node:module';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { nativeModuleMissing } from '../core/native.js';

/**
 * systemd's notify protocol (sd_notify(3)): datagrams such as `READY=1` sent to the
 * AF_UNIX socket named by NOTIFY_SOCKET. Node's dgram has no AF_UNIX, so the native
 * `unix-dgram` package is loaded — only when NOTIFY_SOCKET is set, and if it cannot be
 * loaded Carrel logs one line and runs on without notify.
 *
 */

export type NotifyLogger = Pick<Logger, 'warn' | 'debug'>;

/** What the notifier needs from a datagram socket; `unix-dgram`'s Socket has this shape. */
export interface NotifyDatagramSocket {
  on(event: 'error', listener: (error: Error) => void): unknown;
  send(buffer: Buffer, offset: number, length: number, path: string, callback: (error?: Error) => void): void;
  close(): void;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): NotifyDatagramSocket;
}

/** Opens a socket for one message; injectable for tests that need a failing socket. */
export type NotifySocketFactory = () => NotifyDatagramSocket;

/**
 * The address a NOTIFY_SOCKET value names. `@name` is an abstract socket, whose address
 * starts with a NUL byte; anything else is a filesystem path.
 */
export function notifySocketAddress(value: string): { address: string; abstract: boolean } {
  if (value.startsWith('@')) return { address: `\0${value.slice(1)}`, abstract: true };
  return { address: value, abstract: false };
}

/**
 * The watchdog ping interval systemd asks for: half of WATCHDOG_USEC, in milliseconds.
 * Undefined when there is no watchdog, or when WATCHDOG_PID names another process.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

function loadUnixDgram(): NotifySocketFactory {
  // Loaded lazily: a desk without systemd never touches the native module.
  const require = createRequire(import.meta.url);
  const unixDgram = require('unix-dgram') as UnixDgramModule;
  return () => unixDgram.createSocket('unix_dgram');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!;
}

export interface SystemdNotifierOptions {
  /** Opens the socket; defaults to `unix-dgram`, loaded on first use. */
  socketFactory?: NotifySocketFactory;
  /** The process id compared with WATCHDOG_PID. */
  pid?: number;
}

export class SystemdNotifier {
  private watchdogTimer: TimerHandle | undefined;
  private closed = false;
  private sendFailed = false;

  private constructor(
    private readonly address: string | undefined,
    private readonly openSocket: NotifySocketFactory | undefined,
    private readonly clock: Clock,
    private readonly logger: NotifyLogger,
    /** Half of WATCHDOG_USEC, or undefined when systemd runs no watchdog for us. */
    readonly watchdogIntervalMs: number | undefined,
  ) {}

  /**
   * The notifier for this process: a no-op when NOTIFY_SOCKET is unset (not run by
   * systemd, or Type= is not notify), or when the socket module cannot be loaded.
   */
  static fromEnv(
    env: NodeJS.ProcessEnv,
    clock: Clock,
    logger: NotifyLogger,
    options: SystemdNotifierOptions = {},
  ): SystemdNotifier {
    const socketValue = env.NOTIFY_SOCKET;
    if (!socketValue) return new SystemdNotifier(undefined, undefined, clock, logger, undefined);
    const { address, abstract } = notifySocketAddress(socketValue);
    const interval = watchdogIntervalMs(env, options.pid ?? process.pid);
    if (options.socketFactory) {
      return new SystemdNotifier(address, options.socketFactory, clock, logger, interval);
    }
    if (abstract) {
      // unix-dgram copies the path with strncpy and passes sizeof(sockaddr_un) as the address
      // length, so it cannot reach an abstract address: a message would go to the wrong socket.
      logger.warn(
        { notifySocket: socketValue },
        'systemd notify disabled: NOTIFY_SOCKET is an abstract socket, which unix-dgram cannot address',
      );
      return new SystemdNotifier(undefined, undefined, clock, logger, undefined);
    }
    try {
      return new SystemdNotifier(address, loadUnixDgram(), clock, logger, interval);
    } catch (error) {
      const problem = nativeModuleMissing('unix-dgram', 'systemd notify', error);
      logger.warn(`systemd notify disabled: ${problem.message}`);
      return new SystemdNotifier(undefined, undefined, clock, logger, undefined);
    }
  }

  /** A notifier that sends nothing, for tests and embedding. */
  static disabled(clock: Clock, logger: NotifyLogger): SystemdNotifier {
    return new SystemdNotifier(undefined, undefined, clock, logger, undefined);
  }

  /** True when messages actually go to systemd. */
  get enabled(): boolean {
    return this.address !== undefined && this.openSocket !== undefined && !this.closed;
  }

  /** Start-up is complete: devices configured, APIs listening. */
  ready(): void {
    this.send('READY=1');
  }

  /** Shutdown has begun; systemd waits up to TimeoutStopSec. */
  stopping(): void {
    this.send('STOPPING=1');
  }

  /** One line shown by `systemctl status carrel`, e.g. "3 devices online, ILS reachable". */
  status(text: string): void {
    this.send(`STATUS=${text.replace(/[\r\n]+/g, ' ')}`);
  }

  /**
   * Pings the watchdog at half of WatchdogSec while the event loop keeps turning. Does
   * nothing when systemd set no watchdog for this process. Returns whether it started.
   */
  startWatchdog(): boolean {
    if (!this.enabled || this.watchdogIntervalMs === undefined) return false;
    this.watchdogTimer?.cancel();
    this.watchdogTimer = this.clock.setInterval(
      'systemd-watchdog',
      () => this.send('WATCHDOG=1'),
      this.watchdogIntervalMs,
    );
    return true;
  }

  stopWatchdog(): void {
    this.watchdogTimer?.cancel();
    this.watchdogTimer = undefined;
  }

  /** Stops the watchdog; later calls send nothing. */
  close(): void {
    this.stopWatchdog();
    this.closed = true;
  }

  private send(message: string): void {
    if (!this.enabled) return;
    // One socket per message: nothing stays open to hold the event loop, and a send is rare
    // (every few seconds at most). unix-dgram sends synchronously.
    let socket: NotifyDatagramSocket | undefined;
    try {
      socket = this.openSocket!();
      socket.on('error', (error) => this.reportFailure(message, error));
      const buffer = Buffer.from(message);
      socket.send(buffer, 0, buffer.length, this.address!, (error) => {
        if (error) this.reportFailure(message, error);
      });
    } catch (error) {
      this.reportFailure(message, error);
    } finally {
      try {
        socket?.close();
      } catch {
        // Closing a socket that failed to open has nothing left to release.
      }
    }
  }

  private reportFailure(message: string, error: unknown): void {
    const kind = message.split('=', 1)[0];
    // The first failure is worth a warning; a dead socket would otherwise repeat it every ping.
    if (!this.sendFailed) this.logger.warn(`systemd notify: cannot send ${kind}: ${firstLine(error)}`);
    else this.logger.debug(`systemd notify: cannot send ${kind}: ${firstLine(error)}`);
    this.sendFailed = true;
  }
}
