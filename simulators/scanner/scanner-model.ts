/**
 * What a simulated scanner sends for a code or a swipe: the bytes of a serial
 * scanner set up with a terminator, prefix/suffix and AIM identifiers, and the
 * input_event records a keyboard-wedge scanner's keystrokes make — both built
 * with Carrel's own codecs, read back by the drivers as real ones would be.
 */
import {
  aimIdentifier,
  EV_KEY,
  EV_SYN,
  encodeInputEvent,
  type InputEvent,
  KEY,
  type KeymapName,
  keymap,
  keystrokeOf,
  type ScanTerminator,
} from '../../src/protocols/scan/index.js';

export interface ScannerSettings {
  terminator: ScanTerminator;
  prefix: string;
  suffix: string;
  /** Send an AIM symbology identifier before each code. */
  aim: boolean;
  /** The layout the wedge "types" in. */
  keymap: KeymapName;
  /** Time between keystrokes of the wedge, µs. */
  keyGapUs: number;
}

const TERMINATOR: Record<ScanTerminator, string> = {
  cr: '\r',
  lf: '\n',
  crlf: '\r\n',
  tab: '\t',
  etx: '\u0003',
};

/** The text of one code as the scanner sends it (before the terminator). */
export function scanText(settings: ScannerSettings, barcode: string, symbology = 'code128'): string {
  const aim = settings.aim ? aimIdentifier(symbology) : '';
  return `${settings.prefix}${aim}${barcode}${settings.suffix}`;
}

/** A serial scanner's line: the text and the terminator, UTF-8. */
export function serialBytes(settings: ScannerSettings, text: string): Uint8Array {
  return new TextEncoder().encode(`${text}${TERMINATOR[settings.terminator]}`);
}

/** The track data a magstripe reader sends for a card number (track 2 only). */
export function swipeText(cardNumber: string): string {
  return `;${cardNumber}=0000?`;
}

/**
 * The records of a keyboard-wedge scanner typing a text and Enter, starting at
 * `startUs`: key down, SYN, key up, SYN per key, Shift or AltGr around a
 * character that needs it. Throws RangeError for a character the layout lacks.
 */
export function wedgeRecords(settings: ScannerSettings, text: string, startUs: number): Uint8Array {
  const map = keymap(settings.keymap);
  const events: InputEvent[] = [];
  let t = startUs;
  const key = (code: number, value: number) =>
    events.push({ timeUs: t, type: EV_KEY, code, value }, { timeUs: t, type: EV_SYN, code: 0, value: 0 });
  for (const char of text) {
    const stroke = keystrokeOf(map, char);
    if (!stroke)
      throw new RangeError(`the "${settings.keymap}" layout has no key for ${JSON.stringify(char)}`);
    const modifier =
      stroke.modifier === 'shift' ? KEY.LEFTSHIFT : stroke.modifier === 'altgr' ? KEY.RIGHTALT : 0;
    if (modifier) key(modifier, 1);
    key(stroke.code, 1);
    key(stroke.code, 0);
    if (modifier) key(modifier, 0);
    t += settings.keyGapUs;
  }
  key(KEY.ENTER, 1);
  key(KEY.ENTER, 0);
  const out = new Uint8Array(events.length * 24);
  events.forEach((event, index) => {
    out.set(encodeInputEvent(event), index * 24);
  });
  return out;
}
