/**
 * Draws a receipt as SVG, one printer dot per pixel: monospace text with its
 * style, barcodes as bars with their human-readable text, QR codes and bit
 * images from their modules and bits.
 */
import { barcode as barcodeGenerator, qrcode as qrGenerator } from 'receiptline';
import type { BarcodeSymbology } from '../../src/protocols/escpos/commands.js';
import { CHARACTER_HEIGHT, type PrintArea, type RenderedLine, type StyledRun } from './receipt.js';

const PADDING = 12;
const HRI_HEIGHT = 26;
const FONT_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";

/** receiptline's generator names for the symbologies it can draw. */
const GENERATOR_TYPES: Partial<Record<BarcodeSymbology, string>> = {
  'upc-a': 'upc',
  'upc-e': 'upc',
  ean13: 'ean',
  ean8: 'ean',
  code39: 'code39',
  itf: 'itf',
  codabar: 'codabar',
  code93: 'code93',
  code128: 'code128',
  'gs1-128': 'code128',
  'code128-auto': 'code128',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function receiptSvg(lines: readonly RenderedLine[], paperWidth: number): string {
  const parts: string[] = [];
  let y = PADDING;
  for (const line of lines) {
    const drawn = drawLine(line, y);
    parts.push(drawn.svg);
    y += drawn.height;
  }
  const width = paperWidth + PADDING * 2;
  const height = y + PADDING;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff" stroke="#ccc"/>`,
    `<g transform="translate(${PADDING} 0)" font-family="${escapeXml(FONT_FAMILY)}">`,
    ...parts,
    '</g></svg>',
  ].join('\n');
}

function drawLine(line: RenderedLine, top: number): { svg: string; height: number } {
  switch (line.kind) {
    case 'text':
      return { svg: line.runs.map((run) => drawRun(run, top, line.height)).join(''), height: line.height };
    case 'feed':
      return { svg: '', height: line.dots };
    case 'barcode':
      return drawBarcode(line, top);
    case 'qr':
      return drawQr(line, top);
    case 'image':
      return drawImage(line, top);
  }
}

function drawRun(run: StyledRun, top: number, lineHeight: number): string {
  const glyphHeight = (run.font === 1 ? 17 : CHARACTER_HEIGHT) * run.heightScale;
  const bottom = top + lineHeight;
  const baseline = bottom - Math.round(glyphHeight * 0.22);
  const fill = run.invert ? '#fff' : '#000';
  const parts: string[] = [];
  if (run.invert) {
    parts.push(
      `<rect x="${run.x}" y="${bottom - glyphHeight}" width="${run.width}" height="${glyphHeight}"/>`,
    );
  }
  const weight = run.bold ? ' font-weight="bold"' : '';
  const chars = Array.from(run.text).length;
  parts.push(
    `<text x="${run.x}" y="${baseline}" font-size="${Math.round(glyphHeight * 0.84)}" fill="${fill}"${weight}` +
      ` textLength="${run.width}" lengthAdjust="spacingAndGlyphs" xml:space="preserve"` +
      ` data-chars="${chars}">${escapeXml(run.text)}</text>`,
  );
  if (run.underline > 0) {
    parts.push(
      `<rect x="${run.x}" y="${baseline + 2}" width="${run.width}" height="${run.underline}" fill="${fill}"/>`,
    );
  }
  return parts.join('');
}

function alignedX(area: PrintArea, align: string, width: number): number {
  const slack = Math.max(0, area.width - width);
  return area.left + (align === 'center' ? Math.floor(slack / 2) : align === 'right' ? slack : 0);
}

function drawBarcode(line: Extract<RenderedLine, { kind: 'barcode' }>, top: number) {
  const type = GENERATOR_TYPES[line.symbology];
  const form = type
    ? barcodeGenerator.generate({
        type: type as 'code128',
        data: line.data,
        width: line.moduleWidth,
        height: line.height,
        hri: true,
      })
    : undefined;
  const widths = form?.widths ?? [];
  const hriAbove = line.hri === 'above' || line.hri === 'both';
  const hriBelow = line.hri === 'below' || line.hri === 'both';
  const barsTop = top + (hriAbove ? HRI_HEIGHT : 0);
  const height = line.height + (hriAbove ? HRI_HEIGHT : 0) + (hriBelow ? HRI_HEIGHT : 0);
  if (widths.length === 0) {
    // A symbology we cannot draw: a framed box with its data, so the content is still visible.
    const x = alignedX(line.area, line.align, 240);
    return {
      svg:
        `<rect x="${x}" y="${barsTop}" width="240" height="${line.height}" fill="none" stroke="#000"/>` +
        `<text x="${x + 120}" y="${barsTop + line.height / 2}" font-size="18" text-anchor="middle">` +
        `${escapeXml(`${line.symbology} ${line.data}`)}</text>`,
      height,
    };
  }
  const total = widths.reduce((sum, w) => sum + w, 0);
  let x = alignedX(line.area, line.align, total);
  const left = x;
  let path = '';
  widths.forEach((w, i) => {
    if (i % 2 === 1 && w > 0) path += `M${x} ${barsTop}h${w}v${line.height}h${-w}z`;
    x += w;
  });
  const hriText = escapeXml(form?.text ?? line.data);
  const hri = (y: number) =>
    `<text x="${left + total / 2}" y="${y}" font-size="20" text-anchor="middle">${hriText}</text>`;
  return {
    svg:
      `<path d="${path}" data-symbology="${line.symbology}"/>` +
      (hriAbove ? hri(top + HRI_HEIGHT - 6) : '') +
      (hriBelow ? hri(barsTop + line.height + HRI_HEIGHT - 4) : ''),
    height,
  };
}

function drawQr(line: Extract<RenderedLine, { kind: 'qr' }>, top: number) {
  const level = line.errorCorrection.toLowerCase() as 'l';
  const matrix = qrGenerator.generate({ type: 'qrcode', data: line.data, level, cell: line.moduleSize });
  const size = matrix.length * line.moduleSize;
  const left = alignedX(line.area, line.align, size);
  const cell = line.moduleSize;
  let path = '';
  matrix.forEach((row, r) => {
    row.forEach((dark, c) => {
      if (dark) path += `M${left + c * cell} ${top + r * cell}h${cell}v${cell}h${-cell}z`;
    });
  });
  return { svg: `<path d="${path}" data-qr="${escapeXml(line.data)}"/>`, height: size };
}

function drawImage(line: Extract<RenderedLine, { kind: 'image' }>, top: number) {
  const bits = Buffer.from(line.bits, 'base64');
  const rowBytes = Math.ceil(line.width / 8);
  const width = line.width * line.scaleX;
  const left = alignedX(line.area, line.align, width);
  let path = '';
  for (let y = 0; y < line.height; y++) {
    let x = 0;
    while (x < line.width) {
      const set = (bits[y * rowBytes + (x >> 3)]! & (0x80 >> (x & 7))) !== 0;
      if (!set) {
        x++;
        continue;
      }
      const start = x;
      while (x < line.width && (bits[y * rowBytes + (x >> 3)]! & (0x80 >> (x & 7))) !== 0) x++;
      const w = (x - start) * line.scaleX;
      path += `M${left + start * line.scaleX} ${top + y * line.scaleY}h${w}v${line.scaleY}h${-w}z`;
    }
  }
  return {
    svg: `<path d="${path}" data-image="${line.width}x${line.height}"/>`,
    height: line.height * line.scaleY,
  };
}
