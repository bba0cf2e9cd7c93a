import { describe, expect, it } from 'vitest';
import { externalDeskConfig, type SimulatorHost } from '../../bench/external-desk.js';
import { parseConfigText } from '../../src/app/config.js';
import { defaultDeskConfig } from '../../src/app/default-desk.js';

/** A host as `startSimulatorHost` describes one, every simulator of the default desk at a port of its own. */
function hostOfTheDefaultDesk(): SimulatorHost {
  const addresses = Object.fromEntries(
    defaultDeskConfig().simulators.map((sim, at) => [sim.id, { host: '127.0.0.1', port: 20_000 + at }]),
  );
  return { addresses, gateListen: { host: '127.0.0.1', port: 19_999 }, close: async () => {} };
}

// `npm run bench` measures the gateway's footprint with the default desk's devices reaching their
// simulators over the network, as a deployed desk's do: Carrel must take that configuration, or the
// suite measures nothing ('carrel exited with 2').
describe('the bench desk of simulators in another process', () => {
  it('is a configuration Carrel takes, with every family and with the batch-1 families', () => {
    const host = hostOfTheDefaultDesk();
    for (const kinds of [undefined, ['ils', 'receipt-printer', 'rfid-reader']]) {
      const config = parseConfigText(JSON.stringify(externalDeskConfig(host, kinds)), 'json', {});
      expect(config.devices.length).toBeGreaterThan(0);
      expect(config.devices.every((device) => device.transport?.type !== 'simulator')).toBe(true);
    }
  });

  it('reads its gate on the network as a deployed gate is read (the default counter interval)', () => {
    const config = parseConfigText(JSON.stringify(externalDeskConfig(hostOfTheDefaultDesk())), 'json', {});
    const gate = config.devices.find((device) => device.kind === 'gate');
    expect(gate?.transport).toMatchObject({ type: 'tcp' });
    expect(gate && 'visitors' in gate ? gate.visitors.countIntervalSeconds : undefined).toBe(60);
  });
});
