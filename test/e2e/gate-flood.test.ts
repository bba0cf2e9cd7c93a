import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gateSimulators } from '../../simulators/gate/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { gates } from '../../src/gateway/families/gate/index.js';
import {
  encodeFeigFrame,
  FEIG_NOTIFICATION_COMMAND,
  FEIG_TR_TYPE_ISO15693,
  notificationFrame,
  TR_DATA1,
} from '../../src/protocols/feig/index.js';
import { secondExitGate, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * Bad input at one gate never holds up another: a second gate (`exit-2`, at 127.0.0.2) sends
 * nothing but garbage — random bytes, frames claiming 64 KiB, frames whose CRC fails, valid
 * frames whose notification is nonsense, a record claiming more blocks than it holds — as fast
 * as the socket takes it, and strangers knock on exit-1's listener, while people walk through
 * the good gate `exit-1`. Every alarm of the good gate still arrives, each well within a
 * second (a stall would be seconds), and the desk stays up.
 */
let testDesk: TestDesk;
let socket: WebSocket;
const alarms: Array<{ item: string; at: number }> = [];

function withSecondGate(config: CarrelConfig): CarrelConfig {
  return {
    ...config,
    devices: [
      ...config.devices,
      secondExitGate({ host: '127.0.0.1', port: 0 }, { keepAliveTimeoutSeconds: 0 }),
    ],
  };
}

beforeAll(async () => {
  testDesk = await startTestDesk(withSecondGate);
  await waitForDevice(testDesk.api, 'exit-1', 'online', 15_000);
  socket = new WebSocket(`${testDesk.api.replace('http', 'ws')}/api/v1/events?devices=exit-1`);
  socket.on('message', (message) => {
    const parsed = JSON.parse(String(message));
    if (parsed.event === 'device.event' && parsed.data.type === 'gate.alarm')
      alarms.push({ item: parsed.data.data.item?.id, at: performance.now() });
  });
  await new Promise((resolve) => socket.once('open', resolve));
});

afterAll(async () => {
  socket?.close();
  await testDesk?.stop();
});

/** One round of everything a broken or hostile gate might send. */
function garbage(round: number): Buffer {
  const random = Buffer.alloc(4096);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761 + round * 40503) >>> 24;
  const huge = Buffer.from([0x02, 0xff, 0xff, 0x00, FEIG_NOTIFICATION_COMMAND, 0x00, 0x00]);
  const good = encodeFeigFrame(
    notificationFrame({
      status: 0,
      trData1: TR_DATA1.idd | TR_DATA1.dataBlocks,
      records: [
        {
          transponderType: FEIG_TR_TYPE_ISO15693,
          iddInfo: 0,
          uid: 'E004010000000099',
          blocks: { count: 2, size: 4, memory: new Uint8Array(8) },
        },
      ],
    }),
  );
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 1]! ^= 0xff;
  const nonsense = encodeFeigFrame({
    address: 0,
    command: FEIG_NOTIFICATION_COMMAND,
    data: Uint8Array.from([0, 0xff, 0xff, 9]),
  });
  return Buffer.concat([random, huge, badCrc, nonsense, random.subarray(0, 1000)]);
}

describe('a flood of bad frames at one gate', () => {
  it('does not hold up the alarms of another', async () => {
    const exit2 = testDesk.desk.services.ports.all(gates).find((gate) => gate.id === 'exit-2')!;
    const exit1 = testDesk.desk.services.ports.all(gates).find((gate) => gate.id === 'exit-1')!;
    const flooding = { on: true, bytes: 0, strangers: 0 };
    const flood = new Promise<void>((resolve, reject) => {
      const where = exit2.listening!()!;
      const link = net.connect({ ...where, localAddress: '127.0.0.2' });
      link.on('error', reject);
      let round = 0;
      const pump = () => {
        while (flooding.on) {
          const chunk = garbage(round++);
          flooding.bytes += chunk.length;
          if (!link.write(chunk)) return void link.once('drain', pump);
        }
        link.end(resolve);
      };
      link.once('connect', pump);
    });
    // Strangers knocking on the good gate's listener: refused at once, never routed.
    const knocking = setInterval(() => {
      const where = exit1.listening!()!;
      const stranger = net.connect({ ...where, localAddress: '127.0.0.3' });
      stranger.on('error', () => {});
      stranger.on('connect', () => {
        flooding.strangers++;
        stranger.end(Buffer.alloc(512, 0x02));
      });
    }, 5);

    const sim = testDesk.desk.simulators.handle(gateSimulators, 'gate-sim')!;
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const item = `3100${String(4000 + i)}`;
        const walked = performance.now();
        sim.walk({ direction: 'out', items: [item] });
        const deadline = walked + 2000;
        for (;;) {
          const alarm = alarms.find((a) => a.item === item);
          if (alarm) {
            latencies.push(alarm.at - walked);
            break;
          }
          if (performance.now() > deadline) throw new Error(`the alarm for ${item} stalled behind the flood`);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    } finally {
      flooding.on = false;
      clearInterval(knocking);
      await flood;
    }
    expect(latencies).toHaveLength(20);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(flooding.bytes).toBeGreaterThan(100_000);
    // The bad gate's bytes were seen and counted as bad, and nothing of them alarmed.
    const bad = exit2.state().detail;
    expect(Number(bad.frameErrors)).toBeGreaterThan(20);
    expect(exit2.port.status().alarms).toBe(0);
    await waitForDevice(testDesk.api, 'exit-1', 'online');
  });
});
