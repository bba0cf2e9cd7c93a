/**
 * The plain-text rendition of a receipt: one line per printed line, blocks
 * (barcodes, QR codes, images) as a bracketed label aligned like the block.
 */
import { CHARACTER_WIDTH, type Receipt, type RenderedLine } from './receipt.js';

export function receiptText(lines: readonly RenderedLine[], columns: number): string {
  const out: string[] = [];
  for (const line of lines) {
    switch (line.kind) {
      case 'text':
        out.push(line.text);
        break;
      case 'barcode':
        out.push(alignLabel(`[${line.symbology} ${line.data}]`, line, columns));
        break;
      case 'qr':
        out.push(alignLabel(`[QR ${line.data}]`, line, columns));
        break;
      case 'image':
        out.push(alignLabel(`[image ${line.width}x${line.height}]`, line, columns));
        break;
      case 'feed':
        break;
    }
  }
  return out.join('\n');
}

function alignLabel(
  label: string,
  block: { area: { left: number; width: number }; align: string },
  columns: number,
): string {
  const left = Math.round(block.area.left / CHARACTER_WIDTH);
  const width = Math.min(columns - left, Math.round(block.area.width / CHARACTER_WIDTH));
  const slack = Math.max(0, width - label.length);
  const shift = block.align === 'center' ? Math.floor(slack / 2) : block.align === 'right' ? slack : 0;
  return ' '.repeat(Math.max(0, left + shift)) + label;
}

/** What a receipt carries besides its rendition. */
export function receiptContents(
  lines: readonly RenderedLine[],
): Pick<Receipt, 'barcodes' | 'qrCodes' | 'images'> {
  const barcodes: Receipt['barcodes'] = [];
  const qrCodes: string[] = [];
  let images = 0;
  for (const line of lines) {
    if (line.kind === 'barcode') barcodes.push({ symbology: line.symbology, data: line.data });
    else if (line.kind === 'qr') qrCodes.push(line.data);
    else if (line.kind === 'image') images += 1;
  }
  return { barcodes, qrCodes, images };
}
