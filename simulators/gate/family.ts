import { z } from 'zod';
import { deviceIdSchema, portSchema } from '../../src/core/config-values.js';
import { type GateConfig, gates } from '../../src/gateway/families/gate/index.js';
import type { DeskLayout } from '../../src/gateway/family.js';
import { simulatorFamily } from '../common/family.js';
import type { GateSimulator } from './simulator.js';

export const gateSimulatorSchema = z
  .strictObject({
    id: deviceIdSchema,
    kind: z.literal('gate'),
    /** The gate device of this desk it notifies (it dials that device's listener)… */
    dials: deviceIdSchema.optional(),
    /** …or Carrel's notification listener elsewhere. */
    notify: z.strictObject({ host: z.string().min(1), port: portSchema.min(1) }).optional(),
    host: z.string().default('127.0.0.1'),
    /** The gate's command port (alarm loops, people counter); 0 picks a free one. */
    port: portSchema.default(0),
    /** Control API (walk people through, faults); 0 picks a free one. */
    httpPort: portSchema.default(0),
    keepAliveSeconds: z.number().min(0).max(3600).default(5),
    /**
     * Wait for each notification's acknowledgement (CFG49 ACK mode), as the gate device's `ack`
     * says it is sent. Untold, as the gate device it dials says, else not.
     */
    ack: z.boolean().optional(),
    /**
     * What makes a tag secured to the gate, as its reader is set up: `afi` (its AFI filter),
     * `eas` (the NXP EAS bit) or `afi+eas` (either). Untold, a simulator that `dials` a gate device
     * watches what that device's alarm.method says (`afi` for the methods that ask the ILS), as the
     * real gate's reader is set up alike; one that is only told where to `notify`, the AFI.
     */
    watch: z.enum(['afi', 'eas', 'afi+eas']).optional(),
    /**
     * The AFI of an item in the library, to the gate's AFI filter (0x07 by ISO 28560). Untold, the
     * alarm.securedAfi of the gate device it dials, else 0x07.
     */
    securedAfi: z.number().int().min(0).max(255).optional(),
    /**
     * Report every tag passing, not only the secured ones (as a gate with no AFI filter). Untold,
     * as the gate device it dials says its reader does (`reports: all`), else not.
     */
    reportAllTags: z.boolean().optional(),
  })
  .refine((sim) => (sim.dials === undefined) !== (sim.notify === undefined), {
    message: 'give dials (a gate device of this desk) or notify (host and port), one of them',
  });
export type GateSimulatorConfig = z.infer<typeof gateSimulatorSchema>;

/** What `carrel sim gate` listens on when not told (option → port); see SimulatorFamily.ports. */
export const GATE_PORTS = { 'command-port': 10002, 'http-port': 10090 } as const;

/**
 * What a gate's reader watches, set up as the gate device alarms: its alarm.method's AFI and EAS
 * bit (the methods that ask the ILS: the AFI, as a gate's reader is set up by default) and its
 * secured AFI. Without a gate device to follow, the AFI on 0x07, ISO 28560's.
 */
function watchingLike(gate: GateConfig | undefined): {
  watch: 'afi' | 'eas' | 'afi+eas';
  securedAfi: number;
} {
  if (!gate) return { watch: 'afi', securedAfi: 0x07 };
  const { method, securedAfi } = gate.alarm;
  return { watch: method === 'eas' || method === 'afi+eas' ? method : 'afi', securedAfi };
}

/**
 * The gate device a simulator dials, as the config's schema read it (the layout holds the entries
 * validated by their family's schema); undefined when no gate device has that id.
 */
function dialledGate(layout: DeskLayout, id: string): GateConfig | undefined {
  return layout.devices.find((device) => device.id === id && device.kind === gates.kind) as
    | GateConfig
    | undefined;
}

/** A simulated FEIG security gate: it dials Carrel, pushes notifications, answers its command port. */
export const gateSimulators = simulatorFamily({
  kind: 'gate',
  config: gateSimulatorSchema,
  summary:
    'FEIG security gate in notification mode: dials Carrel, walks people through, counts them; commands on TCP 10002, control API on 10090',
  ports: GATE_PORTS,
  check(config, layout, issue) {
    if (config.dials === undefined) return;
    const gate = dialledGate(layout, config.dials);
    // A gate waiting for acknowledgements Carrel does not send sends each notification again
    // and again (an alarm every few seconds); one not waiting for those sent is merely unlike it.
    if (gate?.driver === 'feig-notification' && config.ack !== undefined && config.ack !== gate.ack)
      issue(
        ['ack'],
        `the gate simulator ${config.ack ? 'waits for' : 'does not wait for'} each notification's acknowledgement, and the gate device "${gate.id}" it dials ${gate.ack ? 'sends one' : 'sends none'} (its ack: ${gate.ack}): leave ack out (the simulator then does as the device says) or make the two alike`,
      );
    if (config.reportAllTags !== true) return;
    // Its alarms would say "reported" for every book carried out, lent or not.
    if (gate?.driver === 'feig-notification' && gate.reports === 'secured')
      issue(
        ['reportAllTags'],
        `the gate simulator reports every tag, and the gate device "${gate.id}" it dials counts each tag reported as secured (its reports: secured): set reports: all on that device, or leave reportAllTags out (the simulator then does as the device says)`,
      );
  },
  async start(config: GateSimulatorConfig, _logger, desk) {
    const { startGateSimulator } = await import('./simulator.js');
    const { dials, notify } = config;
    const gate = dials === undefined ? undefined : desk.device?.(gates, dials);
    const watching = watchingLike(gate);
    const sim: GateSimulator = await startGateSimulator({
      target: () => (dials !== undefined ? desk.listening(dials) : notify),
      listenHost: config.host,
      commandPort: config.port,
      httpPort: config.httpPort,
      keepAliveMs: config.keepAliveSeconds * 1000,
      ack: config.ack ?? (gate?.driver === 'feig-notification' && gate.ack),
      watch: config.watch ?? watching.watch,
      securedAfi: config.securedAfi ?? watching.securedAfi,
      reportAllTags: config.reportAllTags ?? (gate?.driver === 'feig-notification' && gate.reports === 'all'),
    });
    return {
      id: config.id,
      kind: config.kind,
      host: config.host,
      port: sim.commandPort,
      url: sim.httpUrl,
      detail: `FEIG gate, commands on tcp://${config.host}:${sim.commandPort}, notifies ${dials ?? `${notify?.host}:${notify?.port}`}`,
      handle: sim,
      close: () => sim.close(),
    };
  },
  main: async () => (await import('./main.js')).runGateSimulator,
  demo: {
    simulators: [{ id: 'gate-sim', kind: 'gate', dials: 'exit-1' }],
    devices: [
      {
        id: 'exit-1',
        kind: 'gate',
        name: 'Main exit',
        driver: 'feig-notification',
        listen: { host: '127.0.0.1', port: 0 },
        address: '127.0.0.1',
        transport: { type: 'simulator', simulator: 'gate-sim' },
        // The simulated gate reports a person walking in on antenna 1, out on antenna 2.
        directionByAntenna: { in: [1], out: [2] },
        // The simulated gate is in process: its counter read every 2 s costs nothing, and today's
        // figures on the gate page follow a person walking through as the alarms do. A real gate is
        // read every 60 s by default (config/carrel.example.yaml).
        visitors: { countIntervalSeconds: 2 },
      },
    ],
  },
});
