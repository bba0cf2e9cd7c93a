/**
 * Evolis panel images (Programming Guide A5013, "Db"/"Dbc"): a panel is 1016 lines of 648 dots at
 * 300 dpi — the print head spans the card's short edge, and the card passes under it along its long
 * edge, so line `r` is the card's column `r` (left to right, as the card is seen landscape) and dot
 * `d` of a line is the card's row `647 - d` (Printer-EVOLIS rotates its landscape PBMs by 270°).
 *
 * A panel is one value per dot, `0 … levels-1`, 0 meaning no ink. Levels 2 is one bit per dot
 * (black K, overlay O), 32/64/128 are 5/6/7 bits per dot (colour Y, M, C); bits are packed MSB first,
 * dot after dot, line after line. `Dbc` compresses a 1-bit panel line by line: 0x00 a blank line,
 * 0xFF a full line, else a count N ≤ 81 and N bytes, the rest of the line blank.
 */
import { EvolisProtocolError } from './errors.js';

export const PANEL_DOTS = 648;
export const PANEL_LINES = 1016;
/** Bytes in one 1-bit line. */
export const LINE_BYTES = PANEL_DOTS / 8;

export type PanelName = 'y' | 'm' | 'c' | 'k' | 'o';
export const PANEL_NAMES: readonly PanelName[] = ['y', 'm', 'c', 'k', 'o'];
export type PanelLevels = 2 | 32 | 64 | 128;
export const PANEL_LEVELS: readonly PanelLevels[] = [2, 32, 64, 128];

/** One panel: `PANEL_DOTS × PANEL_LINES` values, line after line. */
export interface Panel {
  name: PanelName;
  levels: PanelLevels;
  dots: Uint8Array;
}

export function isPanelName(text: string): text is PanelName {
  return (PANEL_NAMES as readonly string[]).includes(text);
}

export function bitsPerDot(levels: PanelLevels): number {
  return Math.log2(levels);
}

/** Bytes of a `Db` download of a panel at these levels. */
export function panelBytes(levels: PanelLevels): number {
  return (PANEL_DOTS * PANEL_LINES * bitsPerDot(levels)) / 8;
}

export function blankPanel(name: PanelName, levels: PanelLevels): Panel {
  return { name, levels, dots: new Uint8Array(PANEL_DOTS * PANEL_LINES) };
}

/** The panel's dots packed for `Db`. */
export function packPanel(panel: Panel): Buffer {
  if (panel.dots.length !== PANEL_DOTS * PANEL_LINES)
    throw new EvolisProtocolError(
      'evolis_bad_argument',
      `a panel has ${PANEL_DOTS * PANEL_LINES} dots, not ${panel.dots.length}`,
    );
  const bits = bitsPerDot(panel.levels);
  const max = panel.levels - 1;
  const out = Buffer.alloc(panelBytes(panel.levels));
  let bitAt = 0;
  for (const value of panel.dots) {
    const v = value > max ? max : value;
    for (let b = bits - 1; b >= 0; b--) {
      if ((v >> b) & 1) out[bitAt >> 3]! |= 0x80 >> (bitAt & 7);
      bitAt++;
    }
  }
  return out;
}

/** A `Db` download's data as a panel. */
export function unpackPanel(name: PanelName, levels: PanelLevels, data: Uint8Array): Panel {
  if (data.length !== panelBytes(levels))
    throw new EvolisProtocolError(
      'evolis_bad_download',
      `a ${levels}-level panel is ${panelBytes(levels)} bytes, not ${data.length}`,
    );
  const bits = bitsPerDot(levels);
  const dots = new Uint8Array(PANEL_DOTS * PANEL_LINES);
  let bitAt = 0;
  for (let i = 0; i < dots.length; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++) {
      v = (v << 1) | ((data[bitAt >> 3]! >> (7 - (bitAt & 7))) & 1);
      bitAt++;
    }
    dots[i] = v;
  }
  return { name, levels, dots };
}

/** A 1-bit panel compressed for `Dbc`. */
export function compressPanel(panel: Panel): Buffer {
  if (panel.levels !== 2)
    throw new EvolisProtocolError('evolis_bad_argument', 'only a 2-level panel can be compressed');
  const packed = packPanel(panel);
  const parts: Buffer[] = [];
  for (let line = 0; line < PANEL_LINES; line++) {
    const bytes = packed.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES);
    let used = LINE_BYTES;
    while (used > 0 && bytes[used - 1] === 0) used--;
    if (used === 0) parts.push(Buffer.of(0x00));
    else if (used === LINE_BYTES && bytes.every((b) => b === 0xff)) parts.push(Buffer.of(0xff));
    else parts.push(Buffer.of(used), bytes.subarray(0, used));
  }
  return Buffer.concat(parts);
}

/** A `Dbc` download's data as a 1-bit panel; the data must hold exactly 1016 lines. */
export function decompressPanel(name: PanelName, data: Uint8Array): Panel {
  const packed = Buffer.alloc(panelBytes(2));
  let at = 0;
  for (let line = 0; line < PANEL_LINES; line++) {
    if (at >= data.length)
      throw new EvolisProtocolError('evolis_bad_download', `compressed panel ends at line ${line} of 1016`);
    const head = data[at++]!;
    const target = line * LINE_BYTES;
    if (head === 0xff) packed.fill(0xff, target, target + LINE_BYTES);
    else if (head !== 0x00) {
      if (head > LINE_BYTES)
        throw new EvolisProtocolError('evolis_bad_download', `line ${line} says ${head} bytes`);
      if (at + head > data.length)
        throw new EvolisProtocolError('evolis_bad_download', `compressed panel ends at line ${line} of 1016`);
      packed.set(data.subarray(at, at + head), target);
      at += head;
    }
  }
  if (at !== data.length)
    throw new EvolisProtocolError('evolis_bad_download', `${data.length - at} bytes after line 1016`);
  return unpackPanel(name, 2, packed);
}

/** The dot index of the card's pixel (x, y) on a landscape card image 1016 × 648. */
export function dotIndex(x: number, y: number): number {
  return x * PANEL_DOTS + (PANEL_DOTS - 1 - y);
}
