import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { simulatorFamily } from '../common/family.js';
import type { IlsSimulator } from './server.js';

export const ilsSimulatorSchema = z.strictObject({
  id: deviceIdSchema,
  kind: z.literal('ils'),
  host: z.string().default('127.0.0.1'),
  /** SIP2 port; 0 picks a free one. */
  port: portSchema.default(0),
  /** Control API on loopback (state, faults: hang, slow, drop); 0 picks a free one. */
  httpPort: portSchema.default(0),
  /** Library fixture (docs/ils-fixture.md); the sample library when absent. */
  fixture: z.string().optional(),
});
export type IlsSimulatorConfig = z.infer<typeof ilsSimulatorSchema>;

/** A simulated ILS: SIP2 2.00 over TCP (or TLS), driven by a library fixture. */
/** What `carrel sim ils` listens on when not told (option → port); see SimulatorFamily.ports. */
export const ILS_PORTS = { port: 6001, 'http-port': 6080 } as const;

export const ilsSimulators = simulatorFamily({
  kind: 'ils',
  config: ilsSimulatorSchema,
  summary:
    'SIP2 2.00 ILS on TCP 6001 (TLS with --tls-cert/--tls-key), driven by a library fixture; control API on 6080',
  ports: ILS_PORTS,
  async start(config: IlsSimulatorConfig, logger) {
    const { sampleFixturePath, startIlsSimulator } = await import('./index.js');
    const sim: IlsSimulator = await startIlsSimulator({
      fixture: config.fixture ?? sampleFixturePath(),
      host: config.host,
      port: config.port,
      httpPort: config.httpPort,
      logger,
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.port,
      url: sim.controlUrl ?? sim.url,
      detail: `SIP2 2.00 on ${sim.url}, fixture ${config.fixture ?? 'sample library'}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runIlsSimulator,
  demo: {
    simulators: [{ id: 'ils-sim', kind: 'ils', port: 0 }],
    devices: [
      {
        id: 'ils',
        kind: 'ils',
        name: 'Riverside Public Library (simulated)',
        transport: { type: 'simulator', simulator: 'ils-sim' },
        user: 'kiosk1',
        password: 'kiosk1pw',
        location: 'MAIN',
        institution: 'RIVERSIDE',
        // The sample library's ILS writes its SIP2 local times in its own zone (the fixture's
        // library.timeZone), whatever the desk machine's zone is.
        timeZone: 'Europe/Stockholm',
      },
    ],
  },
});
