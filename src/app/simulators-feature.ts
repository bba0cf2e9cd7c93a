import { type PrinterSimulator, startPrinterSimulator } from '../../simulators/printer/simulator.js';
import type { Logger } from '../core/logger.js';
import type { SimulatorConfig } from '../gateway/config/schema.js';
import type { Feature } from '../gateway/feature.js';

interface RunningSimulator {
  id: string;
  kind: SimulatorConfig['kind'];
  host: string;
  port: number;
  httpUrl: string;
  close(): Promise<void>;
}

/**
 * The in-process simulators of the simulated desk. They start before the
 * devices, so a device whose transport is `{ type: simulator }` finds the
 * simulator's real address (port 0 in the config picks a free one).
 */
export class SimulatorsFeature implements Feature {
  readonly name = 'simulators';
  private readonly running = new Map<string, RunningSimulator>();
  private readonly printers = new Map<string, PrinterSimulator>();

  constructor(
    private readonly configs: readonly SimulatorConfig[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const config of this.configs) {
      const sim = await startPrinterSimulator({
        id: config.id,
        host: config.host,
        port: config.port,
        httpPort: config.httpPort,
        columns: config.columns,
        logger: this.logger,
      });
      this.printers.set(config.id, sim);
      this.running.set(config.id, {
        id: config.id,
        kind: config.kind,
        host: config.host,
        port: sim.escposPort,
        httpUrl: sim.httpUrl,
        close: () => sim.close(),
      });
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((sim) => sim.close()));
    this.running.clear();
    this.printers.clear();
  }

  /** The TCP address a device reaches the simulator on. */
  address(id: string): { host: string; port: number } {
    const sim = this.running.get(id);
    if (!sim) throw new Error(`simulator "${id}" is not running`);
    return { host: sim.host, port: sim.port };
  }

  printer(id: string): PrinterSimulator | undefined {
    return this.printers.get(id);
  }

  describe(): Array<{ id: string; kind: string; url: string; detail: string }> {
    return [...this.running.values()].map((sim) => ({
      id: sim.id,
      kind: sim.kind,
      url: sim.httpUrl,
      detail: `ESC/POS on tcp://${sim.host}:${sim.port}`,
    }));
  }
}
