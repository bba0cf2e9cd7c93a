import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { SIMULATOR_FAMILIES } from '../src/app/families.js';
import { CURRENT_CONFIG_VERSION } from '../src/gateway/config/schema.js';
import { freePort } from '../test/helpers/free-port.js';

const here = dirname(fileURLToPath(import.meta.url));

type Address = { host: string; port: number };

/** The simulators of the simulated desk, running in a process of their own. */
export interface SimulatorHost {
  addresses: Record<string, Address>;
  /** Where the gateway's gate listens for the gate simulator's notifications. */
  gateListen: Address;
  close(): Promise<void>;
}

/**
 * Starts every simulator of the default desk in a second process (bench/simulator-host.ts);
 * the gate simulator notifies a fixed port the gateway's gate will listen on.
 */
export async function startSimulatorHost(): Promise<SimulatorHost> {
  const gateListen = { host: '127.0.0.1', port: await freePort() };
  const simulators = defaultDeskConfig().simulators.map((sim) => {
    if (sim.kind !== 'gate') return sim;
    const { dials: _dials, ...rest } = sim;
    return { ...rest, notify: gateListen };
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [join(here, 'simulator-host.js'), JSON.stringify(simulators)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const addresses = await new Promise<Record<string, Address>>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.indexOf('\n');
      if (line >= 0) resolve(JSON.parse(out.slice(0, line)) as Record<string, Address>);
    });
    child.once('exit', (code) => reject(new Error(`simulator host exited with ${code}`)));
  });
  return {
    addresses,
    gateListen,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    },
  };
}

type DemoDevice = Record<string, unknown> & {
  kind: string;
  transport?: { type: string; simulator?: string; queue?: string };
};

/**
 * The simulated desk's devices of the given kinds (all when not given), each reaching
 * its simulator in the host process over TCP (a print queue over IPP), as a
 * deployed gateway's config would.
 */
export function externalDeskConfig(host: SimulatorHost, kinds?: readonly string[]): Record<string, unknown> {
  const demos = SIMULATOR_FAMILIES.flatMap((family) => (family.demo ? [family.demo] : []));
  const devices = (demos.flatMap((demo) => demo.devices) as DemoDevice[])
    .filter((device) => kinds === undefined || kinds.includes(device.kind))
    .map((device) => {
      const transport = device.transport;
      if (transport?.type !== 'simulator' || transport.simulator === undefined) return device;
      const at = host.addresses[transport.simulator];
      if (!at) throw new Error(`no simulator ${transport.simulator} in the host`);
      if (device.kind === 'print-queue')
        return {
          ...device,
          transport: {
            type: 'ipp',
            url: `ipp://${at.host}:${at.port}/printers/${transport.queue ?? 'public-bw'}`,
          },
        };
      const moved = { ...device, transport: { type: 'tcp', host: at.host, port: at.port } };
      if (device.kind !== 'gate') return moved;
      // The demo gate's counter is read every 2 s because it runs in process; a gate on the
      // network is read as a deployed one is (the default, and no more often than Carrel allows).
      const { visitors: _inProcess, ...gate } = moved as DemoDevice;
      return { ...gate, listen: host.gateListen };
    });
  const printer = devices.find((device) => device.kind === 'receipt-printer') as { id: string } | undefined;
  return {
    version: CURRENT_CONFIG_VERSION,
    site: 'library',
    gateway: 'desk-1',
    ...(printer
      ? { sessions: { receipt: { library: 'Riverside Public Library', printer: printer.id } } }
      : {}),
    devices,
  };
}
