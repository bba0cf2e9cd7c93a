import { afterAll, beforeAll } from 'vitest';
import { rfidPadSimulators } from '../../simulators/rfid-pad/family.js';
import type { CarrelConfig } from '../../src/app/config.js';
import { encodeIso28560Part3 } from '../../src/protocols/rfid/index.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice } from './desk.js';

/**
 * The simulated desk for self-check session tests: no MQTT, the FEIG pad simulator (over TCP)
 * starting empty, the pad read every 50 ms, and the ILS and `pad-1` online before it is handed
 * back. `change` adjusts the config first (an ILS of the test's own, say).
 */
export async function startPadSessionDesk(
  change: (config: CarrelConfig) => CarrelConfig = (c) => c,
): Promise<TestDesk> {
  const desk = await startTestDesk((base) => {
    const config = change(base);
    return {
      ...config,
      mqtt: { mode: 'off' },
      simulators: config.simulators.map((s) => (s.kind === 'rfid-pad' ? { ...s, tags: [] } : s)),
      devices: config.devices.map((d) => (d.kind === 'rfid-reader' ? { ...d, inventoryIntervalMs: 50 } : d)),
    };
  });
  await waitForDevice(desk.api, 'ils', 'online', 15_000);
  await waitForDevice(desk.api, 'pad-1', 'online', 15_000);
  return desk;
}

/** The desk's pad simulator, to lay tags on and take them off. */
export function padSimulatorOf(desk: TestDesk) {
  return desk.desk.simulators.handle(rfidPadSimulators, 'pad-sim')!;
}

/**
 * Lays a secured (AFI 0x07) ISO 28560-3 item tag (DSFID 0x3E) for `item` on the desk's pad, owned
 * by `owner` (an ISIL, the sample library's by default), part of a set when `set` says so; its uid.
 */
export function placeItemTag(
  desk: TestDesk,
  item: string,
  options: { owner?: string; set?: { part: number; parts: number } } = {},
): string {
  const memory = encodeIso28560Part3({
    primaryItemId: item,
    typeOfUsage: 'circulating',
    ownerLibrary: options.owner ?? 'SE-RPL',
    ...(options.set ? { set: options.set } : {}),
  });
  return padSimulatorOf(desk).place({
    memoryHex: Buffer.from(memory).toString('hex'),
    dsfid: 0x3e,
    afi: 0x07,
  }).uid;
}

/**
 * The session desk (`startPadSessionDesk(change)`) for the file or `describe` that calls this,
 * started in its `beforeAll` and stopped in its `afterAll`: the desk, a JSON caller on its API, its
 * pad simulator, and `placeTag` (as `placeItemTag`).
 */
export function padSessionDesk(change?: (config: CarrelConfig) => CarrelConfig) {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startPadSessionDesk(change);
  }, 30_000);
  afterAll(async () => {
    await desk?.stop();
  });
  const call = jsonCaller(() => desk.api);
  return {
    desk: () => desk,
    call,
    pad: () => padSimulatorOf(desk),
    placeTag: (item: string, options: { owner?: string; set?: { part: number; parts: number } } = {}) =>
      placeItemTag(desk, item, options),
    /** POST /api/v1/sessions: a checkout session for `patron` with `pin` on pad-1; the answer. */
    openCheckout: (patron: string, pin: string) =>
      call('POST', '/api/v1/sessions', { mode: 'checkout', pad: 'pad-1', patron, pin }),
  };
}
