import { EventEmitter } from 'node:events';
import type { DeviceCondition, DeviceDriver } from '../../devices/device.js';

/**
 * A driver as its supervisor sees it: the driver itself, with what the family's entry keeps
 * about the device (a gate's visitor counts and last alarm, a cash box's fill) added to its
 * condition's detail, so it is in the device's health record — `GET /api/v1/devices`, the
 * retained MQTT state `devices/<id>/state`, the WebSocket's `device.state` — and moves there
 * whenever the entry says it moved (`keptChanged()`), not only when the driver's own status does.
 * `kept` is read on every read of the record: it returns what the entry holds, it does not
 * compute it.
 */
export class DetailedDriver extends EventEmitter implements DeviceDriver {
  constructor(
    private readonly driver: DeviceDriver,
    private readonly kept: () => Readonly<Record<string, unknown>>,
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
    return { ...condition, detail: { ...condition.detail, ...this.kept() } };
  }

  /** What the entry keeps moved: the health record is published again with it. */
  keptChanged(): void {
    this.emit('condition', this.condition());
  }
}
