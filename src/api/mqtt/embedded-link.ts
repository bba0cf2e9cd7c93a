import { TransportError } from '../../core/errors.js';
import type { LocalBroker } from './embedded-broker.js';
import {
  type LinkEvent,
  LinkListeners,
  type LinkMessage,
  type LinkPublishOptions,
  type MqttLink,
} from './link.js';

/**
 * A link to the embedded broker in this process: publishes and subscribes
 * straight on aedes. No socket, no MQTT client library, no CONNECT and no last
 * will — the broker lives and dies with this process, and its network clients
 * see it go. MQTT 3.1.1 only (aedes), so no MQTT 5 properties.
 */
export class EmbeddedLink implements MqttLink {
  readonly where = 'the embedded broker (in process)';
  readonly carriesProperties = false;
  /** The embedded broker clears a request's retain flag: it never keeps one. */
  readonly keepsRetainedRequests = false;
  private readonly listeners = new LinkListeners();
  private readonly unsubscribes: Array<() => Promise<void>> = [];
  private opened = false;
  private ended = false;
  private detachClosed: (() => void) | undefined;

  constructor(private readonly broker: LocalBroker) {}

  get connected(): boolean {
    return this.opened && !this.ended && !this.broker.closed;
  }

  get lastError(): string | undefined {
    return this.opened && !this.ended && this.broker.closed ? 'the embedded broker is closed' : undefined;
  }

  on(event: LinkEvent, listener: () => void): void {
    this.listeners.add(event, listener);
  }

  async open(): Promise<void> {
    if (this.opened) throw new Error('EmbeddedLink is opened once');
    if (this.broker.closed) {
      throw new TransportError('mqtt_connect_failed', 'could not use the embedded MQTT broker: it is closed');
    }
    this.opened = true;
    this.detachClosed = this.broker.onClosed(() => {
      if (!this.ended) this.listeners.emit('offline');
    });
    this.listeners.emit('connect');
  }

  async publish(topic: string, payload: string | Buffer, options: LinkPublishOptions): Promise<void> {
    if (!this.connected) throw new TransportError('mqtt_offline', 'the embedded MQTT broker is closed');
    await this.broker.publish({
      topic,
      payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
      qos: options.qos,
      retain: options.retain,
    });
  }

  async subscribe(filter: string, onMessage: (message: LinkMessage) => void): Promise<void> {
    if (!this.connected) throw new TransportError('mqtt_offline', 'the embedded MQTT broker is closed');
    const unsubscribe = await this.broker.subscribe(filter, (message) => {
      if (this.connected) onMessage(message);
    });
    this.unsubscribes.push(unsubscribe);
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.detachClosed?.();
    await Promise.all(this.unsubscribes.splice(0).map((unsubscribe) => unsubscribe()));
  }

  destroy(): Promise<void> {
    return this.end();
  }
}
