import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { type GateSimulator, startGateSimulator } from '../../simulators/gate/simulator.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { callApi } from '../helpers/api-call.js';
import { secondExitGate, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { freePort } from '../helpers/free-port.js';
import { walkOut } from '../helpers/gate-walk.js';
import { until } from '../helpers/until.js';

/**
 * A library with two exits: both FEIG gates are set up alike, notifying the desk machine on the
 * same port (their CFG49 DEST-PORT; listen.port 10010 by default for every gate), each known by
 * its own address — the main exit at 127.0.0.1 (the simulated desk's gate), the side exit at
 * 127.0.0.2 (a gate simulator of its own dialling from there). The desk's devices all start, each
 * gate comes online, and a book carried out through either alarms at that gate. Real TCP
 * throughout: the gates' notification links, the alarm history over HTTP.
 */
let testDesk: TestDesk;
let sideExit: GateSimulator;
let port: number;

function twoExitsOnOnePort(config: CarrelConfig): CarrelConfig {
  const devices = config.devices.map((device) =>
    device.kind === 'gate' && device.driver === 'feig-notification'
      ? { ...device, listen: { host: '127.0.0.1', port } }
      : device,
  );
  return {
    ...config,
    devices: [
      ...devices,
      secondExitGate({ host: '127.0.0.1', port }, { name: 'Side exit', keepAliveTimeoutSeconds: 15 }),
    ],
  };
}

beforeAll(async () => {
  port = await freePort();
  testDesk = await startTestDesk(twoExitsOnOnePort);
  sideExit = await startGateSimulator({
    host: '127.0.0.1',
    port,
    localAddress: '127.0.0.2',
    keepAliveMs: 1000,
  });
}, 30_000);

afterAll(async () => {
  await sideExit?.close();
  await testDesk?.stop();
});

async function alarmAt(gate: string, item: string): Promise<void> {
  await until(
    async () => {
      const { json } = await callApi(`${testDesk.api}/api/v1`, 'GET', `/gates/alarms?gate=${gate}&limit=20`);
      return (json.alarms as Array<{ item: string | null }>).some((alarm) => alarm.item === item)
        ? true
        : undefined;
    },
    5000,
    `an alarm for ${item} at ${gate}`,
  );
}

describe('two gates notifying the desk on one port', () => {
  it('brings both gates online beside the rest of the desk', async () => {
    await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
    await waitForDevice(testDesk.api, 'exit-2', 'online', 15_000);
    await waitForDevice(testDesk.api, 'ils', 'online', 15_000);
    await waitForDevice(testDesk.api, 'receipt-1', 'online', 15_000);
  });

  it('alarms at the gate a book is carried out through', async () => {
    const mainExit = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    expect((await walkOut(sideExit, ['31000006'])).alarmed).toBe(true);
    expect((await walkOut(mainExit, ['31000007'])).alarmed).toBe(true);
    await alarmAt('exit-2', '31000006');
    await alarmAt('exit-1', '31000007');
    const { json } = await callApi(`${testDesk.api}/api/v1`, 'GET', '/gates/alarms?gate=exit-1&limit=20');
    expect((json.alarms as Array<{ item: string | null }>).map((alarm) => alarm.item)).not.toContain(
      '31000006',
    );
  });
});

describe('a gate whose listen port another program holds', () => {
  it('is offline, saying why, and the rest of the desk runs', async () => {
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const taken = (squatter.address() as { port: number }).port;
    const desk = await startTestDesk((config) => ({
      ...config,
      devices: config.devices.map((device) =>
        device.kind === 'gate' && device.driver === 'feig-notification'
          ? { ...device, listen: { host: '127.0.0.1', port: taken } }
          : device,
      ),
    }));
    try {
      await waitForDevice(desk.api, 'ils', 'online', 15_000);
      // Started after the gate, in the configuration's order.
      await waitForDevice(desk.api, 'scanner-1', 'online', 15_000);
      const { json } = await callApi(`${desk.api}/api/v1`, 'GET', '/devices/exit-1');
      expect(json.status).toBe('offline');
      expect(json.reason).toMatch(new RegExp(`127\\.0\\.0\\.1:${taken}.*in use`));
    } finally {
      await desk.stop();
      squatter.close();
    }
  }, 30_000);
});
