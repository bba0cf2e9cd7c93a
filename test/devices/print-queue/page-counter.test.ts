import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { samplePdf } from '../../../simulators/print-server/sample-document.js';
import { ManualClock } from '../../../src/core/clock.js';
import { PageCounter } from '../../../src/devices/print-queue/page-counter.js';

const counter = new PageCounter({ timeoutMs: 20_000 });
afterAll(() => counter.close());

const fixture = (name: string) => readFileSync(`test/fixtures/pdf/${name}`);
const pdf = 'application/pdf';

describe('PageCounter', () => {
  it('says whether a PDF draws in colour: its text and lines, CMYK black as black, its pictures sampled', async () => {
    const ink = (bytes: Uint8Array) => counter.inspect(bytes, pdf, { colour: true });
    expect(await ink(samplePdf({ pages: 3 }))).toEqual({ pages: 3, colour: false });
    expect(await ink(samplePdf({ pages: 3, colour: true }))).toEqual({ pages: 3, colour: true });
    expect(await ink(onePage('0 0 0 1 k 10 10 50 50 re f 0.3 g 60 60 20 20 re f'))).toMatchObject({
      colour: false,
    });
    // A picture of 4 by 4 pixels, grey or with a red one among them.
    const grey = Buffer.alloc(48, 0x80);
    const red = Buffer.from(grey);
    red.set([0xff, 0, 0], 0);
    expect(await ink(onePage('q 50 0 0 50 10 10 cm /Im1 Do Q', grey))).toMatchObject({ colour: false });
    expect(await ink(onePage('q 50 0 0 50 10 10 cm /Im1 Do Q', red))).toMatchObject({ colour: true });
    // Not asked, or not a PDF: not known.
    expect(await counter.inspect(samplePdf({ pages: 1, colour: true }), pdf, { colour: false })).toEqual({
      pages: 1,
      colour: null,
    });
  });

  it('counts the pages of a plain PDF', async () => {
    expect(await counter.count(samplePdf({ pages: 3 }), pdf)).toBe(3);
  });

  it('counts an encrypted 100-page PDF without its password (AES-256 and RC4), though no /Type /Page is in sight', async () => {
    const aes = fixture('100-pages-aes256.pdf');
    expect(aes.includes('/Type /Page')).toBe(false);
    expect(await counter.count(aes, pdf)).toBe(100);
    expect(await counter.count(fixture('100-pages-rc4.pdf'), pdf)).toBe(100);
  });

  it('says a document that needs a user password cannot be counted', async () => {
    await expect(counter.count(fixture('3-pages-user-password.pdf'), pdf)).rejects.toMatchObject({
      code: 'document_password_required',
    });
  });

  it('counts the pages there are when the page tree claims a billion', async () => {
    const lying = Buffer.from(
      samplePdf({ pages: 3 }).toString('latin1').replace('/Count 3', '/Count 999999999'),
      'latin1',
    );
    expect(await counter.count(lying, pdf)).toBe(3);
  });

  it('refuses a PDF with no pages, a broken one and one that is not a PDF, each with its code', async () => {
    const empty = Buffer.from(
      samplePdf({ pages: 1 })
        .toString('latin1')
        .replace(/\/Kids \[[^\]]*\] \/Count 1/, '/Kids [] /Count 0'),
      'latin1',
    );
    await expect(counter.count(empty, pdf)).rejects.toMatchObject({
      code: expect.stringMatching(/^document_(empty|unreadable)$/),
    });
    // Said in the words of whoever printed it; pdf.js's own kept as the reason.
    await expect(counter.count(samplePdf({ pages: 3 }).subarray(0, 300), pdf)).rejects.toMatchObject({
      code: 'document_unreadable',
      message: expect.stringMatching(/^the file could not be read .*print it again from the program/),
      reason: 'Invalid PDF structure.',
    });
    await expect(counter.count(Buffer.from(`%PDF-1.4\n${'x'.repeat(2000)}`), pdf)).rejects.toMatchObject({
      code: 'document_unreadable',
    });
    await expect(counter.count(Buffer.from('hello'), 'text/plain')).rejects.toMatchObject({
      code: 'document_format_unknown',
    });
  });

  it('ends a page tree that refers to itself', async () => {
    const looped = Buffer.from(
      samplePdf({ pages: 2 }).toString('latin1').replace('/Kids [4 0 R 6 0 R]', '/Kids [4 0 R 2 0 R]'),
      'latin1',
    );
    const answer: { pages?: number; code?: string } = await counter.count(looped, pdf).then(
      (pages) => ({ pages }),
      (error: { code: string }) => ({ code: error.code }),
    );
    // Either refused as unreadable or counted as some finite number; never a hang.
    if (answer.code !== undefined) expect(answer.code).toBe('document_unreadable');
    else expect(answer.pages).toBeGreaterThan(0);
  });

  it('counts 10,000 pages, and refuses a document larger than its limit', async () => {
    expect(await counter.count(samplePdf({ pages: 10_000 }), pdf)).toBe(10_000);
    const small = new PageCounter({ maxBytes: 1000 });
    await expect(small.count(samplePdf({ pages: 20 }), pdf)).rejects.toMatchObject({
      code: 'document_too_large',
    });
    await small.close();
  });

  it('gives up on a document after its deadline and counts the next one in a new worker', async () => {
    const hasty = new PageCounter({ timeoutMs: 1 });
    await expect(hasty.count(samplePdf({ pages: 2000 }), pdf)).rejects.toMatchObject({
      code: 'document_timeout',
    });
    await hasty.close();
    expect(await counter.count(samplePdf({ pages: 2 }), pdf)).toBe(2);
  });

  it('ends its worker after a while without documents, and starts a new one for the next', async () => {
    const clock = new ManualClock();
    const idle = new PageCounter({ clock, idleMs: 60_000 });
    try {
      expect(await idle.count(samplePdf({ pages: 3 }), pdf)).toBe(3);
      expect(idle.workerRunning).toBe(true);
      await clock.advance(59_000);
      expect(idle.workerRunning).toBe(true);
      // A document within the idle time keeps the same worker, and restarts the wait.
      expect(await idle.count(samplePdf({ pages: 4 }), pdf)).toBe(4);
      await clock.advance(59_000);
      expect(idle.workerRunning).toBe(true);
      await clock.advance(1_000);
      expect(idle.workerRunning).toBe(false);
      expect(await idle.count(samplePdf({ pages: 5 }), pdf)).toBe(5);
      expect(idle.workerRunning).toBe(true);
    } finally {
      await idle.close();
    }
  });

  it('reads the DSC page count of PostScript and counts an image as one page', async () => {
    expect(
      await counter.count(
        Buffer.from('%!PS-Adobe-3.0\n%%Pages: 7\n%%EndComments\n'),
        'application/postscript',
      ),
    ).toBe(7);
    expect(await counter.count(Buffer.from([0xff, 0xd8]), 'image/jpeg')).toBe(1);
  });
});

/** A one-page PDF drawing `content`, with a 4×4 RGB picture /Im1 of `image`'s bytes when given. */
function onePage(content: string, image?: Buffer): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R${image ? ' /Resources << /XObject << /Im1 5 0 R >> >>' : ''} >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ...(image
      ? [
          `<< /Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${image.length} >>\nstream\n${image.toString('latin1')}\nendstream`,
        ]
      : []),
  ];
  let text = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(text, 'latin1'));
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(text, 'latin1');
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) text += `${String(offset).padStart(10, '0')} 00000 n \n`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(text, 'latin1');
}
