import { type Clock, withDeadline } from '../core/clock.js';
import { CarrelError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventBus } from './event-bus.js';
import type { Feature, FeatureReport } from './feature.js';

export interface GatewayOptions {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  features: Feature[];
  /** How long one feature may take to stop before the next is stopped anyway. */
  stopTimeoutMs?: number;
}

/**
 * Owns the lifecycle of every feature: starts them in order, isolates the
 * failures of those that are not essential, stops them in reverse order.
 * Knows nothing about what the features do.
 */
export class Gateway {
  private readonly reports = new Map<string, FeatureReport>();
  private phase: 'idle' | 'starting' | 'ready' | 'stopping' | 'stopped' = 'idle';
  private stopping: Promise<void> | undefined;
  /** The start of the feature starting now, settled either way. */
  private inFlight: Promise<void> | undefined;
  /**
   * The features whose start was called, started or not: each is stopped in its turn, for one
   * that failed partway may hold what it had started (a listener, a link that dials on).
   */
  private readonly asked = new Set<Feature>();
  private readonly log: Logger;

  constructor(private readonly options: GatewayOptions) {
    this.log = options.logger.child({ module: 'gateway' });
    for (const feature of options.features) {
      this.reports.set(feature.name, { name: feature.name, status: 'stopped', error: null });
    }
  }

  get state(): typeof this.phase {
    return this.phase;
  }

  features(): FeatureReport[] {
    const reports: FeatureReport[] = [];
    for (const feature of this.options.features) {
      let report = this.reports.get(feature.name);
      if (!report) continue;
      // Failed at start, since made good by itself (and not stopped since): running, as IT sees it.
      const recovers = report.status === 'failed' && feature.recovered !== undefined;
      if (recovers && this.phase !== 'stopping' && this.phase !== 'stopped' && feature.recovered?.())
        report = { name: feature.name, status: 'running', error: null };
      const problem =
        report.status === 'running' || (recovers && report.status === 'failed')
          ? feature.problem?.()
          : undefined;
      reports.push(problem === undefined ? report : { ...report, problem });
    }
    return reports;
  }

  /** Rejects (with everything started stopped again) when an essential feature fails to start. */
  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`gateway cannot start while ${this.phase}`);
    this.phase = 'starting';
    this.options.bus.emit('gateway.state', { status: 'starting' });
    for (const feature of this.options.features) {
      if (this.phase !== 'starting') return;
      const began = this.options.clock.monotonic();
      this.asked.add(feature);
      const starting = feature.start();
      this.inFlight = starting.then(
        () => {},
        () => {},
      );
      try {
        await starting;
        this.reports.set(feature.name, { name: feature.name, status: 'running', error: null });
        this.log.debug(
          { feature: feature.name, ms: Math.round(this.options.clock.monotonic() - began) },
          'started',
        );
      } catch (error) {
        const described = describeError(error);
        this.reports.set(feature.name, { name: feature.name, status: 'failed', error: described });
        this.log.error(
          { feature: feature.name, code: described.code, essential: feature.essential === true },
          `feature failed to start: ${described.message}`,
        );
        if (feature.essential && this.phase === 'starting') {
          await this.stop();
          throw new CarrelError('start_failed', `${feature.name}: ${described.message}`, { cause: error });
        }
      }
    }
    if (this.phase !== 'starting') return;
    this.phase = 'ready';
    this.options.bus.emit('gateway.state', { status: 'ready' });
  }

  /**
   * Stops, in reverse order, every feature asked to start — running, or failed partway (its stop
   * gives back what it had started) —; safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    this.phase = 'stopping';
    this.options.bus.emit('gateway.state', { status: 'stopping' });
    const timeoutMs = this.options.stopTimeoutMs ?? 10_000;
    // Asked to stop while a feature is starting (SIGTERM during start): let it finish starting, so
    // that it is stopped in its turn below rather than left running with nothing to stop it.
    if (this.inFlight) {
      await withDeadline(this.options.clock, 'stop:starting', this.inFlight, timeoutMs, () => {
        return new Error(`a feature did not finish starting within ${timeoutMs} ms`);
      }).catch((error: unknown) => this.log.error({ err: describeError(error) }, 'stopping during start'));
    }
    for (const feature of [...this.options.features].reverse()) {
      if (!this.asked.has(feature)) continue;
      const failed = this.reports.get(feature.name)?.status === 'failed';
      const began = this.options.clock.monotonic();
      try {
        await withDeadline(
          this.options.clock,
          `stop:${feature.name}`,
          feature.stop(),
          timeoutMs,
          () => new Error(`${feature.name} did not stop within ${timeoutMs} ms`),
        );
        // One that failed to start keeps saying why.
        if (!failed) this.reports.set(feature.name, { name: feature.name, status: 'stopped', error: null });
        // How long each took, for a stop that comes near systemd's TimeoutStopSec.
        this.log.debug(
          { feature: feature.name, ms: Math.round(this.options.clock.monotonic() - began) },
          'stopped',
        );
      } catch (error) {
        const described = describeError(error);
        this.log.error(
          { feature: feature.name, code: described.code },
          `feature failed to stop: ${described.message}`,
        );
      }
    }
    this.phase = 'stopped';
  }
}
