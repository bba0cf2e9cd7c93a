/**
 * Magicard image planes (the spool format selphy_print's backend_magicard.c documents): 1016 rows of
 * 672 dots. The colour planes are yellow, magenta and cyan at 6 bits a dot, labelled by the light
 * they absorb — B, G and R; the resin black plane K is 1 bit a dot. A K row is 84 bytes; a colour
 * row is 6 × 84 bytes, one 84-byte stripe per bit of the dot value, bit 0 first. Within a stripe dot
 * 0 is the first byte's most significant bit (as selphy_print packs it).
 *
 * Carrel lays the landscape card (1016 × 648) on the plane a quarter turned: plane row `r` is the
 * card's column `r`, dot `MARGIN + y` is the card's row `y`, the 12 dots either side blank. Which
 * way round a real head runs is to be checked on hardware (docs/card-printers.md).
 */
import { MagicardProtocolError } from './errors.js';

export const PLANE_DOTS = 672;
export const PLANE_ROWS = 1016;
export const ROW_BYTES = PLANE_DOTS / 8;
/** Card rows sit this many dots into a plane row. */
export const MARGIN = 12;
/** The card image a plane holds: landscape, 300 dpi. */
export const CARD_WIDTH = PLANE_ROWS;
export const CARD_HEIGHT = PLANE_DOTS - 2 * MARGIN;

export type PlaneName = 'B' | 'G' | 'R' | 'K';
export const PLANE_NAMES: readonly PlaneName[] = ['B', 'G', 'R', 'K'];

/** One plane: `PLANE_DOTS × PLANE_ROWS` values, row after row; 0 … 63 (B, G, R) or 0 … 1 (K). */
export interface Plane {
  name: PlaneName;
  dots: Uint8Array;
}

export function isPlaneName(text: string): text is PlaneName {
  return (PLANE_NAMES as readonly string[]).includes(text);
}

export function bitsPerDot(name: PlaneName): 1 | 6 {
  return name === 'K' ? 1 : 6;
}

/** Bytes of a plane as sent (its `SZ<name>` length). */
export function planeBytes(name: PlaneName): number {
  return PLANE_ROWS * ROW_BYTES * bitsPerDot(name);
}

export function blankPlane(name: PlaneName): Plane {
  return { name, dots: new Uint8Array(PLANE_DOTS * PLANE_ROWS) };
}

/** The dot index of the card's pixel (x, y) on a landscape card image 1016 × 648. */
export function planeDot(x: number, y: number): number {
  return x * PLANE_DOTS + MARGIN + y;
}

export function packPlane(plane: Plane): Buffer {
  if (plane.dots.length !== PLANE_DOTS * PLANE_ROWS)
    throw new MagicardProtocolError(
      'magicard_bad_argument',
      `a plane has ${PLANE_DOTS * PLANE_ROWS} dots, not ${plane.dots.length}`,
    );
  const bits = bitsPerDot(plane.name);
  const max = (1 << bits) - 1;
  const out = Buffer.alloc(planeBytes(plane.name));
  for (let row = 0; row < PLANE_ROWS; row++) {
    const rowAt = row * ROW_BYTES * bits;
    for (let dot = 0; dot < PLANE_DOTS; dot++) {
      const raw = plane.dots[row * PLANE_DOTS + dot]!;
      const value = raw > max ? max : raw;
      if (value === 0) continue;
      const mask = 0x80 >> (dot & 7);
      for (let bit = 0; bit < bits; bit++)
        if ((value >> bit) & 1) out[rowAt + bit * ROW_BYTES + (dot >> 3)]! |= mask;
    }
  }
  return out;
}

export function unpackPlane(name: PlaneName, data: Uint8Array): Plane {
  if (data.length !== planeBytes(name))
    throw new MagicardProtocolError(
      'magicard_bad_job',
      `plane ${name} is ${planeBytes(name)} bytes, not ${data.length}`,
    );
  const bits = bitsPerDot(name);
  const plane = blankPlane(name);
  for (let row = 0; row < PLANE_ROWS; row++) {
    const rowAt = row * ROW_BYTES * bits;
    for (let dot = 0; dot < PLANE_DOTS; dot++) {
      const mask = 0x80 >> (dot & 7);
      let value = 0;
      for (let bit = 0; bit < bits; bit++)
        if (data[rowAt + bit * ROW_BYTES + (dot >> 3)]! & mask) value |= 1 << bit;
      plane.dots[row * PLANE_DOTS + dot] = value;
    }
  }
  return plane;
}
