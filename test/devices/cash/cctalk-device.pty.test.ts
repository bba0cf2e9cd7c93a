import { afterEach, describe, expect, it } from 'vitest';
import { startCashSimulator } from '../../../simulators/cash/simulator.js';
import { createPtyPair, type PtyPair } from '../../../simulators/common/pty-pair.js';
import { SerialTransport } from '../../../src/devices/transport/serial.js';
import { type CashRig, cashRig, until } from './cash-rig.js';

let rig: CashRig | undefined;
let pair: PtyPair | undefined;
afterEach(async () => {
  await rig?.close();
  await rig?.sim.close();
  await pair?.close();
  rig = undefined;
});

describe('ccTalk over a real pty (socat), 9600 8N1, single wire', () => {
  it('identifies the coin acceptor and credits coins through the echo', async () => {
    pair = await createPtyPair();
    const sim = await startCashSimulator({ billAddress: null, escrowTimeoutMs: 60_000 });
    await sim.attachSerialPath(pair.devicePath);
    const hostPath = pair.hostPath;
    rig = await cashRig('coin-acceptor', {
      sim,
      transport: () => new SerialTransport({ path: hostPath, baudRate: 9600 }),
    });
    await rig.device.connect();
    expect(rig.device.condition().detail).toMatchObject({ category: 'Coin Acceptor', serial: 0x00c01a });
    await rig.device.setAcceptance({ accepting: true, channels: [1, 2, 3, 4, 5, 6] });
    for (const value of [200, 5, 100]) expect(sim.insertCoin(value).accepted).toBe(true);
    sim.setFaults({ garbleAnswers: 1, dropAnswers: 1 });
    sim.insertCoin(50);
    await until(() => rig!.store.credited().length === 4);
    expect(rig.store.credited()).toEqual([200, 5, 100, 50]);
    expect(rig.device.link.stats.echoMismatches).toBe(0);
  });
});
