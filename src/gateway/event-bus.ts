import type { DeviceEvent, DeviceState } from '../devices/device-state.js';
import type { DeskTotals } from './desk-totals.js';

/** Every event that travels inside the gateway, by name. */
export interface BusEvents {
  /** A device's health record changed. */
  'device.state': DeviceState;
  /** A device reported something (paper out, tag arrived, job printed…). */
  'device.event': DeviceEvent;
  /** The gateway as a whole changed state. */
  'gateway.state': { status: 'starting' | 'ready' | 'stopping' };
  /**
   * The offline journal wrote (a transaction taken, replayed, settled, retried, discarded or purged):
   * said once its transaction is over, nothing in it; whoever counts the journal reads it again.
   */
  'offline.changed': undefined;
  /**
   * A row a desk statistic counts was written (the circulation counts of the last second, a print
   * release charged, settled or refunded): nothing in it; whoever shows the recent days reads them again.
   */
  'statistics.changed': undefined;
  /** The desk's day in numbers (alarms, visitors, offline backlog) changed; counts only. */
  'desk.totals': DeskTotals;
}

type Listener<T> = (payload: T) => void;

interface Registration {
  owner: object;
  listener: Listener<never>;
  edge: boolean;
}

/** How a listener is registered. */
export interface ListenOptions {
  /**
   * The API edge (a WebSocket, MQTT): it hands the event to a client and runs before the
   * gateway's own listeners (statistics, totals, sessions), in the order the edge listeners
   * were added. A client then hears an event before any event a gateway listener emits in
   * answer to it, and without waiting for the bookkeeping.
   */
  edge?: boolean;
}

/**
 * A typed, synchronous event bus. Listeners are registered with an owner so a
 * feature's `stop()` can remove everything it added with one call. A listener
 * that throws is reported to `onListenerError` and never breaks the emitter.
 */
export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, readonly Registration[]>();

  constructor(private readonly onListenerError: (error: unknown, event: string) => void = () => {}) {}

  on<K extends keyof BusEvents>(
    event: K,
    owner: object,
    listener: Listener<BusEvents[K]>,
    options: ListenOptions = {},
  ): void {
    // A new list, never the one an emit may be walking: a listener added meanwhile waits for the next event.
    const list = this.listeners.get(event) ?? [];
    const registration = { owner, listener: listener as Listener<never>, edge: options.edge === true };
    // Edge listeners first, each group in the order it was added.
    const at = registration.edge ? list.findIndex((r) => !r.edge) : -1;
    this.listeners.set(
      event,
      at === -1 ? [...list, registration] : [...list.slice(0, at), registration, ...list.slice(at)],
    );
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    // Lists are replaced, not changed, so this one stays as it was for the whole emit (no copy per event).
    const list = this.listeners.get(event);
    if (!list) return;
    for (const { listener } of list) {
      try {
        (listener as Listener<BusEvents[K]>)(payload);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  removeAllListenersOf(owner: object): void {
    for (const [event, list] of this.listeners) {
      const kept = list.filter((r) => r.owner !== owner);
      if (kept.length === 0) this.listeners.delete(event);
      else this.listeners.set(event, kept);
    }
  }

  listenerCount(event?: keyof BusEvents): number {
    if (event) return this.listeners.get(event)?.length ?? 0;
    let total = 0;
    for (const list of this.listeners.values()) total += list.length;
    return total;
  }
}
