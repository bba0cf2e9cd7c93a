/**
 * One scan's bytes (its terminator already taken off) to the value a desk uses:
 * UTF-8 checked, the configured prefix and suffix taken off, the AIM symbology
 * identifier read when the scanner sends one, control characters refused. A
 * scan either gives a whole value or an error — never part of one.
 */
import { type Symbology, splitSymbology } from './aim.js';
import { ScanError } from './errors.js';

export interface ScanTextOptions {
  /** Characters the scanner is set to send before each code (taken off; a scan without them is refused). */
  prefix?: string | undefined;
  /** Characters the scanner sends after each code, before the terminator. */
  suffix?: string | undefined;
  /** The scanner sends an AIM symbology identifier (`]E0`) before the data. */
  aim?: boolean | undefined;
}

export interface ScanText {
  value: string;
  symbology?: Symbology;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** GS (0x1D) separates GS1 element strings (FNC1) and is data; every other C0/C1 control or DEL is not. */
function firstControl(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x1d) || (code >= 0x7f && code <= 0x9f)) return i;
  }
  return -1;
}

/** The ASCII names of the C0 control characters, as scanner manuals write them (0x09 is TAB). */
const CONTROL_NAMES = (
  'NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI ' +
  'DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'
).split(' ');

/**
 * A configured prefix or suffix in words: printable runs quoted, control characters by their
 * names (`STX`, `"#" ETX`, `CR LF`), so a refusal can say what was expected without a raw byte.
 */
export function affixInWords(affix: string): string {
  const words: string[] = [];
  let run = '';
  for (const char of affix) {
    const code = char.codePointAt(0)!;
    const name =
      code < 0x20
        ? CONTROL_NAMES[code]
        : code === 0x7f
          ? 'DEL'
          : code >= 0x80 && code <= 0x9f
            ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
            : undefined;
    if (name === undefined) {
      run += char;
      continue;
    }
    if (run) words.push(JSON.stringify(run));
    run = '';
    words.push(name);
  }
  if (run) words.push(JSON.stringify(run));
  return words.join(' ');
}

/** Decodes one scan. Throws a ScanError (`scan_invalid_utf8`, `scan_affix_missing`, `scan_control_character`, `scan_empty`, `scan_bad_symbology`). */
export function decodeScanText(bytes: Uint8Array, options: ScanTextOptions = {}): ScanText {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ScanError('scan_invalid_utf8', `the scan (${bytes.length} bytes) is not UTF-8`);
  }
  return scanTextOf(text, options);
}

/** The same checks for text already made of characters (a keyboard wedge's keystrokes). */
export function scanTextOf(text: string, options: ScanTextOptions = {}): ScanText {
  const { prefix, suffix } = options;
  if (prefix) {
    if (!text.startsWith(prefix))
      throw new ScanError(
        'scan_affix_missing',
        `the scan does not begin with the configured prefix ${affixInWords(prefix)} (scan.prefix): set the scanner to send it, or change scan.prefix`,
      );
    text = text.slice(prefix.length);
  }
  if (suffix) {
    if (!text.endsWith(suffix))
      throw new ScanError(
        'scan_affix_missing',
        `the scan does not end with the configured suffix ${affixInWords(suffix)} (scan.suffix): set the scanner to send it, or change scan.suffix`,
      );
    text = text.slice(0, text.length - suffix.length);
  }
  let symbology: Symbology | undefined;
  if (options.aim) ({ symbology, data: text } = splitSymbology(text));
  const control = firstControl(text);
  if (control >= 0)
    throw new ScanError(
      'scan_control_character',
      `the scan holds control character 0x${text.charCodeAt(control).toString(16).padStart(2, '0')} at ${control}`,
    );
  if (text.length === 0) throw new ScanError('scan_empty', 'the scan holds no data');
  return symbology ? { value: text, symbology } : { value: text };
}
