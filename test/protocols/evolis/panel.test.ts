import { describe, expect, it } from 'vitest';
import {
  blankPanel,
  CARD_HEIGHT,
  CARD_WIDTH,
  compressPanel,
  decompressPanel,
  dotIndex,
  imageToPanels,
  packPanel,
  panelBytes,
  panelsToImage,
  unpackPanel,
} from '../../../src/protocols/evolis/index.js';

describe('Evolis panels', () => {
  it('sizes a 648 × 1016 panel at each level: 1, 5, 6 and 7 bits a dot', () => {
    expect(panelBytes(2)).toBe(82_296);
    expect(panelBytes(32)).toBe(411_480);
    expect(panelBytes(64)).toBe(493_776);
    expect(panelBytes(128)).toBe(576_072);
  });

  it('packs dots MSB first and unpacks them back, at every level', () => {
    for (const levels of [2, 32, 64, 128] as const) {
      const panel = blankPanel('c', levels);
      for (let i = 0; i < panel.dots.length; i++) panel.dots[i] = (i * 7919) % levels;
      const packed = packPanel(panel);
      expect(packed.length).toBe(panelBytes(levels));
      expect(Buffer.from(unpackPanel('c', levels, packed).dots).equals(panel.dots)).toBe(true);
    }
    const one = blankPanel('k', 2);
    one.dots[0] = 1;
    one.dots[9] = 1;
    expect([...packPanel(one).subarray(0, 2)]).toEqual([0x80, 0x40]);
  });

  it('compresses and decompresses a 1-bit panel, and refuses truncated compressed data', () => {
    const panel = blankPanel('k', 2);
    for (let i = 0; i < panel.dots.length; i += 13) panel.dots[i] = 1;
    panel.dots.fill(1, 648 * 10, 648 * 11);
    const compressed = compressPanel(panel);
    expect(Buffer.from(decompressPanel('k', compressed).dots).equals(panel.dots)).toBe(true);
    expect(() => decompressPanel('k', compressed.subarray(0, 500))).toThrow(/ends at line/);
  });

  it('puts the card’s top-left pixel on the last dot of the first line (the head spans the short edge)', () => {
    expect(dotIndex(0, 0)).toBe(647);
    expect(dotIndex(CARD_WIDTH - 1, CARD_HEIGHT - 1)).toBe(1015 * 648);
  });

  it('prints a colour image back as itself within a 32-level step, black on the resin panel', () => {
    const image = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4);
    for (let p = 0; p < image.length; p += 4) {
      const x = (p / 4) % CARD_WIDTH;
      image.set([x % 256, 200, 90, 255], p);
    }
    image.set([0, 0, 0, 255], 0); // a black pixel at (0, 0)
    const panels = imageToPanels(image, 'ymcko');
    expect(panels.map((p) => p.name)).toEqual(['y', 'm', 'c', 'k', 'o']);
    expect(panels.find((p) => p.name === 'k')!.dots[dotIndex(0, 0)]).toBe(1);
    const printed = panelsToImage(panels);
    for (let p = 4; p < image.length; p += 4 * 997)
      for (let c = 0; c < 3; c++) expect(Math.abs(printed[p + c]! - image[p + c]!)).toBeLessThanOrEqual(5);
    expect([...printed.subarray(0, 4)]).toEqual([0, 0, 0, 255]);
  });

  it('prints a monochrome image thresholded at half', () => {
    const image = new Uint8Array(CARD_WIDTH * CARD_HEIGHT * 4).fill(255);
    image.set([100, 100, 100, 255], 4 * (5 * CARD_WIDTH + 7));
    image.set([150, 150, 150, 255], 4 * (5 * CARD_WIDTH + 8));
    const [k] = imageToPanels(image, 'k');
    expect(k!.dots[dotIndex(7, 5)]).toBe(1);
    expect(k!.dots[dotIndex(8, 5)]).toBe(0);
    expect(k!.dots.reduce((n, d) => n + d, 0)).toBe(1);
  });
});
