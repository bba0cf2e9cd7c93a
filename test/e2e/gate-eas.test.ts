import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gateSimulators } from '../../simulators/gate/family.js';
import { type CarrelConfig, configSchema } from '../../src/app/config.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { walkOut as walkOutThrough } from '../helpers/gate-walk.js';
import { until } from '../helpers/until.js';

/**
 * A desk that secures items by the NXP EAS bit, with its FEIG gate set up alike: the gate device
 * alarms by `eas` and the simulated gate watches the EAS bit, as the gate's reader would be
 * configured. People walk out through the simulated gate's control API (HTTP); its notifications
 * reach the desk's listener over TCP, and the alarms the event WebSocket and the alarm history.
 * A book still secured by its EAS bit alarms though its AFI says lent; one whose EAS bit was
 * cleared at checkout passes though its AFI still says secured.
 */
let testDesk: TestDesk;
let socket: WebSocket;
const events: Array<{ type: string; device: string; data: Record<string, unknown> }> = [];

/** Through the config's schema, as carrel start reads a file: the gate device and its simulator on EAS. */
function securedByEas(config: CarrelConfig): CarrelConfig {
  return configSchema.parse({
    ...config,
    devices: config.devices.map((device) =>
      device.kind === 'gate' ? { ...device, alarm: { ...device.alarm, method: 'eas' } } : device,
    ),
    simulators: config.simulators.map((sim) => (sim.kind === 'gate' ? { ...sim, watch: 'eas' } : sim)),
  });
}

beforeAll(async () => {
  testDesk = await startTestDesk(securedByEas);
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events?devices=exit-1`);
  socket.on('message', (message) => {
    const parsed = JSON.parse(String(message));
    if (parsed.event === 'device.event') events.push(parsed.data);
  });
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

const walkOut = (items: unknown[]) => walkOutThrough(gateSim(), items);

const alarmsFor = (item: string) =>
  events.filter((e) => e.type === 'gate.alarm' && (e.data.item as { id?: string } | null)?.id === item);

describe('a gate on a desk securing by the EAS bit', () => {
  it('alarms for a book whose EAS bit is still set, whatever its AFI, and lets one cleared pass', async () => {
    expect(gateSim().state()).toMatchObject({ watch: 'eas' });
    // Checked out at a desk securing by EAS: its EAS bit cleared, its AFI never touched (0x07).
    expect(await walkOut([{ item: '31000004', afi: 0x07, eas: false }])).toMatchObject({
      alarmed: false,
      notified: 0,
    });
    // Not checked out: its EAS bit still set, though its AFI says lent (0xC2).
    expect(await walkOut([{ item: '31000005', afi: 0xc2, eas: true }])).toMatchObject({
      alarmed: true,
      notified: 1,
    });
    const [alarm] = await until(() => {
      const found = alarmsFor('31000005');
      return found.length > 0 ? found : undefined;
    }, 5000);
    // A FEIG notification carries no AFI or EAS bit: the desk trusts what the gate watched.
    expect(alarm!.data).toMatchObject({ reason: 'reported', afi: null, eas: null, direction: 'out' });
    // Notifications come in order on the one connection: the first book's would have been here.
    expect(alarmsFor('31000004')).toEqual([]);
    const history = await callApi(`${testDesk.api}/api/v1`, 'GET', '/gates/alarms?gate=exit-1&limit=50');
    expect(history.json.alarms.map((a: { item: string }) => a.item)).toEqual(['31000005']);
  });

  it('alarms for a book on the shelf, secured as the desk writes it (secured: both AFI and EAS bit)', async () => {
    expect(await walkOut([{ item: '31000006', secured: true }])).toMatchObject({ alarmed: true });
    await until(() => (alarmsFor('31000006').length > 0 ? true : undefined), 5000);
    expect(await walkOut([{ item: '31000013', secured: false }])).toMatchObject({ alarmed: false });
  });
});
