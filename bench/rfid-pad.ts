/**
 * RFID pad latency: ten tags placed on the simulated FEIG pad until ten decoded
 * `tag_arrived` events, over a 38400-baud pty link, next to the floor the link allows
 * (bytes on the wire during the run × 11 bits ÷ baud). Prints nothing.
 */

import { lineTimeMs, startRfidPadSimulator } from '../simulators/rfid-pad/index.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { FeigReader, RfidPadDevice } from '../src/devices/rfid/index.js';
import { SerialTransport } from '../src/devices/transport/serial.js';
import type { Transport } from '../src/devices/transport/transport.js';
import type { BenchResult } from './types.js';

const BAUD = 38400;
const TAGS = 10;

/** Counts the bytes crossing a transport in both directions. */
function counted(transport: Transport): { transport: Transport; bytes(): number } {
  let total = 0;
  const write = transport.write.bind(transport);
  transport.write = (data: Uint8Array) => {
    total += data.length;
    return write(data);
  };
  transport.on('data', (chunk) => {
    total += chunk.length;
  });
  return { transport, bytes: () => total };
}

export async function run(): Promise<BenchResult[]> {
  const sim = await startRfidPadSimulator({ protocol: 'feig', pty: true, baudRate: BAUD });
  const link = counted(new SerialTransport({ path: sim.ptyPath!, baudRate: BAUD, parity: 'even' }));
  const reader = new FeigReader({ transport: link.transport, clock: systemClock });
  const pad = new RfidPadDevice({
    id: 'bench',
    reader,
    clock: systemClock,
    logger: silentLogger(),
    inventoryIntervalMs: 0,
  });
  try {
    await pad.connect();
    const presets = ['V1', 'V2', 'V3', 'V5'] as const;
    const done = new Promise<void>((resolve) => {
      let decoded = 0;
      pad.on('event', (type, data) => {
        if (type === 'tag_arrived' && data.item && ++decoded === TAGS) resolve();
      });
    });
    // Let the idle inventory settle, then start counting at a round boundary.
    await new Promise((r) => setTimeout(r, 100));
    const startBytes = link.bytes();
    const start = performance.now();
    for (let i = 0; i < TAGS; i++) sim.place({ preset: presets[i % presets.length]! });
    await done;
    const elapsed = performance.now() - start;
    const floor = lineTimeMs(link.bytes() - startBytes, BAUD);
    const ratio = elapsed / floor;
    return [
      { name: `${TAGS} tags placed → decoded (38400 pty)`, value: elapsed, unit: 'ms' },
      { name: 'link floor (bytes × 11 ÷ baud)', value: floor, unit: 'ms' },
      { name: 'time / floor', value: ratio, unit: '×', target: '≤ 1.3×', met: ratio <= 1.3 },
    ];
  } finally {
    await pad.disconnect().catch(() => {});
    await sim.close();
  }
}
