/**
 * The simulated printer's mechanism: applies decoded ESC/POS commands to its
 * modes and lays printed content out as lines, the way a TM printer's print
 * buffer does. A cut hands back the lines printed since the last cut.
 */
import { barcodeText } from '../../src/protocols/escpos/barcode-data.js';
import { decodeKanjiText, decodeText } from '../../src/protocols/escpos/code-pages.js';
import type { Alignment, EscPosCommand } from '../../src/protocols/escpos/commands.js';
import { CHARACTER_HEIGHT, CHARACTER_WIDTH, type RenderedLine, type StyledRun } from './receipt.js';

const DEFAULT_LINE_SPACING = 30;
const FONT_CELLS = [
  { width: CHARACTER_WIDTH, height: CHARACTER_HEIGHT },
  { width: 9, height: 17 },
];
/** Lines kept for one receipt; a stream that never cuts cannot grow without bound. */
const MAX_LINES_PER_RECEIPT = 2000;

interface Modes {
  codePage: number;
  kanji: boolean;
  kanjiSystem: 'jis' | 'shift-jis';
  bold: boolean;
  underline: 0 | 1 | 2;
  invert: boolean;
  widthScale: number;
  heightScale: number;
  font: number;
  align: Alignment;
  lineSpacing: number;
  leftMargin: number;
  areaWidth: number;
  characterSpacing: number;
  barcodeHeight: number;
  barcodeModuleWidth: number;
  barcodeHri: 'none' | 'above' | 'below' | 'both';
  qrModuleSize: number;
  qrErrorCorrection: string;
}

interface Glyph {
  char: string;
  x: number;
  width: number;
  cells: number;
  style: Omit<StyledRun, 'text' | 'x' | 'column' | 'width'>;
}

export class PrintHead {
  private modes: Modes;
  private glyphs: Glyph[] = [];
  private x = 0;
  private lines: RenderedLine[] = [];
  private qrData: Uint8Array | undefined;
  private storedGraphics: Extract<EscPosCommand, { type: 'graphics-store' }> | undefined;

  constructor(private readonly columns: number) {
    this.modes = this.defaultModes();
  }

  get paperWidth(): number {
    return this.columns * CHARACTER_WIDTH;
  }

  /** Lines printed since the last cut. */
  get printedLines(): readonly RenderedLine[] {
    return this.lines;
  }

