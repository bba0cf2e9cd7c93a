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
