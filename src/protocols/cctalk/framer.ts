/**
 * A bounded, incremental ccTalk framer (STYLE 4): chunks in, whole frames out.
 * ccTalk has no start byte, so a frame is found where the length byte and the
 * checksum agree. A byte that starts no valid frame is line noise: it is
 * skipped (reported as `cctalk_garbage` or `cctalk_checksum`) and the scan goes
 * on at the next byte. While the bytes at the head promise a frame not yet
 * whole, a complete valid frame further on is taken at once (the head was
 * noise with a large length byte); at most one frame's worth is ever held.
 */
import { heldAfter, heldThen, NOTHING_HELD } from '../held-bytes.js';
import { CctalkFrameError } from './errors.js';
import { type CctalkFrame, FRAME_OVERHEAD, MAX_FRAME_LENGTH, sumsToZero } from './frame.js';

export type CctalkParseItem =
  | { ok: true; frame: CctalkFrame; bytes: Uint8Array }
  | { ok: false; error: CctalkFrameError };

export class CctalkFramer {
  private buffer: Uint8Array = NOTHING_HELD;

  /** Bytes held for a frame not yet whole. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Forgets what is held (a reply that never completed). Returns how many bytes went. */
  reset(): number {
    const dropped = this.buffer.length;
    this.buffer = NOTHING_HELD;
    return dropped;
  }

  push(chunk: Uint8Array): CctalkParseItem[] {
    const joined = heldThen(this.buffer, chunk);
    const items: CctalkParseItem[] = [];
    let at = 0;
    let skipped = 0;
    let corrupt = false;
    const flushSkipped = () => {
      if (skipped === 0) return;
      items.push({
        ok: false,
        error: corrupt
          ? new CctalkFrameError('cctalk_checksum', `checksum mismatch; skipped ${skipped} byte(s)`)
          : new CctalkFrameError('cctalk_garbage', `skipped ${skipped} byte(s) of line noise`),
      });
      skipped = 0;
      corrupt = false;
    };
    while (joined.length - at >= FRAME_OVERHEAD) {
      const total = FRAME_OVERHEAD + joined[at + 1]!;
      if (joined.length - at >= total) {
        if (sumsToZero(joined.subarray(at, at + total))) {
          flushSkipped();
          const bytes = joined.slice(at, at + total);
          items.push({ ok: true, frame: frameOf(bytes), bytes });
          at += total;
        } else {
          corrupt = true;
          skipped++;
          at++;
        }
        continue;
      }
      // The head promises more than has come: a whole valid frame behind it wins.
      const later = firstWholeFrame(joined, at + 1);
      if (later === undefined) break;
      skipped += later - at;
      at = later;
    }
    // Never hold more than one frame could be.
    if (joined.length - at > MAX_FRAME_LENGTH) {
      const excess = joined.length - at - MAX_FRAME_LENGTH;
      skipped += excess;
      at += excess;
    }
    flushSkipped();
    this.buffer = heldAfter(joined, at);
    return items;
  }
}

function firstWholeFrame(bytes: Uint8Array, from: number): number | undefined {
  for (let at = from; bytes.length - at >= FRAME_OVERHEAD; at++) {
    const total = FRAME_OVERHEAD + bytes[at + 1]!;
    if (bytes.length - at >= total && sumsToZero(bytes.subarray(at, at + total))) return at;
  }
  return undefined;
}

function frameOf(bytes: Uint8Array): CctalkFrame {
  return { destination: bytes[0]!, source: bytes[2]!, header: bytes[3]!, data: bytes.slice(4, -1) };
}
