import type { IlsSimulator } from '../../simulators/ils/index.js';
import type { PrinterSimulator } from '../../simulators/printer/simulator.js';
import type { RfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import type { Logger } from '../core/logger.js';
import type { SimulatorConfig } from '../gateway/config/schema.js';
import type { Feature } from '../gateway/feature.js';

type Handles = { printer: PrinterSimulator; ils: IlsSimulator; 'rfid-pad': RfidPadSimulator };

interface RunningSimulator<K extends keyof Handles = keyof Handles> {
  id: string;
  kind: K;
  host: string;
  port: number;
  url: string;
  detail: string;
  handle: Handles[K];
  close(): Promise<void>;
}

/** Starts one simulator of any kind; each kind's module is loaded only when configured. */
async function startSimulator(config: SimulatorConfig, logger: Logger): Promise<RunningSimulator> {
  switch (config.kind) {
    case 'printer': {
      const { startPrinterSimulator } = await import('../../simulators/printer/simulator.js');
      const sim = await startPrinterSimulator({
        id: config.id,
        host: config.host,
        port: config.port,
        httpPort: config.httpPort,
        columns: config.columns,
        logger,
      });
      return {
        id: config.id,
        kind: 'printer',
        host: config.host,
        port: sim.escposPort,
        url: sim.httpUrl,
        detail: `ESC/POS on tcp://${config.host}:${sim.escposPort}`,
        handle: sim,
        close: () => sim.close(),
      };
    }
    case 'ils': {
      const { sampleFixturePath, startIlsSimulator } = await import('../../simulators/ils/index.js');
      const sim = await startIlsSimulator({
        fixture: config.fixture ?? sampleFixturePath(),
        host: config.host,
        port: config.port,
        httpPort: config.httpPort,
        logger,
      });
      return {
        id: config.id,
        kind: 'ils',
        host: config.host,
        port: sim.port,
        url: sim.controlUrl ?? sim.url,
        detail: `SIP2 2.00 on ${sim.url}, fixture ${config.fixture ?? 'sample library'}`,
        handle: sim,
        close: () => sim.close(),
      };
    }
    case 'rfid-pad': {
      const { startRfidPadSimulator } = await import('../../simulators/rfid-pad/index.js');
      const sim = await startRfidPadSimulator({
        protocol: config.protocol,
        host: config.host,
        tcpPort: config.port,
        httpPort: config.httpPort,
        tags: config.tags.map((tag) =>
          typeof tag === 'string'
            ? { preset: tag }
            : {
                item: {
                  id: tag.item,
                  usage: tag.usage,
                  owner: tag.owner,
                  secured: tag.secured,
                  ...(tag.set ? { set: tag.set } : {}),
                },
              },
        ),
      });
      return {
        id: config.id,
        kind: 'rfid-pad',
        host: config.host,
        port: sim.tcpPort!,
        url: sim.httpUrl,
        detail: `FEIG on tcp://${config.host}:${sim.tcpPort}`,
        handle: sim,
        close: () => sim.close(),
      };
    }
  }
}

/**
 * The in-process simulators of the simulated desk. They start before the
 * devices, so a device whose transport is `{ type: simulator }` finds the
 * simulator's real address (port 0 in the config picks a free one).
 */
export class SimulatorsFeature implements Feature {
  readonly name = 'simulators';
  private readonly running = new Map<string, RunningSimulator>();

  constructor(
    private readonly configs: readonly SimulatorConfig[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    try {
      for (const config of this.configs)
        this.running.set(config.id, await startSimulator(config, this.logger));
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

  printer(id: string): PrinterSimulator | undefined {
    return this.handle(id, 'printer');
  }

  ils(id: string): IlsSimulator | undefined {
    return this.handle(id, 'ils');
  }

  rfidPad(id: string): RfidPadSimulator | undefined {
    return this.handle(id, 'rfid-pad');
  }

  describe(): Array<{ id: string; kind: string; url: string; detail: string }> {
    return [...this.running.values()].map(({ id, kind, url, detail }) => ({ id, kind, url, detail }));
  }

  private handle<K extends keyof Handles>(id: string, kind: K): Handles[K] | undefined {
    const sim = this.running.get(id);
    return sim?.kind === kind ? (sim.handle as Handles[K]) : undefined;
  }
}
