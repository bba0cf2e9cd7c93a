/**
 * A card image (landscape, 1016 × 648 RGBA, 300 dpi) as the panels an Evolis ribbon prints, and back:
 * the inks of `separateInks` (image/card-inks.ts) on its panels — one black panel (`k`) on a
 * monochrome ribbon; yellow, magenta and cyan at 32 levels, resin black and the clear overlay over the
 * whole card on a colour one (`ymcko`).
 */
import { type CardRibbon, printedInks, separateInks } from '../image/card-inks.js';
import { blankPanel, dotIndex, PANEL_DOTS, PANEL_LINES, type Panel, type PanelName } from './panel.js';

export const CARD_WIDTH = PANEL_LINES;
export const CARD_HEIGHT = PANEL_DOTS;

export type RibbonKind = CardRibbon;

const COLOUR_LEVELS = 32;

export function imageToPanels(rgba: Uint8Array, ribbon: RibbonKind): Panel[] {
  const k = blankPanel('k', 2);
  if (ribbon === 'k') {
    separateInks(rgba, CARD_WIDTH, CARD_HEIGHT, ribbon, COLOUR_LEVELS, dotIndex, { black: k.dots });
    return [k];
  }
  const yp = blankPanel('y', COLOUR_LEVELS);
  const mp = blankPanel('m', COLOUR_LEVELS);
  const cp = blankPanel('c', COLOUR_LEVELS);
  const op = blankPanel('o', 2);
  op.dots.fill(1);
  separateInks(rgba, CARD_WIDTH, CARD_HEIGHT, ribbon, COLOUR_LEVELS, dotIndex, {
    black: k.dots,
    cyan: cp.dots,
    magenta: mp.dots,
    yellow: yp.dots,
  });
  return [yp, mp, cp, k, op];
}

/** What the panels look like printed on a white card: RGBA 1016 × 648 (the overlay is clear). */
export function panelsToImage(panels: readonly Panel[]): Uint8Array {
  const find = (name: PanelName) => panels.find((panel) => panel.name === name);
  const level = (panel: Panel | undefined) =>
    panel && ((x: number, y: number) => panel.dots[dotIndex(x, y)]!);
  const k = find('k');
  return printedInks(CARD_WIDTH, CARD_HEIGHT, find('c')?.levels ?? COLOUR_LEVELS, {
    black: k && ((x, y) => k.dots[dotIndex(x, y)]! > 0),
    cyan: level(find('c')),
    magenta: level(find('m')),
    yellow: level(find('y')),
  });
}
