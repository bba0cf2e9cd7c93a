/**
 * Security gates, against the gateway as deployed (`carrel start` in its own process, the
 * daemon's node flags, a config file):
 *
 * - Alarm latency: this process is the FEIG gate. It dials the gate's notification listener
 *   over TCP and writes notification frames (one secured item per passage, policy `afi`), and
 *   listens on the event WebSocket; the time from a frame's last byte written to its
 *   `gate.alarm` on the socket, p50 and p99, at 1 and at 50 passages per second. Beside it,
 *   the floor: a bare process that decodes the frame and sends one WebSocket message
 *   (bare-gate.ts), running at the same time; the two take turns alarm by alarm, so the
 *   machine's other work weighs on both alike. And decoding the frame alone, in this process.
 *   At 1/s each alarm finds its process idle for a second and the latencies spread widely: on
 *   a 2-core VM most alarms pay for waking a sleeping CPU (~0.4–1 ms), some find one awake or
 *   run while this process is still in its write (~0.05 ms). With 60 alarms a path the p50
 *   ratio's 5th–95th percentile under resampling spanned ~0.45 (1.06–1.53 in one run). So the
 *   1/s row runs IDLE_PAIRS daemon-and-floor pairs, each pair's passages 1/IDLE_PAIRS s after
 *   the one before's: every process still sees one passage a second and idles in between, and
 *   the row gets IDLE_PAIRS alarms a path a second (240 in 80 s). Each ratio row is followed by
 *   its resampled 5th–95th percentile, so a change can be read against the run's own spread.
 * - Visitor counting: ten gates (simulators here, their command ports over TCP) polled every
 *   5 s — twelve times the default — by one daemon, and ten more not polled by another, side
 *   by side; each daemon's CPU per second over the same 5 s windows, from /proc, the median
 *   window of each.
 */
import net from 'node:net';
import { cpus, loadavg } from 'node:os';
import WebSocket from 'ws';
import { startGateSimulator } from '../simulators/gate/index.js';
import {
  decodeNotification,
  encodeFeigFrame,
  FEIG_TR_TYPE_ISO15693,
  FeigFrameParser,
  notificationFrame,
  TR_DATA1,
} from '../src/protocols/feig/index.js';
import { itemTagMemory } from '../src/protocols/rfid/index.js';
import { freePort } from '../test/helpers/free-port.js';
import {
  type RunningCarrel,
  SETTLE_AFTER_START_MS,
  startBareProcess,
  startCarrel,
} from './carrel-process.js';
import { usageOver } from './process-usage.js';
import { resampledInterval } from './resample.js';
import type { BenchResult } from './types.js';

const TARGET_P99_MS = 5;
const TARGET_RATIO = 1.3;
type Daemon = RunningCarrel;

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * How far the p50 ratio could move by chance: turns resampled (the two alarms of a turn stay
 * together), the ratio of the p50s of each draw.
 */
export function resampledRatio(ours: readonly number[], theirs: readonly number[]): [number, number] {
  return resampledInterval(ours.length, (picked) => {
    const a = picked.map((at) => ours[at]!);
    const b = picked.map((at) => theirs[at]!);
    return percentile(a, 50) / percentile(b, 50);
  });
}

/** One passage's notification frame: one secured ISO 28560-3 item, as a FEIG gate sends it. */
export function passageFrame(n: number): { uid: string; bytes: Uint8Array } {
  const uid = `E0040150${n.toString(16).toUpperCase().padStart(8, '0')}`;
  const memory = new Uint8Array(36);
  memory.set(itemTagMemory({ id: `39${String(n).padStart(6, '0')}`, owner: 'SE-RPL' }).subarray(0, 36));
  const bytes = encodeFeigFrame(
    notificationFrame({
      status: 0,
      trData1: TR_DATA1.idd | TR_DATA1.dataBlocks | TR_DATA1.antenna,
      records: [
        {
          transponderType: FEIG_TR_TYPE_ISO15693,
          iddInfo: 0,
          uid,
          blocks: { count: 9, size: 4, memory },
          antenna: 0x02,
        },
      ],
    }),
  );
  return { uid, bytes };
}

/** Decoding one frame alone, in this process: the floor under the gateway's latency. */
function decodeTimes(frames: readonly Uint8Array[], rounds: number): number[] {
  const times: number[] = [];
  const parser = new FeigFrameParser({ maxFrame: 8192 });
  for (let round = 0; round < rounds; round++) {
    for (const frame of frames) {
      const began = process.hrtime.bigint();
      for (const item of parser.push(frame)) if (item.ok) decodeNotification(item.frame.data);
      times.push(Number(process.hrtime.bigint() - began) / 1e6);
    }
  }
  return times.slice(frames.length); // the first round warms up
}

