/**
 * A bounded, incremental 3M 810 frame parser (STYLE 4): chunks in, whole frames out.
 * Garbage, impossible lengths and CRC errors drop one byte and rescan.
 */
import { heldAfter, heldThen, NOTHING_HELD } from '../held-bytes.js';
import { ThreeMFrameError } from './errors.js';
import {
  decodeThreeMFrame,
  THREEM_DEFAULT_MAX_FRAME,
  THREEM_MIN_FRAME,
  THREEM_SOF,
  type ThreeMFrame,
} from './frame.js';

export type ThreeMParseItem =
  | { ok: true; frame: ThreeMFrame; bytes: Uint8Array }
  | { ok: false; error: ThreeMFrameError };

export class ThreeMFrameParser {
  private buffer: Uint8Array = NOTHING_HELD;
  private readonly maxFrame: number;

  constructor(options: { maxFrame?: number } = {}) {
    this.maxFrame = Math.max(
      THREEM_MIN_FRAME,
      Math.min(options.maxFrame ?? THREEM_DEFAULT_MAX_FRAME, 0xffff + 3),
    );
  }

  get pending(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = NOTHING_HELD;
  }

  push(chunk: Uint8Array): ThreeMParseItem[] {
    const joined = heldThen(this.buffer, chunk);
    const items: ThreeMParseItem[] = [];
    let at = 0;
    let skipped = 0;
    const flushSkipped = () => {
      if (skipped > 0)
        items.push({
          ok: false,
          error: new ThreeMFrameError('threem_garbage', `skipped ${skipped} byte(s)`),
        });
      skipped = 0;
    };
    while (at < joined.length) {
      const start = joined[at];
      if (start !== THREEM_SOF.command && start !== THREEM_SOF.probe) {
        at++;
        skipped++;
        continue;
      }
      if (joined.length - at < 3) break;
      const total = ((joined[at + 1]! << 8) | joined[at + 2]!) + 3;
      if (total < THREEM_MIN_FRAME || total > this.maxFrame) {
        flushSkipped();
        items.push({
          ok: false,
          error: new ThreeMFrameError('threem_bad_length', `impossible length ${total - 3}`),
        });
        at++;
        continue;
      }
      if (joined.length - at < total) break;
      const bytes = joined.slice(at, at + total);
      try {
        const frame = decodeThreeMFrame(bytes);
        flushSkipped();
        items.push({ ok: true, frame, bytes });
        at += total;
      } catch (error) {
        flushSkipped();
        items.push({ ok: false, error: error as ThreeMFrameError });
        at++;
      }
    }
    flushSkipped();
    this.buffer = heldAfter(joined, at);
    return items;
  }
}
