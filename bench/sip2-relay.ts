/**
 * The SIP2 relay's cost: item-information round trips (17 → 18) from self-check
 * sockets through Carrel's relay and, side by side, through a bare TCP relay
 * (pipe-relay.ts: bytes copied, nothing else), through a relay that only reads
 * SIP2 (decoding-relay.ts: each frame, either way, framed and decoded, the bytes
 * passed on as they came) and directly against the ILS simulator, at 1 and 50
 * concurrent self-checks over loopback TCP, all in this process. Every relay
 * holds as many connections to the ILS as there are self-checks (Carrel's pool
 * is sized so), printed. A trial runs each path once, the order rotated from
 * trial to trial; figures are the median of TRIALS trials. The targets: Carrel's
 * relay ≥ 0.8× the bare relay's round trips/s (the median of the trials' own
 * ratios, each trial's two relays measured seconds apart: this VM's slow spells
 * last longer than that, and moved a ratio of medians by ±0.2 from run to run)
 * and p99 ≤ 1.5× its p99. The throughput verdict comes with the interval it
 * could have moved in by chance (trials resampled, resample.ts). The decoding
 * relay has no target: it splits the gap into what reading SIP2 at all costs
 * (decoding ÷ bare) and what Carrel's own layers add to it (Carrel ÷ decoding).
 * Every answer is decoded, checksum included. Prints nothing.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../simulators/ils/index.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { parseSip2RelayConfig, Sip2RelayServer } from '../src/gateway/relay/index.js';
import { decodeSip2Message, encodeSip2Message, Sip2Framer } from '../src/protocols/sip2/index.js';
import { sampleKioskClient } from '../test/helpers/sample-kiosk.js';
import { startDecodingRelay } from './decoding-relay.js';
import { startPipeRelay } from './pipe-relay.js';
import { resampledInterval } from './resample.js';
import type { BenchResult } from './types.js';

const ITEM = '31000001';
const ROUND_TRIPS = 6000;
const WARM_UP = 1000;
const TRIALS = 8;

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** One self-check: a logged-in socket sending one request at a time. */
class KioskSocket {
  private readonly framer = new Sip2Framer();
  private waiting: (() => void) | undefined;
  private sequence = 0;
  unreadable = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        const decoded = decodeSip2Message(event.frame);
        if (!decoded.ok || decoded.checksum !== 'valid') this.unreadable++;
        const done = this.waiting;
        this.waiting = undefined;
        done?.();
      }
    });
  }

  static async open(port: number, user: string, password: string): Promise<KioskSocket> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.setNoDelay(true);
    const link = new KioskSocket(socket);
    await link.send({
      type: 'login',
      uidAlgorithm: '0',
      pwdAlgorithm: '0',
      loginUserId: user,
      loginPassword: password,
      locationCode: 'MAIN',
    });
    return link;
  }

  send(message: Parameters<typeof encodeSip2Message>[0]): Promise<void> {
    this.sequence = (this.sequence + 1) % 10;
    const frame = encodeSip2Message(message, { sequence: this.sequence });
    return new Promise<void>((resolve) => {
      this.waiting = resolve;
      this.socket.write(frame);
    });
  }

  itemInformation(): Promise<void> {
    return this.send({
      type: 'itemInformation',
      transactionDate: '20260101    120000',
      institutionId: 'RIVERSIDE',
      itemIdentifier: ITEM,
      terminalPassword: '',
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Each self-check loops until the shared `total` is used up; per-request latency in ms. */
async function drive(kiosks: KioskSocket[], total: number): Promise<Run> {
  const latencies: number[] = [];
  let left = total;
  const started = performance.now();
  await Promise.all(
    kiosks.map(async (kiosk) => {
      while (left > 0) {
        left--;
        const t0 = performance.now();
        await kiosk.itemInformation();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round((latencies.length * 1000) / elapsed),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function measure(port: number, user: string, password: string, kiosks: number): Promise<Run> {
  const links = await Promise.all(
    Array.from({ length: kiosks }, () => KioskSocket.open(port, user, password)),
  );
  try {
    await drive(links, WARM_UP);
    const run = await drive(links, ROUND_TRIPS);
    if (links.some((link) => link.unreadable > 0)) throw new Error('a self-check got unreadable answers');
    return run;
  } finally {
    for (const link of links) link.close();
  }
}

async function startRelay(
  simulator: IlsSimulator,
  connections: number,
): Promise<{ relay: Sip2RelayServer; close(): Promise<void> }> {
  const client = sampleKioskClient(simulator.port, { pool: { size: connections, maxWaiting: 1000 } });
  await client.connect();
  const relay = new Sip2RelayServer({
    config: parseSip2RelayConfig({
      port: 0,
      accounts: [{ kioskUser: 'selfcheck', kioskPassword: 'selfcheckpw' }],
      maxConnections: 200,
      // Every self-check here comes from 127.0.0.1, and trials follow each other faster than closes are seen.
      maxConnectionsPerAddress: 200,
    }),
    ils: client.pool,
    logger: silentLogger(),
    clock: systemClock,
  });
  await relay.start();
  return {
    relay,
    async close() {
      await relay.stop();
      await client.disconnect();
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function run(): Promise<BenchResult[]> {
  const simulator = await startIlsSimulator({ fixture: sampleFixturePath(), port: 0 });
  const bareRelay = await startPipeRelay(simulator.port);
  const decodingRelay = await startDecodingRelay(simulator.port);
  const results: BenchResult[] = [];
  try {
    for (const kiosks of [1, 50]) {
      const { relay, close } = await startRelay(simulator, kiosks);
      const runs: Record<'direct' | 'bare' | 'decoding' | 'carrel', Run[]> = {
        direct: [],
        bare: [],
        decoding: [],
        carrel: [],
      };
      try {
        const paths: [keyof typeof runs, () => Promise<Run>][] = [
          ['direct', () => measure(simulator.port, 'kiosk1', 'kiosk1pw', kiosks)],
          ['bare', () => measure(bareRelay.port, 'kiosk1', 'kiosk1pw', kiosks)],
          ['decoding', () => measure(decodingRelay.port, 'kiosk1', 'kiosk1pw', kiosks)],
          ['carrel', () => measure(relay.port, 'selfcheck', 'selfcheckpw', kiosks)],
        ];
        for (let trial = 0; trial < TRIALS; trial++) {
          // Each path takes each place in the order as often: none always follows the same one.
          for (let i = 0; i < paths.length; i++) {
            const [path, measured] = paths[(trial + i) % paths.length]!;
            runs[path].push(await measured());
          }
        }
      } finally {
        await close();
      }
      if (decodingRelay.unreadable > 0) throw new Error('the decoding relay read frames it could not decode');
      const [direct, bare, decoding, relayed] = [runs.direct, runs.bare, runs.decoding, runs.carrel].map(
        medianRun,
      ) as [Run, Run, Run, Run];
      const label = `${kiosks} self-check${kiosks === 1 ? '' : 's'}`;
      const n = `median of ${TRIALS}`;
      const hundredths = (value: number) => Math.round(value * 100) / 100;
      // A trial's paths follow each other within seconds: the verdict is the median of the trials'
      // own ratios, so a slow spell of the machine weighs on both sides of one.
      const paired = (a: keyof typeof runs, b: keyof typeof runs, picked: readonly number[]) =>
        median(picked.map((at) => runs[a][at]!.perSecond / runs[b][at]!.perSecond));
      const trials = Array.from({ length: TRIALS }, (_, at) => at);
      const throughput = hundredths(paired('carrel', 'bare', trials));
      const [low, high] = resampledInterval(TRIALS, (picked) => paired('carrel', 'bare', picked));
      const tail = hundredths(relayed.p99 / bare.p99);
      results.push(
        { name: `ILS connections of each relay, ${label}`, value: kiosks, unit: '' },
        { name: `relay round trips/s, ${label} (${n})`, value: relayed.perSecond, unit: '/s' },
        { name: `relay p50, ${label}`, value: round(relayed.p50), unit: 'ms' },
        { name: `relay p99, ${label}`, value: round(relayed.p99), unit: 'ms' },
        { name: `bare TCP relay round trips/s, ${label} (${n})`, value: bare.perSecond, unit: '/s' },
        { name: `bare TCP relay p50, ${label}`, value: round(bare.p50), unit: 'ms' },
        { name: `bare TCP relay p99, ${label}`, value: round(bare.p99), unit: 'ms' },
        { name: `decoding relay round trips/s, ${label} (${n})`, value: decoding.perSecond, unit: '/s' },
        { name: `decoding relay p50, ${label}`, value: round(decoding.p50), unit: 'ms' },
        { name: `decoding relay p99, ${label}`, value: round(decoding.p99), unit: 'ms' },
        { name: `direct round trips/s, ${label} (${n})`, value: direct.perSecond, unit: '/s' },
        { name: `direct p50, ${label}`, value: round(direct.p50), unit: 'ms' },
        { name: `direct p99, ${label}`, value: round(direct.p99), unit: 'ms' },
        {
          name: `relay ÷ bare TCP relay round trips/s, ${label}`,
          value: throughput,
          unit: '×',
          target: '≥ 0.8×',
          met: throughput >= 0.8,
        },
        {
          name: `… the ratio, trials resampled, 5th–95th percentile, ${label}`,
          value: hundredths(low),
          unit: `– ${high.toFixed(2)} ×`,
        },
        {
          name: `… reading SIP2 at all: decoding relay ÷ bare TCP relay, ${label}`,
          value: hundredths(paired('decoding', 'bare', trials)),
          unit: '×',
        },
        {
          name: `… Carrel's own layers: relay ÷ decoding relay, ${label}`,
          value: hundredths(paired('carrel', 'decoding', trials)),
          unit: '×',
        },
        {
          name: `relay ÷ bare TCP relay p99, ${label}`,
          value: tail,
          unit: '×',
          target: '≤ 1.5×',
          met: tail <= 1.5,
        },
      );
    }
  } finally {
    await bareRelay.close();
    await decodingRelay.close();
    await simulator.close();
  }
  return results;
}

/** Each figure the median of the trials' (throughput, p50 and p99 apart). */
function medianRun(runs: Run[]): Run {
  return {
    perSecond: median(runs.map((r) => r.perSecond)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}
