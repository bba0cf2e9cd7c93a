/**
 * A card image (landscape, 1016 × 648 RGBA, 300 dpi) as the panels a ribbon prints, and back.
 *
 * - A monochrome ribbon (`k`) prints one black panel: a dot is black where the pixel is darker than
 *   half (as Printer-EVOLIS thresholds its renders).
 * - A colour ribbon (`ymcko`) prints yellow, magenta and cyan at 32 levels (subtractive: cyan is what
 *   red lacks), black resin where a pixel is near black (text and barcodes stay sharp and scannable),
 *   and the clear overlay over the whole card.
 */
import { blankPanel, dotIndex, PANEL_DOTS, PANEL_LINES, type Panel, type PanelName } from './panel.js';

export const CARD_WIDTH = PANEL_LINES;
export const CARD_HEIGHT = PANEL_DOTS;

export type RibbonKind = 'k' | 'ymcko';

/** Below this on every channel a colour pixel goes to the black panel. */
const RESIN_BLACK = 64;
const COLOUR_LEVELS = 32;

export function imageToPanels(rgba: Uint8Array, ribbon: RibbonKind): Panel[] {
  if (rgba.length !== CARD_WIDTH * CARD_HEIGHT * 4)
    throw new RangeError(`a card image is ${CARD_WIDTH} × ${CARD_HEIGHT} RGBA, not ${rgba.length} bytes`);
  const k = blankPanel('k', 2);
  if (ribbon === 'k') {
    for (let y = 0; y < CARD_HEIGHT; y++)
      for (let x = 0; x < CARD_WIDTH; x++) {
        const p = (y * CARD_WIDTH + x) * 4;
        const [r, g, b] = over(rgba, p);
        if (0.299 * r + 0.587 * g + 0.114 * b < 128) k.dots[dotIndex(x, y)] = 1;
      }
    return [k];
  }
  const yp = blankPanel('y', COLOUR_LEVELS);
  const mp = blankPanel('m', COLOUR_LEVELS);
  const cp = blankPanel('c', COLOUR_LEVELS);
  const op = blankPanel('o', 2);
  op.dots.fill(1);
  const scale = (COLOUR_LEVELS - 1) / 255;
  for (let y = 0; y < CARD_HEIGHT; y++)
    for (let x = 0; x < CARD_WIDTH; x++) {
      const p = (y * CARD_WIDTH + x) * 4;
      const [r, g, b] = over(rgba, p);
      const dot = dotIndex(x, y);
      if (r < RESIN_BLACK && g < RESIN_BLACK && b < RESIN_BLACK) k.dots[dot] = 1;
      else {
        cp.dots[dot] = Math.round((255 - r) * scale);
        mp.dots[dot] = Math.round((255 - g) * scale);
        yp.dots[dot] = Math.round((255 - b) * scale);
      }
    }
  return [yp, mp, cp, k, op];
}

/** What the panels look like printed on a white card: RGBA 1016 × 648 (the overlay is clear). */
export function panelsToImage(panels: readonly Panel[]): Uint8Array {
  const out = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4).fill(255);
  const find = (name: PanelName) => panels.find((panel) => panel.name === name);
  const colour: Array<[Panel | undefined, number]> = [
    [find('c'), 0],
    [find('m'), 1],
    [find('y'), 2],
  ];
  const k = find('k');
  for (let y = 0; y < CARD_HEIGHT; y++)
    for (let x = 0; x < CARD_WIDTH; x++) {
      const p = (y * CARD_WIDTH + x) * 4;
      const dot = dotIndex(x, y);
      if (k && k.dots[dot]! > 0) {
        out[p] = out[p + 1] = out[p + 2] = 0;
        continue;
      }
      for (const [panel, channel] of colour) {
        if (!panel) continue;
        const max = panel.levels - 1;
        out[p + channel] = 255 - Math.round((panel.dots[dot]! * 255) / max);
      }
    }
  return out;
}

/** An RGBA pixel composed over white. */
function over(rgba: Uint8Array, p: number): [number, number, number] {
  const a = rgba[p + 3]! / 255;
  return [rgba[p]! * a + 255 * (1 - a), rgba[p + 1]! * a + 255 * (1 - a), rgba[p + 2]! * a + 255 * (1 - a)];
}
