/**
 * /metrics' event-loop delay, as Prometheus scrapes it from a running daemon: an idle desk shows
 * (almost) none, and a daemon held still — here stopped with SIGSTOP for 3 s, as a swapping
 * machine or a long synchronous stall would — shows that much, less at most the sampling
 * interval. Carrel samples the loop once a second (not prom-client's 100 times, to keep an idle
 * desk idle); what it reports is the lag, never the sampling interval itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CarrelDaemon,
  killDaemon,
  startCarrelDaemon,
  writeDaemonConfig,
} from '../../helpers/carrel-daemon.js';

const LAG = ['min', 'max', 'mean', 'p50', 'p90', 'p99'].map(
  (stat) => `carrel_nodejs_eventloop_lag_${stat}_seconds`,
);

async function scrape(api: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(carrel_nodejs_eventloop_lag_\w+) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each test is mostly waiting in real time (the loop is sampled once a second): they run side by
// side, each on a daemon of its own, so the one stopped with SIGSTOP does not stall the idle one.
describe('the event loop delay on /metrics', { concurrent: true }, () => {
  const dirs: string[] = [];
  const daemons: CarrelDaemon[] = [];
  let idleDaemon: CarrelDaemon;
  let stalledDaemon: CarrelDaemon;

  beforeAll(async () => {
    const start = async (name: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'carrel-lag-'));
      dirs.push(dir);
      const daemon = await startCarrelDaemon(writeDaemonConfig(dir, name, {}));
      daemons.push(daemon);
      return daemon;
    };
    [idleDaemon, stalledDaemon] = await Promise.all([start('desk-lag-idle'), start('desk-lag-stalled')]);
  }, 60_000);

  afterAll(async () => {
    for (const daemon of daemons) await killDaemon(daemon.child);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is about nothing on an idle desk, not the one-second sampling interval', async () => {
    const daemon = idleDaemon;
    await scrape(daemon.api); // starts a fresh window
    await sleep(3500);
    const idle = await scrape(daemon.api);
    for (const name of LAG) {
      expect(idle.has(name), name).toBe(true);
      expect(idle.get(name), name).toBeGreaterThanOrEqual(0);
      expect(idle.get(name), name).toBeLessThan(0.25);
    }
  }, 20_000);

  it('shows a stalled daemon’s stall', async () => {
    const daemon = stalledDaemon;
    await scrape(daemon.api);
    await sleep(1200);
    // Sampled once a second, a stall of S seconds shows as the sampling timer's lateness: S less
    // the part of a second the timer still had to wait when the stall began, so S − 1 to S.
    process.kill(daemon.child.pid!, 'SIGSTOP');
    await sleep(3000);
    process.kill(daemon.child.pid!, 'SIGCONT');
    await sleep(2200);
    const stalled = await scrape(daemon.api);
    expect(stalled.get('carrel_nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(1.9);
    expect(stalled.get('carrel_nodejs_eventloop_lag_max_seconds')).toBeLessThan(3.6);
    expect(stalled.get('carrel_nodejs_eventloop_lag_min_seconds')).toBeLessThan(0.25);
  }, 20_000);
});
