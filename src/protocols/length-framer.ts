/**
 * A bounded, incremental parser for frames that open with a start byte and a two-byte
 * big-endian length right after it (FEIG ISO host, 3M 810), STYLE 4. Feed it chunks of any
 * size; it returns whole frames and reports what it skipped. Garbage before a start byte, an
 * impossible length or a frame its codec refuses (a CRC error) drops one byte and rescans, so
 * one bad frame never hides the next.
 */
import type { PeerError } from '../core/errors.js';
import { heldAfter, heldThen, NOTHING_HELD } from './held-bytes.js';

export type LengthFramedItem<Frame, FrameError extends PeerError> =
  | { ok: true; frame: Frame; bytes: Uint8Array }
  | { ok: false; error: FrameError };

/** What tells one protocol's frames apart: the start, the length field, the check. */
export interface LengthFraming<Frame, FrameError extends PeerError> {
  isStart(byte: number): boolean;
  /**
   * What the frame's length field does not count: 0 where it counts the whole frame (FEIG's
   * ALEN), 3 where it counts what follows the start byte and itself (3M).
   */
  uncounted: number;
  /** The shortest frame, and the longest this parser takes unless told less. */
  minFrame: number;
  defaultMaxFrame: number;
  /** The whole frame decoded and checked (its CRC); throws the protocol's frame error. */
  decode(bytes: Uint8Array): Frame;
  /** The protocol's error for skipped bytes (`garbage`) or a length no frame can have (`bad_length`). */
  error(kind: 'garbage' | 'bad_length', message: string): FrameError;
  /** How a bad length is said: the field's value as the protocol names it. */
  badLength(field: number): string;
}

/** The start byte and the two length bytes: what must be there before the length is known. */
const HEADER = 3;

export class LengthFramer<Frame, FrameError extends PeerError> {
  private buffer: Uint8Array = NOTHING_HELD;
  private readonly maxFrame: number;

  constructor(
    private readonly framing: LengthFraming<Frame, FrameError>,
    options: { maxFrame?: number } = {},
  ) {
    this.maxFrame = Math.max(
      framing.minFrame,
      Math.min(options.maxFrame ?? framing.defaultMaxFrame, 0xffff + framing.uncounted),
    );
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer = NOTHING_HELD;
  }

  /**
   * Gives up on the frame held incomplete: drops its start byte and parses what follows again.
   * For a link whose peer sends whole frames at once (TCP), a frame start still incomplete after
   * a while had a garbled length; without this the parser would wait for up to `maxFrame` bytes
   * and hold every good frame behind it.
   */
  resync(): LengthFramedItem<Frame, FrameError>[] {
    if (this.buffer.length === 0) return [];
    const rest = this.buffer.subarray(1);
    this.buffer = NOTHING_HELD;
    const dropped = this.framing.error('garbage', 'dropped a frame start that never completed');
    return [{ ok: false, error: dropped }, ...this.push(rest)];
  }

  push(chunk: Uint8Array): LengthFramedItem<Frame, FrameError>[] {
    const { framing } = this;
    const joined = heldThen(this.buffer, chunk);
    const items: LengthFramedItem<Frame, FrameError>[] = [];
    let at = 0;
    let skipped = 0;
    const flushSkipped = () => {
      if (skipped > 0)
        items.push({ ok: false, error: framing.error('garbage', `skipped ${skipped} byte(s)`) });
      skipped = 0;
    };
    while (at < joined.length) {
      if (!framing.isStart(joined[at]!)) {
        at++;
        skipped++;
        continue;
      }
      if (joined.length - at < HEADER) break;
      const field = (joined[at + 1]! << 8) | joined[at + 2]!;
      const total = field + framing.uncounted;
      if (total < framing.minFrame || total > this.maxFrame) {
        flushSkipped();
        items.push({ ok: false, error: framing.error('bad_length', framing.badLength(field)) });
        at++;
        continue;
      }
      if (joined.length - at < total) break;
      const bytes = joined.slice(at, at + total);
      try {
        const frame = framing.decode(bytes);
        flushSkipped();
        items.push({ ok: true, frame, bytes });
        at += total;
      } catch (error) {
        flushSkipped();
        items.push({ ok: false, error: error as FrameError });
        at++;
      }
    }
    flushSkipped();
    this.buffer = heldAfter(joined, at);
    return items;
  }
}
