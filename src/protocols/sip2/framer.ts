/**
 * SIP2 framing as its own bounded, incremental stage. A message ends with CR;
 * CR LF, a stray leading LF and bare LF are accepted too (empty lines are
 * skipped), and blanks (spaces, tabs) between messages are line noise, never the
 * start of the next one (Koha's and Evergreen's SIPServer skip them alike). One read may hold part of a message or several messages. A frame
 * longer than `maxFrameSize` is dropped with a typed error and the framer resyncs
 * at the next terminator.
 */

import { Sip2FrameError } from './errors.js';

export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;

export interface Sip2FramerOptions {
  /** Bytes, terminator excluded. Default 64 KiB. */
  maxFrameSize?: number;
}

export type Sip2FramerEvent = { type: 'frame'; frame: Uint8Array } | { type: 'error'; error: Sip2FrameError };

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

const copy = (bytes: Uint8Array, start: number, end: number): Uint8Array =>
  Uint8Array.prototype.slice.call(bytes, start, end);

export class Sip2Framer {
  readonly maxFrameSize: number;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Dropping an oversized frame until the next terminator. */
  private discarding = false;

  constructor(options: Sip2FramerOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(this.maxFrameSize) || this.maxFrameSize < 1) {
      throw new RangeError('maxFrameSize must be a positive integer');
    }
  }

  /** Bytes held for a frame not yet terminated. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Feeds one read; returns the complete frames (without terminator) and errors, in order. */
  push(chunk: Uint8Array): Sip2FramerEvent[] {
    const events: Sip2FramerEvent[] = [];
    let i = 0;
    const length = chunk.length;
    while (i < length) {
      if (this.pendingLength === 0 && !this.discarding) {
        // No message starts with a blank: those before one are line noise between frames.
        while (i < length && (chunk[i] === SPACE || chunk[i] === TAB)) i++;
        if (i === length) break;
      }
      let t = i;
      while (t < length && chunk[t] !== CR && chunk[t] !== LF) t++;
      const terminated = t < length;
      if (this.discarding) {
        if (terminated) this.discarding = false;
        i = t + 1;
        continue;
      }
      const size = this.pendingLength + (t - i);
      if (size > this.maxFrameSize) {
        events.push({
          type: 'error',
          error: new Sip2FrameError(
            'sip2_frame_too_large',
            `frame longer than ${this.maxFrameSize} bytes dropped`,
            size,
          ),
        });
        this.pending = [];
        this.pendingLength = 0;
        this.discarding = !terminated;
        i = t + 1;
        continue;
      }
      if (!terminated) {
        this.pending.push(copy(chunk, i, t));
        this.pendingLength = size;
        break;
      }
      if (size > 0) events.push({ type: 'frame', frame: this.take(chunk, i, t, size) });
      i = t + 1;
    }
    return events;
  }

  /** Drops any partial frame (after a reconnect). */
  reset(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.discarding = false;
  }

  private take(chunk: Uint8Array, start: number, end: number, size: number): Uint8Array {
    if (this.pendingLength === 0) return copy(chunk, start, end);
    const frame = new Uint8Array(size);
    let at = 0;
    for (const part of this.pending) {
      frame.set(part, at);
      at += part.length;
    }
    frame.set(chunk.subarray(start, end), at);
    this.pending = [];
    this.pendingLength = 0;
    return frame;
  }
}
