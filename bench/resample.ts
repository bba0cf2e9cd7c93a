/**
 * How far a bench figure could have moved by chance: the run's units (a round of segments, a
 * turn of alarms) drawn again with replacement, 1,000 times with a fixed seed, and the figure
 * computed on each draw; the 5th and 95th percentiles of those figures. A verdict whose target
 * lies inside that interval is one this run could not tell.
 */
import { seededRandom } from '../simulators/common/seeded-random.js';

const DRAWS = 1000;
const SEED = 20;

/** The 5th and 95th percentile of `figure` over draws of `units` indices (0 … units − 1). */
export function resampledInterval(
  units: number,
  figure: (picked: readonly number[]) => number,
): [number, number] {
  const random = seededRandom(SEED);
  const figures: number[] = [];
  const picked = new Array<number>(units);
  for (let draw = 0; draw < DRAWS; draw++) {
    for (let i = 0; i < units; i++) picked[i] = Math.floor(random() * units);
    figures.push(figure(picked));
  }
  figures.sort((a, b) => a - b);
  return [figures[Math.floor(0.05 * (DRAWS - 1))]!, figures[Math.ceil(0.95 * (DRAWS - 1))]!];
}
