/**
 * Counts the pages of a print job's document, from the document itself. A
 * PDF is counted by pdf.js in a worker thread of its own, with a heap limit and
 * a deadline: a hostile file (a page tree that never ends, a stream that
 * inflates without end) costs at most that, then the worker is ended and a new
 * one serves the next document. One document at a time, a bounded queue.
 *
 * PostScript is counted by its DSC `%%Pages:` comment; an image is one page.
 * Anything else has no known count, which the release station shows as such.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { CarrelError } from '../../core/errors.js';
import { PAGE_COUNT_WORKER_SOURCE } from './page-count-worker.js';

export type PageCountErrorCode =
  | 'document_unreadable'
  | 'document_password_required'
  | 'document_empty'
  | 'document_too_large'
  | 'document_timeout'
  | 'document_format_unknown'
  | 'page_counter_busy';

export class PageCountError extends CarrelError {
  /**
   * `message` is what the patron at the station and the desk read; `reason` is the PDF library's
   * own account (for whoever looks into a file), never shown to them.
   */
  constructor(
    code: PageCountErrorCode,
    message: string,
    readonly reason?: string,
  ) {
    super(code, message);
  }
}

/**
 * A document the PDF library could not open, in the words of whoever printed it: not pdf.js's
 * ('Invalid PDF structure', 'No password given'), and never a path.
 */
const DOCUMENT_WORDS: Partial<Record<PageCountErrorCode, string>> = {
  document_unreadable:
    'the file could not be read (it may be damaged, or only part of it arrived): print it again from the program it was made in',
  document_password_required:
    'the file is locked with a password: open it, save a copy without the password, and print that',
  document_too_large: 'the file is too large to count its pages: print it in parts',
};

/** A document the worker could not count: the patron's words, the PDF library's kept as the reason. */
function documentError(code: PageCountErrorCode, reason: string): PageCountError {
  return new PageCountError(code, DOCUMENT_WORDS[code] ?? DOCUMENT_WORDS.document_unreadable!, reason);
}

export interface PageCounterOptions {
  clock?: Clock;
  /** A document larger than this is not counted (256 MiB). */
  maxBytes?: number;
  /** One document may take this long (10 s). */
  timeoutMs?: number;
  /** The worker's JavaScript heap (256 MB). */
  heapMb?: number;
  /** Documents waiting at most (32). */
  queueLimit?: number;
  /**
   * The worker ends after this long without a document (2 min), giving back
   * the ~35 MB pdf.js holds; the next document starts a new one (~0.2 s, while
   * the job waits in the queue for its patron).
   */
  idleMs?: number;
}

/** A document's pages, and whether anything on them is in colour (null: not known). */
export interface DocumentInk {
  pages: number;
  /**
   * Whether a page draws in colour (text, lines, fills or pictures not grey): what a printer told
   * `print-color-mode: auto` prints in colour. Null when not looked at, or not known in time.
   */
  colour: boolean | null;
}

interface Pending {
  id: number;
  bytes: Uint8Array;
  colour: boolean;
  resolve: (document: DocumentInk) => void;
  reject: (error: Error) => void;
}

const require = createRequire(import.meta.url);

/** A PDF's pages looked at for colour at most: a longer document not found in colour by then is not known. */
const COLOUR_PAGES = 200;

export class PageCounter {
  private worker: Worker | undefined;
  private current: (Pending & { timer: TimerHandle }) | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly heapMb: number;
  private readonly queueLimit: number;
  private readonly idleMs: number;
  private idle: TimerHandle | undefined;

  constructor(options: PageCounterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.heapMb = options.heapMb ?? 256;
    this.queueLimit = options.queueLimit ?? 32;
    this.idleMs = options.idleMs ?? 120_000;
  }

  /** True while a worker thread (and the pdf.js it loaded) is alive. */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  /** The number of pages of one document of the given MIME type (≥ 1), or a PageCountError. */
  async count(bytes: Uint8Array, format: string): Promise<number> {
    return (await this.inspect(bytes, format, { colour: false })).pages;
  }

  /**
   * The pages of a document, and (`colour`) whether it draws in colour: a PDF's pages are looked at
   * within half the document's time, up to COLOUR_PAGES of them; past that, or another format, it
   * is not known (null).
   */
  async inspect(bytes: Uint8Array, format: string, options: { colour: boolean }): Promise<DocumentInk> {
    if (bytes.length > this.maxBytes)
      throw new PageCountError('document_too_large', `the document is larger than ${this.maxBytes} bytes`);
    const type = format.toLowerCase().split(';')[0]?.trim() ?? '';
    const document = await this.countOf(bytes, type, options.colour);
    if (document.pages < 1) throw new PageCountError('document_empty', 'the document has no pages');
    return document;
  }

