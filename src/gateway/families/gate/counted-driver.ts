import { EventEmitter } from 'node:events';
import type { DeviceCondition, DeviceDriver } from '../../../devices/device.js';
import type { VisitorSnapshot } from './visitors.js';

/**
 * A gate driver as its supervisor sees it: the driver itself, with the visitor counts Carrel
 * keeps put into its condition's detail (`detail.visitors`), so they are in the gate's health
 * record — and so in the retained MQTT state `devices/<id>/state` and the WebSocket's
 * `device.state` — and move there whenever the counts move (`visitorsChanged()`), not only when
 * the gate's own status does.
 */
export class CountedGateDriver extends EventEmitter implements DeviceDriver {
  constructor(
    private readonly driver: DeviceDriver,
    private readonly visitors: () => VisitorSnapshot | undefined,
  ) {
    super();
    driver.on('disconnected', (error) => this.emit('disconnected', error));
    driver.on('condition', () => this.emit('condition', this.condition()));
    driver.on('event', (type, data) => this.emit('event', type, data));
  }

  get id(): string {
    return this.driver.id;
  }

  get kind(): string {
    return this.driver.kind;
  }

  connect(): Promise<void> {
    return this.driver.connect();
  }

  disconnect(): Promise<void> {
    return this.driver.disconnect();
  }

  condition(): DeviceCondition {
    const condition = this.driver.condition();
    const visitors = this.visitors();
    return visitors ? { ...condition, detail: { ...condition.detail, visitors } } : condition;
  }

  /** The counts moved: the health record is published again with them. */
  visitorsChanged(): void {
    this.emit('condition', this.condition());
  }
}
