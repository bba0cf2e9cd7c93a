/**
 * Keyboard-wedge decoding: key events (evdev) to scans. A scanner types a
 * whole code in a burst — a few milliseconds between keys — and ends it with
 * Enter (or Tab); a person types slower. Keys further apart than `maxGapMs`
 * are typing and are dropped (counted, never kept); a burst of at least
 * `minLength` characters ended by the terminator is a scan. A burst that holds
 * a key the layout does not have, or runs past `maxLength`, is an error when it
 * ends — never a value with characters missing.
 */
import { ScanError } from './errors.js';
import { EV_KEY, type InputEvent, KEY_DOWN, KEY_UP } from './input-event.js';
import { characterOf, KEY, type Keymap } from './keymap.js';

export interface WedgeOptions {
  keymap: Keymap;
  /** The key that ends a scan. */
  terminator: 'enter' | 'tab';
  /** Keys further apart than this are typing, not a scanner. */
  maxGapMs: number;
  /** A burst shorter than this is typing (a person can type two keys fast). */
  minLength: number;
  /** The longest scan, in characters. */
  maxLength: number;
}

export type WedgeItem =
  /** A whole burst: its characters and when its terminator came (the kernel's time, µs). */
  | { kind: 'scan'; text: string; timeUs: number }
  | { kind: 'error'; error: ScanError; timeUs: number }
  /** Keys that were typing, dropped: only how many. */
  | { kind: 'typing'; keys: number };

const SHIFTS = new Set<number>([KEY.LEFTSHIFT, KEY.RIGHTSHIFT]);

export class WedgeDecoder {
  private chars: string[] = [];
  private lastUs: number | undefined;
  private shift = 0;
  private altGr = false;
  private unmapped: number | undefined;
  private tooLong = false;
  private readonly terminators: ReadonlySet<number>;

  constructor(private readonly options: WedgeOptions) {
    this.terminators = new Set(options.terminator === 'enter' ? [KEY.ENTER, KEY.KPENTER] : [KEY.TAB]);
  }

  /** Characters held for a burst not yet ended. */
  get pending(): number {
    return this.chars.length;
  }

  push(event: InputEvent): WedgeItem[] {
    if (event.type !== EV_KEY) return [];
    const { code, value } = event;
    if (SHIFTS.has(code)) {
      if (value === KEY_DOWN) this.shift++;
      else if (value === KEY_UP) this.shift = Math.max(0, this.shift - 1);
      return [];
    }
    if (code === KEY.RIGHTALT) {
      this.altGr = value !== KEY_UP;
      return [];
    }
    // Only presses type; releases and auto-repeat of a held key do not.
    if (value !== KEY_DOWN) return [];
    const items: WedgeItem[] = [];
    if (this.lastUs !== undefined && event.timeUs - this.lastUs > this.options.maxGapMs * 1000)
      items.push(...this.dropAsTyping());
    this.lastUs = event.timeUs;
    if (this.terminators.has(code)) {
      items.push(...this.end(event.timeUs));
      return items;
    }
    if (this.tooLong) return items;
    const char = characterOf(this.options.keymap, code, this.shift > 0, this.altGr);
    if (char === undefined) this.unmapped ??= code;
    else if (this.chars.length >= this.options.maxLength) this.tooLong = true;
    else this.chars.push(char);
    return items;
  }

  /** The keyboard went quiet at `nowUs`: a burst still held is typing, or a scan that lost its terminator. */
  flush(nowUs: number): WedgeItem[] {
    if (this.lastUs === undefined || nowUs - this.lastUs <= this.options.maxGapMs * 1000) return [];
    if (this.chars.length >= this.options.minLength || this.tooLong) {
      const timeUs = this.lastUs;
      const length = this.chars.length;
      this.clear();
      return [
        {
          kind: 'error',
          error: new ScanError(
            'scan_unterminated',
            `a burst of ${length} key(s) ended without its terminator`,
          ),
          timeUs,
        },
      ];
    }
    return this.dropAsTyping();
  }

  private end(timeUs: number): WedgeItem[] {
    const text = this.chars.join('');
    const { unmapped, tooLong } = this;
    const keys = this.chars.length;
    this.clear();
    if (tooLong)
      return [
        {
          kind: 'error',
          error: new ScanError('scan_too_long', `a scan passed ${this.options.maxLength} characters`),
          timeUs,
        },
      ];
    if (keys < this.options.minLength && unmapped === undefined)
      return keys === 0 ? [] : [{ kind: 'typing', keys }];
    if (unmapped !== undefined)
      return [
        {
          kind: 'error',
          error: new ScanError(
            'keymap_unmapped_key',
            `key code ${unmapped} has no character in the "${this.options.keymap.name}" keymap (is the scanner set to another layout?)`,
          ),
          timeUs,
        },
      ];
    return [{ kind: 'scan', text, timeUs }];
  }

  private dropAsTyping(): WedgeItem[] {
    const keys = this.chars.length;
    this.clear();
    return keys === 0 ? [] : [{ kind: 'typing', keys }];
  }

  private clear(): void {
    this.chars = [];
    this.unmapped = undefined;
    this.tooLong = false;
  }
}
