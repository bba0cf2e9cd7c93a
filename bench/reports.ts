/**
 * The desk report over a year of data: circulation from 10 terminals (the desks and
 * self-checks of a branch), a year of 15-minute visitor counts and a year of device availability
 * minutes for 10 devices, in the desk's own SQLite file. Measured: GET /api/v1/stats/measures as
 * the report page asks it (each call, and the page's whole set in parallel), p50 (target ≤ 200 ms),
 * beside the floor in the same run (GET /healthz, the cheapest answer of the same server); and in
 * Debian's Chromium the page's first chart drawn after navigation (target ≤ 1 s), beside the same
 * page's DOMContentLoaded (its static files, no data).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { createDesk } from '../src/app/desk.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { VisitorStore } from '../src/gateway/families/gate/visitor-store.js';
import { DeviceAvailability } from '../src/gateway/statistics/availability.js';
import { DeskStatistics } from '../src/gateway/statistics/index.js';
import { openDatabase } from '../src/gateway/storage/index.js';
import { chromiumSkipReason, launchChromium } from '../test/helpers/chromium.js';
import type { BenchResult } from './types.js';

const HOUR_MS = 3_600_000;
const QUARTER_MS = HOUR_MS / 4;
const DAYS = 365;
const TERMINALS = 10;
const KINDS = ['checkout', 'checkin', 'renew', 'patron'];
const RUNS = 15;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
};

/**
 * `days` of a branch's statistics up to `now`, written as the components write them: circulation
 * through DeskStatistics itself (each hour's counts spread over its quarters, as a desk's fall), the
 * visitors into the gate's own table. Returns the rows written.
 */
export function seed(path: string, now: number, days = DAYS): number {
  const db = openDatabase(path);
  const statistics = new DeskStatistics(db);
  new VisitorStore(db, 'exit-1');
  const firstHour = Math.floor(now / HOUR_MS) - days * 24;
  let rows = 0;
  db.transaction(() => {
    const visitors = db.prepare(
      'INSERT INTO gate_visitors (gate, quarter, visitors_in, visitors_out) VALUES (?, ?, ?, ?)',
    );
    for (let hour = firstHour; hour < firstHour + days * 24; hour++) {
      const local = hour % 24;
      if (local < 7 || local > 20) continue; // the library is closed
      const at = hour * HOUR_MS;
      for (let t = 0; t < TERMINALS; t++)
        for (const kind of KINDS) {
          const quarter = (t % 4) * QUARTER_MS;
          statistics.record(
            { terminal: `terminal-${t}`, kind, outcome: 'ok' },
            at + quarter,
            1 + ((hour + t) % 7),
          );
          rows++;
        }
      statistics.record(
        { terminal: 'terminal-0', kind: 'checkout', outcome: 'refused', reason: 'patron_blocked' },
        at,
      );
      for (let q = 0; q < 4; q++) {
        visitors.run('exit-1', hour * 4 + q, 3 + (q % 3), 2 + (q % 2));
        rows++;
      }
    }
  });
  // The availability table as the component makes it (its migration), then a year of minutes.
  new DeviceAvailability({
    database: () => db,
    devices: () => [],
    clock: systemClock,
    logger: silentLogger(),
    retentionDays: 400,
  }).prune(0);
  // Its minutes per quarter hour; a device is off for half an hour now and then.
  db.transaction(() => {
    const minutes = db.prepare(
      'INSERT INTO device_minutes (quarter, device, kind, observed, online) VALUES (?, ?, ?, 15, ?)',
    );
    for (let hour = firstHour; hour < firstHour + days * 24; hour++)
      for (let d = 0; d < 10; d++)
        for (let q = 0; q < 4; q++) {
          minutes.run(hour * 4 + q, `device-${d}`, 'receipt-printer', hour % 97 === d && q >= 2 ? 0 : 15);
          rows++;
        }
  });
  db.close();
  return rows;
}

async function timed(url: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return performance.now() - start;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-reports-'));
  const now = Date.now();
  const path = join(dir, 'carrel.db');
  const rows = seed(path, now);
  const base = defaultDeskConfig();
  const desk = await createDesk({
    config: {
      ...base,
      http: { ...base.http, port: 0 },
      mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      storage: { ...base.storage, path },
    },
    logger: silentLogger(),
    version: 'bench',
  });
  await desk.start();
  const origin = desk.urls().api!.replace(/\/api\/v1$/, '');
  try {
    const range = `from=${new Date(now - DAYS * 86_400_000).toISOString()}&to=${new Date(now).toISOString()}&timeZone=UTC`;
    const calls = [
      'measure=gate.visitors_in&period=weekday-hour',
      'measure=circulation.transactions&period=weekday-hour',
      'period=total',
      'measure=circulation.transactions&period=day&groupBy=kind&where=outcome:ok',
      'measure=circulation.transactions&period=total&groupBy=terminal',
      'measure=circulation.transactions&period=total&groupBy=reason&where=outcome:refused',
      'measure=gate.visitors_in,gate.visitors_out&period=day',
      'measure=device.minutes_online,device.minutes_observed&period=total&groupBy=device',
    ].map((query) => `${origin}/api/v1/stats/measures?${range}&${query}`);
    // Warm up once (first queries compile statements and fill the page cache).
    for (const url of calls) await timed(url);
    const floor: number[] = [];
    const heaviest: number[] = [];
    const wholePage: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      floor.push(await timed(`${origin}/healthz`));
      heaviest.push(await timed(calls[1]!));
      const start = performance.now();
      await Promise.all(calls.map((url) => timed(url)));
      wholePage.push(performance.now() - start);
    }
    const results: BenchResult[] = [
      { name: 'rows seeded (a year, 10 terminals, visitors, 10 devices)', value: rows, unit: 'rows' },
      { name: 'floor: GET /healthz, same server, p50', value: percentile(floor, 0.5), unit: 'ms' },
      {
        name: 'a year of desk transactions by hour of the week, p50',
        value: percentile(heaviest, 0.5),
        unit: 'ms',
        target: '≤ 200',
        met: percentile(heaviest, 0.5) <= 200,
      },
      {
        name: "the report page's 8 calls in parallel (a year), p50",
        value: percentile(wholePage, 0.5),
        unit: 'ms',
      },
    ];
    if (chromiumSkipReason() === undefined) {
      const browser = await launchChromium();
      try {
        const first: number[] = [];
        const loaded: number[] = [];
        for (let i = 0; i < 3; i++) {
          const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
          const from = new Date(now - (DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
          const to = new Date(now).toISOString().slice(0, 10);
          await page.goto(`${origin}/reports?from=${from}&to=${to}`);
          await page.locator('body[data-state="ready"]').waitFor({ timeout: 30_000 });
          // Evaluated in the page (a string: this file is compiled without the DOM's types).
          const marks = (await page.evaluate(`({
            first: performance.getEntriesByName('carrel-first-chart')[0]?.startTime ?? NaN,
            loaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? NaN,
          })`)) as { first: number; loaded: number };
          first.push(marks.first);
          loaded.push(marks.loaded);
          await page.close();
        }
        results.push(
          {
            name: 'floor: the page loaded, no data (DOMContentLoaded), median',
            value: percentile(loaded, 0.5),
            unit: 'ms',
          },
          {
            name: 'first chart drawn after navigation (a year of data), median',
            value: percentile(first, 0.5),
            unit: 'ms',
            target: '≤ 1000',
            met: percentile(first, 0.5) <= 1000,
          },
        );
      } finally {
        await browser.close();
      }
    }
    return results;
  } finally {
    await desk.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
