/**
 * A simulated FEIG security gate (STYLE 7): it connects OUT to Carrel's notification listener
 * (reconnecting with a growing pause), pushes CRC-correct notification frames made with
 * Carrel's own codec when people walk through, sends keep-alives, honours ACK mode, and serves
 * its own command port (alarm on/off, CPU reset, people counter). Walk people through, read its
 * state and set faults over the HTTP control API.
 */
import { type Clock, systemClock } from '../../src/core/clock.js';
import { type PeopleCounts, TR_DATA1 } from '../../src/protocols/feig/index.js';
import { type CommandServer, startCommandServer } from './command-server.js';
import { faultsSchema, type GateControl, startControlServer } from './control-server.js';
import {
  DEFAULT_GATE_MODEL,
  GateModel,
  type GateWatch,
  type Passage,
  type PassageResult,
  passageSchema,
} from './gate-model.js';
import { type ChannelFaults, NotificationClient, type NotificationTarget } from './notification-client.js';

export interface GateSimulatorOptions {
  /** Carrel's notification listener, which the gate dials… */
  host?: string;
  port?: number;
  /** …or where it is found at each attempt (in process: the gate device's own listener). */
  target?: NotificationTarget;
  /** Connect from this local address (several gates on one machine: 127.0.0.2, 127.0.0.3…). */
  localAddress?: string;
  /** The gate's command port (0 = any free port, the default; a real reader uses 10001). */
  commandPort?: number;
  /** Where the command port and the control API listen. Default 127.0.0.1. */
  listenHost?: string;
  /** Control API port (0 = any free port, the default). */
  httpPort?: number;
  /** Keep-alive interval (CFG49 KEEP-ALIVE-TIME). Default 5000 ms; 0 = none. */
  keepAliveMs?: number;
  /** ACK mode: hold each notification until the host answers [0x32]. Default false. */
  ack?: boolean;
  /** ACK mode: send an unanswered notification again after this long. Default 2000 ms. */
  ackTimeoutMs?: number;
  /** Alarm loops on at start. Default true. */
  alarmOn?: boolean;
  /** Loop mask: 0x0F two loops (default), 0x03 one. */
  loops?: number;
  /**
   * What makes a tag secured to the gate, as its reader is set up: `afi` (its AFI filter, the
   * default), `eas` (the NXP EAS bit) or `afi+eas` (either).
   */
  watch?: GateWatch;
  /** The AFI an item in the library has. Default 0x07. */
  securedAfi?: number;
  /** Report every tag, not only secured ones. Default false (only what it watches, as gates are set up). */
  reportAllTags?: boolean;
  /** Data blocks read with each tag (4 bytes each). Default 9, as in the published sample. */
  dataBlocks?: number;
  /** Notifications buffered while no host is reachable. Default 256. */
  bufferSize?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** COM-ADR the gate sends from and answers with. Default 0. */
  address?: number;
  clock?: Clock;
}

export interface GateSimulator {
  readonly commandPort: number;
  readonly httpUrl: string;
  readonly model: GateModel;
  /** One person walks through; throws RangeError for a passage the control API would refuse. */
  walk(passage: Passage): PassageResult & { notified: number };
  /** Sets the people counters (each 0..4294967295; one left out keeps its value). */
  setCounters(counters: { in?: number; out?: number }): PeopleCounts;
  state(): GateSimulatorState;
  faults(): ChannelFaults;
  setFaults(faults: Partial<ChannelFaults>): ChannelFaults;
  close(): Promise<void>;
}

export type GateSimulatorState = ReturnType<typeof describe>;

export async function startGateSimulator(options: GateSimulatorOptions): Promise<GateSimulator> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  const address = options.address ?? 0x00;
  const model = new GateModel({
    ...DEFAULT_GATE_MODEL,
    ...(options.alarmOn === undefined ? {} : { alarmOn: options.alarmOn }),
    ...(options.loops === undefined ? {} : { loops: options.loops }),
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    ...(options.securedAfi === undefined ? {} : { securedAfi: options.securedAfi }),
    ...(options.reportAllTags === undefined ? {} : { reportAllTags: options.reportAllTags }),
    ...(options.dataBlocks === undefined ? {} : { dataBlocks: options.dataBlocks }),
  });
  let faults: ChannelFaults = { unplugged: false, garbledFrames: false, keepAlivesStop: false };
  const channel = new NotificationClient(
    {
      target: targetOf(options),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      address,
      keepAliveMs: options.keepAliveMs ?? 5000,
      ack: options.ack === true,
      ackTimeoutMs: options.ackTimeoutMs ?? 2000,
      bufferSize: options.bufferSize ?? 256,
      reconnectMinMs: options.reconnectMinMs ?? 200,
      reconnectMaxMs: options.reconnectMaxMs ?? 5000,
      clock: options.clock ?? systemClock,
    },
    () => faults,
  );
  const cleanups: Array<() => Promise<void> | void> = [() => channel.stop()];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const commands = await startCommandServer(model, {
      host: listenHost,
      port: options.commandPort ?? 0,
      address,
    });
    cleanups.push(() => commands.close());
    const control: GateControl = {
      walk(passage) {
        const parsed = passageSchema.safeParse(passage);
        if (!parsed.success)
          throw new RangeError(
            parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          );
        const result = model.walk(parsed.data);
        if (result.records.length > 0)
          channel.notify({
            status: 0,
            trData1: TR_DATA1.idd | TR_DATA1.dataBlocks | TR_DATA1.antenna,
            records: result.records,
          });
        return { ...result, notified: result.records.length };
      },
      setCounters(counters) {
        model.setCounts(counters);
        return { ...model.counts };
      },
      state: () => describe(model, channel, commands, faults),
      faults: () => ({ ...faults }),
      setFaults(change) {
        faults = { ...faults, ...faultsSchema.parse(change) };
        channel.applyFaults();
        commands.setUnplugged(faults.unplugged);
        return { ...faults };
      },
    };
    const http = await startControlServer(control, { host: listenHost, port: options.httpPort ?? 0 });
    cleanups.push(() => http.close());
    channel.start();
    return {
      commandPort: commands.port,
      httpUrl: http.url,
      model,
      walk: (passage) => control.walk(passage),
      setCounters: (counters) => control.setCounters(counters),
      state: () => describe(model, channel, commands, faults),
      faults: control.faults,
      setFaults: control.setFaults,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function describe(
  model: GateModel,
  channel: NotificationClient,
  commands: CommandServer,
  faults: ChannelFaults,
) {
  return {
    alarm: model.alarm(),
    ...model.watching(),
    counters: { ...model.counts },
    passages: model.passages,
    alarms: model.alarms,
    cpuResets: model.cpuResets,
    notifications: channel.snapshot(),
    commandPort: {
      port: commands.port,
      connections: commands.connections(),
      answered: commands.answered.count,
    },
    faults: { ...faults },
  };
}

function targetOf(options: GateSimulatorOptions): NotificationTarget {
  if (options.target) return options.target;
  const { host, port } = options;
  if (host === undefined || port === undefined)
    throw new RangeError('a gate simulator dials host and port, or a target');
  return () => ({ host, port });
}
