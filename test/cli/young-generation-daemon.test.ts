/**
 * A daemon started as the service starts it (DAEMON_NODE_FLAGS: a young generation V8 may grow to
 * 16 MB a semi-space, and `gc` for the trim) gives back what a burst grew its young generation to
 * once it is quiet, as `carrel_nodejs_heap_space_size_total_bytes{space="new"}` on /metrics shows
 * IT. Without the trim, V8 kept a grown young generation for a minute and more after a burst
 * (src/core/young-generation.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../../simulators/ils/index.js';
import { DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { GROWN_YOUNG_BYTES } from '../../src/core/young-generation.js';
import {
  type CarrelDaemon,
  killDaemon,
  simulatedIlsDevice,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../helpers/carrel-daemon.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scrape(api: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const match = pattern.exec(text);
  if (!match) throw new Error(`/metrics has no ${pattern}`);
  return Number(match[1]);
}
const youngBytes = (api: string) =>
  scrape(api, /^carrel_nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m);
const trims = (api: string) => scrape(api, /^carrel_young_generation_trims_total (\d+)$/m);

/**
 * Reads the young generation every 2 s until it is back at rest; the readings, or a failure. Not
 * more often: a scrape makes garbage of its own, and scraped twice a second the daemon allocated
 * enough for V8 to keep the young generation (Prometheus scrapes every 15 s or more).
 */
async function untilAtRest(api: string, withinMs: number): Promise<number[]> {
  const readings: number[] = [];
  const until = performance.now() + withinMs;
  for (;;) {
    readings.push(await youngBytes(api));
    if (readings.at(-1)! <= GROWN_YOUNG_BYTES) return readings;
    if (performance.now() > until)
      throw new Error(`still grown after ${withinMs} ms: ${readings.join(', ')} bytes`);
    await sleep(2000);
  }
}

describe('the daemon young generation after a burst', () => {
  let dir: string;
  let ils: IlsSimulator;
  let daemon: CarrelDaemon;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-young-'));
    ils = await startIlsSimulator({ fixture: sampleFixturePath() });
    daemon = await startCarrelDaemon(
      writeDaemonConfig(dir, 'desk-young', { devices: [simulatedIlsDevice(ils.port)] }),
      {},
      60_000,
      DAEMON_NODE_FLAGS,
    );
  });

  afterAll(async () => {
    if (daemon) await killDaemon(daemon.child);
    await ils?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is given back within seconds of the daemon going quiet, after start-up and after a burst', async () => {
    // What starting grew it to (V8 grows it while modules load) goes first.
    await untilAtRest(daemon.api, 30_000);
    const trimsBefore = await trims(daemon.api);

    // A burst: 100 self-checks returning items back to back, each return a round trip to the ILS,
    // a hundred in flight at a time — for 4 s, and on for 2 s more at a time (at most 20 s in all)
    // until V8 has grown the young generation: on a machine busy with other work, 4 s may not hold
    // enough returns.
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    const checkin = () =>
      new Promise<void>((resolve, reject) => {
        request(
          `${daemon.api}/api/v1/checkins`,
          { agent, method: 'POST', headers: { 'content-type': 'application/json' } },
          (response) => {
            response.resume();
            response.on('end', () => resolve());
          },
        )
          .on('error', reject)
          .end(JSON.stringify({ item: '31000026' }));
      });
    const burstUntil = performance.now() + 20_000;
    let young = 0;
    for (let lasting = 4000; young <= GROWN_YOUNG_BYTES && performance.now() < burstUntil; lasting = 2000) {
      const until = performance.now() + lasting;
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          while (performance.now() < until) await checkin();
        }),
      );
      young = await youngBytes(daemon.api);
    }
    agent.destroy();
    // V8 grew it for the burst (so the flags are in force), and it is given back once quiet.
    expect(young).toBeGreaterThan(GROWN_YOUNG_BYTES);
    const readings = await untilAtRest(daemon.api, 30_000);
    expect(readings.at(-1)).toBeLessThanOrEqual(GROWN_YOUNG_BYTES);
    // Given back by the daemon's asking, which IT sees counted: V8 alone kept it for 20 s to a minute.
    expect(await trims(daemon.api)).toBeGreaterThan(trimsBefore);
  }, 90_000);
});