  private async countOf(bytes: Uint8Array, type: string, colour: boolean): Promise<DocumentInk> {
    if (type === 'application/pdf' || (type === 'application/octet-stream' && isPdf(bytes)))
      return this.countPdf(bytes, colour);
    if (type === 'application/postscript') return { pages: postScriptPages(bytes), colour: null };
    if (type.startsWith('image/') && type !== 'image/pwg-raster' && type !== 'image/urf')
      return { pages: 1, colour: null };
    throw new PageCountError(
      'document_format_unknown',
      `pages of a ${type || 'document of no stated type'} cannot be counted`,
    );
  }

  private countPdf(bytes: Uint8Array, colour: boolean): Promise<DocumentInk> {
    if (this.closed)
      return Promise.reject(new PageCountError('page_counter_busy', 'the page counter is closed'));
    if (this.queue.length >= this.queueLimit)
      return Promise.reject(
        new PageCountError('page_counter_busy', 'too many documents are waiting to be counted'),
      );
    return new Promise<DocumentInk>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bytes, colour, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle?.cancel();
    for (const pending of this.queue.splice(0))
      pending.reject(new PageCountError('page_counter_busy', 'the page counter is closed'));
    this.finish()?.reject(new PageCountError('page_counter_busy', 'the page counter is closed'));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const pending = this.queue.shift();
    this.idle?.cancel();
    this.idle = undefined;
    if (!pending) {
      if (this.worker)
        this.idle = this.clock.setTimeout('page-count-idle', () => this.endIdle(), this.idleMs);
      return;
    }
    const worker = this.ensureWorker();
    const timer = this.clock.setTimeout(
      'page-count',
      () => {
        this.finish()?.reject(
          new PageCountError('document_timeout', `counting the pages took longer than ${this.timeoutMs} ms`),
        );
        this.restart();
      },
      this.timeoutMs,
    );
    this.current = { ...pending, timer };
    // A copy is sent: the worker may be ended with the document still in it.
    worker.postMessage({
      id: pending.id,
      bytes: Uint8Array.from(pending.bytes),
      ...(pending.colour ? { colour: { withinMs: this.timeoutMs / 2, pages: COLOUR_PAGES } } : {}),
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const pdfjsUrl = pathToFileURL(require.resolve('pdfjs-dist/legacy/build/pdf.mjs')).href;
    const worker = new Worker(PAGE_COUNT_WORKER_SOURCE, {
      eval: true,
      workerData: { pdfjsUrl },
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    worker.unref();
    worker.on(
      'message',
      (answer: {
        id: number;
        pages?: number;
        colour?: boolean | null;
        error?: { code: PageCountErrorCode; message: string };
      }) => {
        if (this.current?.id !== answer.id) return;
        const done = this.finish();
        if (answer.error) done?.reject(documentError(answer.error.code, answer.error.message));
        else done?.resolve({ pages: answer.pages ?? 0, colour: answer.colour ?? null });
        this.next();
      },
    );
    const lost = (error: Error | undefined) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const code = /memory/i.test(error?.message ?? '') ? 'document_too_large' : 'document_unreadable';
      this.finish()?.reject(
        documentError(code, `the page counter ended: ${error?.message ?? 'worker ended'}`),
      );
      this.next();
    };
    worker.on('error', (error) => lost(error));
    worker.on('exit', () => lost(undefined));
    this.worker = worker;
    return worker;
  }

  private endIdle(): void {
    this.idle = undefined;
    if (this.current || this.queue.length > 0) return;
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  private restart(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    this.next();
  }

  private finish(): Pending | undefined {
    const current = this.current;
    if (!current) return undefined;
    current.timer.cancel();
    this.current = undefined;
    return current;
  }
}

function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 1024)).includes('%PDF-');
}

/** The DSC page count of a PostScript document (`%%Pages: N`, the last one given wins, `(atend)` skipped). */
function postScriptPages(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('latin1');
  let pages: number | undefined;
  for (const match of text.matchAll(/^%%Pages:\s*(\d+)/gm)) pages = Number(match[1]);
  if (pages === undefined)
    throw new PageCountError('document_format_unknown', 'a PostScript document without a %%Pages: comment');
  return pages;
}
