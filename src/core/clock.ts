/**
 * Every timer in Carrel goes through a Clock so tests can drive time by hand.
 * Timers carry a name: when a test or a heap snapshot shows a pending timer, the
 * name says whose it is.
 */
export interface TimerHandle {
  readonly name: string;
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations. */
  monotonic(): number;
  setTimeout(name: string, callback: () => void, ms: number): TimerHandle;
  setInterval(name: string, callback: () => void, ms: number): TimerHandle;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

class NodeTimer implements TimerHandle {
  constructor(
    readonly name: string,
    private readonly handle: NodeJS.Timeout,
    private readonly repeating: boolean,
  ) {}
  cancel(): void {
    if (this.repeating) clearInterval(this.handle);
    else clearTimeout(this.handle);
  }
}

/** The real clock. Timers are unref'd: a pending timer never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(name, callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return new NodeTimer(name, handle, false);
  },
  setInterval(name, callback, ms) {
    const handle = setInterval(callback, ms);
    handle.unref();
    return new NodeTimer(name, handle, true);
  },
  sleep(ms, signal) {
    return sleepWith(this, ms, signal);
  },
};

/**
 * `work`, or the error `onTimeout()` makes if `work` has not settled within `ms`
 * on `clock` (a named timer, cancelled as soon as `work` settles). `work` itself
 * is not cancelled: callers that can stop it do so when this rejects.
 */
export function withDeadline<T>(
  clock: Clock,
  name: string,
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(name, () => reject(onTimeout()), ms);
    work.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(
      'sleep',
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface ManualTimer {
  id: number;
  name: string;
  due: number;
  interval: number | undefined;
  callback: () => void;
}

/**
 * A clock that moves only when a test calls `advance`; `stepWallClock` sets the wall clock
 * apart from the monotonic one, as NTP stepping the system time does.
 */
export class ManualClock implements Clock {
  private current: number;
  /** How far the wall clock was stepped from the monotonic one. */
  private wallStep = 0;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current + this.wallStep;
  }

  monotonic(): number {
    return this.current;
  }

  setTimeout(name: string, callback: () => void, ms: number): TimerHandle {
    return this.add(name, callback, ms, undefined);
  }

  setInterval(name: string, callback: () => void, ms: number): TimerHandle {
    return this.add(name, callback, ms, Math.max(1, ms));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /**
   * Steps the wall clock (`now()`) by `ms`, back when negative, as NTP correcting the system
   * time does: monotonic time and the timers, which run on it, do not move.
   */
  stepWallClock(ms: number): void {
    this.wallStep += ms;
  }

  /** Names of the timers still pending, for assertions about cleanup. */
  pending(): string[] {
    return [...this.timers.values()].map((t) => t.name);
  }

  /** Moves time forward, firing due timers in order; awaits microtasks between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers.values()].sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next || next.due > target) break;
      this.current = next.due;
      if (next.interval === undefined) this.timers.delete(next.id);
      else next.due += next.interval;
      next.callback();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private add(name: string, callback: () => void, ms: number, interval: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, name, due: this.current + Math.max(0, ms), interval, callback });
    return { name, cancel: () => this.timers.delete(id) };
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
