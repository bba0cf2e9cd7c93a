/**
 * The fleet view (`carrel fleet`), on the fleet of bench/fleet-rig.ts: real Mosquitto, a
 * central and a branch broker bridged as packaging/mosquitto ships them, three `carrel start`
 * processes, a keep-alive of 2 s. This process reads the fleet page's own stream
 * (`/fleet/api/stream`) as the page does, and measures from a desk's death to the stream saying
 * it is offline:
 *
 * - killed (SIGKILL): the kernel closes its socket, the broker publishes its last will at once;
 *   a desk on the central broker, and the branch desk whose will crosses the bridge;
 * - frozen (SIGSTOP, as a pulled cable or a hung machine: nothing is sent, nothing closed): only
 *   the broker's keep-alive can tell. This is the floor the keep-alive sets, measured in the same
 *   run, beside keep-alive × 1.5 (what MQTT lets the broker wait after the desk's last packet,
 *   which came up to one keep-alive before it froze; Mosquitto 2.0 looks every 5 s).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FleetRig, startFleetRig } from './fleet-rig.js';
import type { BenchResult } from './types.js';

const KEEPALIVE_SECONDS = 2;
const REPETITIONS = 3;

interface Snapshot {
  desks: Array<{ site: string; gateway: string; status: string }>;
}

/** Follows the fleet stream; `until(predicate)` resolves at the first snapshot that satisfies it. */
async function followStream(url: string) {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  if (!response.ok || !response.body) throw new Error(`fleet stream: HTTP ${response.status}`);
  const waiters = new Set<{ predicate: (s: Snapshot) => boolean; resolve: (at: number) => void }>();
  let latest: Snapshot | undefined;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      const at = performance.now();
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('');
        buffer = buffer.slice(end + 2);
        if (data) {
          latest = JSON.parse(data) as Snapshot;
          for (const waiter of [...waiters]) {
            if (waiter.predicate(latest)) {
              waiters.delete(waiter);
              waiter.resolve(at);
            }
          }
        }
        end = buffer.indexOf('\n\n');
      }
    }
  })();
  return {
    until(predicate: (s: Snapshot) => boolean, timeoutMs: number): Promise<number> {
      if (latest && predicate(latest)) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (at: number) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`fleet stream: not in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

const statusOf = (snapshot: Snapshot, site: string, gateway: string) =>
  snapshot.desks.find((d) => d.site === site && d.gateway === gateway)?.status;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<BenchResult[]> {
  const rig: FleetRig = await startFleetRig({ keepaliveSeconds: KEEPALIVE_SECONDS });
  try {
    const view = await rig.startFleetView();
    const stream = await followStream(view.url.replace(/\/fleet$/, '/fleet/api/stream'));
    const online = (site: string, gateway: string) =>
      stream.until((s) => statusOf(s, site, gateway) === 'online', 30_000);
    for (const desk of rig.desks) await online(desk.site, desk.gateway);

    /** ms from the signal to the stream saying offline; the desk is started again afterwards. */
    const death = async (site: string, gateway: string, signal: 'SIGKILL' | 'SIGSTOP') => {
      // Let a few keep-alive pings pass since the desk came up, as in a desk that runs for days.
      await sleep(KEEPALIVE_SECONDS * 1000);
      const offline = stream.until((s) => statusOf(s, site, gateway) === 'offline', 30_000);
      const at = performance.now();
      rig.desk(site, gateway).child.kill(signal);
      const elapsed = (await offline) - at;
      await rig.restart(site, gateway);
      await online(site, gateway);
      return elapsed;
    };

    const killedCentral: number[] = [];
    const killedBranch: number[] = [];
    const frozen: number[] = [];
    for (let i = 0; i < REPETITIONS; i++) {
      killedCentral.push(await death('main', 'desk-1', 'SIGKILL'));
      killedBranch.push(await death('north', 'desk-1', 'SIGKILL'));
      frozen.push(await death('main', 'desk-2', 'SIGSTOP'));
    }
    await stream.close();
    const floor = KEEPALIVE_SECONDS * 1500;
    const n = `${REPETITIONS} runs, median`;
    return [
      {
        name: `desk killed → offline on the fleet stream, central broker (${n})`,
        value: median(killedCentral),
        unit: 'ms',
      },
      {
        name: `desk killed → offline, branch desk through the bridge (${n})`,
        value: median(killedBranch),
        unit: 'ms',
      },
      {
        name: `desk frozen → offline: the keep-alive floor, measured (${n}; ${Math.round(Math.min(...frozen))}–${Math.round(Math.max(...frozen))} ms)`,
        value: median(frozen),
        unit: 'ms',
      },
      { name: `keep-alive × 1.5 (mqtt.keepaliveSeconds ${KEEPALIVE_SECONDS})`, value: floor, unit: 'ms' },
    ];
  } finally {
    await rig.stop();
  }
}