  /** Applies one command; a cut returns the receipt's lines (possibly none). */
  apply(command: EscPosCommand): RenderedLine[] | undefined {
    const m = this.modes;
    switch (command.type) {
      case 'text':
        this.print(command.bytes);
        break;
      case 'line-feed':
        this.flushLine(true);
        break;
      case 'horizontal-tab': {
        const tab = 8 * this.cellWidth();
        this.x = Math.min(m.areaWidth, (Math.floor(this.x / tab) + 1) * tab);
        break;
      }
      case 'initialize':
        this.modes = this.defaultModes();
        this.glyphs = [];
        this.x = 0;
        this.qrData = undefined;
        this.storedGraphics = undefined;
        break;
      case 'code-page':
        m.codePage = command.page;
        break;
      case 'kanji-mode':
        m.kanji = command.on;
        break;
      case 'kanji-code-system':
        m.kanjiSystem = command.system;
        break;
      case 'bold':
      case 'double-strike':
        m.bold = command.on;
        break;
      case 'underline':
        m.underline = command.thickness;
        break;
      case 'invert':
        m.invert = command.on;
        break;
      case 'character-size':
        m.widthScale = command.width;
        m.heightScale = command.height;
        break;
      case 'print-mode':
        m.font = command.font;
        m.bold = command.bold;
        m.widthScale = command.doubleWidth ? 2 : 1;
        m.heightScale = command.doubleHeight ? 2 : 1;
        m.underline = command.underline ? 1 : 0;
        break;
      case 'font':
        m.font = command.font === 1 ? 1 : 0;
        break;
      case 'align':
        m.align = command.align;
        break;
      case 'line-spacing':
        m.lineSpacing = command.dots ?? DEFAULT_LINE_SPACING;
        break;
      case 'absolute-position':
        if (command.dots <= m.areaWidth) this.x = command.dots;
        break;
      case 'relative-position':
        this.x = Math.max(0, Math.min(m.areaWidth, this.x + command.dots));
        break;
      case 'left-margin':
        m.leftMargin = Math.min(command.dots, this.paperWidth - CHARACTER_WIDTH);
        m.areaWidth = Math.min(m.areaWidth, this.paperWidth - m.leftMargin);
        break;
      case 'print-area-width':
        m.areaWidth = Math.max(CHARACTER_WIDTH, Math.min(command.dots, this.paperWidth - m.leftMargin));
        break;
      case 'character-spacing':
        m.characterSpacing = command.dots;
        break;
      case 'feed-lines':
        this.feedLines(command.lines);
        break;
      case 'feed-dots':
        if (this.glyphs.length > 0) this.flushLine(true);
        else if (command.dots > 0) this.push({ kind: 'feed', dots: command.dots });
        break;
      case 'barcode-height':
        m.barcodeHeight = Math.max(1, command.dots);
        break;
      case 'barcode-module-width':
        m.barcodeModuleWidth = Math.max(1, Math.min(6, command.dots));
        break;
      case 'barcode-hri-position':
        m.barcodeHri = command.position;
        break;
      case 'barcode':
        this.flushLine(false);
        this.push({
          kind: 'barcode',
          symbology: command.symbology,
          data: barcodeText(command.symbology, command.data),
          area: this.area(),
          moduleWidth: m.barcodeModuleWidth,
          height: m.barcodeHeight,
          hri: m.barcodeHri,
          align: m.align,
        });
        break;
      case 'qr-module-size':
        m.qrModuleSize = Math.max(1, Math.min(16, command.dots));
        break;
      case 'qr-error-correction':
        m.qrErrorCorrection = command.level;
        break;
      case 'qr-store':
        this.qrData = command.data;
        break;
      case 'qr-print':
        if (this.qrData && this.qrData.length > 0) {
          this.flushLine(false);
          this.push({
            kind: 'qr',
            data: new TextDecoder().decode(this.qrData),
            area: this.area(),
            moduleSize: m.qrModuleSize,
            errorCorrection: m.qrErrorCorrection,
            align: m.align,
          });
        }
        break;
      case 'graphics-store':
        this.storedGraphics = command;
        break;
      case 'graphics-print':
        if (this.storedGraphics) {
          const g = this.storedGraphics;
          this.printImage(g.width, g.height, g.bits, g.scaleX === 2 ? 2 : 1, g.scaleY === 2 ? 2 : 1);
          this.storedGraphics = undefined;
        }
        break;
      case 'raster-image':
        this.printImage(
          command.widthBytes * 8,
          command.height,
          command.bits,
          command.mode & 1 ? 2 : 1,
          command.mode & 2 ? 2 : 1,
        );
        break;
      case 'bit-image':
        this.printBitImage(command.mode, command.width, command.data);
        break;
      case 'cut': {
        this.flushLine(false);
        if (command.feedDots > 0) this.push({ kind: 'feed', dots: command.feedDots });
        const lines = this.lines;
        this.lines = [];
        return lines;
      }
      default:
        break;
    }
    return undefined;
  }

  private defaultModes(): Modes {
    return {
      codePage: 0,
      kanji: false,
      kanjiSystem: 'jis',
      bold: false,
      underline: 0,
      invert: false,
      widthScale: 1,
      heightScale: 1,
      font: 0,
      align: 'left',
      lineSpacing: DEFAULT_LINE_SPACING,
      leftMargin: 0,
      areaWidth: this.paperWidth,
      characterSpacing: 0,
      barcodeHeight: 162,
      barcodeModuleWidth: 3,
      barcodeHri: 'none',
      qrModuleSize: 3,
      qrErrorCorrection: 'L',
    };
  }

  private area() {
    return { left: this.modes.leftMargin, width: this.modes.areaWidth };
  }

  private cellWidth(): number {
    const m = this.modes;
    return (FONT_CELLS[m.font]!.width + m.characterSpacing) * m.widthScale;
  }

  private push(line: RenderedLine): void {
    if (this.lines.length < MAX_LINES_PER_RECEIPT) this.lines.push(line);
  }