/** A path from a gate's notification frames to alarms on a WebSocket: the daemon's, or the bare floor's. */
export interface AlarmPath {
  /** Where the gate's notification frames go. */
  framePort: number;
  /** The WebSocket the alarms come out on. */
  socketUrl: string;
  /** Whether a message is an alarm; its tag's UID when it is. */
  alarmUid(message: string): string | undefined;
}

/** How long a daemon and the bare process idle after start before they are measured. */
const SETTLE_MS = SETTLE_AFTER_START_MS;

/**
 * Passages each path sees before any is timed, and at what rate: as many as a library's gate
 * sees in its first hour, so the alarm's path runs as V8 has optimised it, as it does in a daemon
 * that has been up a while. With 20 (until 2026-12-08) the 1/s row timed code still being
 * compiled: beside each other on a quiet machine, Carrel's 1/s p50 0.657 and 0.653 ms (1.54× and
 * 1.46× its floor) with 20, 0.548 ms (1.36×) with 1,000; the bare process, small enough to be
 * compiled after 20, 0.43–0.45 and 0.40 ms.
 */
const WARM_UP = { rate: 50, count: 1000 };

/** Passages per second, and how many passages each pair of paths sees at that rate. */
const RATES = [
  [1, 80],
  [50, 1000],
] as const;
/**
 * Daemon-and-floor pairs at 1/s, staggered across the second (the 50/s row uses the first
 * pair only): 3 × 80 = 240 alarms per path in 80 s, where one pair gave 60 in 60 s.
 */
const IDLE_PAIRS = 3;

/** One path, connected: its gate link and its WebSocket clients, and a wait per alarm. */
export interface OpenPath {
  /**
   * Writes a passage's frame; resolves with the latency when its alarm is on every one of the
   * path's WebSocket clients (rejects after 5 s).
   */
  pass(frame: { uid: string; bytes: Uint8Array }): Promise<number>;
  close(): void;
}

/** A path's gate link, and `clients` WebSocket clients listening for its alarms (a desk's pages, a monitoring tool). */
export async function openPath(path: AlarmPath, clients = 1): Promise<OpenPath> {
  const sockets = Array.from({ length: clients }, () => new WebSocket(path.socketUrl));
  const waiting = new Map<string, { heard: number; done: (at: number) => void }>();
  for (const socket of sockets)
    socket.on('message', (message) => {
      const at = performance.now();
      const uid = path.alarmUid(String(message));
      const alarm = uid === undefined ? undefined : waiting.get(uid);
      if (alarm && ++alarm.heard === clients) alarm.done(at);
    });
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        }),
    ),
  );
  const gate = net.connect({ host: '127.0.0.1', port: path.framePort });
  gate.setNoDelay(true);
  await new Promise((resolve) => gate.once('connect', resolve));
  return {
    pass(frame) {
      return new Promise<number>((resolve, reject) => {
        const timeout = setTimeout(() => {
          waiting.delete(frame.uid);
          reject(new Error(`the alarm for ${frame.uid} never reached every WebSocket`));
        }, 5000);
        let sent = 0;
        waiting.set(frame.uid, {
          heard: 0,
          done: (at) => {
            clearTimeout(timeout);
            waiting.delete(frame.uid);
            resolve(at - sent);
          },
        });
        gate.write(frame.bytes);
        sent = performance.now();
      });
    },
    close() {
      gate.destroy();
      for (const socket of sockets) socket.close();
    },
  };
}

/**
 * `frame last byte → alarm on the WebSocket` latencies of the daemons and of the floors, one list
 * per rate of RATES for each (a rate's alarms of every pair that ran it, pooled). A daemon and its
 * floor run side by side and take turns alarm by alarm (which goes first alternates), each waiting
 * for its alarm before the other's frame is written, so whatever else the machine is doing weighs
 * on both alike; each still sees its passages at the rate. At 1/s the pairs take their turns
 * staggered across the second, one pair at a time; at 50/s only the first pair runs.
 */
