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
  /** The simulators that could not start when last tried, by id, with why. */
  private readonly failures = new Map<string, CarrelError>();
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
    await this.startMissing();
    // The ones that could listen run on, and their devices start: one simulator whose port another
    // program holds is one device down, not the desk. The feature failed; it recovers (recovered())
    // once the devices' retries have started the rest.
    const [first] = this.failures.values();
    if (first) throw first;
  }

  /**
   * Starts, in order, each configured simulator that is not running — a simulator that could not
   * listen at start (its port held by another program for a while) is tried again — so that a
   * device that could not start without it can, when the devices try again. Resolves once each was
   * tried; the ones that still cannot start are remembered with why (problem(), and address() for
   * the device that needs one). Nothing after stop().
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
      let started: RunningSimulator;
      try {
        started = await this.startOne(config);
      } catch (error) {
        const described = describeError(error);
        this.failures.set(
          config.id,
          new CarrelError(described.code, `simulator "${config.id}" cannot start: ${described.message}`, {
            cause: error,
          }),
        );
        continue;
      }
      // Stopped while it started: it is not left running.
      if (this.stopped) {
        await started.close();
        return;
      }
      this.running.set(config.id, started);
      if (this.failures.delete(config.id))
        this.logger.info({ simulator: config.id }, `simulator ${config.id} started, after it could not`);
    }
  }

  private startOne(config: SimulatorConfig): Promise<RunningSimulator> {
    const kind = this.kinds.get(config.kind);
    if (!kind) throw new Error(`no simulator of kind "${config.kind}" in this build`);
    const desk: SimulatorDesk = {
      listening: (id) => this.desk.listening(id),
      simulator: (id) => this.running.get(id),
      ...(this.desk.device ? { device: this.desk.device } : {}),
    };
    return kind.start(config, this.logger, desk);
  }

  /** Which simulators are not running, and why: read on each /readyz and /metrics scrape. */
  problem(): string | undefined {
    if (this.failures.size === 0) return undefined;
    return [...this.failures.values()].map((failure) => failure.message).join('; ');
  }

  /** Every simulator runs now, those that could not start at first included. */
  recovered(): boolean {
    return !this.stopped && this.failures.size === 0;
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
    // Why it is not: the same words each time its device tries, so that the device's failure streak
    // is one (said once), not "not running" and "cannot start" taking turns.
    const failure = this.failures.get(id);
    if (!sim && failure) throw failure;
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
