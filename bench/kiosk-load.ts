/**
 * Two ways to load a service with kiosks, for benchmarks that compare two paths
 * to the same service: a closed loop (every kiosk sends its next request the
 * moment the last is answered: saturation) and a paced load (every kiosk sends
 * at a fixed rate, as a patron placing items does).
 */

import { seededRandom } from '../simulators/common/seeded-random.js';

/** One request; resolves false when it failed. */
export type KioskJob = (kiosk: number) => Promise<boolean>;

export interface LoadReading {
  /** Answers per second over the whole run. */
  perSecond: number;
  p50: number;
  p99: number;
  /** The slowest answer, in ms. */
  max: number;
  requests: number;
  errors: number;
}

/** What a run measured, before it is summarised. */
export interface Samples {
  latencies: number[];
  elapsedMs: number;
  errors: number;
}

export function summarise(latencies: number[], elapsedMs: number, errors: number): LoadReading {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    requests: latencies.length,
    errors,
  };
}

/** `count` requests over `kiosks` kiosks, each sending its next one as soon as the last is answered. */
export async function closedLoop(kiosks: number, count: number, job: KioskJob): Promise<LoadReading> {
  const { latencies, elapsedMs, errors } = await closedLoopSamples(kiosks, count, job);
  return summarise(latencies, elapsedMs, errors);
}

/** `closedLoop`'s samples, unsummarised: several runs of one load are `merged` into one reading. */
export async function closedLoopSamples(kiosks: number, count: number, job: KioskJob): Promise<Samples> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: kiosks }, async (_, kiosk) => {
      while (next++ < count) {
        const t = performance.now();
        if (!(await job(kiosk))) errors++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - began, errors };
}

export interface PacedLoad {
  kiosks: number;
  /** Requests per second each kiosk sends. */
  ratePerKiosk: number;
  durationMs: number;
  /** Seeds each kiosk's start within the first interval: the same seed, the same schedule. */
  seed: number;
}

/**
 * Every kiosk sends one request each 1/rate seconds, starting at a random
 * (seeded) point of the first interval, and waits for its answer before the
 * next; latencies are in ms. A request sent late because the kiosk was still
 * waiting for the previous answer is timed from when it should have gone out,
 * so a slow service cannot hide its slowness by sending less.
 */
export async function pacedLoad(load: PacedLoad, job: KioskJob): Promise<Samples> {
  const interval = 1000 / load.ratePerKiosk;
  const random = seededRandom(load.seed);
  const phases = Array.from({ length: load.kiosks }, () => random() * interval);
  const latencies: number[] = [];
  let errors = 0;
  const began = performance.now();
  await Promise.all(
    phases.map(async (phase, kiosk) => {
      let answeredAt = 0;
      for (let due = began + phase; due < began + load.durationMs; due += interval) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const start = answeredAt > due ? due : performance.now();
        if (!(await job(kiosk))) errors++;
        answeredAt = performance.now();
        latencies.push(answeredAt - start);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - began, errors };
}

/** Readings of the same load merged: as if one longer run. */
export function merged(readings: Samples[]): LoadReading {
  return summarise(
    readings.flatMap((r) => r.latencies),
    readings.reduce((sum, r) => sum + r.elapsedMs, 0),
    readings.reduce((sum, r) => sum + r.errors, 0),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
