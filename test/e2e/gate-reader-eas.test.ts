import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RfidPadSimulator, startRfidPadSimulator } from '../../simulators/rfid-pad/index.js';
import { configSchema } from '../../src/app/config.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * A doorway watched by an ordinary RFID reader (a simulated FEIG reader over TCP) that alarms on
 * the NXP EAS bit, set up as a library would: `alarm.method: eas` and nothing more. The reader
 * reads each tag's EAS bit because the alarm looks at it: a book whose bit was cleared at checkout
 * passes, one still secured alarms. Before, the bit was read only with `checkEas: true` besides,
 * so every tag at the door alarmed, lent or not.
 */
describe('a reader gate alarming on the EAS bit, its checkEas left out', () => {
  let door: RfidPadSimulator;
  let testDesk: TestDesk;
  let socket: WebSocket;
  const alarms: Array<{ item: { id?: string } | null; reason: string }> = [];

  beforeAll(async () => {
    door = await startRfidPadSimulator({ protocol: 'feig', tcpPort: 0, tags: [] });
    testDesk = await startTestDesk((config) =>
      configSchema.parse({
        ...config,
        devices: [
          {
            id: 'door-1',
            kind: 'gate',
            driver: 'reader',
            protocol: 'feig',
            transport: { type: 'tcp', host: '127.0.0.1', port: door.tcpPort },
            inventoryIntervalMs: 50,
            alarm: { method: 'eas' },
          },
        ],
        simulators: [],
        // A desk of the door alone: no receipt printer for a session's receipt.
        sessions: {},
      }),
    );
    await waitForDevice(testDesk.api, 'door-1', 'online', 15_000);
    socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events?devices=door-1`);
    socket.on('message', (message) => {
      const parsed = JSON.parse(String(message));
      if (parsed.event === 'device.event' && parsed.data.type === 'gate.alarm') alarms.push(parsed.data.data);
    });
    await new Promise((resolve) => socket.once('open', resolve));
  }, 30_000);

  afterAll(async () => {
    socket?.close();
    await testDesk?.stop();
    await door?.close();
  });

  it('lets a book with its EAS bit cleared pass, and alarms for one still secured by it', async () => {
    // Carried through the door together: each inventory round reads both.
    door.place({ item: { id: '31000005' }, eas: false });
    door.place({ item: { id: '31000006' }, eas: true });
    const alarm = await until(() => alarms.find((found) => found.item?.id === '31000006'), 5000);
    expect(alarm.reason).toBe('eas');
    // The round that read the secured book to its alarm read the lent one beside it: both are the
    // door's passages, each decided on as that round reported it. The next round starts 50 ms after
    // that one has ended; two rounds on, an alarm for the lent book would have come.
    const reader = async () => {
      const response = await fetch(`${testDesk.api}/api/v1/devices/door-1`);
      return ((await response.json()) as { detail: { rounds: number; passages: number } }).detail;
    };
    const alarmedIn = (await reader()).rounds;
    await until(async () => {
      const { rounds, passages } = await reader();
      return passages >= 2 && rounds >= alarmedIn + 2 ? true : undefined;
    }, 5000);
    expect(alarms.filter((found) => found.item?.id === '31000005')).toEqual([]);
  });
});