  private print(bytes: Uint8Array): void {
    const m = this.modes;
    const text = m.kanji ? decodeKanjiText(bytes, m.kanjiSystem) : decodeText(bytes, m.codePage);
    for (const char of text) {
      const cells = m.kanji && char.codePointAt(0)! > 0xff ? 2 : 1;
      const width = this.cellWidth() * cells;
      if (this.x + width > m.areaWidth) this.flushLine(true);
      this.glyphs.push({
        char,
        x: this.x,
        width,
        cells: cells * m.widthScale,
        style: {
          bold: m.bold,
          underline: m.underline,
          invert: m.invert,
          widthScale: m.widthScale,
          heightScale: m.heightScale,
          font: m.font,
        },
      });
      this.x += width;
    }
  }

  private feedLines(count: number): void {
    if (this.glyphs.length > 0) {
      this.flushLine(true);
      count -= 1;
    }
    for (let i = 0; i < count; i++) this.flushLine(true);
  }

  /** Prints the line buffer; an empty buffer prints a blank line only when `force`. */
  private flushLine(force: boolean): void {
    const m = this.modes;
    const glyphs = this.glyphs;
    this.glyphs = [];
    this.x = 0;
    if (glyphs.length === 0 && !force) return;
    const contentWidth = glyphs.reduce((right, g) => Math.max(right, g.x + g.width), 0);
    const slack = Math.max(0, m.areaWidth - contentWidth);
    const shift = m.align === 'center' ? Math.floor(slack / 2) : m.align === 'right' ? slack : 0;
    const offset = m.leftMargin + shift;

    const cells: string[] = Array(this.columns).fill(' ');
    const runs: StyledRun[] = [];
    let glyphHeight = FONT_CELLS[m.font]!.height * m.heightScale;
    for (const g of glyphs) {
      glyphHeight = Math.max(glyphHeight, FONT_CELLS[g.style.font]!.height * g.style.heightScale);
      const x = offset + g.x;
      const column = Math.round(x / CHARACTER_WIDTH);
      if (column < this.columns) {
        cells[column] = g.char;
        for (let i = 1; i < g.cells && column + i < this.columns; i++) cells[column + i] = '';
      }
      const last = runs.at(-1);
      if (last && last.x + last.width === x && sameStyle(last, g.style)) {
        last.text += g.char;
        last.width += g.width;
      } else {
        runs.push({ text: g.char, x, column, width: g.width, ...g.style });
      }
    }
    const height = Math.max(glyphs.length > 0 ? glyphHeight : CHARACTER_HEIGHT, m.lineSpacing);
    this.push({ kind: 'text', text: cells.join('').trimEnd(), runs, height });
  }

  private printImage(width: number, height: number, bits: Uint8Array, scaleX: number, scaleY: number): void {
    this.flushLine(false);
    const rowBytes = Math.ceil(width / 8);
    const exact = new Uint8Array(rowBytes * height);
    exact.set(bits.subarray(0, exact.length));
    this.push({
      kind: 'image',
      area: this.area(),
      width,
      height,
      scaleX,
      scaleY,
      bits: Buffer.from(exact).toString('base64'),
      align: this.modes.align,
    });
  }

  /** ESC * column-format data (8 or 24 dots per column) turned into raster rows. */
  private printBitImage(mode: number, width: number, data: Uint8Array): void {
    const dotsPerColumn = mode >= 32 ? 24 : 8;
    const bytesPerColumn = dotsPerColumn / 8;
    const rowBytes = Math.ceil(width / 8);
    const bits = new Uint8Array(rowBytes * dotsPerColumn);
    for (let column = 0; column < width; column++) {
      for (let y = 0; y < dotsPerColumn; y++) {
        const byte = data[column * bytesPerColumn + (y >> 3)] ?? 0;
        if (byte & (0x80 >> (y & 7))) bits[y * rowBytes + (column >> 3)]! |= 0x80 >> (column & 7);
      }
    }
    const doubleWidth = mode === 0 || mode === 32;
    this.printImage(width, dotsPerColumn, bits, doubleWidth ? 2 : 1, mode < 32 ? 3 : 1);
  }
}

function sameStyle(run: StyledRun, style: Glyph['style']): boolean {
  return (
    run.bold === style.bold &&
    run.underline === style.underline &&
    run.invert === style.invert &&
    run.widthScale === style.widthScale &&
    run.heightScale === style.heightScale &&
    run.font === style.font
  );
}
