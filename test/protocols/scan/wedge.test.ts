import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInputEvent,
  EV_KEY,
  EV_SYN,
  encodeInputEvent,
  INPUT_EVENT_SIZE,
  type InputEvent,
  InputEventReader,
  KEY,
  type KeymapName,
  keymap,
  keystrokeOf,
  WedgeDecoder,
  type WedgeItem,
} from '../../../src/protocols/scan/index.js';

const hex = (text: string) =>
  Uint8Array.from(text.replace(/\s+/g, '').match(/../g)!, (p) => Number.parseInt(p, 16));

describe('input_event records (linux/input.h, 64-bit)', () => {
  it('decodes the record of KEY_A pressed at 1.000002 s (tv_sec, tv_usec, type, code, value; little-endian)', () => {
    const record = hex('0100000000000000 0200000000000000 0100 1e00 01000000');
    expect(record.length).toBe(INPUT_EVENT_SIZE);
    const event = decodeInputEvent(record);
    expect(event).toEqual({ timeUs: 1_000_002, type: EV_KEY, code: 30, value: 1 });
    expect(encodeInputEvent(event)).toEqual(record);
  });

  it('decodes a SYN_REPORT and a key release', () => {
    expect(decodeInputEvent(hex('6400000000000000 3f420f0000000000 0000 0000 00000000'))).toEqual({
      timeUs: 100_999_999,
      type: EV_SYN,
      code: 0,
      value: 0,
    });
    expect(decodeInputEvent(hex('0000000000000000 0000000000000000 0100 1c00 00000000')).value).toBe(0);
  });

  it('refuses a tv_usec of a second or more, and a short record', () => {
    expect(() => decodeInputEvent(hex('0000000000000000 40420f0000000000 0100 1e00 01000000'))).toThrow(
      expect.objectContaining({ code: 'evdev_bad_record' }),
    );
    expect(() => decodeInputEvent(new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'evdev_bad_record' }),
    );
  });

  it('reads records split at every byte offset', () => {
    const events: InputEvent[] = [
      { timeUs: 5_000_000, type: EV_KEY, code: 30, value: 1 },
      { timeUs: 5_000_100, type: EV_SYN, code: 0, value: 0 },
      { timeUs: 5_000_900, type: EV_KEY, code: 30, value: 0 },
    ];
    const wire = Uint8Array.from(events.flatMap((event) => [...encodeInputEvent(event)]));
    for (let at = 0; at <= wire.length; at++) {
      const reader = new InputEventReader();
      expect([...reader.push(wire.subarray(0, at)), ...reader.push(wire.subarray(at))]).toEqual(events);
      expect(reader.pending).toBe(0);
    }
  });
});

/** What a scanner set to a layout types for a text: press/release per character, shift or AltGr around it. */
function typed(
  text: string,
  layout: KeymapName,
  startUs: number,
  gapUs: number,
  end: number = KEY.ENTER,
): InputEvent[] {
  const map = keymap(layout);
  const events: InputEvent[] = [];
  let t = startUs;
  const key = (code: number, value: number) => events.push({ timeUs: t, type: EV_KEY, code, value });
  for (const char of text) {
    const stroke = keystrokeOf(map, char);
    if (!stroke) throw new Error(`no key for ${char}`);
    const modifier =
      stroke.modifier === 'shift' ? KEY.LEFTSHIFT : stroke.modifier === 'altgr' ? KEY.RIGHTALT : 0;
    if (modifier) key(modifier, 1);
    key(stroke.code, 1);
    key(stroke.code, 0);
    if (modifier) key(modifier, 0);
    t += gapUs;
  }
  key(end, 1);
  key(end, 0);
  return events;
}

const decoder = (layout: KeymapName = 'us') =>
  new WedgeDecoder({
    keymap: keymap(layout),
    terminator: 'enter',
    maxGapMs: 30,
    minLength: 4,
    maxLength: 64,
  });
const run = (d: WedgeDecoder, events: InputEvent[]): WedgeItem[] => events.flatMap((e) => d.push(e));

describe('keyboard wedge', () => {
  it('a scanner burst on the US layout is one scan, shifted characters included', () => {
    expect(run(decoder(), typed('P-00123/ab', 'us', 1e6, 2000))).toEqual([
      { kind: 'scan', text: 'P-00123/ab', timeUs: 1e6 + 10 * 2000 },
    ]);
  });

  it('German QWERTZ: Z and Y swap, ß and AltGr @ are read as the scanner typed them', () => {
    const text = 'Zeitschrift-Y@ß';
    expect(run(decoder('de'), typed(text, 'de', 1e6, 1000))).toMatchObject([{ kind: 'scan', text }]);
    // The same keystrokes read with the US layout are another text: the keymap must match the scanner's.
    const asUs = run(decoder('us'), typed('Zeit', 'de', 1e6, 1000));
    expect(asUs).toMatchObject([{ kind: 'scan', text: 'Yeit' }]);
  });

  it('typing (keys 200 ms apart) is dropped and counted, never a scan', () => {
    expect(run(decoder(), typed('12345678', 'us', 1e6, 200_000))).toEqual([
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
      { kind: 'typing', keys: 1 },
    ]);
  });

  it('typing then a scan: only the scan is a value', () => {
    const events = [...typed('hi', 'us', 1e6, 150_000, KEY.SPACE), ...typed('31234567890', 'us', 3e6, 1500)];
    expect(run(decoder(), events).filter((item) => item.kind !== 'typing')).toEqual([
      { kind: 'scan', text: '31234567890', timeUs: 3e6 + 11 * 1500 },
    ]);
  });

  it('a key the layout does not have inside a burst makes the burst an error, not a shorter value', () => {
    const events = typed('1234', 'us', 1e6, 1000);
    events.splice(2, 0, { timeUs: 1e6 + 500, type: EV_KEY, code: 183, value: 1 }); // KEY_F13
    expect(run(decoder(), events)).toMatchObject([{ kind: 'error', error: { code: 'keymap_unmapped_key' } }]);
  });

  it('a burst without its terminator is an unterminated scan once the keyboard is quiet', () => {
    const d = decoder();
    const events = typed('31234567890', 'us', 1e6, 1000).slice(0, -2);
    expect(run(d, events)).toEqual([]);
    expect(d.flush(1e6 + 10_000)).toEqual([]);
    expect(d.flush(1e6 + 200_000)).toMatchObject([{ kind: 'error', error: { code: 'scan_unterminated' } }]);
    expect(d.pending).toBe(0);
  });

  it('a burst over the limit is one scan_too_long', () => {
    expect(run(decoder(), typed('9'.repeat(100), 'us', 1e6, 500))).toMatchObject([
      { kind: 'error', error: { code: 'scan_too_long' } },
    ]);
  });

  it('random key events never throw, and a scan holds only characters of the layout', () => {
    const chars = new Set([...keymap('us').keys.values()].flatMap((c) => [c[0], c[1]]));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 100_000 }),
            type: fc.constantFrom(0, 1, 4),
            code: fc.integer({ min: 0, max: 120 }),
            value: fc.integer({ min: -1, max: 3 }),
          }),
          { maxLength: 200 },
        ),
        (raw) => {
          const d = decoder();
          let t = 0;
          for (const { dt, type, code, value } of raw) {
            t += dt;
            for (const item of d.push({ timeUs: t, type, code, value })) {
              if (item.kind === 'scan') for (const c of item.text) expect(chars.has(c)).toBe(true);
            }
          }
          d.flush(t + 1e7);
          expect(d.pending).toBe(0);
        },
      ),
    );
  });
});
