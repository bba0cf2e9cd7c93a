/**
 * What the simulated printer printed: one Receipt per cut, laid out as lines
 * in printer dots (font A: 12 × 24 dots per character).
 */
import type { Alignment, BarcodeSymbology } from '../../src/protocols/escpos/commands.js';

export const CHARACTER_WIDTH = 12;
export const CHARACTER_HEIGHT = 24;

/** The print area a block (barcode, 2D code, image) was aligned in, in dots. */
export interface PrintArea {
  left: number;
  width: number;
}

/** One run of characters printed in one style. */
export interface StyledRun {
  text: string;
  /** Left edge in dots from the paper's left edge, and the text column it falls in. */
  x: number;
  column: number;
  /** Width in dots (characters × cell width × width scale). */
  width: number;
  bold: boolean;
  underline: 0 | 1 | 2;
  invert: boolean;
  widthScale: number;
  heightScale: number;
  /** 0 = font A (12 × 24), 1 = font B (9 × 17). */
  font: number;
}

export type RenderedLine =
  | { kind: 'text'; text: string; runs: StyledRun[]; height: number }
  | {
      kind: 'barcode';
      symbology: BarcodeSymbology;
      data: string;
      area: PrintArea;
      moduleWidth: number;
      height: number;
      hri: 'none' | 'above' | 'below' | 'both';
      align: Alignment;
    }
  | {
      kind: 'qr';
      data: string;
      area: PrintArea;
      moduleSize: number;
      errorCorrection: string;
      align: Alignment;
    }
  /** A bit image: `bits` base64, row-major, ceil(width / 8) bytes per row, MSB leftmost. */
  | {
      kind: 'image';
      area: PrintArea;
      width: number;
      height: number;
      scaleX: number;
      scaleY: number;
      bits: string;
      align: Alignment;
    }
  | { kind: 'feed'; dots: number };

export interface Receipt {
  id: number;
  printedAt: string;
  /** Plain-text rendition: one line per printed line, aligned within the printer's columns. */
  text: string;
  lines: RenderedLine[];
  svg: string;
  barcodes: Array<{ symbology: BarcodeSymbology; data: string }>;
  qrCodes: string[];
  images: number;
}
