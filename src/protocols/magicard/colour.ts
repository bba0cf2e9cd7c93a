/**
 * A card image (landscape, 1016 × 648 RGBA, 300 dpi) as the planes a Magicard prints, and back: the
 * inks of `separateInks` (image/card-inks.ts) on its planes — the K plane alone on a black ribbon
 * (`k`, IMF K); yellow (B), magenta (G) and cyan (R) at 64 levels and resin black K on a colour one
 * (`ymcko`, IMF BGRK), whose overcoat is a command (`OVRON`), not a plane.
 */
import { type CardRibbon, printedInks, separateInks } from '../image/card-inks.js';
import { blankPlane, CARD_HEIGHT, CARD_WIDTH, type Plane, type PlaneName, planeDot } from './plane.js';

export type MagicardRibbon = CardRibbon;

const LEVELS = 64;

export function imageToPlanes(rgba: Uint8Array, ribbon: MagicardRibbon): Plane[] {
  const k = blankPlane('K');
  if (ribbon === 'k') {
    separateInks(rgba, CARD_WIDTH, CARD_HEIGHT, ribbon, LEVELS, planeDot, { black: k.dots });
    return [k];
  }
  const yellow = blankPlane('B');
  const magenta = blankPlane('G');
  const cyan = blankPlane('R');
  separateInks(rgba, CARD_WIDTH, CARD_HEIGHT, ribbon, LEVELS, planeDot, {
    black: k.dots,
    cyan: cyan.dots,
    magenta: magenta.dots,
    yellow: yellow.dots,
  });
  return [yellow, magenta, cyan, k];
}

/** What the planes look like printed on a white card: RGBA 1016 × 648 (the overcoat is clear). */
export function planesToImage(planes: readonly Plane[]): Uint8Array {
  const find = (name: PlaneName) => planes.find((plane) => plane.name === name);
  const level = (plane: Plane | undefined) =>
    plane && ((x: number, y: number) => plane.dots[planeDot(x, y)]!);
  const k = find('K');
  return printedInks(CARD_WIDTH, CARD_HEIGHT, LEVELS, {
    black: k && ((x, y) => k.dots[planeDot(x, y)]! > 0),
    cyan: level(find('R')),
    magenta: level(find('G')),
    yellow: level(find('B')),
  });
}
