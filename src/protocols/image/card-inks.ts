/**
 * A card image (landscape RGBA, 300 dpi) as the inks a card printer's ribbon lays on it, and back —
 * whatever the printer calls its panels or planes (Evolis: y, m, c, k, o; Magicard: B, G, R, K).
 *
 * - A black ribbon (`k`) prints black alone: a dot is black where the pixel is darker than half.
 * - A colour ribbon (`ymcko`) prints resin black where a pixel is near black on every channel (text
 *   and barcodes stay sharp and scannable), and elsewhere cyan, magenta and yellow at the printer's
 *   levels (subtractive: cyan is what red lacks). Its clear overlay is not an ink of the image.
 */

export type CardRibbon = 'k' | 'ymcko';

/** Below this on every channel a colour pixel is printed resin black. */
const RESIN_BLACK = 64;

/** Where the inks go: a layer per ink, a dot per byte (1 = black), at the dot `dotOf` gives a pixel. */
export interface InkLayers {
  black: Uint8Array;
  cyan?: Uint8Array | undefined;
  magenta?: Uint8Array | undefined;
  yellow?: Uint8Array | undefined;
}

/**
 * Lays the inks of a `width` × `height` RGBA image (composed over white) on `ribbon` into `layers`
 * (colour levels 0 .. `levels` − 1; on a colour ribbon the colour layers are required), each pixel's
 * at `dotOf(x, y)`; dots without ink are left as they are.
 */
export function separateInks(
  rgba: Uint8Array,
  width: number,
  height: number,
  ribbon: CardRibbon,
  levels: number,
  dotOf: (x: number, y: number) => number,
  layers: InkLayers,
): void {
  if (rgba.length !== width * height * 4)
    throw new RangeError(`a card image is ${width} × ${height} RGBA, not ${rgba.length} bytes`);
  const { black, cyan, magenta, yellow } = layers;
  if (ribbon === 'ymcko' && !(cyan && magenta && yellow))
    throw new RangeError('a colour ribbon needs cyan, magenta and yellow layers');
  const scale = (levels - 1) / 255;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const a = rgba[p + 3]! / 255;
      const r = rgba[p]! * a + 255 * (1 - a);
      const g = rgba[p + 1]! * a + 255 * (1 - a);
      const b = rgba[p + 2]! * a + 255 * (1 - a);
      const dot = dotOf(x, y);
      if (ribbon === 'k') {
        if (0.299 * r + 0.587 * g + 0.114 * b < 128) black[dot] = 1;
      } else if (r < RESIN_BLACK && g < RESIN_BLACK && b < RESIN_BLACK) black[dot] = 1;
      else {
        cyan![dot] = Math.round((255 - r) * scale);
        magenta![dot] = Math.round((255 - g) * scale);
        yellow![dot] = Math.round((255 - b) * scale);
      }
    }
}

/** Where each ink lies on the card: black by dot, each colour's level (absent: not printed). */
export interface CardInkLayers {
  black?: ((x: number, y: number) => boolean) | undefined;
  cyan?: ((x: number, y: number) => number) | undefined;
  magenta?: ((x: number, y: number) => number) | undefined;
  yellow?: ((x: number, y: number) => number) | undefined;
}

/** What the inks look like printed on a white card: RGBA `width` × `height`, colour levels of `levels`. */
export function printedInks(width: number, height: number, levels: number, inks: CardInkLayers): Uint8Array {
  const out = new Uint8Array(width * height * 4).fill(255);
  const max = levels - 1;
  const colour: Array<[((x: number, y: number) => number) | undefined, number]> = [
    [inks.cyan, 0],
    [inks.magenta, 1],
    [inks.yellow, 2],
  ];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      if (inks.black?.(x, y)) {
        out[p] = out[p + 1] = out[p + 2] = 0;
        continue;
      }
      for (const [level, channel] of colour)
        if (level) out[p + channel] = 255 - Math.round((Math.min(level(x, y), max) * 255) / max);
    }
  return out;
}
