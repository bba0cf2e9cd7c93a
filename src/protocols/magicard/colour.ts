/**
 * A card image (landscape, 1016 × 648 RGBA, 300 dpi) as the planes a Magicard prints, and back.
 *
 * - A black ribbon (`k`, IMF K) prints the K plane alone: a dot is black where the pixel is darker
 *   than half.
 * - A colour ribbon (`ymcko`, IMF BGRK) prints yellow (B), magenta (G) and cyan (R) at 64 levels
 *   (ink is what the light lacks), resin black where a pixel is near black (text and barcodes stay
 *   sharp), and the overcoat, which is a command (`OVRON`), not a plane.
 */
import { blankPlane, CARD_HEIGHT, CARD_WIDTH, type Plane, type PlaneName, planeDot } from './plane.js';

export type MagicardRibbon = 'k' | 'ymcko';

const RESIN_BLACK = 64;
const LEVELS = 64;

export function imageToPlanes(rgba: Uint8Array, ribbon: MagicardRibbon): Plane[] {
  if (rgba.length !== CARD_WIDTH * CARD_HEIGHT * 4)
    throw new RangeError(`a card image is ${CARD_WIDTH} × ${CARD_HEIGHT} RGBA, not ${rgba.length} bytes`);
  const k = blankPlane('K');
  if (ribbon === 'k') {
    for (let y = 0; y < CARD_HEIGHT; y++)
      for (let x = 0; x < CARD_WIDTH; x++) {
        const [r, g, b] = over(rgba, (y * CARD_WIDTH + x) * 4);
        if (0.299 * r + 0.587 * g + 0.114 * b < 128) k.dots[planeDot(x, y)] = 1;
      }
    return [k];
  }
  const yellow = blankPlane('B');
  const magenta = blankPlane('G');
  const cyan = blankPlane('R');
  const scale = (LEVELS - 1) / 255;
  for (let y = 0; y < CARD_HEIGHT; y++)
    for (let x = 0; x < CARD_WIDTH; x++) {
      const [r, g, b] = over(rgba, (y * CARD_WIDTH + x) * 4);
      const dot = planeDot(x, y);
      if (r < RESIN_BLACK && g < RESIN_BLACK && b < RESIN_BLACK) k.dots[dot] = 1;
      else {
        cyan.dots[dot] = Math.round((255 - r) * scale);
        magenta.dots[dot] = Math.round((255 - g) * scale);
        yellow.dots[dot] = Math.round((255 - b) * scale);
      }
    }
  return [yellow, magenta, cyan, k];
}

/** What the planes look like printed on a white card: RGBA 1016 × 648 (the overcoat is clear). */
export function planesToImage(planes: readonly Plane[]): Uint8Array {
  const out = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4).fill(255);
  const find = (name: PlaneName) => planes.find((plane) => plane.name === name);
  const colour: Array<[Plane | undefined, number]> = [
    [find('R'), 0],
    [find('G'), 1],
    [find('B'), 2],
  ];
  const k = find('K');
  for (let y = 0; y < CARD_HEIGHT; y++)
    for (let x = 0; x < CARD_WIDTH; x++) {
      const p = (y * CARD_WIDTH + x) * 4;
      const dot = planeDot(x, y);
      if (k && k.dots[dot]! > 0) {
        out[p] = out[p + 1] = out[p + 2] = 0;
        continue;
      }
      for (const [plane, channel] of colour)
        if (plane) out[p + channel] = 255 - Math.round((Math.min(plane.dots[dot]!, 63) * 255) / 63);
    }
  return out;
}

function over(rgba: Uint8Array, p: number): [number, number, number] {
  const a = rgba[p + 3]! / 255;
  return [rgba[p]! * a + 255 * (1 - a), rgba[p + 1]! * a + 255 * (1 - a), rgba[p + 2]! * a + 255 * (1 - a)];
}