async function alarmLatencies(
  pairs: ReadonlyArray<readonly [carrel: AlarmPath, floor: AlarmPath]>,
): Promise<[number[][], number[][]]> {
  const open: Array<readonly [OpenPath, OpenPath]> = [];
  let next = 0;
  try {
    for (const [carrel, floor] of pairs) open.push([await openPath(carrel), await openPath(floor)]);
    // Warm up: the first alarms pay for code not yet compiled. Then settle, as a gate that has
    // been up a while has: V8 collects the start's garbage for ~30 s after it (SETTLE_MS), and a
    // pause of that landing on a passage is the start's cost, not the alarm's.
    await passages(WARM_UP.rate, WARM_UP.count, open);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const results: [number[][], number[][]] = [[], []];
    for (const [rate, count] of RATES) {
      const [ours, theirs] = await passages(rate, count, rate === 1 ? open : open.slice(0, 1));
      results[0].push(ours);
      results[1].push(theirs);
    }
    return results;
  } finally {
    for (const pair of open) for (const path of pair) path.close();
  }

  /**
   * `count` passages on each path of `using` at `rate` per second, the two of a pair taking
   * turns, each pair 1/(rate × pairs) s after the one before; their latencies, per side.
   */
  async function passages(
    rate: number,
    count: number,
    using: ReadonlyArray<readonly [OpenPath, OpenPath]>,
  ): Promise<[number[], number[]]> {
    const latencies: [number[], number[]] = [[], []];
    const gap = 1000 / rate;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      for (const [p, pair] of using.entries()) {
        const wait = start + i * gap + (p * gap) / using.length - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        for (const k of i % 2 === 0 ? [0, 1] : [1, 0])
          latencies[k]!.push(await pair[k]!.pass(passageFrame(next++)));
      }
    }
    return latencies;
  }
}

/** The bare gate (bare-gate.ts) in a process of its own, started with the daemon's node flags. */
export async function startBareGate(): Promise<{ path: AlarmPath; pid: number; stop(): Promise<void> }> {
  const bare = await startBareProcess('bare-gate.js', [], /gate tcp:\/\/[^:]+:(\d+) ws:\/\/[^:]+:(\d+)/);
  return {
    path: {
      framePort: Number(bare.match[1]),
      socketUrl: `ws://127.0.0.1:${bare.match[2]}`,
      alarmUid: (message) => (JSON.parse(message) as { data: { data: { uid?: string } } }).data.data.uid,
    },
    pid: bare.pid,
    stop: () => bare.stop(),
  };
}

/** A daemon with one FEIG gate (of this build, or of the build folder `build`), and where its alarms come out. */
export async function startGateDaemon(build?: string): Promise<{ daemon: Daemon; path: AlarmPath }> {
  const listenPort = await freePort();
  const daemon = await startCarrel(
    [
      {
        id: 'gate-1',
        kind: 'gate',
        driver: 'feig-notification',
        listen: { host: '127.0.0.1', port: listenPort },
        address: '127.0.0.1',
        keepAliveTimeoutSeconds: 0,
        alarm: { method: 'afi', repeatSeconds: 0.1 },
      },
    ],
    build,
  );
  return {
    daemon,
    path: {
      framePort: listenPort,
      socketUrl: `${daemon.api.replace('http', 'ws')}/api/v1/events?devices=gate-1`,
      alarmUid: (message) => {
        const parsed = JSON.parse(message) as {
          event: string;
          data: { type?: string; data?: { uid?: string } };
        };
        return parsed.event === 'device.event' && parsed.data.type === 'gate.alarm'
          ? parsed.data.data?.uid
          : undefined;
      },
    },
  };
}

async function alarmLatency(): Promise<BenchResult[]> {
  const started: Array<{ stop(): Promise<void> }> = [];
  let carrel: number[][];
  let floor: number[][];
  try {
    const pairs: Array<readonly [AlarmPath, AlarmPath]> = [];
    for (let p = 0; p < IDLE_PAIRS; p++) {
      const gate = await startGateDaemon();
      started.push(gate.daemon);
      const bare = await startBareGate();
      started.push(bare);
      pairs.push([gate.path, bare.path]);
    }
    [carrel, floor] = await alarmLatencies(pairs);
  } finally {
    await Promise.allSettled(started.map((each) => each.stop()));
  }
  const results: BenchResult[] = [];
  RATES.forEach(([rate], i) => {
    const latencies = carrel[i]!;
    const count = latencies.length;
    const bareLatencies = floor[i]!;
    const frames = Array.from({ length: count }, (_, n) => passageFrame(1000 * rate + n).bytes);
    const decode = decodeTimes(frames, Math.max(2, Math.ceil(2000 / count)));
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const floorP50 = percentile(bareLatencies, 50);
    const ratio = p50 / floorP50;
    const [low, high] = resampledRatio(latencies, bareLatencies);
    results.push(
      {
        name: `${rate}/s: frame last byte → gate.alarm on the WebSocket, p50 (n=${count})`,
        value: p50,
        unit: 'ms',
      },
      {
        name: `${rate}/s: frame last byte → gate.alarm on the WebSocket, p99`,
        value: p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: p99 <= TARGET_P99_MS,
      },
      {
        name: `${rate}/s: floor, a bare process (decode, one ws send) frame → WebSocket, p50`,
        value: floorP50,
        unit: 'ms',
      },
      {
        name: `${rate}/s: floor, the bare process, p99`,
        value: percentile(bareLatencies, 99),
        unit: 'ms',
      },
      {
        name: `${rate}/s: … of which decoding the frame alone, p50`,
        value: percentile(decode, 50),
        unit: 'ms',
      },
      {
        name: `${rate}/s: alarm p50 ÷ floor p50`,
        value: ratio,
        unit: '×',
        target: `≤ ${TARGET_RATIO}×`,
        met: ratio <= TARGET_RATIO,
      },
      {
        name: `${rate}/s: … the ratio resampled by turn, 5th–95th percentile`,
        value: low,
        unit: `– ${high.toFixed(2)} ×`,
      },
    );
  });
  return results;
}

