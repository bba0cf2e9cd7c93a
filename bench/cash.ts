/**
 * Cash: the time from the simulator's credit event (a coin dropped into the
 * simulated ccTalk acceptor) to the kiosk's WebSocket credit message for the
 * payment, p50/p99, beside the floor the ccTalk poll interval sets (a coin
 * waits for the next poll: on average half the interval, at worst all of it);
 * and credit journal commits per second (one coin per transaction, WAL,
 * synchronous=FULL) beside a bare one-row synchronous commit on the same disk.
 * Prints nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { cashSimulators } from '../simulators/cash/family.js';
import { CreditJournal } from '../src/gateway/families/cash-device/credit-journal.js';
import { openDatabase } from '../src/gateway/storage/index.js';
import { withSimulatedDesk } from './simulated-desk.js';
import type { BenchResult } from './types.js';

const COINS = 60;
const COMMITS = 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function creditLatency(): Promise<{ p50: number; p99: number; pollMs: number }> {
  return withSimulatedDesk('cash', ['coins-1', 'ils'], async ({ desk, api, config }) => {
    const coins = config.devices.find((device) => device.id === 'coins-1') as { pollIntervalMs: number };
    const opened = (await (
      await fetch(`${api}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          patron: '21000003',
          pin: '3333',
          purpose: { kind: 'fees', fees: ['F-1001', 'F-1002'] },
        }),
      })
    ).json()) as { id: string };
    const socket = new WebSocket(`${api.replace('http', 'ws')}/payments/${opened.id}/events`);
    let credited: (() => void) | undefined;
    socket.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { event: string }).event === 'credit') credited?.();
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const sim = desk.simulators.handle(cashSimulators, 'cash-sim')!;
    const samples: number[] = [];
    for (let i = 0; i < COINS; i++) {
      // A coin falls at any moment of the poll cycle.
      await new Promise((r) => setTimeout(r, Math.random() * coins.pollIntervalMs));
      const arrived = new Promise<void>((resolve) => {
        credited = resolve;
      });
      const start = performance.now();
      if (!sim.insertCoin(5).accepted) throw new Error('the acceptor refused a coin that fits');
      await arrived;
      samples.push(performance.now() - start);
    }
    socket.close();
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), pollMs: coins.pollIntervalMs };
  });
}

function journalCommits(): { perSecond: number; floorPerSecond: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'carrel-bench-credits-'));
  const db = openDatabase(path.join(dir, 'carrel.db'));
  try {
    const journal = new CreditJournal(db);
    journal.hold('coins-1', 'bench-payment', Date.now());
    let counter = 0;
    const commit = () => {
      const previous = counter;
      counter = (counter % 255) + 1;
      journal.commit(
        'coins-1',
        'coin-acceptor',
        {
          previousCounter: previous,
          counter,
          reading: 'events',
          credits: [{ channel: 1, currency: 'EUR', valueMinor: 5 }],
          unverified: [],
          escrow: [],
          statuses: [],
        },
        Date.now(),
      );
    };
    for (let i = 0; i < 50; i++) commit();
    let start = performance.now();
    for (let i = 0; i < COMMITS; i++) commit();
    const perSecond = COMMITS / ((performance.now() - start) / 1000);

    db.prepare('CREATE TABLE bench_floor (n INTEGER)').run();
    const insert = db.prepare('INSERT INTO bench_floor (n) VALUES (?)');
    start = performance.now();
    for (let i = 0; i < COMMITS; i++) db.transaction(() => insert.run(i), 'immediate');
    const floorPerSecond = COMMITS / ((performance.now() - start) / 1000);
    return { perSecond, floorPerSecond };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const latency = await creditLatency();
  const commits = journalCommits();
  return [
    { name: 'coin → kiosk WebSocket credit, p50', value: latency.p50, unit: 'ms' },
    { name: 'coin → kiosk WebSocket credit, p99', value: latency.p99, unit: 'ms' },
    { name: 'floor: ccTalk poll interval ÷ 2 (p50)', value: latency.pollMs / 2, unit: 'ms' },
    { name: 'floor: ccTalk poll interval (p99 ≤)', value: latency.pollMs, unit: 'ms' },
    { name: 'credit journal commits (one coin each)', value: commits.perSecond, unit: '/s' },
    { name: 'floor: bare one-row synchronous commit', value: commits.floorPerSecond, unit: '/s' },
  ];
}
