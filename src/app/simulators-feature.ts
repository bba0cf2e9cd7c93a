import type {
  AnySimulatorFamily,
  RunningSimulator,
  SimulatorDesk,
  SimulatorHandleOf,
} from '../../simulators/common/family.js';
import type { Logger } from '../core/logger.js';
import type { Feature } from '../gateway/feature.js';
import type { SimulatorConfig } from './config.js';

/**
 * The in-process simulators of the simulated desk, each started by its kind's
 * descriptor (its module loaded only when configured). They start before the
 * devices, so a device whose transport is `{ type: simulator }` finds the
 * simulator's real address (port 0 in the config picks a free one).
 */
export class SimulatorsFeature implements Feature {
  readonly name = 'simulators';
  private readonly running = new Map<string, RunningSimulator>();
  private readonly kinds: ReadonlyMap<string, AnySimulatorFamily>;

  constructor(
    private readonly configs: readonly SimulatorConfig[],
    kinds: readonly AnySimulatorFamily[],
    private readonly logger: Logger,
    private readonly desk: SimulatorDesk = { listening: () => undefined },
  ) {
    this.kinds = new Map(kinds.map((kind) => [kind.kind, kind]));
  }

  async start(): Promise<void> {
    try {
      for (const config of this.configs) {
        const kind = this.kinds.get(config.kind);
        if (!kind) throw new Error(`no simulator of kind "${config.kind}" in this build`);
        const desk: SimulatorDesk = {
          listening: (id) => this.desk.listening(id),
          simulator: (id) => this.running.get(id),
          ...(this.desk.device ? { device: this.desk.device } : {}),
        };
        this.running.set(config.id, await kind.start(config, this.logger, desk));
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((sim) => sim.close()));
    this.running.clear();
  }

  /** The TCP address a device reaches the simulator on. */
  address(id: string): { host: string; port: number } {
    const sim = this.running.get(id);
    if (!sim) throw new Error(`simulator "${id}" is not running`);
    return { host: sim.host, port: sim.port };
  }

  /** The running simulator of that kind with that id, for tests and demos that act on it. */
  handle<S extends AnySimulatorFamily>(kind: S, id: string): SimulatorHandleOf<S> | undefined {
    const sim = this.running.get(id);
    return sim?.kind === kind.kind ? (sim.handle as SimulatorHandleOf<S>) : undefined;
  }

  describe(): Array<{ id: string; kind: string; url: string; detail: string }> {
    return [...this.running.values()].map(({ id, kind, url, detail }) => ({ id, kind, url, detail }));
  }
}