/** How often the polled daemon reads each gate's counters, and how many such windows are measured. */
const COUNT_INTERVAL_SECONDS = 5;
const COUNT_WINDOWS = 8;

function median(values: readonly number[]): number {
  return percentile(values, 50);
}

async function countingCost(): Promise<BenchResult[]> {
  // Two daemons side by side over the same window, so the machine's other work weighs on both.
  const sims = await Promise.all(
    Array.from({ length: 20 }, () => startGateSimulator({ target: () => undefined, keepAliveMs: 0 })),
  );
  const gatesWith = (first: number, countIntervalSeconds: number) =>
    sims.slice(first, first + 10).map((sim, i) => ({
      id: `gate-${i + 1}`,
      kind: 'gate',
      driver: 'feig-notification',
      listen: { host: '127.0.0.1', port: 0 },
      address: '127.0.0.1',
      keepAliveTimeoutSeconds: 0,
      transport: { type: 'tcp', host: '127.0.0.1', port: sim.commandPort },
      visitors: { countIntervalSeconds },
    }));
  const daemons: Daemon[] = [];
  try {
    daemons.push(
      await startCarrel(gatesWith(0, COUNT_INTERVAL_SECONDS)),
      await startCarrel(gatesWith(10, 0)),
    );
    // Settle first: for ~30 s after start V8 still collects the start's garbage (its memory
    // reducer), several ms of CPU a second at moments of its own in each daemon — noise far
    // larger than the polling measured here.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    // Then windows of one polling interval each, the two daemons over the same windows. An idle
    // daemon still has moments of its own: a full collection once, 40–70 s after start (~100 ms of
    // CPU), the desk's totals read back every minute (a few ms). One of those in a single 30 s
    // window read as 4 ms/s of polling on one run and −4.7 on the next; the median window of each
    // daemon is its steady cost, and the row is their difference.
    const windows: Array<[number, number]> = [];
    for (let window = 0; window < COUNT_WINDOWS; window++) {
      const [polled, idle] = await Promise.all(
        daemons.map((daemon) => usageOver(daemon.pid, COUNT_INTERVAL_SECONDS * 1000)),
      );
      if (!polled || !idle) throw new Error('no /proc: CPU cannot be measured here');
      windows.push([polled.cpuMs, idle.cpuMs]);
    }
    const polledMs = median(windows.map(([polled]) => polled));
    const idleMs = median(windows.map(([, idle]) => idle));
    const cost = polledMs - idleMs;
    return [
      {
        name: `10 gates, counters read every ${COUNT_INTERVAL_SECONDS} s: daemon CPU (median of ${COUNT_WINDOWS} windows of ${COUNT_INTERVAL_SECONDS} s)`,
        value: polledMs,
        unit: 'ms/s',
      },
      {
        name: '10 gates, counters never read: daemon CPU (floor, same windows)',
        value: idleMs,
        unit: 'ms/s',
      },
      {
        name: '… the busiest window of either daemon',
        value: Math.max(...windows.flat()),
        unit: 'ms/s',
      },
      {
        name: `polling 10 gates every ${COUNT_INTERVAL_SECONDS} s (${60 / COUNT_INTERVAL_SECONDS}× the default 60 s) costs`,
        value: cost,
        unit: 'ms CPU/s',
        target: '< 1 ms/s',
        met: cost < 1,
      },
    ];
  } finally {
    await Promise.allSettled(daemons.map((daemon) => daemon.stop()));
    await Promise.allSettled(sims.map((sim) => sim.close()));
  }
}

export async function run(): Promise<BenchResult[]> {
  // Tail latencies on a shared machine say as much about its other work as about Carrel's.
  const load = {
    name: 'machine load average (1 min) at the start',
    value: loadavg()[0]!,
    unit: `on ${cpus().length} cores`,
  };
  return [load, ...(await alarmLatency()), ...(await countingCost())];
}
