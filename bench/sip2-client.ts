/**
 * The SIP2 client's cost: item-information round trips (17 → 18) against the
 * ILS simulator over loopback TCP at 1, 10 and 100 concurrent callers, through
 * the client and, side by side, over bare sockets (pre-encoded request, framer
 * and decoder only), both with the same number of TCP connections (one per
 * caller, at most 10) to the same simulator. Each side runs TRIALS times,
 * interleaved, and the median is reported, so a neighbour's burst of load on a
 * shared machine does not decide the ratio. Targets: the client's added p50 at
 * one caller, and its round trips/s ≥ 0.8× bare sockets at 10 and 100 callers.
 *
 * At 100 callers both sides have 10 connections and 90 callers wait: each
 * connection carries one request at a time (SIP2 has no request ids), so the
 * pool size, not the client, bounds what one desk gets. A desk should give the
 * pool as many connections as it has self-checks and staff terminals busy at
 * once (its default is 2), within what the ILS allows per login. Prints nothing.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { type IlsSimulator, sampleFixturePath, startIlsSimulator } from '../simulators/ils/index.js';
import { decodeSip2Message, encodeSip2Message, Sip2Framer } from '../src/protocols/sip2/index.js';
import { sampleKioskClient } from '../test/helpers/sample-kiosk.js';
import type { BenchResult } from './types.js';

const ITEM = '31000001';
const ROUND_TRIPS = 20_000;
const WARM_UP = 2000;
const MAX_CONNECTIONS = 10;
const TRIALS = 3;

type Exchange = () => Promise<void>;

interface Run {
  perSecond: number;
  p50: number;
  p99: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** `callers` loops sharing `total` round trips; per-request latency in ms. */
async function drive(exchange: Exchange, callers: number, total: number): Promise<Run> {
  const latencies: number[] = [];
  let left = total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left > 0) {
        left--;
        const t0 = performance.now();
        await exchange();
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

/** A logged-in bare socket that sends one pre-encoded frame at a time and decodes the answer. */
class BareLink {
  private readonly framer = new Sip2Framer();
  private waiting: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Answers that did not decode: the comparison is void if any. */
  unreadable = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.framer.push(chunk)) {
        if (event.type !== 'frame') continue;
        // Decoded like the client does, so both sides pay for it.
        if (!decodeSip2Message(event.frame).ok) this.unreadable++;
        const done = this.waiting;
        this.waiting = undefined;
        done?.();
      }
    });
  }

  static async open(port: number): Promise<BareLink> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.setNoDelay(true);
    const link = new BareLink(socket);
    await link.send(
      encodeSip2Message({
        type: 'login',
        uidAlgorithm: '0',
        pwdAlgorithm: '0',
        loginUserId: 'kiosk1',
        loginPassword: 'kiosk1pw',
        locationCode: 'MAIN',
      }),
    );
    return link;
  }

  /** One request at a time on this socket, like a pool connection. */
  send(frame: Uint8Array): Promise<void> {
    const next = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          this.waiting = resolve;
          this.socket.write(frame);
        }),
    );
    this.chain = next;
    return next;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One connection per caller, at most MAX_CONNECTIONS: the same on both sides. */
const connectionsFor = (callers: number) => Math.min(callers, MAX_CONNECTIONS);

async function measureClient(simulator: IlsSimulator, callers: number): Promise<Run> {
  const client = sampleKioskClient(simulator.port, {
    pool: { size: connectionsFor(callers), maxWaiting: 1000 },
  });
  await client.connect();
  try {
    const exchange = async () => {
      await client.itemInformation(ITEM);
    };
    await drive(exchange, callers, WARM_UP);
    return await drive(exchange, callers, ROUND_TRIPS);
  } finally {
    await client.disconnect();
  }
}

async function measureBare(simulator: IlsSimulator, callers: number): Promise<Run> {
  const links = await Promise.all(
    Array.from({ length: connectionsFor(callers) }, () => BareLink.open(simulator.port)),
  );
  const frame = encodeSip2Message({
    type: 'itemInformation',
    transactionDate: '20260101    120000',
    institutionId: 'RIVERSIDE',
    itemIdentifier: ITEM,
    terminalPassword: '',
  });
  let turn = 0;
  let result: Run;
  try {
    const exchange = () => links[turn++ % links.length]!.send(frame);
    await drive(exchange, callers, WARM_UP);
    result = await drive(exchange, callers, ROUND_TRIPS);
  } finally {
    for (const link of links) link.close();
  }
  if (links.some((link) => link.unreadable > 0)) throw new Error('bare socket got unreadable answers');
  return result;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function run(): Promise<BenchResult[]> {
  const simulator = await startIlsSimulator({ fixture: sampleFixturePath() });
  const results: BenchResult[] = [];
  try {
    for (const callers of [1, 10, 100]) {
      const bareRuns: Run[] = [];
      const clientRuns: Run[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        bareRuns.push(await measureBare(simulator, callers));
        clientRuns.push(await measureClient(simulator, callers));
      }
      const bare = medianRun(bareRuns);
      const client = medianRun(clientRuns);
      const label = `${callers} caller${callers === 1 ? '' : 's'}`;
      const n = `median of ${TRIALS}`;
      results.push(
        { name: `TCP connections to the ILS each side, ${label}`, value: connectionsFor(callers), unit: '' },
        { name: `client round trips/s, ${label} (${n})`, value: client.perSecond, unit: '/s' },
        { name: `client p50, ${label}`, value: round(client.p50), unit: 'ms' },
        { name: `client p99, ${label}`, value: round(client.p99), unit: 'ms' },
        { name: `bare socket round trips/s, ${label} (${n})`, value: bare.perSecond, unit: '/s' },
        { name: `bare socket p50, ${label}`, value: round(bare.p50), unit: 'ms' },
        { name: `bare socket p99, ${label}`, value: round(bare.p99), unit: 'ms' },
      );
      if (callers === 1) {
        const added = round(Math.max(0, client.p50 - bare.p50));
        results.push({
          name: 'client added p50, 1 caller',
          value: added,
          unit: 'ms',
          target: '≤ 0.2 ms',
          met: added <= 0.2,
        });
      } else {
        const ratio = Math.round((client.perSecond / bare.perSecond) * 100) / 100;
        results.push({
          name: `client ÷ bare socket round trips/s, ${label}`,
          value: ratio,
          unit: '×',
          target: '≥ 0.8×',
          met: ratio >= 0.8,
        });
      }
    }
  } finally {
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
