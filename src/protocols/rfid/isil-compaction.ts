/**
 * The ISIL's own compaction (ISO 28560-2, owner library and ILL borrowing institution): three
 * character sets — upper case and lower case in 5 bits, digits in 4 bits — switched by latch
 * (stay) and shift (one character) codes. Starts in upper case; unused bits are 1s, which read
 * as a harmless trailing shift.
 */

import { CompactionError, readBits } from './compaction.js';

type Mode = 'upper' | 'lower' | 'digit';
const MODES: readonly Mode[] = ['upper', 'lower', 'digit'];

const WIDTH: Record<Mode, number> = { upper: 5, lower: 5, digit: 4 };

/** Character of each code below the switch codes. */
const CHARACTERS: Record<Mode, string> = {
  upper: '-ABCDEFGHIJKLMNOPQRSTUVWXYZ:',
  lower: '-abcdefghijklmnopqrstuvwxyz/',
  digit: '0123456789-:',
};

/** Switch codes of each mode: latch and shift to the two other modes. */
const SWITCH: Record<Mode, Partial<Record<Mode, { latch: number; shift: number }>>> = {
  upper: { lower: { latch: 28, shift: 29 }, digit: { latch: 30, shift: 31 } },
  lower: { upper: { latch: 28, shift: 29 }, digit: { latch: 30, shift: 31 } },
  digit: { upper: { latch: 12, shift: 13 }, lower: { latch: 14, shift: 15 } },
};

const CODE_OF: Record<Mode, Map<string, number>> = {
  upper: new Map([...CHARACTERS.upper].map((c, i) => [c, i])),
  lower: new Map([...CHARACTERS.lower].map((c, i) => [c, i])),
  digit: new Map([...CHARACTERS.digit].map((c, i) => [c, i])),
};

export function expandIsil(data: Uint8Array): string {
  const total = data.length * 8;
  let latched: Mode = 'upper';
  let shifted: Mode | undefined;
  let position = 0;
  let text = '';
  for (;;) {
    const mode: Mode = shifted ?? latched;
    const width = WIDTH[mode];
    if (position + width > total) break;
    const code = readBits(data, position, width);
    position += width;
    shifted = undefined;
    const char = CHARACTERS[mode][code];
    if (char !== undefined) {
      text += char;
      continue;
    }
    for (const target of MODES) {
      const codes = SWITCH[mode][target];
      if (codes?.latch === code) latched = target;
      else if (codes?.shift === code) shifted = target;
    }
  }
  return text;
}

interface Step {
  cost: number;
  /** Codes written for this character, with their widths. */
  codes: Array<[number, number]>;
  from: Mode;
}

/** Compacts an ISIL with the fewest bits; `undefined` when a character is outside the three sets. */
export function compactIsil(text: string): Uint8Array | undefined {
  if (text.length === 0) return new Uint8Array(0);
  // cost[mode] = fewest bits to write text[0..i) ending latched in `mode`.
  let cost: Record<Mode, number> = {
    upper: 0,
    lower: Number.POSITIVE_INFINITY,
    digit: Number.POSITIVE_INFINITY,
  };
  const steps: Array<Record<Mode, Step | undefined>> = [];
  for (const char of text) {
    const next: Record<Mode, number> = {
      upper: Number.POSITIVE_INFINITY,
      lower: Number.POSITIVE_INFINITY,
      digit: Number.POSITIVE_INFINITY,
    };
    const step: Record<Mode, Step | undefined> = { upper: undefined, lower: undefined, digit: undefined };
    const offer = (to: Mode, candidate: Step) => {
      if (candidate.cost < next[to]) {
        next[to] = candidate.cost;
        step[to] = candidate;
      }
    };
    for (const from of MODES) {
      if (!Number.isFinite(cost[from])) continue;
      const direct = CODE_OF[from].get(char);
      if (direct !== undefined)
        offer(from, { cost: cost[from] + WIDTH[from], codes: [[direct, WIDTH[from]]], from });
    }
    for (const from of MODES) {
      if (!Number.isFinite(cost[from])) continue;
      for (const to of MODES) {
        const codes = SWITCH[from][to];
        const code = CODE_OF[to].get(char);
        if (!codes || code === undefined) continue;
        const bits = cost[from] + WIDTH[from] + WIDTH[to];
        offer(from, {
          cost: bits,
          codes: [
            [codes.shift, WIDTH[from]],
            [code, WIDTH[to]],
          ],
          from,
        });
        offer(to, {
          cost: bits,
          codes: [
            [codes.latch, WIDTH[from]],
            [code, WIDTH[to]],
          ],
          from,
        });
      }
    }
    if (MODES.every((m) => !Number.isFinite(next[m]))) return undefined;
    steps.push(step);
    cost = next;
  }
  let mode = MODES.reduce((best, m) => (cost[m] < cost[best] ? m : best), 'upper' as Mode);
  const sequence: Array<[number, number]> = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]![mode];
    if (!step) throw new CompactionError('ISIL compaction lost its path');
    sequence.unshift(...step.codes);
    mode = step.from;
  }
  const bits = sequence.reduce((sum, [, width]) => sum + width, 0);
  const out = new Uint8Array(Math.ceil(bits / 8)).fill(0xff);
  let position = 0;
  for (const [code, width] of sequence) {
    for (let b = width - 1; b >= 0; b--) {
      const mask = 0x80 >> (position & 7);
      if ((code >> b) & 1) out[position >> 3]! |= mask;
      else out[position >> 3]! &= ~mask;
      position++;
    }
  }
  return out;
}
