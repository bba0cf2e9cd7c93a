/**
 * The notification listeners of one desk's gates. Every gate of a library is usually set up alike,
 * notifying the desk machine on one port (its CFG49 DEST-PORT; `listen.port` 10010 unless told
 * otherwise): gates told to listen on the same host and port share one listener, each taking the
 * connections from its own address. A listener on port 0 (a free port of the system's choosing)
 * is a gate's own. The listener stops when the last gate using it lets it go.
 */
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import { NotificationListener } from '../../../devices/gate/index.js';
import { TcpListener } from '../../../devices/transport/tcp-listener.js';
import type { EventBus } from '../../event-bus.js';

interface SharedListener {
  listener: NotificationListener;
  users: number;
}

/** Each desk's shared listeners, by `host:port` (a desk is known by its event bus). */
const listenersByDesk = new WeakMap<EventBus, Map<string, SharedListener>>();

export interface HeldListener {
  listener: NotificationListener;
  /** This gate no longer uses it; stopped once no gate does. */
  release(): Promise<void>;
}

export function holdNotificationListener(
  desk: { bus: EventBus; clock: Clock; logger: Logger },
  listen: { host: string; port: number },
): HeldListener {
  const make = () =>
    new NotificationListener({
      listener: new TcpListener({ host: listen.host, port: listen.port }),
      clock: desk.clock,
      logger: desk.logger,
    });
  if (listen.port === 0) {
    const listener = make();
    return { listener, release: () => listener.stop() };
  }
  let listeners = listenersByDesk.get(desk.bus);
  if (!listeners) {
    listeners = new Map();
    listenersByDesk.set(desk.bus, listeners);
  }
  const key = `${listen.host}:${listen.port}`;
  let shared = listeners.get(key);
  if (!shared) {
    shared = { listener: make(), users: 0 };
    listeners.set(key, shared);
  }
  shared.users++;
  const held = shared;
  let released = false;
  return {
    listener: held.listener,
    async release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0) return;
      if (listeners.get(key) === held) listeners.delete(key);
      await held.listener.stop();
    },
  };
}
