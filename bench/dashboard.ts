/**
 * The device dashboard IT staff open (`/dashboard`), in Debian's Chromium against the gateway as
 * deployed (`carrel start` in its own process, the daemon's node flags, a config file) with 50
 * devices configured: 25 receipt printers and 25 RFID pads, each a simulator in this process
 * reached over TCP. Each load is a fresh browser context (nothing cached), median of several:
 *
 * - first paint: the page's first contentful paint;
 * - all rows: the time until every one of the 50 devices has its row with its status (the
 *   rows come from the event WebSocket's snapshot), from the start of navigation.
 *
 * Beside them, floors measured in the same run: the first contentful paint of a page of one
 * line served over HTTP from this process (what Chromium costs alone), and GET /api/v1/devices
 * from this process (what the gateway's health records for 50 devices cost alone).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startPrinterSimulator } from '../simulators/printer/simulator.js';
import { startRfidPadSimulator } from '../simulators/rfid-pad/index.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/cli/node-flags.js';
import { spawnCarrel } from './carrel-process.js';
import type { BenchResult } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli', 'main.js');
const CHROMIUM = process.env.CARREL_CHROMIUM ?? '/usr/bin/chromium';
const PRINTERS = 25;
const PADS = 25;
const DEVICES = PRINTERS + PADS;
const LOADS = 7;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The page's first contentful paint, ms from the start of navigation (run in the page). */
function firstPaint(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        new PerformanceObserver((list) => {
          const paint = list.getEntries().find((entry) => entry.name === 'first-contentful-paint');
          if (paint) resolve(paint.startTime);
        }).observe({ type: 'paint' as never, buffered: true });
      }),
  );
}

async function loadDashboard(browser: Browser, api: string): Promise<{ paint: number; rows: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  try {
    const page = await context.newPage();
    await page.goto(`${api}/dashboard`, { waitUntil: 'commit' });
    // Checked every frame: the time the last row got its status, to a frame.
    // A function, not a string: the page's CSP allows no eval. Run in the page (no DOM types here).
    const rows = await page.waitForFunction(
      (count: number) => {
        const page = globalThis as unknown as {
          document: { querySelectorAll(selector: string): { length: number } };
        };
        return page.document.querySelectorAll('li.device[data-status]').length >= count
          ? performance.now()
          : false;
      },
      DEVICES,
      { polling: 'raf', timeout: 30_000 },
    );
    return { paint: await firstPaint(page), rows: (await rows.jsonValue()) as number };
  } finally {
    await context.close();
  }
}

async function loadBlankPage(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    return await firstPaint(page);
  } finally {
    await context.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set CARREL_CHROMIUM)`);
  const printers = await Promise.all(
    Array.from({ length: PRINTERS }, (_, i) =>
      startPrinterSimulator({ id: `printer-${i}`, port: 0, httpPort: 0 }),
    ),
  );
  const pads = await Promise.all(
    Array.from({ length: PADS }, () =>
      startRfidPadSimulator({ protocol: 'feig', tcpPort: 0, httpPort: 0, tags: [{ preset: 'V1' }] }),
    ),
  );
  const blank = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="en"><title>floor</title><p>Carrel</p></html>');
  });
  await new Promise<void>((resolve) => blank.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-dashboard-'));
  const configFile = join(dir, 'carrel.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      version: 2,
      site: 'bench',
      gateway: 'bench-1',
      mqtt: { mode: 'off' },
      storage: { path: join(dir, 'carrel.db') },
      devices: [
        ...printers.map((printer, i) => ({
          id: `receipt-${i + 1}`,
          kind: 'receipt-printer',
          transport: { type: 'tcp', host: '127.0.0.1', port: printer.escposPort },
        })),
        ...pads.map((pad, i) => ({
          id: `pad-${i + 1}`,
          kind: 'rfid-reader',
          protocol: 'feig',
          transport: { type: 'tcp', host: '127.0.0.1', port: pad.tcpPort },
        })),
      ],
    }),
  );
  const { child, api } = await spawnCarrel({
    nodeArgs: [...DAEMON_NODE_FLAGS],
    args: [cli, 'start', '--config', configFile, '--http-port', '0', '--log-level', 'warn'],
    cwd: dir,
    env: { ...process.env, ...DAEMON_ENV },
  });
  let browser: Browser | undefined;
  try {
    await until(
      'all 50 devices online',
      async () => {
        const { devices } = (await (await fetch(`${api}/api/v1/devices`)).json()) as {
          devices: Array<{ status: string }>;
        };
        return devices.length === DEVICES && devices.every((d) => d.status === 'online') ? true : undefined;
      },
      30_000,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const blankUrl = `http://127.0.0.1:${(blank.address() as AddressInfo).port}/`;
    // One of each first, not counted: the browser's own start-up is not the page's.
    await loadDashboard(browser, api);
    await loadBlankPage(browser, blankUrl);
    const paints: number[] = [];
    const rows: number[] = [];
    const blankPaints: number[] = [];
    const listTimes: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const load = await loadDashboard(browser, api);
      paints.push(load.paint);
      rows.push(load.rows);
      blankPaints.push(await loadBlankPage(browser, blankUrl));
      const began = performance.now();
      await (await fetch(`${api}/api/v1/devices`)).arrayBuffer();
      listTimes.push(performance.now() - began);
    }
    return [
      {
        name: `dashboard first paint, ${DEVICES} devices (median of ${LOADS})`,
        value: median(paints),
        unit: 'ms',
      },
      { name: `dashboard all ${DEVICES} device rows shown`, value: median(rows), unit: 'ms' },
      {
        name: 'floor: first paint of a one-line page (same browser)',
        value: median(blankPaints),
        unit: 'ms',
      },
      { name: `floor: GET /api/v1/devices, ${DEVICES} devices`, value: median(listTimes), unit: 'ms' },
    ];
  } finally {
    await browser?.close();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => blank.close(resolve));
    await Promise.allSettled([...printers.map((p) => p.close()), ...pads.map((p) => p.close())]);
    rmSync(dir, { recursive: true, force: true });
  }
}
