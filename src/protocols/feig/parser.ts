/**
 * A bounded, incremental FEIG frame parser (STYLE 4). Feed it chunks of any size; it
 * returns whole frames and reports what it skipped. Garbage before an STX, an impossible
 * ALEN or a CRC error drops one byte and rescans, so one bad frame never hides the next.
 */
import { heldAfter, heldThen, NOTHING_HELD } from '../held-bytes.js';
import { FeigFrameError } from './errors.js';
import {
  decodeFeigFrame,
  FEIG_DEFAULT_MAX_FRAME,
  FEIG_MIN_FRAME,
  FEIG_STX,
  type FeigFrame,
} from './frame.js';

export type FeigParseItem =
  | { ok: true; frame: FeigFrame; bytes: Uint8Array }
  | { ok: false; error: FeigFrameError };

export class FeigFrameParser {
  private buffer: Uint8Array = NOTHING_HELD;
  private readonly maxFrame: number;

  constructor(options: { maxFrame?: number } = {}) {
    this.maxFrame = Math.max(FEIG_MIN_FRAME, Math.min(options.maxFrame ?? FEIG_DEFAULT_MAX_FRAME, 0xffff));
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = NOTHING_HELD;
  }

  /**
   * Gives up on the frame held incomplete: drops its STX and parses what follows again. For a
   * link whose peer sends whole frames at once (TCP), a frame start still incomplete after a
   * while had a garbled length; without this the parser would wait for up to `maxFrame` bytes
   * and hold every good frame behind it.
   */
  resync(): FeigParseItem[] {
    if (this.buffer.length === 0) return [];
    const rest = this.buffer.subarray(1);
    this.buffer = NOTHING_HELD;
    const dropped = new FeigFrameError('feig_garbage', 'dropped a frame start that never completed');
    return [{ ok: false, error: dropped }, ...this.push(rest)];
  }

  push(chunk: Uint8Array): FeigParseItem[] {
    const joined = heldThen(this.buffer, chunk);
    const items: FeigParseItem[] = [];
    let at = 0;
    let skipped = 0;
    const flushSkipped = () => {
      if (skipped > 0)
        items.push({ ok: false, error: new FeigFrameError('feig_garbage', `skipped ${skipped} byte(s)`) });
      skipped = 0;
    };
    while (at < joined.length) {
      if (joined[at] !== FEIG_STX) {
        at++;
        skipped++;
        continue;
      }
      if (joined.length - at < 3) break;
      const length = (joined[at + 1]! << 8) | joined[at + 2]!;
      if (length < FEIG_MIN_FRAME || length > this.maxFrame) {
        flushSkipped();
        items.push({
          ok: false,
          error: new FeigFrameError('feig_bad_length', `impossible frame length ${length}`),
        });
        at++;
        continue;
      }
      if (joined.length - at < length) break;
      const bytes = joined.slice(at, at + length);
      try {
        const frame = decodeFeigFrame(bytes);
        flushSkipped();
        items.push({ ok: true, frame, bytes });
        at += length;
      } catch (error) {
        flushSkipped();
        items.push({ ok: false, error: error as FeigFrameError });
        at++;
      }
    }
    flushSkipped();
    this.buffer = heldAfter(joined, at);
    return items;
  }
}
