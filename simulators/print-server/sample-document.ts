/**
 * PDF documents as a library PC sends them to the print server: N pages of
 * A4 or US letter, each with a heading, its page number and a few lines of
 * text, so a page one thumbnail shows something a person recognises. Written
 * out as plain PDF 1.4 (a classic cross-reference table, one content stream per
 * page, Helvetica), which every PDF reader and CUPS filter accepts.
 */

export interface SampleDocument {
  pages: number;
  /** Printed at the top of every page. */
  title?: string;
  /** Lines printed below the heading on every page. */
  lines?: readonly string[];
  media?: 'a4' | 'letter';
  /** The page's frame drawn in red: a document with colour on every page (otherwise all black). */
  colour?: boolean;
}

const MEDIA = { a4: [595, 842], letter: [612, 792] } as const;

/** The PDF bytes of a sample document. */
export function samplePdf(document: SampleDocument): Buffer {
  const pages = Math.max(1, Math.floor(document.pages));
  const [width, height] = MEDIA[document.media ?? 'a4'];
  const title = document.title ?? 'Document';
  const lines = document.lines ?? [];
  // Objects: 1 catalog, 2 page tree, 3 font, then per page: the page and its content.
  const objects: string[] = [];
  const kids: string[] = [];
  for (let i = 0; i < pages; i++) {
    const pageObject = 4 + i * 2;
    kids.push(`${pageObject} 0 R`);
    const content = pageContent(title, lines, i + 1, pages, height, document.colour === true);
    objects[pageObject] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] ` +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${pageObject + 1} 0 R >>`;
    objects[pageObject + 1] =
      `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
  }
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';

  const parts: string[] = ['%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'];
  let offset = Buffer.byteLength(parts[0] as string, 'latin1');
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    const text = `${n} 0 obj\n${objects[n]}\nendobj\n`;
    offsets[n] = offset;
    parts.push(text);
    offset += Buffer.byteLength(text, 'latin1');
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n'];
  for (let n = 1; n < objects.length; n++) xref.push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
  parts.push(...xref, `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

function pageContent(
  title: string,
  lines: readonly string[],
  page: number,
  pages: number,
  height: number,
  colour: boolean,
) {
  const text = [
    `BT /F1 24 Tf 56 ${height - 90} Td (${pdfString(title)}) Tj ET`,
    `BT /F1 12 Tf 56 ${height - 120} Td (Page ${page} of ${pages}) Tj ET`,
    ...lines
      .slice(0, 40)
      .map((line, i) => `BT /F1 12 Tf 56 ${height - 160 - i * 18} Td (${pdfString(line)}) Tj ET`),
    // A frame, so even a tiny thumbnail shows where the page is.
    `${colour ? '0.8 0.1 0.1 RG ' : ''}2 w 40 40 m 40 ${height - 40} l ${MEDIA_RIGHT} ${height - 40} l ${MEDIA_RIGHT} 40 l h S`,
  ];
  return text.join('\n');
}

const MEDIA_RIGHT = 555;

/** A PDF string literal's text: only printable Latin-1, with its three special characters escaped. */
function pdfString(text: string): string {
  return text
    .replace(/[^\x20-\x7e\xa0-\xff]/g, '?')
    .replace(/[\\()]/g, (c) => `\\${c}`)
    .slice(0, 200);
}
