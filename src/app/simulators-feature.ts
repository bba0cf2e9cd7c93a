import type {
  AnySimulatorFamily,
  RunningSimulator,
  SimulatorDesk,
  SimulatorHandleOf,
} from '../../simulators/common/family.js';
import { CarrelError, describeError } from '../core/errors.js';
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
  /** Starting the ones not running (start or startMissing), one run at a time. */
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly configs: readonly SimulatorConfig[],
    kinds: readonly AnySimulatorFamily[],
    private readonly logger: Logger,
    private readonly desk: SimulatorDesk = { listening: () => undefined },
  ) {
    this.kinds = new Map(kinds.map((kind) => [kind.kind, kind]));
  }

  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.startMissing();
    } catch (error) {
      await this.stop();
      this.stopped = false;
      throw error;
    }
  }

  /**
   * Starts, in order, each configured simulator that is not running — all of them again after one
   * could not listen at start (its port held by another program for a while) — so that a device
   * that could not start without it can, when the devices try again. Rejects with the first that
   * still cannot start; the ones started stay running. Nothing after stop().
   */
  startMissing(): Promise<void> {
    this.starting ??= this.startEach().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startEach(): Promise<void> {
    for (const config of this.configs) {
      if (this.stopped) return;
      if (this.running.has(config.id)) continue;
      const kind = this.kinds.get(config.kind);
      if (!kind) throw new Error(`no simulator of kind "${config.kind}" in this build`);
      const desk: SimulatorDesk = {
        listening: (id) => this.desk.listening(id),
        simulator: (id) => this.running.get(id),
        ...(this.desk.device ? { device: this.desk.device } : {}),
      };
      const started = await kind.start(config, this.logger, desk).catch((error: unknown) => {
        const described = describeError(error);
        throw new CarrelError(described.code, `simulator "${config.id}" cannot start: ${described.message}`, {
          cause: error,
        });
      });
      // Stopped while it started: it is not left running.
      if (this.stopped) await started.close();
      else this.running.set(config.id, started);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => {});
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
