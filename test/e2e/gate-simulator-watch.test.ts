import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSimulators } from '../../simulators/gate/family.js';
import { type CarrelConfig, configSchema } from '../../src/app/config.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { walkOut as walkOutThrough } from '../helpers/gate-walk.js';
import { until } from '../helpers/until.js';

/**
 * The simulated desk's gate simulator stands in for the gate device it dials, so it watches what
 * that gate is set up to alarm on: a desk whose gate alarms by `afi+eas` with its own secured AFI
 * (0x42) — the simulator told neither — gets a simulated gate watching both, on 0x42; and one whose
 * gate device acknowledges each notification (CFG49 ACK mode), a simulated gate waiting for them.
 * Walked out through its control API (HTTP), notified to the desk over TCP, read back in the alarm
 * history.
 */
let testDesk: TestDesk;

/** Through the config's schema, as carrel start reads a file: only the gate device changed. */
function gateOnAfiAndEas(config: CarrelConfig): CarrelConfig {
  return configSchema.parse({
    ...config,
    devices: config.devices.map((device) =>
      device.kind === 'gate'
        ? { ...device, ack: true, alarm: { ...device.alarm, method: 'afi+eas', securedAfi: 0x42 } }
        : device,
    ),
  });
}

beforeAll(async () => {
  testDesk = await startTestDesk(gateOnAfiAndEas);
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
});

afterAll(async () => {
  await testDesk?.stop();
});

const gateSim = () => testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;

const walkOut = (items: unknown[]) => walkOutThrough(gateSim(), items);

describe('the simulated gate of a desk whose gate alarms by afi+eas', () => {
  it('watches what the gate device it dials alarms on, untold', async () => {
    // On the shelf by the site's own AFI, its EAS bit off: secured to this gate.
    expect(await walkOut([{ item: '31000004', afi: 0x42, eas: false }])).toMatchObject({
      alarmed: true,
      notified: 1,
    });
    // Its EAS bit still set, its AFI saying lent: secured to this gate too.
    expect(await walkOut([{ item: '31000005', afi: 0xc2, eas: true }])).toMatchObject({
      alarmed: true,
      notified: 1,
    });
    // ISO 28560's 0x07 is not this site's secured AFI, and its EAS bit is off: it passes.
    expect(await walkOut([{ item: '31000006', afi: 0x07, eas: false }])).toMatchObject({
      alarmed: false,
      notified: 0,
    });
    const alarmed = await until(
      async () => {
        const history = await callApi(`${testDesk.api}/api/v1`, 'GET', '/gates/alarms?gate=exit-1&limit=50');
        const items = history.json.alarms.map((alarm: { item: string }) => alarm.item).sort();
        return items.length >= 2 ? items : undefined;
      },
      5000,
      'two alarms in the history',
      100,
    );
    expect(alarmed).toEqual(['31000004', '31000005']);
    expect(gateSim().state()).toMatchObject({ watch: 'afi+eas', securedAfi: 0x42 });
    // Each of the two notifications was acknowledged, as the gate device sends them, and none waits.
    expect(gateSim().state().notifications).toMatchObject({ ack: true, awaitingAck: false });
    expect(gateSim().state().notifications.acks).toBeGreaterThanOrEqual(2);
  });
});
