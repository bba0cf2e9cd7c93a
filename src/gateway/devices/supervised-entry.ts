import type { DeviceState } from '../../devices/device-state.js';
import type { DeviceEntry, FamilyContext } from '../family.js';
import { type DeviceSupervisor, notStartedState } from './supervisor.js';

/**
 * What every family's running device shares: its id and kind from its config, and its
 * health from the supervisor that keeps its driver connected (offline, "not started",
 * until `start` has made one). A family's entry extends it and adds its port, start and stop.
 */
export abstract class SupervisedEntry<Port, Config extends { id: string; kind: string }>
  implements DeviceEntry<Port>
{
  abstract readonly port: Port;
  protected supervisor: DeviceSupervisor | undefined;

  constructor(
    protected readonly config: Config,
    protected readonly context: FamilyContext,
  ) {}

  get id(): string {
    return this.config.id;
  }

  get kind(): string {
    return this.config.kind;
  }

  state(): DeviceState {
    return this.supervisor?.state() ?? notStartedState(this.id, this.kind, this.context.clock.now());
  }

  /** Drops the device's link and connects again now (see DeviceSupervisor.reconnect). */
  async reconnect(): Promise<void> {
    await this.supervisor?.reconnect();
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
}
